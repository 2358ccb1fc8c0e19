"""Churn features as of a date (exact values from orders, refunds, events, tickets and
surveys), labels, and the stored scores with their reasons from ``churn_compute``."""

from __future__ import annotations

import datetime
import itertools
import math
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.utils import translation

from peyvand.commerce.models import Order, OrderStatus, Refund
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.feedback.models import Survey, SurveyKind
from peyvand.intelligence.churn import table_from_columns
from peyvand.intelligence.churn.phrases import reason_text
from peyvand.intelligence.churn_features import (
    FEATURES,
    churn_features,
    churned_after,
    quintile_scores,
)
from peyvand.intelligence.churn_risk import churn_compute, churn_compute_job, fitting_sample
from peyvand.intelligence.models import ChurnRun, CustomerChurn
from peyvand.intelligence.tests.factories import make_churn_run, make_customer_churn
from peyvand.service.models import Ticket, TicketStatus
from peyvand.service.tests.factories import make_ticket
from peyvand.timeline.models import Event
from peyvand.web.scheduler import default_jobs

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
AS_OF = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=TEHRAN)
_numbers = itertools.count(1)


def days(count: float) -> datetime.timedelta:
    return datetime.timedelta(days=count)


def order(
    contact: Contact,
    placed_at: datetime.datetime,
    total: int,
    *,
    status: str = OrderStatus.COMPLETED,
    refunded: int = 0,
) -> Order:
    return Order.objects.create(
        contact=contact,
        source="test",
        external_id=str(next(_numbers)),
        status=status,
        placed_at=placed_at,
        subtotal=total,
        total=total,
        refunded_total=refunded,
    )


def ticket(contact: Contact, created: datetime.datetime, **values: object) -> Ticket:
    made = make_ticket(contact=contact)
    Ticket.objects.filter(pk=made.pk).update(created_at=created, **values)
    made.refresh_from_db()
    return made


def survey(item: Ticket, kind: str, score: int, answered: datetime.datetime) -> None:
    Survey.objects.create(
        kind=kind,
        ticket=item,
        contact=item.contact,
        resolved_at=answered - days(1),
        recipient="a@example.ir",
        expires_at=answered + days(30),
        score=score,
        answered_at=answered,
    )


def event(contact: Contact, verb: str, occurred: datetime.datetime) -> None:
    Event.objects.create(
        verb=verb,
        subject_type="contact",
        subject_id=contact.pk,
        contact=contact,
        occurred_at=occurred,
    )


