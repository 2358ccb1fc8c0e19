"""Customer KPIs from purchases: retention, churn, repeat purchase rate, new customers, CAC
and cohort retention, per Jalali month, in total and per contact source.

Definitions (also in ``docs/architecture.md``):

* a **purchase** is an order with a purchase status (``Order.objects.purchases()``);
* a customer is **active** at an instant when they made a purchase in the 12 whole Jalali
  months before it; ``S`` is the number active at the start of a month, ``E`` at its end;
* **new** customers ``N`` made their first purchase ever in the month;
* **retained** ``R`` = active at the start and still active at the end (= ``S`` − those
  whose last purchase was exactly 12 months before the month and who did not buy again);
* **reactivated** = ``E − R − N``: bought in the month after more than 12 months away.

Everything comes from one SQL statement over the orders (see :func:`customer_flows`): each
customer's purchases grouped by month (``width_bucket`` on PostgreSQL), ``LEAD`` to the
customer's next purchase month and ``MIN`` for their first, then counts per month. Python
only adds up a few hundred rows.
"""

from __future__ import annotations

import contextlib
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction
from django.db.models import Count, F, Sum

from peyvand.commerce.models import OrderQuerySet
from peyvand.common.jalali import JalaliMonth
from peyvand.common.money import divide_half_up
from peyvand.contacts.models import Contact
from peyvand.sales.models import LeadSourceCost

from .common import MonthIndex, MonthRange, month_add, month_starts, ratio

# A customer stays active this many months after a purchase.
ACTIVE_MONTHS = 12


@dataclass
class CustomerMonth:
    """The customer flows of one Jalali month."""

    month: JalaliMonth
    active_start: int = 0  # S
    retained: int = 0  # R
    churned: int = 0  # S − R
    new: int = 0  # N
    reactivated: int = 0
    active_end: int = 0  # E
    buyers: int = 0
    orders: int = 0
    revenue: int = 0  # net Rials

    @property
    def repeat_buyers(self) -> int:
        return self.buyers - self.new


def retention_rate(row: CustomerMonth) -> float | None:
    """Retention rate = R / S: of the customers active at the start of the month (a purchase
    in the 12 months before), the share still active at its end. New and reactivated
    customers are left out, so it never exceeds 1 (the textbook ``(E − N) / S`` counts
    reactivated customers as retained)."""
    return ratio(row.retained, row.active_start)


def churn_rate(row: CustomerMonth) -> float | None:
    """Churn rate = (S − R) / S = 1 − retention rate: the share of the customers active at
    the start of the month whose 12 months since their last purchase ran out in it."""
    return ratio(row.churned, row.active_start)


def repeat_purchase_rate(row: CustomerMonth) -> float | None:
    """Repeat purchase rate = (buyers − N) / buyers: the share of the month's buyers who had
    bought before (at any earlier time)."""
    return ratio(row.repeat_buyers, row.buyers)


def average_order_value(row: CustomerMonth) -> int | None:
    """Average order value = net revenue ÷ purchases of the month (Rials, rounded)."""
    return divide_half_up(row.revenue, row.orders) if row.orders else None


def customer_acquisition_cost(spend: int, new_customers: int) -> int | None:
    """CAC = marketing spend of the month ÷ new customers of the month (Rials, rounded half
    up); ``None`` without new customers."""
    return divide_half_up(spend, new_customers) if new_customers else None


@dataclass
class Cohort:
    """Customers whose first purchase fell in ``month`` and, for each following month
    (offset 0 is the first month itself), how many of them bought in it."""

    month: JalaliMonth
    size: int
    buyers: list[int] = field(default_factory=list)

    @property
    def percents(self) -> list[float | None]:
        """Offset 1 onward: the share (in %) of the cohort who bought in that month."""
        return [round(100 * count / self.size, 1) if self.size else None for count in self.buyers]


@dataclass
class CustomerFlows:
    period: MonthRange
    months: list[CustomerMonth]
    # New customers per contact source ("" unknown) and month: CAC by source.
    new_by_source: dict[str, list[int]]
    cohorts: list[Cohort]


