"""Reads of the outbox: filtered lists for staff, and per-purpose statistics for campaigns."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import MessageChannel, MessageStatus, OutboxMessage


def outbox_filtered(filters: dict[str, Any]) -> QuerySet[OutboxMessage]:
    """Outbox rows by ``status``, ``channel`` and ``purpose`` (a prefix); unknown values of
    the choices are ignored. Callers check the permission (the outbox is settings-level)."""
    rows = OutboxMessage.objects.all()
    if filters.get("status") in MessageStatus.values:
        rows = rows.filter(status=filters["status"])
    if filters.get("channel") in MessageChannel.values:
        rows = rows.filter(channel=filters["channel"])
    if filters.get("purpose"):
        rows = rows.filter(purpose__startswith=str(filters["purpose"])[:120])
    return rows


def outbox_stats(*, purpose: str) -> dict[str, int]:
    """How the messages of one purpose (a campaign) fared, in one aggregate query: a count
    per status plus ``opened`` and ``clicked``."""
    aggregates: dict[str, Any] = {
        status: Count("id", filter=Q(status=status)) for status in MessageStatus.values
    }
    aggregates["opened"] = Count("id", filter=Q(opened_at__isnull=False))
    aggregates["clicked"] = Count("id", filter=Q(clicked_at__isnull=False))
    aggregates["total"] = Count("id")
    values = OutboxMessage.objects.filter(purpose=purpose).aggregate(**aggregates)
    return {key: int(value or 0) for key, value in values.items()}