def test_features_as_of_a_date_from_every_source() -> None:
    regular = make_contact(first_name="سارا")
    once = make_contact(first_name="امید")
    make_contact(first_name="بی‌خرید")
    order(regular, AS_OF - days(400), 1_000_000)
    order(regular, AS_OF - days(150), 2_000_000)
    refunded = order(regular, AS_OF - days(100), 500_000, refunded=100_000)
    Refund.objects.create(order=refunded, amount=100_000, refunded_at=AS_OF - days(95))
    order(regular, AS_OF - days(20), 3_000_000)
    order(regular, AS_OF - days(50), 9_000_000, status=OrderStatus.CANCELLED)
    order(regular, AS_OF + days(30), 7_000_000)  # after the date: not seen
    order(once, AS_OF - days(200), 1_000_000)
    event(regular, "note.added", AS_OF - days(10))
    event(regular, "call.logged", AS_OF - days(3))
    event(regular, "message.sent", AS_OF - days(3))  # ours, not the customer's
    event(regular, "note.added", AS_OF - days(100))  # before the 90 days
    open_then = ticket(regular, AS_OF - days(30))
    ticket(regular, AS_OF - days(200), status=TicketStatus.RESOLVED, resolved_at=AS_OF - days(190))
    ticket(regular, AS_OF - days(60), status=TicketStatus.RESOLVED, resolved_at=AS_OF + days(5))
    survey(open_then, SurveyKind.CSAT, 2, AS_OF - days(40))
    survey(open_then, SurveyKind.NPS, 9, AS_OF - days(5))
    survey(open_then, SurveyKind.CSAT, 1, AS_OF + days(1))  # after the date

    contact_ids, table = churn_features(AS_OF)

    assert contact_ids.tolist() == sorted([regular.pk, once.pk])
    assert list(table.numeric) == list(FEATURES)
    first, second = (
        {name: table.numeric[name][row] for name in FEATURES}
        for row in (contact_ids.tolist().index(regular.pk), contact_ids.tolist().index(once.pk))
    )
    assert first == {
        "days_since_last_purchase": 20,
        "tenure_days": 400,
        "average_gap_days": pytest.approx(380 / 3),
        "purchases_30": 1,
        "purchases_90": 1,
        "purchases_365": 3,
        "spend_30": 3_000_000,
        "spend_90": 3_000_000,
        "spend_365": 5_400_000,
        "purchases_total": 4,
        "spend_total": 6_400_000,
        "spend_trend_percent": 25.0,  # 3.0 M against 2.4 M in the quarter before
        "recency_score": 5,
        "frequency_score": 5,
        "monetary_score": 5,
        "refunds_365": 1,
        "cancellations_365": 1,
        "events_90": 2,
        "open_tickets": 2,
        "tickets_90": 2,
        "last_survey_score": 90,  # NPS 9 of 10
    }
    assert second["days_since_last_purchase"] == 200
    assert math.isnan(second["average_gap_days"])
    assert math.isnan(second["spend_trend_percent"])
    assert math.isnan(second["last_survey_score"])
    assert (second["recency_score"], second["frequency_score"]) == (1, 1)
    assert (second["open_tickets"], second["events_90"]) == (0, 0)
    # The order 30 days later: the regular customer stayed, the other churned.
    assert churned_after(contact_ids, AS_OF, 90).tolist() == [
        0 if pk == regular.pk else 1 for pk in contact_ids.tolist()
    ]


def test_quintile_scores_share_the_lowest_rank_on_ties() -> None:
    values = np.array([1.0, 1.0, 2.0, 3.0, 5.0, 8.0])
    # Ranks 1, 1, 3, 4, 5, 6: 1 + ⌊5 · (rank − 1) / 5⌋, capped at 5.
    assert quintile_scores(values).tolist() == [1, 1, 3, 4, 5, 5]
    assert quintile_scores(np.array([4.0])).tolist() == [1]


def shop_history(customers: int = 160, seed: int = 0) -> list[Contact]:
    """Customers buying every 15–60 days from a start until they quit (or never)."""
    generator = np.random.default_rng(seed)
    contacts = Contact.objects.bulk_create(
        [Contact(first_name=f"مشتری {index}") for index in range(customers)]
    )
    orders = []
    for contact in contacts:
        start = float(generator.uniform(100, 700))
        gap = float(generator.uniform(15, 60))
        quit_after = float(generator.exponential(250))
        moment = start
        while moment > 0 and start - moment < quit_after:
            total = int(generator.integers(1, 20)) * 100_000
            orders.append(
                Order(
                    contact=contact,
                    source="test",
                    external_id=str(next(_numbers)),
                    status=OrderStatus.COMPLETED,
                    placed_at=AS_OF - days(moment),
                    subtotal=total,
                    total=total,
                )
            )
            moment -= gap * float(generator.uniform(0.7, 1.3))
    Order.objects.bulk_create(orders, batch_size=1000)
    return contacts


