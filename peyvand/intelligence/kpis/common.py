"""What every KPI shares: the filters (a range of Jalali months, a team, a source), month
boundaries in the business time zone, and two SQL expressions that work the same on SQLite
and PostgreSQL: the index of the month a time falls in, and the seconds between two times.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, F, FloatField, Func, IntegerField, QuerySet, Value, When
from django.db.models.lookups import LessThan

from peyvand.common.jalali import JalaliMonth
from peyvand.service.reports import MonthRange, percent

__all__ = [
    "KpiFilters",
    "MonthIndex",
    "MonthRange",
    "SecondsBetween",
    "grouped_mean_median",
    "month_add",
    "month_starts",
    "percent",
    "ratio",
]


@dataclass(frozen=True)
class KpiFilters:
    """What the dashboard narrows every figure to: whole Jalali months (Tehran time), and
    optionally one team (the owner's team for customers and leads, the ticket's team for
    service) and one source (the contact's or lead's source; service figures ignore it)."""

    period: MonthRange
    team_id: int | None = None
    source: str | None = None


def month_add(month: JalaliMonth, count: int) -> JalaliMonth:
    """The month ``count`` months after ``month`` (before, when negative)."""
    return JalaliMonth.from_number(month.number() + count)


def month_starts(first: JalaliMonth, count: int) -> list[datetime.datetime]:
    """The starts of ``count`` consecutive months from ``first`` and the end of the last
    (``count + 1`` aware instants at local midnight in ``TIME_ZONE``)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return [
        datetime.datetime.combine(month_add(first, step).first_day(), datetime.time.min, zone)
        for step in range(count + 1)
    ]


class MonthIndex(Func):
    """Which of the months bounded by ``edges`` (ascending instants) a time falls in: 0
    before ``edges[0]``, ``i`` when ``edges[i-1] <= time < edges[i]``, ``len(edges)`` from
    the last on. PostgreSQL uses ``width_bucket`` (a binary search over an array, cheap on
    millions of rows); other databases an ordered ``CASE`` with the same answers."""

    output_field = IntegerField()

    def __init__(self, field: str, edges: Sequence[datetime.datetime]) -> None:
        self.edges = list(edges)
        case = Case(
            *(
                When(LessThan(F(field), edge), then=Value(index))
                for index, edge in enumerate(self.edges)
            ),
            default=Value(len(self.edges)),
            output_field=IntegerField(),
        )
        super().__init__(F(field), case, output_field=IntegerField())

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        return compiler.compile(self.source_expressions[1])

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"width_bucket({sql}, %s::timestamptz[])", (*params, self.edges)


class SecondsBetween(Func):
    """``end − start`` in seconds (a float), ``NULL`` when either is ``NULL``."""

    output_field = FloatField()

    def __init__(self, end: str, start: str) -> None:
        super().__init__(F(end), F(start), output_field=FloatField())

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return (
            f"((julianday({end}) - julianday({start})) * 86400.0)",
            (*end_params, *start_params),
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return f"EXTRACT(EPOCH FROM ({end} - {start}))::float", (*end_params, *start_params)


def grouped_mean_median(
    queryset: QuerySet[Any], group: Any, value: Any
) -> dict[Any, tuple[int, float, float]]:
    """``{group: (count, mean, median)}`` of ``value`` (rows where it is not ``NULL``) per
    ``group`` value, in one query on either database: the median is the mean of the middle
    one or two rows by ``ROW_NUMBER`` (``percentile_cont`` is not in SQLite)."""
    inner = (
        queryset.order_by()
        .annotate(kpi_group=group, kpi_value=value)
        .filter(kpi_value__isnull=False)
        .values("kpi_group", "kpi_value")
    )
    sql, params = inner.query.get_compiler(using=inner.db).as_sql()
    from django.db import connections

    with connections[inner.db].cursor() as cursor:
        cursor.execute(
            f"""
            SELECT kpi_group, MAX(total), SUM(kpi_value) / MAX(total),
                   AVG(CASE WHEN position IN ((total + 1) / 2, (total + 2) / 2)
                       THEN kpi_value END)
            FROM (
                SELECT kpi_group, kpi_value,
                       ROW_NUMBER() OVER (PARTITION BY kpi_group ORDER BY kpi_value) AS position,
                       COUNT(*) OVER (PARTITION BY kpi_group) AS total
                FROM ({sql}) AS base
            ) AS ranked
            GROUP BY kpi_group
            """,
            params,
        )
        return {row[0]: (int(row[1]), float(row[2]), float(row[3])) for row in cursor.fetchall()}


def ratio(part: float, whole: float) -> float | None:
    """``part / whole``, ``None`` when ``whole`` is 0."""
    return part / whole if whole else None
