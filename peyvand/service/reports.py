"""The SLA report: how many first responses and resolutions met their due times, in total
and per team, agent, priority and Jalali month, for tickets opened in a range of Jalali
months. Pure reads over a queryset the caller already scoped (``tickets_visible_to``);
every figure is an SQL aggregate, so the number of queries does not grow with the tickets.

A clock counts once it is decided: a first response was sent, or its due time passed
(``first_response_breached``) while none was; likewise for resolution. A decided clock
was met when it stopped without a breach. Tickets without an SLA policy (no due time) and
tickets merged into another are left out.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.common.jalali import JalaliMonth

from .models import Ticket, TicketPriority

# A report covers at most this many months (the month bucket is one CASE arm per month).
MAX_MONTHS = 36


@dataclass(frozen=True)
class MonthRange:
    """Whole Jalali months, ``first`` to ``last`` inclusive, in the business time zone
    (``TIME_ZONE``, Tehran): a month starts at local midnight of its first day."""

    first: JalaliMonth
    last: JalaliMonth

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValidationError({"end": [_("The last month must not be before the first.")]})
        if len(self.months()) > MAX_MONTHS:
            raise ValidationError({"end": [_("At most %(count)s months.") % {"count": MAX_MONTHS}]})

    def months(self) -> list[JalaliMonth]:
        months: list[JalaliMonth] = []
        current = self.first
        while current <= self.last and len(months) <= MAX_MONTHS:
            months.append(current)
            current = current.next()
        return months

    def boundaries(self) -> list[datetime.datetime]:
        """The start of each month and the end of the last (``len(months) + 1`` instants)."""
        zone = ZoneInfo(settings.TIME_ZONE)
        days = [month.first_day() for month in self.months()] + [self.last.next().first_day()]
        return [datetime.datetime.combine(day, datetime.time.min, tzinfo=zone) for day in days]

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        edges = self.boundaries()
        return edges[0], edges[-1]

    @classmethod
    def recent(cls, count: int = 3, today: datetime.date | None = None) -> MonthRange:
        """The last ``count`` months, this one included."""
        last = JalaliMonth.of(today or timezone.localdate())
        first = last
        for _step in range(count - 1):
            first = (
                JalaliMonth(first.year - 1, 12)
                if first.month == 1
                else JalaliMonth(first.year, first.month - 1)
            )
        return cls(first, last)


def month_bucket(field: str, period: MonthRange) -> Case:
    """An SQL expression: the index in ``period.months()`` of the month ``field`` falls in
    (``NULL`` outside the range)."""
    edges = period.boundaries()
    return Case(
        *(
            When(**{f"{field}__gte": edges[index], f"{field}__lt": edges[index + 1]}, then=index)
            for index in range(len(edges) - 1)
        ),
        default=Value(None),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class SlaRow:
    """One line of the report: tickets, and decided/met clocks of each kind."""

    key: str
    label: str
    tickets: int
    responses: int
    responses_met: int
    resolutions: int
    resolutions_met: int

    @property
    def response_percent(self) -> float | None:
        return percent(self.responses_met, self.responses)

    @property
    def resolution_percent(self) -> float | None:
        return percent(self.resolutions_met, self.resolutions)


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, to one decimal; ``None`` when ``whole`` is 0."""
    return round(100 * part / whole, 1) if whole else None


_FIGURES = {
    "tickets": Count("id"),
    "responses": Count(
        "id",
        filter=Q(first_response_due__isnull=False)
        & (Q(first_responded_at__isnull=False) | Q(first_response_breached=True)),
    ),
    "responses_met": Count(
        "id",
        filter=Q(
            first_response_due__isnull=False,
            first_responded_at__isnull=False,
            first_response_breached=False,
        ),
    ),
    "resolutions": Count(
        "id",
        filter=Q(resolution_due__isnull=False)
        & (Q(resolved_at__isnull=False) | Q(resolution_breached=True)),
    ),
    "resolutions_met": Count(
        "id",
        filter=Q(
            resolution_due__isnull=False, resolved_at__isnull=False, resolution_breached=False
        ),
    ),
}


def _row(key: object, label: str, values: dict[str, object]) -> SlaRow:
    return SlaRow(
        key="" if key is None else str(key),
        label=label,
        **{name: int(str(values.get(name) or 0)) for name in _FIGURES},
    )


def _in_period(tickets: QuerySet[Ticket], period: MonthRange) -> QuerySet[Ticket]:
    start, end = period.bounds()
    return tickets.filter(created_at__gte=start, created_at__lt=end, merged_into__isnull=True)


