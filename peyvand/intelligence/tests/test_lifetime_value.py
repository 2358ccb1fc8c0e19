"""Stored lifetime values: the database's purchase summary reproduces the papers' CDNOW fit,
local days, refunds, runs that cannot fit, and reruns that replace the values."""

from __future__ import annotations

import datetime
import itertools
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.utils import timezone

from peyvand.commerce.models import Order, OrderStatus
from peyvand.commerce.services import order_cancel
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence import lifetime_value
from peyvand.intelligence.clv import CustomerSummary, fit_models, score, summarize_transactions
from peyvand.intelligence.lifetime_value import (
    MIN_CUSTOMERS,
    clv_compute,
    customer_summary,
    fitting_sample,
    purchase_summary_rows,
)
from peyvand.intelligence.models import ClvRun, CustomerValue
from peyvand.intelligence.purchase_months import purchase_months_rebuild, purchase_months_refresh
from peyvand.intelligence.tests.cdnow import (
    CALIBRATION_END,
    DatasetMissingError,
    read_cdnow_sample,
)

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
AS_OF = datetime.datetime(2026, 6, 1, 20, 0, tzinfo=TEHRAN)
_numbers = itertools.count(1)


def buy(
    contact: Contact,
    placed_at: datetime.datetime,
    total: int,
    *,
    status: str = OrderStatus.COMPLETED,
    refunded: int = 0,
) -> Order:
    """An order straight into the table (test setup), its rollup rows recomputed as the
    order services do."""
    order = Order.objects.create(
        contact=contact,
        source="test",
        external_id=str(next(_numbers)),
        status=status,
        placed_at=placed_at,
        subtotal=total,
        total=total,
        refunded_total=refunded,
    )
    purchase_months_refresh([contact.pk])
    return order


def _load_cdnow() -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
    try:
        customer_ids, dates, dollars = read_cdnow_sample()
    except DatasetMissingError:
        pytest.skip("lifetimes (a dev dependency with the CDNOW data) is not installed")
    keep = dates <= np.datetime64(CALIBRATION_END)
    customer_ids, dates, dollars = customer_ids[keep], dates[keep], dollars[keep]
    distinct = sorted(set(customer_ids.tolist()))
    contacts = Contact.objects.bulk_create(
        [Contact(first_name=f"مشتری {number}") for number in distinct], batch_size=500
    )
    contact_of = {number: contact.pk for number, contact in zip(distinct, contacts, strict=True)}
    orders = []
    for index, (customer, day, amount) in enumerate(
        zip(customer_ids.tolist(), dates.tolist(), dollars.tolist(), strict=True)
    ):
        # Late evening in Tehran is still that day, though it is the afternoon in UTC.
        placed = datetime.datetime.combine(day, datetime.time(23, 30), TEHRAN)
        cents = round(amount * 100)
        orders.append(
            Order(
                contact_id=contact_of[customer],
                source="cdnow",
                external_id=str(index),
                status=OrderStatus.COMPLETED,
                placed_at=placed,
                subtotal=cents,
                total=cents,
            )
        )
    Order.objects.bulk_create(orders, batch_size=1000)
    purchase_months_rebuild()  # loaded behind the order services' back
    return [contact_of[number] for number in customer_ids.tolist()], dates, dollars, keep