# Sorting and hashing a million (customer, month) rows wants more than PostgreSQL's default
# 4 MB of work memory; this statement alone gets more (SET LOCAL, inside its transaction).
WORK_MEMORY = "256MB"

_SQL = """
WITH pm AS ({inner}),
seq AS (
    SELECT cid, m,
           MIN(m) OVER (PARTITION BY cid) AS first_m,
           LEAD(m) OVER (PARTITION BY cid ORDER BY m) AS next_m
    FROM pm
),
flags AS (
    SELECT m,
           CASE WHEN first_m = m THEN 1 ELSE 0 END AS is_new,
           CASE WHEN next_m IS NOT NULL AND next_m < m + {active} THEN next_m
                ELSE m + {active} END AS cover_end,
           CASE WHEN next_m IS NULL OR next_m > m + {active} THEN 1 ELSE 0 END AS lapsed
    FROM seq
    WHERE m >= 1
)
SELECT 'flow', '', m, is_new, cover_end, lapsed, COUNT(*), 0
FROM flags
GROUP BY m, is_new, cover_end, lapsed
UNION ALL
SELECT 'cohort', contact.{source}, seq.first_m, seq.m, 0, 0, COUNT(*), 0
FROM seq JOIN {contacts} AS contact ON contact.id = seq.cid
WHERE seq.first_m >= %s
GROUP BY contact.{source}, seq.first_m, seq.m
UNION ALL
SELECT 'sales', '', m, 0, 0, 0, SUM(orders), SUM(amount)
FROM pm
WHERE m >= %s
GROUP BY m
"""


def customer_flows(orders: OrderQuerySet, period: MonthRange) -> CustomerFlows:
    """The flows of every month of ``period`` over ``orders`` (already scoped to what the
    viewer may see), in one query whatever the number of orders.

    Months are numbered 1…K from 12 months before the period (the look-back that decides
    who is active at its start) to its last month; 0 is everything earlier (so a first
    purchase ever is told from a return after years). Only first-time buyers of the period
    are joined to their contact (for the source)."""
    months = period.months()
    count = len(months)
    total_months = count + ACTIVE_MONTHS
    edges = month_starts(month_add(period.first, -ACTIVE_MONTHS), total_months)
    first_in_period = ACTIVE_MONTHS + 1
    inner = (
        orders.purchases()
        .filter(placed_at__lt=edges[-1])
        .order_by()
        .annotate(cid=F("contact_id"), m=MonthIndex("placed_at", edges))
        .values("cid", "m")
        .annotate(orders=Count("id"), amount=Sum("net_total"))
    )
    inner_sql, inner_params = inner.query.get_compiler(using=inner.db).as_sql()
    connection = connections[inner.db]
    sql = _SQL.format(
        inner=inner_sql,
        active=ACTIVE_MONTHS,
        contacts=connection.ops.quote_name(Contact._meta.db_table),
        source=connection.ops.quote_name(Contact._meta.get_field("source").column),
    )
    is_postgresql = connection.vendor == "postgresql"
    with (
        transaction.atomic(using=inner.db) if is_postgresql else contextlib.nullcontext(),
        connection.cursor() as cursor,
    ):
        if is_postgresql:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEMORY}'")
        cursor.execute(sql, (*inner_params, first_in_period, first_in_period))
        rows = cursor.fetchall()

    size = total_months + ACTIVE_MONTHS + 3
    figures = {
        name: [0] * size for name in ("buyers", "new", "orders", "revenue", "cover", "churned")
    }
    cohort_counts: dict[tuple[int, int], int] = defaultdict(int)
    new_by_source: dict[str, list[int]] = defaultdict(lambda: [0] * count)
    for kind, source, a, b, cover_end, lapsed, customers, amount in _typed(rows):
        if kind == "sales":
            figures["orders"][a] += customers
            figures["revenue"][a] += amount
        elif kind == "cohort":
            cohort_counts[(a, b)] += customers
            if a == b:
                new_by_source[source or ""][a - first_in_period] += customers
        else:
            figures["buyers"][a] += customers
            if b:
                figures["new"][a] += customers
            # Active from the month after the purchase up to the end of its cover (a
            # running sum over +1/−1 marks counts each customer once: covers of the same
            # customer follow one another without overlapping).
            figures["cover"][a + 1] += customers
            figures["cover"][cover_end + 1] -= customers
            if lapsed:
                figures["churned"][a + ACTIVE_MONTHS] += customers

    active = [0] * size
    running = 0
    for index in range(size):
        running += figures["cover"][index]
        active[index] = running
    totals = []
    for offset, month in enumerate(months):
        index = first_in_period + offset
        row = CustomerMonth(
            month=month,
            active_start=active[index],
            churned=figures["churned"][index],
            new=figures["new"][index],
            active_end=active[index + 1],
            buyers=figures["buyers"][index],
            orders=figures["orders"][index],
            revenue=figures["revenue"][index],
        )
        row.retained = row.active_start - row.churned
        row.reactivated = row.active_end - row.retained - row.new
        totals.append(row)

    cohorts = []
    for offset, month in enumerate(months):
        first = first_in_period + offset
        cohorts.append(
            Cohort(
                month=month,
                size=cohort_counts.get((first, first), 0),
                buyers=[
                    cohort_counts.get((first, first + step), 0) for step in range(count - offset)
                ],
            )
        )
    return CustomerFlows(
        period=period, months=totals, new_by_source=dict(new_by_source), cohorts=cohorts
    )


