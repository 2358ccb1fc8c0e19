"""Segments on customer intelligence: RFM segment, predicted lifetime value and P(alive)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence.models import ClvRun, CustomerRfm, CustomerValue, RfmRun
from peyvand.marketing.selectors import segment_members
from peyvand.marketing.tests.conftest import condition, dynamic

pytestmark = pytest.mark.django_db


def _member_ids(*conditions: dict[str, object]) -> set[int]:
    return set(segment_members(dynamic(*conditions)).values_list("pk", flat=True))


def _rfm(contact: Contact, run: RfmRun, segment: str) -> None:
    CustomerRfm.objects.create(
        contact=contact,
        run=run,
        last_purchase_at=timezone.now(),
        frequency=1,
        monetary=1,
        recency_score=1,
        frequency_score=1,
        monetary_score=1,
        segment=segment,
    )


def _value(contact: Contact, run: ClvRun, clv: int, alive: float) -> None:
    CustomerValue.objects.create(
        contact=contact,
        run=run,
        repeat_purchases=1,
        expected_purchases_30=0.1,
        expected_purchases_90=0.3,
        expected_purchases_365=1.0,
        probability_alive=alive,
        expected_spend=1,
        clv=clv,
        clv_low=0,
        clv_high=clv * 2,
    )


def test_rfm_segment_is_one_of_and_none_of() -> None:
    run = RfmRun.objects.create(as_of=timezone.now(), window_days=365)
    champion, at_risk, unscored = make_contact(), make_contact(), make_contact()
    _rfm(champion, run, "champions")
    _rfm(at_risk, run, "at_risk")

    chosen = condition("intelligence.rfm_segment", operator="in", values=["at_risk", "cannot_lose"])
    assert _member_ids(chosen) == {at_risk.pk}
    others = condition("intelligence.rfm_segment", operator="not_in", values=["champions"])
    assert _member_ids(others) == {at_risk.pk, unscored.pk}


def test_lifetime_value_and_probability_alive_thresholds() -> None:
    run = ClvRun.objects.create(
        as_of=timezone.now() - datetime.timedelta(hours=1),
        horizon_days=365,
        annual_discount_rate=0.3,
    )
    rich, modest, unscored = make_contact(), make_contact(), make_contact()
    _value(rich, run, clv=50_000_000, alive=0.92)
    _value(modest, run, clv=2_000_000, alive=0.15)
    del unscored

    # Amounts are typed in the display unit (Toman by default) with Persian digits.
    assert _member_ids(
        condition("intelligence.lifetime_value", operator="at_least", amount="۱٬۰۰۰٬۰۰۰")
    ) == {rich.pk}
    assert _member_ids(
        condition("intelligence.lifetime_value", operator="below", amount="1000000")
    ) == {modest.pk}
    # Likely gone: the win-back journey's audience.
    assert _member_ids(
        condition("intelligence.probability_alive", operator="below", percent=30)
    ) == {modest.pk}
    assert _member_ids(
        condition("intelligence.probability_alive", operator="at_least", percent=90)
    ) == {rich.pk}


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("intelligence.probability_alive", {"operator": "below", "percent": 140}, "percent"),
        ("intelligence.lifetime_value", {"operator": "at_least", "amount": "abc"}, "amount"),
        ("intelligence.lifetime_value", {"operator": "sideways", "amount": "10"}, "operator"),
        ("intelligence.rfm_segment", {"operator": "in", "values": ["royalty"]}, "values"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(
    kind: str, params: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        dynamic(condition(kind, **params))
    assert field in str(error.value)
