"""Customer KPIs (retention, churn, repeat purchases, new customers, cohorts, spend and CAC).

The expected figures are worked out here by brute force from the definitions (sets of
customers per window), independently of the single SQL statement, so a wrong window
function, month index or cover rule shows as a difference."""

from __future__ import annotations

import datetime
import itertools
import random
from zoneinfo import ZoneInfo

import pytest

from peyvand.commerce.models import Order, OrderStatus
from peyvand.common.jalali import JalaliMonth
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence.kpis import (
    MonthRange,
    cac_by_source,
    churn_rate,
    customer_acquisition_cost,
    customer_flows,
    marketing_spend,
    repeat_purchase_rate,
    retention_rate,
)
from peyvand.intelligence.kpis.common import month_add
from peyvand.intelligence.purchase_months import purchase_months_refresh
from peyvand.sales.models import LeadSourceCost

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
_numbers = itertools.count(1)


def month_start(month: JalaliMonth) -> datetime.datetime:
    return datetime.datetime.combine(month.first_day(), datetime.time.min, TEHRAN)


def buy(
    contact: Contact,
    when: datetime.datetime,
    total: int = 1000,
    status: str = OrderStatus.COMPLETED,
) -> Order:
    """An order straight into the table (test setup), its rollup rows recomputed as the
    order services do."""
    number = next(_numbers)
    order = Order.objects.create(
        contact=contact,
        source="test",
        external_id=str(number),
        status=status,
        placed_at=when,
        subtotal=total,
        total=total,
    )
    purchase_months_refresh([contact.pk])
    return order


def in_month(month: JalaliMonth, day: int = 3, hour: int = 10) -> datetime.datetime:
    return month_start(month) + datetime.timedelta(days=day - 1, hours=hour)


def expected(
    purchases: dict[int, list[datetime.datetime]], period: MonthRange
) -> list[dict[str, int]]:
    """The definitions, by sets."""
    result = []
    for month in period.months():
        start, end = month_start(month), month_start(month.next())
        year_before_start = month_start(month_add(month, -12))
        year_before_end = month_start(month_add(month, -11))
        active_start = {
            c
            for c, times in purchases.items()
            if any(year_before_start <= t < start for t in times)
        }
        active_end = {
            c for c, times in purchases.items() if any(year_before_end <= t < end for t in times)
        }
        buyers = {c for c, times in purchases.items() if any(start <= t < end for t in times)}
        new = {c for c, times in purchases.items() if times and start <= min(times) < end}
        retained = active_start & active_end
        result.append(
            {
                "active_start": len(active_start),
                "retained": len(retained),
                "churned": len(active_start - active_end),
                "active_end": len(active_end),
                "buyers": len(buyers),
                "new": len(new),
                "reactivated": len(active_end - active_start - new),
            }
        )
    return result


def as_dicts(rows: list) -> list[dict[str, int]]:
    names = ("active_start", "retained", "churned", "active_end", "buyers", "new", "reactivated")
    return [{name: getattr(row, name) for name in names} for row in rows]


def test_a_worked_example() -> None:
    period = MonthRange(JalaliMonth(1405, 1), JalaliMonth(1405, 3))
    old = make_contact(source="instagram")  # bought 1404/01: lapses at the start of 1405/01
    steady = make_contact(source="instagram")  # bought 1404/06 and again 1405/02
    fresh = make_contact(source="website")  # first purchase 1405/02, again 1405/03
    back = make_contact(source="")  # bought 1402, comes back 1405/03
    never = make_contact()
    buy(old, in_month(JalaliMonth(1404, 1), day=10))
    buy(steady, in_month(JalaliMonth(1404, 6)), total=5000)
    buy(steady, in_month(JalaliMonth(1405, 2)), total=7000)
    buy(fresh, in_month(JalaliMonth(1405, 2)), total=300)
    buy(fresh, in_month(JalaliMonth(1405, 3)), total=200)
    buy(fresh, in_month(JalaliMonth(1405, 3), day=9), total=100)
    buy(back, in_month(JalaliMonth(1402, 5)))
    buy(back, in_month(JalaliMonth(1405, 3)), total=900)
    buy(never, in_month(JalaliMonth(1405, 2)), status=OrderStatus.CANCELLED)
    buy(never, in_month(JalaliMonth(1405, 2)), status=OrderStatus.PENDING)

    flows = customer_flows(Contact.objects.all(), period)

    farvardin, ordibehesht, khordad = flows.months
    # Farvardin: old and steady were active at its start (purchases in 1404); old's
    # 12 months ran out (last purchase 1404/01), steady's did not.
    assert (farvardin.active_start, farvardin.churned, farvardin.retained) == (2, 1, 1)
    assert retention_rate(farvardin) == 0.5
    assert churn_rate(farvardin) == 0.5
    assert (farvardin.buyers, farvardin.new, repeat_purchase_rate(farvardin)) == (0, 0, None)
    # Ordibehesht: steady buys again (a repeat), fresh buys for the first time.
    assert (ordibehesht.active_start, ordibehesht.retained, ordibehesht.new) == (1, 1, 1)
    assert (ordibehesht.buyers, ordibehesht.active_end) == (2, 2)
    assert repeat_purchase_rate(ordibehesht) == 0.5
    assert (ordibehesht.orders, ordibehesht.revenue) == (2, 7300)
    # Khordad: fresh buys twice (one buyer, two orders), back returns after three years.
    assert (khordad.active_start, khordad.retained, khordad.churned) == (2, 2, 0)
    assert (khordad.buyers, khordad.new, khordad.reactivated, khordad.active_end) == (2, 0, 1, 3)
    assert (khordad.orders, khordad.revenue) == (3, 1200)
    assert repeat_purchase_rate(khordad) == 1.0
    # New customers per source: only fresh (website) bought for the first time.
    assert flows.new_by_source == {"website": [0, 1, 0]}
    # Cohorts: fresh is the only first purchase, in Ordibehesht, and bought again the month
    # after.
    assert [(cohort.size, cohort.buyers) for cohort in flows.cohorts] == [
        (0, [0, 0, 0]),
        (1, [1, 1]),
        (0, [0]),
    ]
    assert flows.cohorts[1].percents == [100.0, 100.0]
    assert as_dicts(flows.months) == expected(
        {
            old.pk: [in_month(JalaliMonth(1404, 1), day=10)],
            steady.pk: [in_month(JalaliMonth(1404, 6)), in_month(JalaliMonth(1405, 2))],
            fresh.pk: [in_month(JalaliMonth(1405, 2)), in_month(JalaliMonth(1405, 3))],
            back.pk: [in_month(JalaliMonth(1402, 5)), in_month(JalaliMonth(1405, 3))],
        },
        period,
    )


