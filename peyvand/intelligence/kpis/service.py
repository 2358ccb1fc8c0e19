"""Service KPIs: first response and resolution times, CSAT, CES and NPS, per Jalali month
and team. CSAT and CES are the satisfaction report's figures (``feedback.reports``), not
computed a second time here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from peyvand.feedback.models import Survey, SurveyKind
from peyvand.feedback.reports import CsatReport, csat_report, surveys_for_tickets
from peyvand.service.models import Ticket
from peyvand.service.reports import month_bucket

from .common import MonthRange, SecondsBetween, grouped_mean_median

PROMOTER_FROM = 9  # NPS: 9–10 promote
DETRACTOR_UP_TO = 6  # 0–6 detract


@dataclass(frozen=True)
class DurationRow:
    """Wall-clock hours from a ticket's creation to its first response (or resolution)."""

    key: str
    label: str
    tickets: int
    mean_hours: float | None
    median_hours: float | None


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


@dataclass(frozen=True)
class ServiceTimes:
    first_response_by_month: list[DurationRow]
    first_response_by_team: list[DurationRow]
    resolution_by_month: list[DurationRow]
    resolution_by_team: list[DurationRow]


def service_times(tickets: QuerySet[Ticket], period: MonthRange) -> ServiceTimes:
    """First response time = ``first_responded_at − created_at`` and resolution time =
    ``resolved_at − created_at``, in wall-clock hours (not business hours: the SLA report
    judges those against the calendar), mean and median, over the tickets opened in each
    month (or by each team) that got one; merged tickets are left out. Four queries."""
    start, end = period.bounds()
    chosen = tickets.filter(created_at__gte=start, created_at__lt=end, merged_into__isnull=True)
    month = month_bucket("created_at", period)
    teams = dict(chosen.order_by().values_list("team_id", "team__name").distinct())
    result = {}
    for kind, end_field in (
        ("first_response", "first_responded_at"),
        ("resolution", "resolved_at"),
    ):
        value = SecondsBetween(end_field, "created_at")
        by_month = grouped_mean_median(chosen, month, value)
        by_team = grouped_mean_median(chosen, F("team_id"), value)
        result[f"{kind}_by_month"] = [
            _duration_row(month_value.code(), month_value.label(), by_month.get(index))
            for index, month_value in enumerate(period.months())
        ]
        result[f"{kind}_by_team"] = sorted(
            (
                _duration_row(str(team_id or ""), teams.get(team_id) or _("No team"), figures)
                for team_id, figures in by_team.items()
            ),
            key=lambda row: (-row.tickets, row.label),
        )
    return ServiceTimes(**result)


def _duration_row(key: str, label: str, figures: tuple[int, float, float] | None) -> DurationRow:
    if figures is None:
        return DurationRow(key=key, label=label, tickets=0, mean_hours=None, median_hours=None)
    count, mean, median = figures
    return DurationRow(
        key=key, label=label, tickets=count, mean_hours=_hours(mean), median_hours=_hours(median)
    )


def satisfaction(tickets: QuerySet[Ticket], period: MonthRange) -> CsatReport:
    """CSAT % (answers of 4–5 ÷ answers), average CSAT and average CES (1–7, 7 = easiest)
    per month and team: the satisfaction report of the tickets' surveys."""
    return csat_report(surveys_for_tickets(tickets), period)


@dataclass(frozen=True)
class NpsRow:
    key: str
    label: str
    answers: int
    promoters: int
    detractors: int

    @property
    def nps(self) -> float | None:
        return net_promoter_score(self.promoters, self.detractors, self.answers)


def net_promoter_score(promoters: int, detractors: int, answers: int) -> float | None:
    """NPS = % promoters (9–10) − % detractors (0–6) of the answers, from −100 to 100;
    ``None`` without answers ("not collected")."""
    if not answers:
        return None
    return round(100 * (promoters - detractors) / answers, 1)


def nps_by_month(tickets: QuerySet[Ticket], period: MonthRange) -> list[NpsRow]:
    """Answered NPS surveys of the tickets, by the month the survey was created. One query."""
    start, end = period.bounds()
    rows = {
        row["month"]: row
        for row in Survey.objects.filter(
            kind=SurveyKind.NPS,
            ticket__in=tickets,
            score__isnull=False,
            created_at__gte=start,
            created_at__lt=end,
        )
        .order_by()
        .annotate(month=month_bucket("created_at", period))
        .values("month")
        .annotate(
            answers=Count("id"),
            promoters=Count("id", filter=Q(score__gte=PROMOTER_FROM)),
            detractors=Count("id", filter=Q(score__lte=DETRACTOR_UP_TO)),
        )
    }
    return [
        NpsRow(
            key=month.code(),
            label=month.label(),
            answers=rows.get(index, {}).get("answers", 0),
            promoters=rows.get(index, {}).get("promoters", 0),
            detractors=rows.get(index, {}).get("detractors", 0),
        )
        for index, month in enumerate(period.months())
    ]