def _typed(rows: list[tuple[Any, ...]]) -> list[tuple[str, str, int, int, int, int, int, int]]:
    return [
        (
            str(kind),
            str(source or ""),
            int(a),
            int(b),
            int(cover_end),
            int(lapsed),
            int(customers or 0),
            int(amount or 0),
        )
        for kind, source, a, b, cover_end, lapsed, customers, amount in rows
    ]


def marketing_spend(period: MonthRange) -> dict[str, list[int]]:
    """Marketing spend per source (``""`` for costs entered for a campaign only) and month of
    ``period``, from the costs entered per source or campaign (``LeadSourceCost``). A cost
    covering several days is spread evenly over them, so a cost entered for a quarter puts a
    third (by days) in each month. Each month gets ``⌊amount · d₁ / days⌋ − ⌊amount · d₀ /
    days⌋`` where d₀ and d₁ are the cost's days before the month's start and end, so the
    months' shares add up to the amount exactly."""
    months = period.months()
    starts = [month.first_day() for month in months] + [period.last.next().first_day()]
    result: dict[str, list[int]] = defaultdict(lambda: [0] * len(months))
    costs = LeadSourceCost.objects.filter(start__lt=starts[-1], end__gte=starts[0]).values_list(
        "source", "start", "end", "amount"
    )
    for source, start, end, amount in costs:
        days = (end - start).days + 1
        if days <= 0:
            continue
        for index in range(len(months)):
            before = _days_before(start, end, starts[index])
            after = _days_before(start, end, starts[index + 1])
            if after > before:
                result[source or ""][index] += amount * after // days - amount * before // days
    return dict(result)


def _days_before(start: datetime.date, end: datetime.date, day: datetime.date) -> int:
    """How many of the cost's days (``start``…``end``) come before ``day``."""
    return max(0, min((day - start).days, (end - start).days + 1))


def spend_total(spend: dict[str, list[int]], months: int) -> list[int]:
    totals = [0] * months
    for values in spend.values():
        for index, value in enumerate(values):
            totals[index] += value
    return totals


def cac_by_source(flows: CustomerFlows, spend: dict[str, list[int]]) -> list[dict[str, Any]]:
    """Over the whole period, per source with spend or new customers: spend, new customers
    and CAC (spend ÷ new customers of that source)."""
    rows = []
    for source in sorted(set(spend) | {key for key in flows.new_by_source if key}):
        total_spend = sum(spend.get(source, []))
        new = sum(flows.new_by_source.get(source, []))
        if not (total_spend or new):
            continue
        rows.append(
            {
                "source": source,
                "spend": total_spend,
                "new": new,
                "cac": customer_acquisition_cost(total_spend, new),
            }
        )
    return rows