def test_the_database_summary_reproduces_the_published_cdnow_fit() -> None:
    contact_ids, dates, dollars, _keep = _load_cdnow()
    as_of = datetime.datetime(1997, 9, 30, 23, 59, tzinfo=TEHRAN)

    run = clv_compute(as_of=as_of, annual_discount_rate=0.0)

    assert run.message == ""
    assert run.customers == 2357
    bgnbd = run.parameters["bgnbd"]
    # Fader, Hardie & Lee (2005): r 0.243, α 4.414, a 0.793, b 2.426, LL −9582.4.
    for name, published in (("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)):
        assert bgnbd[name] == pytest.approx(published, rel=0.005), name
    # Amounts are stored in cents here: p and q do not depend on the unit, γ scales with it.
    spend = run.parameters["gamma_gamma"]
    assert spend["p"] == pytest.approx(6.25, rel=0.005)
    assert spend["q"] == pytest.approx(3.74, rel=0.005)
    assert spend["gamma"] / 100 == pytest.approx(15.44, rel=0.005)

    # Every customer is stored with what the library gives for the papers' own summary.
    reference = summarize_transactions(
        customer_ids=np.asarray(contact_ids),
        dates=dates,
        amounts=np.round(dollars * 100),
        calibration_end=CALIBRATION_END,
    )
    expected = score(
        reference,
        fit_models(reference),
        clv_horizon_days=run.horizon_days,
        annual_discount_rate=0.0,
    )
    assert CustomerValue.objects.count() == 2357
    stored = {
        row.contact_id: row for row in CustomerValue.objects.filter(run=run).order_by("contact")
    }
    for index in (0, 10, 500, 2356):
        row = stored[int(reference.customer_ids[index])]
        assert row.repeat_purchases == int(reference.frequency[index])
        assert row.probability_alive == pytest.approx(expected.probability_alive[index], abs=1e-3)
        assert row.expected_purchases_365 == pytest.approx(
            expected.expected_purchases[index, 2], rel=1e-3, abs=1e-3
        )
        assert row.clv == pytest.approx(expected.clv[index], rel=1e-3, abs=2)
        assert row.clv_low <= row.clv <= row.clv_high or row.clv_low == 0


def test_orders_on_one_local_day_are_one_purchase_and_refunds_count() -> None:
    contact = make_contact(first_name="سارا")
    day = datetime.datetime(2026, 3, 1, 10, 0, tzinfo=TEHRAN)
    buy(contact, day, 1_000_000)
    # 02:00 in Tehran the next day is 22:30 UTC of the first: a separate local day.
    buy(contact, datetime.datetime(2026, 3, 2, 2, 0, tzinfo=TEHRAN), 400_000, refunded=100_000)
    buy(contact, datetime.datetime(2026, 3, 2, 21, 0, tzinfo=TEHRAN), 200_000)
    buy(contact, datetime.datetime(2026, 3, 9, 9, 0, tzinfo=TEHRAN), 700_000)
    buy(contact, day, 5_000_000, status=OrderStatus.CANCELLED)
    buy(contact, datetime.datetime(2026, 7, 1, 9, 0, tzinfo=TEHRAN), 9_000_000)  # after as_of

    rows = purchase_summary_rows(AS_OF)
    summary = customer_summary(rows, AS_OF.date())

    assert rows.contact_ids.tolist() == [contact.pk]
    assert rows.purchase_days.tolist() == [3]
    assert summary.frequency.tolist() == [2.0]
    assert summary.recency.tolist() == [8 / 7]
    assert summary.age.tolist() == [(AS_OF.date() - day.date()).days / 7]
    # Repeat days: 2 March (300,000 net + 200,000) and 9 March (700,000).
    assert summary.monetary_value.tolist() == [(500_000 + 700_000) / 2]


def test_the_rollup_gives_the_summary_the_orders_give() -> None:
    """As of now the summary adds up the rollup's months; as of a time with purchases after
    it, it reads the orders. Both reduce the same history to the same rows: several orders
    on one local day, days either side of Tehran midnight and of a month's end, refunds."""
    import random

    rng = random.Random(5)
    now = timezone.now()
    people = [make_contact() for _index in range(15)]
    for person in people:
        for _index in range(rng.randint(1, 8)):
            when = now - datetime.timedelta(days=rng.uniform(0.01, 400))
            if rng.random() < 0.3:  # a second order on a day already bought on
                when = when.replace(hour=rng.choice((0, 23)), minute=rng.randint(0, 59))
                when = min(when, now - datetime.timedelta(minutes=1))
            total = rng.randint(1, 90) * 10_000
            buy(person, when, total, refunded=rng.choice((0, 0, total // 2)))
    from_rollup = purchase_summary_rows(now)
    late = make_contact()
    buy(late, now + datetime.timedelta(days=1), 100_000)  # after as_of: read the orders
    from_orders = purchase_summary_rows(now)
    for name in ("contact_ids", "purchase_days", "first_day", "last_day", "total_spend"):
        assert getattr(from_rollup, name).tolist() == getattr(from_orders, name).tolist(), name
    assert from_rollup.first_day_spend.tolist() == from_orders.first_day_spend.tolist()
    assert len(from_rollup.contact_ids) == len(people)


def _customers(count: int, *, repeat: bool) -> list[Contact]:
    contacts = Contact.objects.bulk_create(
        [Contact(first_name=f"مشتری {index}") for index in range(count)]
    )
    start = AS_OF - datetime.timedelta(days=300)
    for index, contact in enumerate(contacts):
        buy(contact, start + datetime.timedelta(days=index), 1_000_000 + 10_000 * index)
        if repeat and index % 2 == 0:
            buy(contact, start + datetime.timedelta(days=index + 40), 800_000 + 5_000 * index)
            if index % 4 == 0:
                buy(contact, start + datetime.timedelta(days=index + 90), 900_000)
    return contacts


def test_too_little_history_records_why_and_keeps_the_previous_values() -> None:
    _customers(MIN_CUSTOMERS + 10, repeat=True)
    first = clv_compute(as_of=AS_OF)
    assert first.message == ""
    assert CustomerValue.objects.filter(run=first).count() == MIN_CUSTOMERS + 10

    for order in Order.objects.all():
        order_cancel(actor=None, order=order)
    second = clv_compute(as_of=AS_OF)

    assert second.customers == 0
    assert "Too little history" in second.message
    assert CustomerValue.objects.filter(run=first).count() == MIN_CUSTOMERS + 10
    assert ClvRun.objects.count() == 2


def test_a_rerun_replaces_every_value_and_drops_customers_without_purchases() -> None:
    contacts = _customers(MIN_CUSTOMERS + 20, repeat=True)
    clv_compute(as_of=AS_OF)
    for order in Order.objects.filter(contact=contacts[0]):
        order_cancel(actor=None, order=order)

    run = clv_compute(as_of=AS_OF)

    assert set(CustomerValue.objects.values_list("run", flat=True)) == {run.pk}
    assert not CustomerValue.objects.filter(contact=contacts[0]).exists()
    assert CustomerValue.objects.count() == MIN_CUSTOMERS + 19
    value = CustomerValue.objects.get(contact=contacts[2])
    assert 0 < value.probability_alive <= 1
    assert value.expected_purchases_30 <= value.expected_purchases_90
    assert value.expected_purchases_90 <= value.expected_purchases_365
    assert value.clv is not None and value.clv > 0
    assert value.clv_low is not None and value.clv_high is not None
    assert value.clv_low <= value.clv_high


def test_the_fit_uses_a_fixed_random_sample_of_a_large_base_and_scores_everyone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    summary = CustomerSummary.from_arrays(
        frequency=np.arange(10.0), recency=np.arange(10.0), age=np.full(10, 20.0)
    )
    assert fitting_sample(summary, 10) is summary
    sample = fitting_sample(summary, 4)
    assert len(sample) == 4
    assert set(sample.customer_ids.tolist()) <= set(range(10))
    assert sample.frequency.tolist() == sample.recency.tolist()  # rows stay together
    assert fitting_sample(summary, 4).customer_ids.tolist() == sample.customer_ids.tolist()

    _customers(MIN_CUSTOMERS + 20, repeat=True)
    monkeypatch.setattr(lifetime_value, "FIT_SAMPLE", MIN_CUSTOMERS + 10)
    run = clv_compute(as_of=AS_OF)
    assert run.parameters["fitted_customers"] == MIN_CUSTOMERS + 10
    assert CustomerValue.objects.filter(run=run).count() == MIN_CUSTOMERS + 20