def test_compute_trains_checks_on_a_later_period_and_scores_everyone() -> None:
    contacts = shop_history()

    run = churn_compute(as_of=AS_OF, horizon_days=90)

    assert run.message == ""
    assert run.training_rows > 50 and run.validation_rows > run.training_rows
    assert run.auc is not None and run.auc > 0.75
    assert run.brier is not None and run.brier < 0.2
    scored = {row.contact_id: row for row in CustomerChurn.objects.filter(run=run)}
    assert (
        len(scored)
        == run.customers
        == sum(
            Order.objects.filter(contact=contact, placed_at__lte=AS_OF).exists()
            for contact in contacts
        )
    )
    last_order = {
        contact_id: (AS_OF - placed).days
        for contact_id, placed in Order.objects.order_by("contact_id", "placed_at").values_list(
            "contact_id", "placed_at"
        )
    }
    gone = [scored[pk].probability for pk, quiet in last_order.items() if quiet > 200]
    active = [scored[pk].probability for pk, quiet in last_order.items() if quiet < 20]
    assert np.mean(gone) > 0.7 > 0.3 > np.mean(active)
    long_gone = max(scored.values(), key=lambda row: last_order[row.contact_id])
    assert 1 <= len(long_gone.reasons) <= 3
    assert all(reason["impact"] >= 0.01 for reason in long_gone.reasons)
    features = [reason["feature"] for reason in long_gone.reasons]
    assert set(features) & {"days_since_last_purchase", "recency_score", "purchases_365"}

    # A rerun replaces every row.
    again = churn_compute(as_of=AS_OF, horizon_days=90)
    assert set(CustomerChurn.objects.values_list("run_id", flat=True)) == {again.pk}


def test_too_little_history_keeps_the_previous_scores() -> None:
    customer = make_contact(first_name="مهسا")
    kept = make_customer_churn(customer, 0.8, run=make_churn_run())
    order(customer, AS_OF - days(300), 1_000_000)

    run = churn_compute(as_of=AS_OF, horizon_days=90)

    assert run.message.startswith("Too little history to train: 1 customers")
    assert run.customers == 0 and run.auc is None
    assert list(CustomerChurn.objects.values_list("pk", flat=True)) == [kept.pk]
    assert ChurnRun.objects.count() == 2


def test_the_daily_job_is_registered() -> None:
    jobs = {job.name: job for job in default_jobs()}
    assert jobs["churn risk (gradient boosting)"].run is churn_compute_job
    assert jobs["churn risk (gradient boosting)"].every_seconds == 24 * 3600


@pytest.mark.parametrize(
    ("reason", "english", "farsi"),
    [
        ({"feature": "days_since_last_purchase", "value": 210}, "No purchase for 210 days", "۲۱۰"),
        ({"feature": "open_tickets", "value": 2}, "2 open tickets", "۲"),
        ({"feature": "open_tickets", "value": 1}, "1 open ticket", "۱"),
        (
            {"feature": "spend_trend_percent", "value": -60},
            "Spend fell 60% vs the previous quarter",
            "۶۰",
        ),
        ({"feature": "last_survey_score", "value": None}, "No survey answered", ""),
        ({"feature": "tenure", "value": 12}, "tenure: 12", "۱۲"),
    ],
)
def test_reasons_read_as_phrases_in_both_languages(
    reason: dict[str, object], english: str, farsi: str
) -> None:
    with translation.override("en"):
        assert reason_text(reason) == english
    with translation.override("fa"):
        assert farsi in reason_text(reason)


def test_fits_use_a_fixed_sample_of_large_histories() -> None:
    table = table_from_columns({"x": np.arange(10.0)})
    labels = np.arange(10) % 2

    same_table, same_labels = fitting_sample(table, labels, size=10)
    sampled, sampled_labels = fitting_sample(table, labels, size=4)
    again, _labels = fitting_sample(table, labels, size=4)

    assert same_table is table and same_labels is labels
    assert len(sampled) == 4 and sampled_labels.tolist() == [
        int(x) % 2 for x in sampled.numeric["x"]
    ]
    assert sampled.numeric["x"].tolist() == again.numeric["x"].tolist()
    assert sampled.numeric["x"].tolist() == sorted(sampled.numeric["x"].tolist())
