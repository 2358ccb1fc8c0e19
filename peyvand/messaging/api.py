"""Read endpoints of the outbox: ``/api/v1/outbox`` (filtered list), ``/api/v1/outbox/{id}``
and ``/api/v1/outbox/stats?purpose=`` (a campaign's figures). Settings-level permission."""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Field, Query, Router, Schema

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.api.common import PageOut, cursor_page

from .models import OutboxMessage
from .selectors import outbox_filtered, outbox_stats

router = Router(tags=["messaging"])


class OutboxOut(Schema):
    id: int
    purpose: str
    channel: str
    recipient: str
    category: str
    contact_id: int | None
    subject: str
    status: str
    suppression_reason: str
    attempts: int
    next_attempt_at: datetime.datetime
    provider_message_id: str
    error: str
    created_at: datetime.datetime
    sent_at: datetime.datetime | None
    delivered_at: datetime.datetime | None
    opened_at: datetime.datetime | None
    clicked_at: datetime.datetime | None


class OutboxFilters(Schema):
    status: str = ""
    channel: str = ""
    purpose: str = Field("", max_length=120)
    cursor: str | None = None
    limit: int = 50


@router.get("/outbox", response=PageOut[OutboxOut], summary="List outbox messages")
def list_outbox(request: AuthenticatedRequest, filters: Query[OutboxFilters]) -> dict[str, Any]:
    """Newest first; ``purpose`` matches a prefix (``campaign:12``)."""
    require_permission(request.user, "read", "settings")
    page = cursor_page(
        outbox_filtered(filters.dict()),
        ordering=["-id"],
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/outbox/stats", summary="Figures of one purpose (campaign)")
def outbox_purpose_stats(
    request: AuthenticatedRequest, purpose: str = Query(..., max_length=120)
) -> dict[str, int]:
    require_permission(request.user, "read", "settings")
    return outbox_stats(purpose=purpose)


@router.get("/outbox/{message_id}", response=OutboxOut, summary="Get an outbox message")
def get_outbox(request: AuthenticatedRequest, message_id: int) -> OutboxMessage:
    require_permission(request.user, "read", "settings")
    return OutboxMessage.objects.get(pk=message_id)
