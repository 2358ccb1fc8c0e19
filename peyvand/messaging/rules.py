"""The rules checked when a message is about to go (not only when it was queued, since
consent can be withdrawn in between): marketing needs granted consent on the channel and an
address not suppressed, waits out the quiet hours (SMS) and respects the frequency cap;
transactional messages (OTP, ticket replies) go regardless.

Checks are made for a whole claimed batch with a fixed number of queries."""

from __future__ import annotations

import datetime
import zoneinfo
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count

from peyvand.contacts.models import ConsentStatus, ContactConsent

from . import config
from .models import (
    MessageCategory,
    MessageChannel,
    MessageStatus,
    OutboxMessage,
    Suppression,
    SuppressionReason,
)


@dataclass(frozen=True)
class Verdict:
    """``reason`` empty: send now; with ``defer_until``: not yet; else: never."""

    reason: str = ""
    defer_until: datetime.datetime | None = None


SEND = Verdict()


def next_allowed_time(now: datetime.datetime) -> datetime.datetime | None:
    """The end of the quiet hours when ``now`` falls inside them, else None."""
    window = config.quiet_hours()
    if window is None:
        return None
    start, end = window
    zone = zoneinfo.ZoneInfo(config.quiet_hours_time_zone())
    local = now.astimezone(zone)
    clock = local.time()
    if start == end:
        return None
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, end, tzinfo=zone).astimezone(datetime.UTC)


class BatchRules:
    """The rules for one claimed batch; call :meth:`verdict` per row, in sending order."""

    def __init__(self, rows: Sequence[OutboxMessage], now: datetime.datetime) -> None:
        self.now = now
        marketing = [row for row in rows if row.category == MessageCategory.MARKETING]
        contact_ids = {row.contact_id for row in marketing if row.contact_id is not None}
        self.granted: set[tuple[int, str]] = set(
            ContactConsent.objects.filter(
                contact_id__in=contact_ids, status=ConsentStatus.GRANTED
            ).values_list("contact_id", "channel")
        )
        addresses = {row.recipient for row in marketing}
        self.suppressed: dict[tuple[str, str], str] = {
            (channel, address): reason
            for channel, address, reason in Suppression.objects.filter(
                address__in=addresses
            ).values_list("channel", "address", "reason")
        }
        self.cap, days = config.frequency_cap()
        self.sent_recently: Counter[tuple[int, str]] = Counter()
        if self.cap and contact_ids:
            recent = (
                OutboxMessage.objects.filter(
                    contact_id__in=contact_ids,
                    category=MessageCategory.MARKETING,
                    status__in=[MessageStatus.SENT, MessageStatus.DELIVERED],
                    sent_at__gte=now - datetime.timedelta(days=days),
                )
                .values("contact_id", "channel")
                .annotate(count=Count("id"))
            )
            for entry in recent:
                self.sent_recently[(entry["contact_id"], entry["channel"])] = entry["count"]
        self.quiet_until = next_allowed_time(now)

    def verdict(self, row: OutboxMessage) -> Verdict:
        if row.category != MessageCategory.MARKETING:
            return SEND
        suppressed = self.suppressed.get((row.channel, row.recipient))
        if suppressed:
            return Verdict(reason=suppressed)
        if row.contact_id is None or (row.contact_id, row.channel) not in self.granted:
            return Verdict(reason=SuppressionReason.NO_CONSENT)
        if row.channel == MessageChannel.SMS and self.quiet_until is not None:
            return Verdict(reason=SuppressionReason.QUIET_HOURS, defer_until=self.quiet_until)
        key = (row.contact_id, row.channel)
        if self.cap and self.sent_recently[key] >= self.cap:
            return Verdict(reason=SuppressionReason.FREQUENCY_CAP)
        # Counted now, so two messages in one batch cannot both slip under the cap.
        self.sent_recently[key] += 1
        return SEND
