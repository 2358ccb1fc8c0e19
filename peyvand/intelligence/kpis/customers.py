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

Everything comes from one SQL statement over the purchase-month rollup (see
:func:`customer_flows` and :mod:`peyvand.intelligence.purchase_months`): one row per customer
and month that bought, each knowing the customer's first and next purchase month, counted per
month. Python only adds up a few hundred rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import QuerySet

from peyvand.common.jalali import JalaliMonth
from peyvand.common.money import divide_half_up
from peyvand.contacts.models import Contact
from peyvand.contacts.selectors import is_every_live_contact
from peyvand.sales.models import LeadSourceCost

from ..purchase_month_models import PurchaseMonth
from .common import MonthRange, month_add, ratio

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


_FLOWS_SQL = """
SELECT 'flow', '', m, is_new, cover_end, lapsed, COUNT(*), SUM(orders), SUM(net_total)
FROM (
    SELECT month - {base} AS m, orders, net_total,
           CASE WHEN first_month = month THEN 1 ELSE 0 END AS is_new,
           CASE WHEN next_month IS NOT NULL AND next_month < month + {active}
                THEN next_month - {base} ELSE month + {active} - {base} END AS cover_end,
           CASE WHEN next_month IS NULL OR next_month > month + {active} THEN 1 ELSE 0 END
               AS lapsed
    FROM {rollup} AS pm
    WHERE month > {base} AND month <= {last} {scope}
) AS flags
GROUP BY m, is_new, cover_end, lapsed
UNION ALL
SELECT 'cohort', contact.source, pm.first_month - {base}, pm.month - {base}, 0, 0, COUNT(*),
       0, 0
FROM {rollup} AS pm JOIN ({contacts}) AS contact ON contact.id = pm.contact_id
WHERE pm.first_month >= {first} AND pm.month <= {last}
GROUP BY contact.source, pm.first_month, pm.month
"""


def customer_flows(contacts: QuerySet[Contact], period: MonthRange) -> CustomerFlows:
    """The flows of every month of ``period`` for the purchases of ``contacts`` (already
    scoped to what the viewer may see), in one query over the purchase-month rollup
    (:mod:`peyvand.intelligence.purchase_months`), whatever the number of orders.

    Months are numbered 1…K from 12 months before the period (the look-back that decides
    who is active at its start) to its last month. Each rollup row knows its customer's
    first purchase month ever and next purchase month, so a first purchase is told from a
    return after years, and when a customer's 12 months run out, without looking at other
    rows. Only first-time buyers of the period are joined to their contact (for the
    source)."""
    months = period.months()
    count = len(months)
    total_months = count + ACTIVE_MONTHS
    base = month_add(period.first, -ACTIVE_MONTHS).number() - 1
    first_in_period = ACTIVE_MONTHS + 1
    database = contacts.db
    connection = connections[database]
    compiler = contacts.order_by().values("id", "source").query.get_compiler(using=database)
    contacts_sql, contacts_params = compiler.as_sql()
    # Merged contacts have no purchases (a merge moves their orders), so every contact not
    # merged away is every buyer: the flows then need no join to the contacts.
    if is_every_live_contact(contacts):
        scope_sql, scope_params = "", ()
    else:
        scope_sql, scope_params = (
            "AND pm.contact_id IN (SELECT id FROM ({contacts}) AS c)",
            contacts_params,
        )
    sql = _FLOWS_SQL.format(
        base=base,
        last=base + total_months,
        first=base + first_in_period,
        active=ACTIVE_MONTHS,
        scope=scope_sql.format(contacts=contacts_sql),
        rollup=connection.ops.quote_name(PurchaseMonth._meta.db_table),
        contacts=contacts_sql,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*scope_params, *contacts_params))
        rows = cursor.fetchall()

    size = total_months + ACTIVE_MONTHS + 3
    figures = {
        name: [0] * size for name in ("buyers", "new", "orders", "revenue", "cover", "churned")
    }
    cohort_counts: dict[tuple[int, int], int] = defaultdict(int)
    new_by_source: dict[str, list[int]] = defaultdict(lambda: [0] * count)
    for kind, source, a, b, cover_end, lapsed, customers, orders, amount in _typed(rows):
        if kind == "cohort":
            cohort_counts[(a, b)] += customers
            if a == b:
                new_by_source[source or ""][a - first_in_period] += customers
            continue
        figures["orders"][a] += orders
        figures["revenue"][a] += amount
        figures["buyers"][a] += customers
        if b:
            figures["new"][a] += customers
        # Active from the month after the purchase up to the end of its cover (a running
        # sum over +1/−1 marks counts each customer once: covers of the same customer
        # follow one another without overlapping).
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


def _typed(
    rows: list[tuple[Any, ...]],
) -> list[tuple[str, str, int, int, int, int, int, int, int]]:
    return [
        (
            str(kind),
            str(source or ""),
            int(a),
            int(b),
            int(cover_end),
            int(lapsed),
            int(customers or 0),
            int(orders or 0),
            int(amount or 0),
        )
        for kind, source, a, b, cover_end, lapsed, customers, orders, amount in rows
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
