"""Campaign statistics, all SQL aggregates over the frozen audience and the campaign's
outbox rows (purpose ``campaign:<id>``): per A/B variant and group, the totals, and the
conversion of the treated audience against the hold-out's (the lift).

Four queries whatever the audience's size: the variants, the recipients by group and
variant (with conversions), the outbox rows by variant and status, and nothing else."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, Subquery

from peyvand.messaging.models import (
    MessageStatus,
    OutboxMessage,
    Suppression,
    SuppressionReason,
)
from peyvand.timeline.models import Event

from ..campaign_models import Campaign, CampaignRecipient, RecipientGroup

_SENT = [MessageStatus.SENT, MessageStatus.DELIVERED]


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass
class StatsRow:
    """Counts of one slice of the audience (a variant's test group, the rest, the hold-out
    or everyone)."""

    label: str = ""
    group: str = ""
    variant_id: int | None = None
    audience: int = 0
    no_address: int = 0
    queued: int = 0
    pending: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    suppressed: int = 0
    no_consent: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    converted: int = 0

    COUNTS = (
        "audience",
        "no_address",
        "queued",
        "pending",
        "sent",
        "delivered",
        "failed",
        "suppressed",
        "no_consent",
        "opened",
        "clicked",
        "unsubscribed",
        "converted",
    )

    def add(self, other: StatsRow) -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def open_rate(self) -> float:
        return _rate(self.opened, self.sent)

    @property
    def click_rate(self) -> float:
        return _rate(self.clicked, self.sent)

    @property
    def conversion_rate(self) -> float:
        return _rate(self.converted, self.audience)

    @property
    def delivery_rate(self) -> float:
        return _rate(self.delivered, self.sent)

    def as_dict(self) -> dict[str, object]:
        values: dict[str, object] = {name: getattr(self, name) for name in self.COUNTS}
        values.update(
            label=self.label,
            group=self.group,
            variant_id=self.variant_id,
            open_rate=round(self.open_rate, 4),
            click_rate=round(self.click_rate, 4),
            conversion_rate=round(self.conversion_rate, 4),
        )
        return values


@dataclass
class CampaignStats:
    """Rows per (group, variant), the total of the messaged audience, and the hold-out."""

    rows: list[StatsRow] = field(default_factory=list)
    treated: StatsRow = field(default_factory=StatsRow)
    holdout: StatsRow = field(default_factory=StatsRow)

    def test_row(self, variant_id: int) -> StatsRow:
        for row in self.rows:
            if row.group == RecipientGroup.TEST and row.variant_id == variant_id:
                return row
        return StatsRow(group=RecipientGroup.TEST, variant_id=variant_id)

    @property
    def lift(self) -> float | None:
        """The treated audience's conversion rate relative to the hold-out's (0.25 = 25 %
        more); None without a hold-out or when nobody in it converted."""
        if not self.holdout.audience or not self.holdout.converted:
            return None
        return self.treated.conversion_rate / self.holdout.conversion_rate - 1

    def outcome_percents(self) -> dict[str, int]:
        """How much of the queued messages ended sent, failed and suppressed, in whole
        percent for the stacked progress bar: each part rounded down, so the parts never add
        up past 100 and a bar reads 100 only when everything queued is finished."""
        total = self.treated
        if not total.queued:
            return {"sent": 0, "failed": 0, "suppressed": 0}
        return {
            name: 100 * getattr(total, name) // total.queued
            for name in ("sent", "failed", "suppressed")
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": [row.as_dict() for row in self.rows],
            "total": self.treated.as_dict(),
            "holdout": self.holdout.as_dict(),
            "lift": None if self.lift is None else round(self.lift, 4),
        }


def _conversion_window(campaign: Campaign) -> tuple[datetime.datetime, datetime.datetime] | None:
    if campaign.launched_at is None:
        return None
    start = campaign.launched_at
    return start, start + datetime.timedelta(days=campaign.conversion_days)


def campaign_stats(campaign: Campaign) -> CampaignStats:
    """The campaign's numbers, in three queries."""
    labels = dict(campaign.variants.values_list("pk", "label"))
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    window = _conversion_window(campaign)
    if window is not None:
        converted = Exists(
            Event.objects.filter(
                contact_id=OuterRef("contact_id"),
                verb=campaign.conversion_verb,
                occurred_at__gte=window[0],
                occurred_at__lt=window[1],
            )
        )
        recipients = recipients.annotate(has_converted=converted)
        converted_count = Count("id", filter=Q(has_converted=True))
    else:
        converted_count = Count("id", filter=Q(pk__in=[]))
    by_group = (
        recipients.values("group", "variant_id")
        .annotate(
            audience=Count("id"),
            no_address=Count("id", filter=Q(address="")),
            converted=converted_count,
        )
        .order_by("group", "variant_id")
    )
    rows: dict[tuple[str, int | None], StatsRow] = {}
    for entry in by_group:
        key = (entry["group"], entry["variant_id"])
        rows[key] = StatsRow(
            group=entry["group"],
            variant_id=entry["variant_id"],
            audience=entry["audience"],
            no_address=entry["no_address"],
            converted=entry["converted"],
        )
    messages = OutboxMessage.objects.filter(purpose=campaign.purpose).annotate(
        recipient_group=Subquery(
            CampaignRecipient.objects.filter(
                campaign=campaign, contact_id=OuterRef("contact_id")
            ).values("group")[:1]
        ),
        recipient_variant=Subquery(
            CampaignRecipient.objects.filter(
                campaign=campaign, contact_id=OuterRef("contact_id")
            ).values("variant_id")[:1]
        ),
    )
    if campaign.launched_at is not None:
        messages = messages.annotate(
            has_unsubscribed=Exists(
                Suppression.objects.filter(
                    channel=campaign.channel,
                    address=OuterRef("recipient"),
                    reason=SuppressionReason.UNSUBSCRIBED,
                    created_at__gte=campaign.launched_at,
                )
            )
        )
        unsubscribed = Count("id", filter=Q(has_unsubscribed=True))
    else:
        unsubscribed = Count("id", filter=Q(pk__in=[]))
    by_status = (
        messages.values("recipient_group", "recipient_variant")
        .annotate(
            queued=Count("id"),
            pending=Count(
                "id", filter=Q(status__in=[MessageStatus.PENDING, MessageStatus.SENDING])
            ),
            sent=Count("id", filter=Q(status__in=_SENT)),
            delivered=Count("id", filter=Q(status=MessageStatus.DELIVERED)),
            failed=Count(
                "id", filter=Q(status__in=[MessageStatus.FAILED, MessageStatus.UNCERTAIN])
            ),
            suppressed=Count("id", filter=Q(status=MessageStatus.SUPPRESSED)),
            no_consent=Count(
                "id",
                filter=Q(
                    status=MessageStatus.SUPPRESSED,
                    suppression_reason=SuppressionReason.NO_CONSENT,
                ),
            ),
            opened=Count("id", filter=Q(opened_at__isnull=False)),
            clicked=Count("id", filter=Q(clicked_at__isnull=False)),
            unsubscribed=unsubscribed,
        )
        .order_by("recipient_group", "recipient_variant")
    )
    for entry in by_status:
        key = (entry["recipient_group"], entry["recipient_variant"])
        row = rows.setdefault(key, StatsRow(group=key[0] or "", variant_id=key[1]))
        for name in (
            "queued",
            "pending",
            "sent",
            "delivered",
            "failed",
            "suppressed",
            "no_consent",
            "opened",
            "clicked",
            "unsubscribed",
        ):
            setattr(row, name, entry[name])
    stats = CampaignStats()
    order: dict[str, int] = {
        RecipientGroup.TEST.value: 0,
        RecipientGroup.REST.value: 1,
        RecipientGroup.HOLDOUT.value: 2,
    }
    for (group, variant_id), row in sorted(
        rows.items(), key=lambda item: (order.get(item[0][0], 3), item[0][1] or 0)
    ):
        row.label = labels.get(variant_id, "") if variant_id else ""
        if group == RecipientGroup.HOLDOUT:
            stats.holdout = row
        else:
            stats.treated.add(row)
        stats.rows.append(row)
    stats.treated.label = "total"
    return stats
