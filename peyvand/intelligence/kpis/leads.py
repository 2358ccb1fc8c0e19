"""Lead conversion rate per Jalali month, source and team."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from peyvand.contacts.models import Source
from peyvand.sales.models import Lead, LeadStatus
from peyvand.service.reports import month_bucket

from .common import MonthRange, ratio

_FIGURES = {
    "created": Count("id"),
    "converted": Count("id", filter=Q(status=LeadStatus.CONVERTED)),
}


@dataclass(frozen=True)
class ConversionRow:
    key: str
    label: str
    created: int
    converted: int

    @property
    def rate(self) -> float | None:
        return lead_conversion_rate(self.converted, self.created)


def lead_conversion_rate(converted: int, created: int) -> float | None:
    """Lead conversion rate = leads converted ÷ leads created, counted by the month the lead
    was created (a lead created in Farvardin and converted in Khordad counts for Farvardin;
    a recent month's rate still grows as its leads are worked)."""
    return ratio(converted, created)


@dataclass(frozen=True)
class LeadConversion:
    by_month: list[ConversionRow]
    by_source: list[ConversionRow]
    by_team: list[ConversionRow]


def lead_conversion(leads: QuerySet[Lead], period: MonthRange) -> LeadConversion:
    """Three queries whatever the number of leads. A lead counts for each team of its owner
    (an owner in two teams credits both); leads without an owner or team are "No team"."""
    start, end = period.bounds()
    chosen = leads.filter(created_at__gte=start, created_at__lt=end).order_by()
    months = {
        row["month"]: row
        for row in chosen.annotate(month=month_bucket("created_at", period))
        .values("month")
        .annotate(**_FIGURES)
    }
    sources = dict(Source.choices)
    by_source = [
        ConversionRow(
            key=row["source"],
            label=str(sources.get(row["source"], row["source"] or _("Unknown"))),
            created=row["created"],
            converted=row["converted"],
        )
        for row in chosen.values("source").annotate(**_FIGURES).order_by("-created", "source")
    ]
    by_team = [
        ConversionRow(
            key=str(row["owner__teams__id"] or ""),
            label=row["owner__teams__name"] or _("No team"),
            created=row["created"],
            converted=row["converted"],
        )
        for row in chosen.values("owner__teams__id", "owner__teams__name")
        .annotate(**_FIGURES)
        .order_by("-created", "owner__teams__name")
    ]
    return LeadConversion(
        by_month=[
            ConversionRow(
                key=month.code(),
                label=month.label(),
                created=months.get(index, {}).get("created", 0),
                converted=months.get(index, {}).get("converted", 0),
            )
            for index, month in enumerate(period.months())
        ],
        by_source=by_source,
        by_team=by_team,
    )
