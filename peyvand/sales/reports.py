"""Sales reports over a date range, for the deals and leads the viewer may see: the funnel
between stages, win rate, average deal size, sales cycle length, and leads by source with
their conversion rate and cost per lead (from the costs entered per source or campaign)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from peyvand.common.money import divide_half_up

from .models import Deal, DealStageChange, DealStatus, Lead, LeadSourceCost, Pipeline, StageKind


@dataclass(frozen=True)
class DateRange:
    """Inclusive Gregorian dates."""

    start: datetime.date
    end: datetime.date

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        start = timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))
        end = timezone.make_aware(
            datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min)
        )
        return start, end


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    reached: int
    conversion: float | None  # share of the previous step that reached this one


def funnel(deals: QuerySet[Deal], pipeline: Pipeline, period: DateRange) -> list[FunnelStep]:
    """Deals created in the period in ``pipeline``: how many reached each open stage and the
    won stage (a deal reaches a stage when it entered it or any later one)."""
    start, end = period.bounds()
    chosen = deals.filter(pipeline=pipeline, created_at__gte=start, created_at__lt=end)
    stages = list(pipeline.stages.exclude(kind=StageKind.LOST).order_by("position", "id"))
    rank = {stage.pk: index for index, stage in enumerate(stages)}
    won_rank = max(
        (rank[stage.pk] for stage in stages if stage.kind == StageKind.WON), default=None
    )
    furthest: dict[int, int] = {}
    for deal_id, stage_id in DealStageChange.objects.filter(deal__in=chosen).values_list(
        "deal_id", "stage_id"
    ):
        if stage_id in rank:
            furthest[deal_id] = max(furthest.get(deal_id, -1), rank[stage_id])
    for deal_id in chosen.filter(status=DealStatus.WON).values_list("pk", flat=True):
        if won_rank is not None:
            furthest[deal_id] = won_rank
    steps: list[FunnelStep] = []
    previous: int | None = None
    for index, stage in enumerate(stages):
        reached = sum(1 for value in furthest.values() if value >= index)
        conversion = reached / previous if previous else None
        steps.append(FunnelStep(stage=stage.name, reached=reached, conversion=conversion))
        previous = reached
    return steps


@dataclass(frozen=True)
class DealSummary:
    won: int
    lost: int
    win_rate: float | None
    won_amount: int
    average_won_amount: int | None
    average_cycle_days: float | None


def deal_summary(deals: QuerySet[Deal], period: DateRange) -> DealSummary:
    """Deals closed in the period: win rate (won ÷ closed), average won amount (rounded to a
    Rial) and the average days from creation to winning."""
    start, end = period.bounds()
    closed = deals.filter(closed_at__gte=start, closed_at__lt=end)
    figures = closed.aggregate(
        won=Count("id", filter=Q(status=DealStatus.WON)),
        lost=Count("id", filter=Q(status=DealStatus.LOST)),
        won_amount=Sum("amount", filter=Q(status=DealStatus.WON)),
    )
    won, lost = int(figures["won"] or 0), int(figures["lost"] or 0)
    won_amount = int(figures["won_amount"] or 0)
    cycles = [
        (closed_at - created_at).total_seconds() / 86400
        for created_at, closed_at in closed.filter(status=DealStatus.WON).values_list(
            "created_at", "closed_at"
        )
        if closed_at is not None
    ]
    return DealSummary(
        won=won,
        lost=lost,
        win_rate=won / (won + lost) if won + lost else None,
        won_amount=won_amount,
        average_won_amount=divide_half_up(won_amount, won) if won else None,
        average_cycle_days=sum(cycles) / len(cycles) if cycles else None,
    )


@dataclass(frozen=True)
class SourceRow:
    source: str
    leads: int
    converted: int
    conversion_rate: float | None
    cost: int
    cost_per_lead: int | None


def leads_by_source(leads: QuerySet[Lead], period: DateRange) -> list[SourceRow]:
    """Leads created in the period per source: how many, how many converted, and what each
    cost (the costs entered for that source whose dates fall inside the period)."""
    start, end = period.bounds()
    rows = (
        leads.filter(created_at__gte=start, created_at__lt=end)
        .values("source")
        .annotate(total=Count("id"), converted=Count("id", filter=Q(status="converted")))
        .order_by("-total", "source")
    )
    costs: dict[str, int] = defaultdict(int)
    for source, amount in LeadSourceCost.objects.filter(
        start__gte=period.start, end__lte=period.end
    ).values_list("source", "amount"):
        costs[source] += amount
    result: list[SourceRow] = []
    for row in rows:
        total, converted = int(row["total"]), int(row["converted"])
        cost = costs.get(row["source"], 0)
        result.append(
            SourceRow(
                source=row["source"],
                leads=total,
                converted=converted,
                conversion_rate=converted / total if total else None,
                cost=cost,
                cost_per_lead=divide_half_up(cost, total) if cost and total else None,
            )
        )
    return result


def average_stage_days(deals: QuerySet[Deal], pipeline: Pipeline) -> list[tuple[str, float]]:
    """Average days a deal of ``pipeline`` spent in each open stage (finished stays only)."""
    # Averaging durations in SQL differs between SQLite and PostgreSQL; stays are few.
    stays: dict[str, list[float]] = defaultdict(list)
    for name, entered, left in DealStageChange.objects.filter(
        deal__in=deals.filter(pipeline=pipeline), left_at__isnull=False
    ).values_list("stage_name", "entered_at", "left_at"):
        if left is not None:
            stays[name].append((left - entered).total_seconds() / 86400)
    order = list(pipeline.stages.filter(kind=StageKind.OPEN).order_by("position"))
    return [
        (stage.name, sum(stays[stage.name]) / len(stays[stage.name]))
        for stage in order
        if stays.get(stage.name)
    ]
