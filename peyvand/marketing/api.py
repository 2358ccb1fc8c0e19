"""REST endpoints of segments: ``/api/v1/segments`` (list, create, read, change, delete), a
segment's count and members (scoped to what the caller may see), and adding or removing
contacts of a static list by ids. A segment the caller may not open is a 404."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.api.common import PageOut, cursor_page
from peyvand.contacts.selectors import contacts_filtered

from .models import Segment
from .selectors import (
    MEMBER_ORDERING,
    sees_every_contact,
    segment_count,
    segment_members,
    segments_visible_to,
)
from .services import (
    contacts_by_ids,
    segment_add_contacts,
    segment_create,
    segment_delete,
    segment_remove_contacts,
    segment_update,
)

router = Router(tags=["marketing"])


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    kind: str
    rules: dict[str, Any]
    owner_id: int | None
    is_shared: bool
    # The cached count of every member; null for callers who do not see every contact.
    last_count: int | None
    counted_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class SegmentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=150)
    description: str = Field("", max_length=5000)
    kind: Literal["dynamic", "static"] = "dynamic"
    rules: dict[str, Any] = {"match": "all", "conditions": []}
    is_shared: bool = True


class SegmentPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=150)
    description: str | None = Field(None, max_length=5000)
    rules: dict[str, Any] | None = None
    is_shared: bool | None = None


class CountOut(Schema):
    count: int
    counted_at: datetime.datetime


class MemberOut(Schema):
    id: int
    first_name: str
    last_name: str
    city: str
    lifecycle_stage: str
    owner_id: int | None
    company_id: int | None


class ContactsIn(Schema):
    """Which contacts: ``contact_ids`` (each one the caller may see), or ``filters`` as the
    contacts list takes them (``q``, ``stage``, ``city``, ``tag``, ``owner``, ``cf_<key>``…)."""

    model_config = ConfigDict(extra="forbid")

    contact_ids: list[int] | None = Field(None, min_length=1, max_length=10_000)
    filters: dict[str, str] | None = None


class ChangedOut(Schema):
    changed: int
    count: int


class PageQuery(Schema):
    cursor: str | None = None
    limit: int = 50


def _out(
    request: AuthenticatedRequest, segment: Segment, unscoped: bool | None = None
) -> dict[str, Any]:
    if unscoped is None:
        unscoped = sees_every_contact(request.user)
    return {
        **{field: getattr(segment, field) for field in SegmentOut.model_fields},
        "last_count": segment.last_count if unscoped else None,
        "counted_at": segment.counted_at if unscoped else None,
    }


def _segment(request: AuthenticatedRequest, segment_id: int) -> Segment:
    return segments_visible_to(request.user).get(pk=segment_id)


@router.get("/segments", response=PageOut[SegmentOut], summary="List segments")
def list_segments(request: AuthenticatedRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Shared segments and the caller's own private ones, by name."""
    require_permission(request.user, "read", "marketing")
    result = cursor_page(
        segments_visible_to(request.user),
        ordering=["name", "id"],
        cursor=page.cursor,
        limit=page.limit,
    )
    unscoped = sees_every_contact(request.user)
    return {
        "items": [_out(request, segment, unscoped) for segment in result.items],
        "next_cursor": result.next_cursor,
    }


@router.post("/segments", response={201: SegmentOut}, summary="Create a segment")
def create_segment(request: AuthenticatedRequest, payload: SegmentIn) -> Status[dict[str, Any]]:
    """``rules`` (dynamic only): ``{"match": "all"|"any", "conditions": [{"kind": …,
    "params": {…}}, {"match": …, "conditions": […]}]}``; errors name the path, e.g.
    ``rules.conditions.0.params.days``."""
    require_permission(request.user, "write", "marketing")
    segment = segment_create(actor=request.user, values=payload.dict())
    return Status(201, _out(request, segment))


@router.get("/segments/{segment_id}", response=SegmentOut, summary="Get a segment")
def get_segment(request: AuthenticatedRequest, segment_id: int) -> dict[str, Any]:
    require_permission(request.user, "read", "marketing")
    return _out(request, _segment(request, segment_id))


@router.patch("/segments/{segment_id}", response=SegmentOut, summary="Change a segment")
def update_segment(
    request: AuthenticatedRequest, segment_id: int, payload: SegmentPatch
) -> dict[str, Any]:
    require_permission(request.user, "write", "marketing")
    segment = _segment(request, segment_id)
    values = payload.dict(exclude_unset=True)
    for key in ("name", "description", "is_shared", "rules"):
        if key in values and values[key] is None:
            values.pop(key)
    segment = segment_update(actor=request.user, segment=segment, values=values)
    return _out(request, segment)


@router.delete("/segments/{segment_id}", response={204: None}, summary="Delete a segment")
def delete_segment(request: AuthenticatedRequest, segment_id: int) -> Status[None]:
    require_permission(request.user, "delete", "marketing")
    segment_delete(actor=request.user, segment=_segment(request, segment_id))
    return Status(204, None)


@router.get("/segments/{segment_id}/count", response=CountOut, summary="Count members")
def count_segment(request: AuthenticatedRequest, segment_id: int) -> dict[str, Any]:
    """The members the caller may see, counted now."""
    require_permission(request.user, "read", "marketing")
    segment = _segment(request, segment_id)
    return {"count": segment_count(segment, user=request.user), "counted_at": timezone.now()}


@router.get("/segments/{segment_id}/members", response=PageOut[MemberOut], summary="List members")
def list_members(
    request: AuthenticatedRequest, segment_id: int, page: Query[PageQuery]
) -> dict[str, Any]:
    """The members the caller may see, newest first, a page at a time (``next_cursor``)."""
    require_permission(request.user, "read", "marketing")
    segment = _segment(request, segment_id)
    result = cursor_page(
        segment_members(segment, user=request.user),
        ordering=MEMBER_ORDERING,
        cursor=page.cursor,
        limit=page.limit,
    )
    return {"items": result.items, "next_cursor": result.next_cursor}


def _change(
    request: AuthenticatedRequest, segment_id: int, payload: ContactsIn, *, add: bool
) -> dict[str, int]:
    require_permission(request.user, "write", "marketing")
    segment = _segment(request, segment_id)
    if (payload.contact_ids is None) == (payload.filters is None):
        raise ValidationError(
            {
                "contact_ids": [
                    ValidationError(_("Send either contact_ids or filters."), code="required")
                ]
            }
        )
    contacts: QuerySet[Any] = (
        contacts_by_ids(request.user, payload.contact_ids)
        if payload.contact_ids is not None
        else contacts_filtered(request.user, payload.filters or {})
    )
    service = segment_add_contacts if add else segment_remove_contacts
    changed = service(actor=request.user, segment=segment, contacts=contacts)
    return {"changed": changed, "count": segment_count(segment, user=request.user)}


@router.post(
    "/segments/{segment_id}/members", response=ChangedOut, summary="Add contacts to a list"
)
def add_members(
    request: AuthenticatedRequest, segment_id: int, payload: ContactsIn
) -> dict[str, int]:
    """Static lists only; every id must be a contact the caller may see (else 422); a
    filter adds the matching contacts the caller may see."""
    return _change(request, segment_id, payload, add=True)


@router.post(
    "/segments/{segment_id}/members/remove",
    response=ChangedOut,
    summary="Remove contacts from a list",
)
def remove_members(
    request: AuthenticatedRequest, segment_id: int, payload: ContactsIn
) -> dict[str, int]:
    return _change(request, segment_id, payload, add=False)
