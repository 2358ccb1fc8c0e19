"""REST endpoints of the service desk: ``/api/v1/tickets`` (list, open, read, change), a
ticket's messages (read, reply or note), status, complaint step, merge, and its SLA
standing. Every ticket is looked up among those the caller may see (404 otherwise)."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from peyvand.accounts.models import Team
from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.api.common import PageOut, cursor_page, resolve_relations
from peyvand.sales.selectors import deals_visible_to

from .merging import ticket_merge
from .models import Ticket, TicketCategory, TicketMessage
from .selectors import TICKET_SORTS, tickets_filtered, tickets_visible_to
from .sla import sla_status
from .tickets import (
    ticket_complaint_step,
    ticket_create,
    ticket_reply,
    ticket_set_status,
    ticket_update,
)

router = Router(tags=["service"])


class TicketOut(Schema):
    id: int
    subject: str
    status: str
    priority: str
    channel: str
    category_id: int | None
    contact_id: int | None
    company_id: int | None
    deal_id: int | None
    assignee_id: int | None
    team_id: int | None
    tags: list[str]
    requester_email: str
    complaint_step: str
    merged_into_id: int | None
    split_from_id: int | None
    sla_policy_id: int | None
    sla_state: str
    first_response_due: datetime.datetime | None
    resolution_due: datetime.datetime | None
    first_responded_at: datetime.datetime | None
    resolved_at: datetime.datetime | None
    first_response_breached: bool
    resolution_breached: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_tags(obj: Ticket) -> list[str]:
        return [tag.name for tag in obj.tags.all()]


class TicketIn(Schema):
    """A ticket opened through the API (``channel`` says where it really came from)."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(..., max_length=250)
    body: str = Field(..., max_length=50_000)
    channel: Literal["api", "email", "web", "phone", "in_person", "sms"] = "api"
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    category_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    deal_id: int | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    tags: list[str] = []
    requester_email: str = Field("", max_length=254)
    is_complaint: bool = False


class TicketPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(None, max_length=250)
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    category_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    deal_id: int | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    tags: list[str] | None = None


class TicketFilters(Schema):
    search: str = ""
    view: str = ""
    status: str = "active"
    priority: str = ""
    category: str = ""
    assignee: str = ""
    team: str = ""
    sla: str = ""
    tag: str = ""
    sort: str = "newest"
    cursor: str | None = None
    limit: int = 50


class MessageOut(Schema):
    id: int
    kind: str
    body: str
    author_id: int | None
    from_email: str
    attachments: list[dict[str, Any]]
    created_at: datetime.datetime

    @staticmethod
    def resolve_attachments(obj: TicketMessage) -> list[dict[str, Any]]:
        return [
            {"id": item.pk, "name": item.name, "size": item.size, "type": item.content_type}
            for item in obj.attachments.all()
        ]


class ReplyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(..., max_length=50_000)
    internal: bool = False


class StatusIn(Schema):
    model_config = ConfigDict(extra="forbid")

    status: Literal["new", "open", "waiting", "resolved", "closed"]


class ComplaintIn(Schema):
    model_config = ConfigDict(extra="forbid")

    step: Literal["acknowledged", "investigating", "solution_offered", "following_up", "confirmed"]
    note: str = Field("", max_length=2000)


class MergeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    target_id: int


class ClockOut(Schema):
    due: datetime.datetime | None
    done_at: datetime.datetime | None
    breached: bool
    working_minutes_left: int | None


class SlaOut(Schema):
    policy: str | None
    state: str
    paused: bool
    first_response: ClockOut
    resolution: ClockOut


