"""The satisfaction report: CSAT % (the share of 4 and 5 answers), average CSAT, average
CES and response rate, in total and per Jalali month, agent and team, plus the latest low
scores. Pure reads over surveys of tickets the viewer may see, for surveys sent after
resolutions in a range of Jalali months; every figure is an SQL aggregate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from peyvand.service.models import Ticket
from peyvand.service.reports import MonthRange, month_bucket, percent, person_name

from .models import Survey, SurveyKind

SATISFIED_FROM = 4  # CSAT: 4 and 5 count as satisfied


@dataclass(frozen=True)
class CsatRow:
    key: str
    label: str
    sent: int
    answered: int
    # Answers to surveys that were emailed: a survey answered through the portal's link
    # before (or without) its email counts in ``answered`` but not here.
    answered_sent: int
    satisfied: int
    score_total: int
    effort_answers: int
    effort_total: int

    @property
    def csat_percent(self) -> float | None:
        """The share of answers that were 4 or 5, in percent."""
        return percent(self.satisfied, self.answered)

    @property
    def average_score(self) -> float | None:
        return round(self.score_total / self.answered, 2) if self.answered else None

    @property
    def average_effort(self) -> float | None:
        return round(self.effort_total / self.effort_answers, 2) if self.effort_answers else None

    @property
    def response_percent(self) -> float | None:
        """Sent surveys that were answered, out of those sent, in percent (never above
        100: answers to surveys never emailed are left out)."""
        return percent(self.answered_sent, self.sent)


_FIGURES = {
    "sent": Count("id", filter=Q(sent_at__isnull=False)),
    "answered": Count("id", filter=Q(score__isnull=False)),
    "answered_sent": Count("id", filter=Q(score__isnull=False, sent_at__isnull=False)),
    "satisfied": Count("id", filter=Q(score__gte=SATISFIED_FROM)),
    "score_total": Sum("score"),
    "effort_answers": Count("id", filter=Q(effort__isnull=False)),
    "effort_total": Sum("effort"),
}


def surveys_for_tickets(tickets: QuerySet[Ticket]) -> QuerySet[Survey]:
    """CSAT surveys of ``tickets`` (already scoped to the viewer)."""
    return Survey.objects.filter(kind=SurveyKind.CSAT, ticket__in=tickets)


def _in_period(surveys: QuerySet[Survey], period: MonthRange) -> QuerySet[Survey]:
    start, end = period.bounds()
    return surveys.filter(created_at__gte=start, created_at__lt=end)


def _row(key: object, label: str, values: dict[str, object]) -> CsatRow:
    return CsatRow(
        key="" if key is None else str(key),
        label=label,
        **{name: int(str(values.get(name) or 0)) for name in _FIGURES},
    )


@dataclass(frozen=True)
class CsatReport:
    period: MonthRange
    total: CsatRow
    by_month: list[CsatRow]
    by_agent: list[CsatRow]
    by_team: list[CsatRow]


def csat_report(surveys: QuerySet[Survey], period: MonthRange) -> CsatReport:
    """Four queries whatever the number of surveys."""
    chosen = _in_period(surveys, period)
    months = {
        row["month"]: row
        for row in chosen.annotate(month=month_bucket("created_at", period))
        .values("month")
        .annotate(**_FIGURES)
        .order_by("month")
    }
    agents = (
        chosen.values("agent_id", "agent__first_name", "agent__last_name", "agent__username")
        .annotate(**_FIGURES)
        .order_by(
            "-answered",
            F("agent__last_name").asc(nulls_last=True),
            F("agent__first_name").asc(nulls_last=True),
            "agent_id",
        )
    )
    teams = (
        chosen.values("team_id", "team__name")
        .annotate(**_FIGURES)
        .order_by("-answered", F("team__name").asc(nulls_last=True), "team_id")
    )
    return CsatReport(
        period=period,
        total=_row("all", _("All surveys"), chosen.aggregate(**_FIGURES)),
        by_month=[
            _row(month.code(), month.label(), months.get(index, {}))
            for index, month in enumerate(period.months())
        ],
        by_agent=[
            _row(
                row["agent_id"],
                person_name(
                    row["agent__first_name"], row["agent__last_name"], row["agent__username"]
                )
                or _("Unassigned"),
                row,
            )
            for row in agents
        ],
        by_team=[_row(row["team_id"], row["team__name"] or _("No team"), row) for row in teams],
    )


def low_scores(surveys: QuerySet[Survey], period: MonthRange, limit: int = 20) -> list[Survey]:
    """The latest answers of 1–2 (or an ease of 1–2), newest first, with their tickets."""
    return list(
        _in_period(surveys, period)
        .filter(Q(score__lte=2) | Q(effort__lte=2), score__isnull=False)
        .select_related("ticket", "contact", "agent")
        .order_by("-answered_at", "-id")[:limit]
    )


def csat_csv_rows(rows: Iterable[CsatRow], first_column: str) -> list[list[str]]:
    """A table as CSV rows (header first)."""
    header = [
        first_column,
        _("Sent"),
        _("Answered"),
        _("Response rate %"),
        _("CSAT %"),
        _("Average CSAT"),
        _("Average CES"),
    ]

    def text(value: float | None) -> str:
        return "" if value is None else f"{value:g}"

    return [header] + [
        [
            row.label,
            str(row.sent),
            str(row.answered),
            text(row.response_percent),
            text(row.csat_percent),
            text(row.average_score),
            text(row.average_effort),
        ]
        for row in rows
    ]