def person_name(first_name: str | None, last_name: str | None, username: str | None) -> str:
    """A user's name as ``User.__str__`` gives it, from values read in the same query."""
    return f"{first_name or ''} {last_name or ''}".strip() or username or ""


@dataclass(frozen=True)
class SlaReport:
    period: MonthRange
    total: SlaRow
    by_team: list[SlaRow]
    by_agent: list[SlaRow]
    by_priority: list[SlaRow]
    by_month: list[SlaRow]


def sla_total(tickets: QuerySet[Ticket], period: MonthRange) -> SlaRow:
    return _row("all", _("All tickets"), _in_period(tickets, period).aggregate(**_FIGURES))


def sla_by_team(tickets: QuerySet[Ticket], period: MonthRange) -> list[SlaRow]:
    """Busiest team first (then by name; tickets with no team last among equals)."""
    rows = (
        _in_period(tickets, period)
        .values("team_id", "team__name")
        .annotate(**_FIGURES)
        .order_by("-tickets", F("team__name").asc(nulls_last=True), "team_id")
    )
    return [_row(row["team_id"], row["team__name"] or _("No team"), row) for row in rows]


def sla_by_agent(tickets: QuerySet[Ticket], period: MonthRange) -> list[SlaRow]:
    """Busiest agent first (then by name; unassigned tickets last among equals)."""
    rows = (
        _in_period(tickets, period)
        .values("assignee_id", "assignee__first_name", "assignee__last_name", "assignee__username")
        .annotate(**_FIGURES)
        .order_by(
            "-tickets",
            F("assignee__last_name").asc(nulls_last=True),
            F("assignee__first_name").asc(nulls_last=True),
            "assignee_id",
        )
    )
    return [
        _row(
            row["assignee_id"],
            person_name(
                row["assignee__first_name"], row["assignee__last_name"], row["assignee__username"]
            )
            or _("Unassigned"),
            row,
        )
        for row in rows
    ]


PRIORITY_ORDER = [
    TicketPriority.URGENT,
    TicketPriority.HIGH,
    TicketPriority.NORMAL,
    TicketPriority.LOW,
]


def sla_by_priority(tickets: QuerySet[Ticket], period: MonthRange) -> list[SlaRow]:
    rows = {
        row["priority"]: row
        for row in _in_period(tickets, period)
        .values("priority")
        .annotate(**_FIGURES)
        .order_by("priority")
    }
    labels = dict(TicketPriority.choices)
    return [
        _row(priority.value, str(labels[priority]), rows[priority])
        for priority in PRIORITY_ORDER
        if priority in rows
    ]


def sla_by_month(tickets: QuerySet[Ticket], period: MonthRange) -> list[SlaRow]:
    """Every month of the period, empty ones included, by the month the ticket was opened."""
    rows = {
        row["month"]: row
        for row in _in_period(tickets, period)
        .annotate(month=month_bucket("created_at", period))
        .values("month")
        .annotate(**_FIGURES)
        .order_by("month")
    }
    return [
        _row(month.code(), month.label(), rows.get(index, {}))
        for index, month in enumerate(period.months())
    ]


def sla_report(tickets: QuerySet[Ticket], period: MonthRange) -> SlaReport:
    """All the tables of the SLA page: five queries whatever the number of tickets."""
    return SlaReport(
        period=period,
        total=sla_total(tickets, period),
        by_team=sla_by_team(tickets, period),
        by_agent=sla_by_agent(tickets, period),
        by_priority=sla_by_priority(tickets, period),
        by_month=sla_by_month(tickets, period),
    )


def sla_csv_rows(rows: Iterable[SlaRow], first_column: str) -> list[list[str]]:
    """A table as CSV rows (header first), numbers in ASCII digits."""
    header = [
        first_column,
        _("Tickets"),
        _("First responses"),
        _("On time"),
        _("Share on time"),
        _("Resolutions"),
        _("On time"),
        _("Share on time"),
    ]
    return [header] + [
        [
            row.label,
            str(row.tickets),
            str(row.responses),
            str(row.responses_met),
            _percent_text(row.response_percent),
            str(row.resolutions),
            str(row.resolutions_met),
            _percent_text(row.resolution_percent),
        ]
        for row in rows
    ]


def _percent_text(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def chart_series(rows: Sequence[SlaRow]) -> dict[str, list[object]]:
    """Labels and the two percentages, for an ECharts bar chart."""
    return {
        "labels": [row.label for row in rows],
        "response": [row.response_percent for row in rows],
        "resolution": [row.resolution_percent for row in rows],
    }