def _desk_relations(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    """``*_id`` fields as objects the caller may use; an unknown or invisible one is a
    field error."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        values = resolve_relations(user, data)
    except ValidationError as failure:
        errors.update(failure.error_dict)
        values = {key: value for key, value in data.items() if key not in errors}
    lookups: tuple[tuple[str, str, Any], ...] = (
        ("category_id", "category", TicketCategory.objects.filter(is_active=True)),
        ("team_id", "team", Team.objects.all()),
        ("deal_id", "deal", deals_visible_to(user)),
    )
    for field, name, queryset in lookups:
        if field not in values:
            continue
        record_id = values.pop(field)
        record = None if record_id is None else queryset.filter(pk=record_id).first()
        if record_id is not None and record is None:
            errors[field] = [ValidationError(_("No such record."), code="does_not_exist")]
        values[name] = record
    if errors:
        raise ValidationError(errors)
    return values


def _ticket(request: AuthenticatedRequest, ticket_id: int) -> Ticket:
    return tickets_visible_to(request.user).prefetch_related("tags").get(pk=ticket_id)


@router.get("/tickets", response=PageOut[TicketOut], summary="List tickets")
def list_tickets(request: AuthenticatedRequest, filters: Query[TicketFilters]) -> dict[str, Any]:
    """Visible tickets; ``status=active`` (the default) is new, open or waiting, ``all`` is
    every status; ``view`` is ``mine``, ``unassigned`` or ``team``; ``sla`` is ``breached``
    or ``due_soon``; ``search`` is Persian-normalized (or a ticket number)."""
    require_permission(request.user, "read", "tickets")
    queryset = tickets_filtered(request.user, {**filters.dict(), "q": filters.search})
    page = cursor_page(
        queryset.prefetch_related("tags"),
        ordering=TICKET_SORTS.get(filters.sort, TICKET_SORTS["newest"]),
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/tickets", response={201: TicketOut}, summary="Open a ticket")
def create_ticket(request: AuthenticatedRequest, payload: TicketIn) -> Status[Ticket]:
    """With no ``assignee_id``, the category's rule picks the agent."""
    require_permission(request.user, "write", "tickets")
    data = payload.dict()
    body, channel = data.pop("body"), data.pop("channel")
    requester_email, is_complaint = data.pop("requester_email"), data.pop("is_complaint")
    values = _desk_relations(request.user, data)
    ticket = ticket_create(
        actor=request.user,
        values=values,
        body=body,
        channel=channel,
        requester_email=requester_email,
        is_complaint=is_complaint,
    )
    return Status(201, _ticket(request, ticket.pk) if _visible(request, ticket) else ticket)


def _visible(request: AuthenticatedRequest, ticket: Ticket) -> bool:
    return tickets_visible_to(request.user).filter(pk=ticket.pk).exists()


@router.get("/tickets/{ticket_id}", response=TicketOut, summary="Get a ticket")
def get_ticket(request: AuthenticatedRequest, ticket_id: int) -> Ticket:
    require_permission(request.user, "read", "tickets")
    return _ticket(request, ticket_id)


@router.patch("/tickets/{ticket_id}", response=TicketOut, summary="Change a ticket")
def update_ticket(request: AuthenticatedRequest, ticket_id: int, payload: TicketPatch) -> Ticket:
    require_permission(request.user, "write", "tickets")
    ticket = _ticket(request, ticket_id)
    values = _desk_relations(request.user, payload.dict(exclude_unset=True))
    if values.get("tags") is None:
        values.pop("tags", None)
    ticket_update(actor=request.user, ticket=ticket, values=values)
    return Ticket.objects.prefetch_related("tags").get(pk=ticket.pk)


@router.get(
    "/tickets/{ticket_id}/messages", response=list[MessageOut], summary="A ticket's messages"
)
def list_messages(request: AuthenticatedRequest, ticket_id: int) -> list[TicketMessage]:
    """The whole thread in time order, internal notes included (agents only)."""
    require_permission(request.user, "read", "tickets")
    ticket = _ticket(request, ticket_id)
    return list(ticket.messages.prefetch_related("attachments").order_by("created_at", "id"))


@router.post(
    "/tickets/{ticket_id}/messages",
    response={201: MessageOut},
    summary="Reply to the customer or add an internal note",
)
def reply_ticket(
    request: AuthenticatedRequest, ticket_id: int, payload: ReplyIn
) -> Status[TicketMessage]:
    require_permission(request.user, "write", "tickets")
    ticket = _ticket(request, ticket_id)
    message = ticket_reply(
        actor=request.user, ticket=ticket, body=payload.body, internal=payload.internal
    )
    return Status(201, message)


@router.post("/tickets/{ticket_id}/status", response=TicketOut, summary="Change the status")
def set_ticket_status(request: AuthenticatedRequest, ticket_id: int, payload: StatusIn) -> Ticket:
    require_permission(request.user, "write", "tickets")
    ticket = ticket_set_status(
        actor=request.user, ticket=_ticket(request, ticket_id), status=payload.status
    )
    return Ticket.objects.prefetch_related("tags").get(pk=ticket.pk)


@router.post(
    "/tickets/{ticket_id}/complaint", response=TicketOut, summary="Record a complaint step"
)
def set_complaint_step(
    request: AuthenticatedRequest, ticket_id: int, payload: ComplaintIn
) -> Ticket:
    require_permission(request.user, "write", "tickets")
    ticket = ticket_complaint_step(
        actor=request.user,
        ticket=_ticket(request, ticket_id),
        step=payload.step,
        note=payload.note,
    )
    return Ticket.objects.prefetch_related("tags").get(pk=ticket.pk)


@router.post("/tickets/{ticket_id}/merge", response=TicketOut, summary="Merge into another ticket")
def merge_ticket(request: AuthenticatedRequest, ticket_id: int, payload: MergeIn) -> Ticket:
    """Moves this ticket's messages into ``target_id`` and closes this one; returns the
    target."""
    require_permission(request.user, "write", "tickets")
    source = _ticket(request, ticket_id)
    target = tickets_visible_to(request.user).filter(pk=payload.target_id).first()
    if target is None:
        raise ValidationError(
            {"target_id": [ValidationError(_("No such record."), code="does_not_exist")]}
        )
    merged = ticket_merge(actor=request.user, source=source, target=target)
    return Ticket.objects.prefetch_related("tags").get(pk=merged.pk)


@router.get("/tickets/{ticket_id}/sla", response=SlaOut, summary="A ticket's SLA standing")
def get_ticket_sla(request: AuthenticatedRequest, ticket_id: int) -> dict[str, object]:
    """Due times, whether each clock was met or breached, and the working minutes left
    (negative when late) on the policy's business calendar."""
    require_permission(request.user, "read", "tickets")
    ticket = (
        tickets_visible_to(request.user).select_related("sla_policy__calendar").get(pk=ticket_id)
    )
    return sla_status(ticket)