def test_month_edges_are_tehran_midnights() -> None:
    """An order at 23:59 Tehran on the last day of Esfand belongs to Esfand, one at 00:00 on
    1 Farvardin to Farvardin (UTC would put both in the same day)."""
    period = MonthRange(JalaliMonth(1404, 12), JalaliMonth(1405, 1))
    farvardin_start = month_start(JalaliMonth(1405, 1))
    late = make_contact()
    early = make_contact()
    buy(late, farvardin_start - datetime.timedelta(minutes=1))
    buy(early, farvardin_start)
    esfand, farvardin = customer_flows(Contact.objects.all(), period).months
    assert (esfand.new, farvardin.new) == (1, 1)


def test_random_histories_match_the_definitions() -> None:
    rng = random.Random(7)
    period = MonthRange(JalaliMonth(1404, 4), JalaliMonth(1405, 3))
    first = month_start(JalaliMonth(1402, 1))
    span = (month_start(JalaliMonth(1405, 5)) - first).total_seconds()
    purchases: dict[int, list[datetime.datetime]] = {}
    for _index in range(40):
        contact = make_contact()
        times = [
            first + datetime.timedelta(seconds=rng.uniform(0, span))
            for _ in range(rng.randint(0, 6))
        ]
        for when in times:
            buy(contact, when)
        buy(contact, first + datetime.timedelta(days=500), status=OrderStatus.REFUNDED)
        purchases[contact.pk] = times
    flows = customer_flows(Contact.objects.all(), period)
    assert as_dicts(flows.months) == expected(purchases, period)
    # A cohort's month-0 buyers are its size; later months never exceed it.
    for cohort in flows.cohorts:
        assert cohort.buyers[0] == cohort.size
        assert all(count <= cohort.size for count in cohort.buyers)


def test_spend_is_spread_over_months_by_days_and_gives_cac() -> None:
    period = MonthRange(JalaliMonth(1405, 1), JalaliMonth(1405, 2))
    farvardin = JalaliMonth(1405, 1).first_day()
    # 31 days of Farvardin + 31 of Ordibehesht: 62 days, 620 Rials, 10 a day.
    LeadSourceCost.objects.create(
        source="instagram",
        start=farvardin,
        end=farvardin + datetime.timedelta(days=61),
        amount=620,
    )
    # 3 days (one before the period), 100 Rials: the period's two days get 33 and 34.
    LeadSourceCost.objects.create(
        source="website",
        start=farvardin - datetime.timedelta(days=1),
        end=farvardin + datetime.timedelta(days=1),
        amount=100,
    )
    spend = marketing_spend(period)
    assert spend == {"instagram": [310, 310], "website": [33 + 34, 0]}
    contact = make_contact(source="instagram")
    buy(contact, in_month(JalaliMonth(1405, 1)))
    buy(make_contact(source="instagram"), in_month(JalaliMonth(1405, 2)))
    buy(make_contact(source="instagram"), in_month(JalaliMonth(1405, 2)))
    flows = customer_flows(Contact.objects.all(), period)
    assert cac_by_source(flows, spend) == [
        {"source": "instagram", "spend": 620, "new": 3, "cac": 207},
        {"source": "website", "spend": 67, "new": 0, "cac": None},
    ]
    assert customer_acquisition_cost(310, 2) == 155


def test_scoping_counts_only_the_given_orders() -> None:
    period = MonthRange(JalaliMonth(1405, 1), JalaliMonth(1405, 1))
    mine, theirs = make_contact(), make_contact()
    buy(mine, in_month(JalaliMonth(1405, 1)))
    buy(theirs, in_month(JalaliMonth(1405, 1)))
    (row,) = customer_flows(Contact.objects.filter(pk=mine.pk), period).months
    assert (row.buyers, row.new) == (1, 1)
