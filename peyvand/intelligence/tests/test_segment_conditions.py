"""Segments on customer intelligence: RFM segment, predicted lifetime value and P(alive)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence.tests.factories import make_customer_value, make_rfm
from peyvand.marketing.selectors import segment_members
from peyvand.marketing.tests.conftest import condition, dynamic

pytestmark = pytest.mark.django_db


def _member_ids(*conditions: dict[str, object]) -> set[int]:
    return set(segment_members(dynamic(*conditions)).values_list("pk", flat=True))


def test_rfm_segment_is_one_of_and_none_of() -> None:
    champion, at_risk, unscored = make_contact(), make_contact(), make_contact()
    make_rfm(champion, "champions")
    make_rfm(at_risk, "at_risk")

    chosen = condition("intelligence.rfm_segment", operator="in", values=["at_risk", "cannot_lose"])
    assert _member_ids(chosen) == {at_risk.pk}
    others = condition("intelligence.rfm_segment", operator="not_in", values=["champions"])
    assert _member_ids(others) == {at_risk.pk, unscored.pk}


def test_lifetime_value_and_probability_alive_thresholds() -> None:
    rich, modest, unscored = make_contact(), make_contact(), make_contact()
    make_customer_value(rich, clv=50_000_000, alive=0.92)
    make_customer_value(modest, clv=2_000_000, alive=0.15)
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
