"""Stored churn risk where people see and use it: the contact 360 card, the dashboard's
at-risk list and its CSV, the segment condition and the win-back journey's audience, each
over the viewer's own customers."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from peyvand.accounts.models import Role, Team, User
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence.tests.factories import (
    make_churn_run,
    make_customer_churn,
    make_customer_value,
)
from peyvand.marketing.journeys.library import template_values
from peyvand.marketing.rules import rules_q
from peyvand.marketing.selectors import segment_members
from peyvand.marketing.tests.conftest import condition, dynamic

pytestmark = pytest.mark.django_db
FILTERS = "?start=1405/01&end=1405/03"
GONE = [
    {"feature": "days_since_last_purchase", "value": 210, "impact": 0.31},
    {"feature": "open_tickets", "value": 2, "impact": 0.08},
    {"feature": "spend_trend_percent", "value": -60, "impact": 0.05},
]


def test_the_360_card_shows_the_churn_risk_and_its_reasons(
    make_user: Callable[..., User], logged_in: Any
) -> None:
    seller = make_user(role=Role.SALES, language="en")
    customer = make_contact(owner=seller)
    make_customer_churn(customer, 0.734, GONE, run=make_churn_run(horizon_days=90))

    with translation.override("en"):
        content = logged_in(seller).get(f"/contacts/{customer.pk}/").content.decode()

    assert 'id="contact-churn" data-value="73"' in content and "73.4%" in content
    assert "text-bg-danger" in content
    reasons = content.split('id="contact-churn-reasons">')[1].split("</ul>")[0]
    assert reasons == (
        "<li>No purchase for 210 days</li><li>2 open tickets</li>"
        "<li>Spend fell 60% vs the previous quarter</li>"
    )
    assert "Chance of no purchase in the next 90 days" in content


def test_the_360_card_says_each_reason_once_and_why_there_may_be_none(
    make_user: Callable[..., User], logged_in: Any
) -> None:
    seller = make_user(role=Role.SALES, language="en")
    gone, unclear = make_contact(owner=seller), make_contact(owner=seller)
    make_customer_churn(
        gone,
        0.9,
        [
            {"feature": "purchases_365", "value": 0, "impact": 0.2},
            {"feature": "purchases_90", "value": 0, "impact": 0.1},
            {"feature": "recency_score", "value": None, "impact": 0.05},
            {"feature": "frequency_score", "value": None, "impact": 0.04},
            {"feature": "spend_30", "value": 0, "impact": 0.02},
        ],
    )
    make_customer_churn(unclear, 0.6, [])
    client = logged_in(seller)

    with translation.override("en"):
        content = client.get(f"/contacts/{gone.pk}/").content.decode()
        empty = client.get(f"/contacts/{unclear.pk}/").content.decode()

    reasons = content.split('id="contact-churn-reasons">')[1].split("</ul>")[0]
    assert reasons == (
        "<li>No purchase in the last 365 days</li><li>No purchase in the RFM window</li>"
    )
    assert "No single reason stands out" in empty


def test_a_one_time_buyer_is_not_shown_as_surely_still_a_customer(
    make_user: Callable[..., User], logged_in: Any
) -> None:
    seller = make_user(role=Role.SALES, language="en")
    once = make_contact(owner=seller)
    value = make_customer_value(once, clv=5_000_000, alive=1.0)
    value.repeat_purchases = 0
    value.save(update_fields=["repeat_purchases"])

    with translation.override("en"):
        content = logged_in(seller).get(f"/contacts/{once.pk}/").content.decode()

    alive = content.split('id="contact-alive"')[1].split(">", 1)[1].split("</dd>")[0]
    assert alive == "Not known yet: no repeat purchase"


def test_the_360_card_in_farsi_and_before_the_first_run(
    make_user: Callable[..., User], logged_in: Any
) -> None:
    seller = make_user(role=Role.SALES)
    scored, unscored = make_contact(owner=seller), make_contact(owner=seller)
    make_customer_churn(scored, 0.2, GONE[:1])
    client = logged_in(seller)

    content = client.get(f"/contacts/{scored.pk}/").content.decode()
    assert "۲۰٫۰٪" in content or "۲۰.۰٪" in content
    assert "۲۱۰" in content
    empty = client.get(f"/contacts/{unscored.pk}/").content.decode()
    assert 'id="contact-churn">' in empty.replace(' class="col-6 text-muted"', "")


def read_csv(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_the_dashboard_lists_the_viewers_customers_most_at_risk_first(
    make_user: Callable[..., User], logged_in: Any
) -> None:
    north, south = Team.objects.create(name="شمال"), Team.objects.create(name="جنوب")
    north_seller = make_user(role=Role.SALES, teams=(north,))
    south_seller = make_user(role=Role.SALES, teams=(south,))
    run = make_churn_run()
    calm = make_contact(owner=north_seller, first_name="آرام", last_name="")
    leaving = make_contact(owner=north_seller, first_name="رفتنی", last_name="")
    make_customer_churn(calm, 0.12, run=run)
    make_customer_churn(leaving, 0.81, GONE[:2], run=run)
    make_customer_value(leaving, clv=4_000_000)
    make_customer_churn(make_contact(owner=south_seller, first_name="جنوبی"), 0.99, run=run)
    manager = make_user(role=Role.MANAGER, teams=(north,), language="en")
    client = logged_in(manager)

    with translation.override("en"):
        response = client.get("/insights/" + FILTERS)
        rows = read_csv(client.get("/insights/charts/churn_risk.csv" + FILTERS))
    listed = {item.spec.key: item for item in response.context["charts"]}["churn_risk"].chart

    assert listed is not None
    assert [row["name"] for row in listed.data["rows"]] == ["رفتنی", "آرام"]
    first = listed.data["rows"][0]
    assert (first["percent"], first["clv_text"]) == ("81.0%", "400,000 Toman")
    assert first["url"] == f"/contacts/{leaving.pk}/"
    assert first["reasons"] == ["No purchase for 210 days", "2 open tickets"]
    assert 'id="churn-risk-list"' in response.content.decode()
    assert rows == [
        ["Customer", "Churn probability", "Lifetime value (Rials)", "Reasons"],
        ["رفتنی", "0.81", "4000000", "No purchase for 210 days; 2 open tickets"],
        ["آرام", "0.12", "", ""],
    ]


def test_the_dashboard_list_is_empty_or_not_computed(
    make_user: Callable[..., User], logged_in: Any
) -> None:
    admin = make_user(role=Role.ADMIN)
    client = logged_in(admin)
    charts = {item.spec.key: item for item in client.get("/insights/").context["charts"]}
    assert charts["churn_risk"].chart is None
    make_churn_run(customers=0, message="Too little history")
    charts = {item.spec.key: item for item in client.get("/insights/").context["charts"]}
    assert charts["churn_risk"].chart is None
    make_churn_run(customers=10)
    charts = {item.spec.key: item for item in client.get("/insights/").context["charts"]}
    assert charts["churn_risk"].chart is not None and charts["churn_risk"].chart.is_empty


def _member_ids(*conditions: dict[str, object]) -> set[int]:
    return set(segment_members(dynamic(*conditions)).values_list("pk", flat=True))


def test_churn_risk_segment_condition() -> None:
    risky, safe, unscored = make_contact(), make_contact(), make_contact()
    make_customer_churn(risky, 0.5)
    make_customer_churn(safe, 0.49)
    del unscored

    assert _member_ids(condition("intelligence.churn_risk", operator="at_least", percent=50)) == {
        risky.pk
    }
    assert _member_ids(condition("intelligence.churn_risk", operator="below", percent=50)) == {
        safe.pk
    }
    with pytest.raises(ValidationError) as error:
        dynamic(condition("intelligence.churn_risk", operator="at_least", percent=101))
    assert "percent" in str(error.value)


def test_the_win_back_journey_takes_customers_at_risk() -> None:
    values = template_values("win_back")
    assert values is not None
    assert values["trigger_kind"] == "inactivity" and values["trigger_params"] == {"days": 60}
    at_risk = make_contact(lifecycle_stage="customer")
    safe = make_contact(lifecycle_stage="customer")
    lead = make_contact(lifecycle_stage="lead")
    make_customer_churn(at_risk, 0.7)
    make_customer_churn(safe, 0.2)
    make_customer_churn(lead, 0.9)

    audience = Contact.objects.filter(rules_q(values["entry_rules"]))

    assert list(audience.values_list("pk", flat=True)) == [at_risk.pk]
