"""``/api/v1/leads``, ``/api/v1/pipelines`` and ``/api/v1/deals`` (with move)."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.accounts.models import Role, VisibilityPolicy
from peyvand.api.tests import get, patch_json, post_json, quick_user, token_client
from peyvand.sales.models import Deal, Lead, LeadStatus, StageKind
from peyvand.sales.selectors import pipeline_default

from .factories import make_deal, make_lead, make_pipeline, stage_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller() -> Any:
    return quick_user(Role.SALES)


def test_create_a_lead_normalizes_and_scores_it(seller: Any) -> None:
    response = post_json(
        token_client(seller),
        "/leads",
        {
            "first_name": "علي",
            "last_name": "رضايي",
            "phone": "۰۹۱۲ ۱۱۱ ۲۲۳۳",
            "email": " Ali@Example.COM ",
            "source": "website",
            "utm_campaign": "yalda-1405",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["first_name"], body["last_name"]) == ("علی", "رضایی")
    assert (body["phone"], body["email"]) == ("+989121112233", "ali@example.com")
    assert body["owner_id"] == seller.pk
    assert body["status"] == "new"
    assert body["utm_campaign"] == "yalda-1405"


def test_lead_errors_name_the_field_in_farsi(seller: Any) -> None:
    response = post_json(
        token_client(seller, language="fa"), "/leads", {"first_name": "مریم", "phone": "12"}
    )
    assert response.status_code == 422
    fields = {item["field"] for item in response.json()["detail"]}
    assert fields == {"phone"}
    message = response.json()["detail"][0]["msg"]
    assert any("\u0600" <= char <= "\u06ff" for char in message), message


def test_convert_a_lead_through_the_api(seller: Any) -> None:
    lead = make_lead(actor=seller, company_name="فولاد پارس", estimated_amount=90_000_000)
    response = post_json(
        token_client(seller), f"/leads/{lead.pk}/convert", {"deal_title": "خط تولید"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    deal = Deal.objects.get(pk=body["deal_id"])
    assert (deal.title, deal.amount, deal.contact_id) == (
        "خط تولید",
        90_000_000,
        body["contact_id"],
    )
    assert deal.company is not None and deal.company.name == "فولاد پارس"
    assert body["lead"]["status"] == LeadStatus.CONVERTED
    again = post_json(token_client(seller), f"/leads/{lead.pk}/convert", {})
    assert again.status_code == 422
    assert again.json()["detail"][0]["field"] == "status"


def test_pipelines_list_their_stages_and_need_the_pipelines_grant(seller: Any) -> None:
    response = get(token_client(seller), "/pipelines")
    assert response.status_code == 200
    default = pipeline_default()
    assert default is not None
    listed = {item["id"]: item for item in response.json()}
    assert [stage["kind"] for stage in listed[default.pk]["stages"]] == [
        "open",
        "open",
        "open",
        "open",
        "won",
        "lost",
    ]
    refused = post_json(token_client(seller), "/pipelines", {"name": "صادرات"})
    assert refused.status_code == 403


def test_a_manager_creates_a_pipeline_and_it_needs_won_and_lost_stages() -> None:
    manager = quick_user(Role.MANAGER)
    client = token_client(manager)
    bad = post_json(
        client, "/pipelines", {"name": "صادرات", "stages": [{"name": "تماس", "kind": "open"}]}
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "stages"
    good = post_json(
        client,
        "/pipelines",
        {
            "name": "صادرات",
            "stages": [
                {"name": "تماس", "probability": 20},
                {"name": "قرارداد", "kind": "won", "probability": 40},
                {"name": "از دست رفت", "kind": "lost"},
            ],
        },
    )
    assert good.status_code == 201, good.content
    stages = good.json()["stages"]
    assert [(stage["name"], stage["probability"]) for stage in stages] == [
        ("تماس", 20),
        ("قرارداد", 100),
        ("از دست رفت", 0),
    ]


def test_create_and_move_a_deal(seller: Any) -> None:
    client = token_client(seller)
    created = post_json(client, "/deals", {"title": "قرارداد پشتیبانی", "amount": 45_000_000})
    assert created.status_code == 201, created.content
    deal = created.json()
    assert deal["weighted_amount"] == 4_500_000
    lost = stage_of(pipeline_default(), StageKind.LOST)  # type: ignore[arg-type]
    refused = post_json(client, f"/deals/{deal['id']}/move", {"stage_id": lost.pk})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "close_reason"
    moved = post_json(
        client, f"/deals/{deal['id']}/move", {"stage_id": lost.pk, "close_reason": "قیمت بالا"}
    )
    assert moved.status_code == 200, moved.content
    assert (moved.json()["status"], moved.json()["win_probability"]) == ("lost", 0)


def test_moving_to_a_stage_of_another_pipeline_is_a_field_error(seller: Any) -> None:
    deal = make_deal(actor=seller)
    other = stage_of(make_pipeline("پروژه‌ای"))
    response = post_json(token_client(seller), f"/deals/{deal.pk}/move", {"stage_id": other.pk})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "stage_id"


def test_a_deal_in_dollars_gets_its_rial_amount(seller: Any) -> None:
    response = post_json(
        token_client(seller),
        "/deals",
        {
            "title": "صادرات زعفران",
            "currency": "USD",
            "currency_amount": "1200.50",
            "exchange_rate": 700_000,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == 840_350_000


def test_another_sellers_private_deal_is_not_found(seller: Any) -> None:
    VisibilityPolicy.objects.create(object_type="deal", level="private")
    other = quick_user(Role.SALES)
    deal = make_deal(actor=other)
    client = token_client(seller)
    assert get(client, f"/deals/{deal.pk}").status_code == 404
    assert patch_json(client, f"/deals/{deal.pk}", {"title": "x"}).status_code == 404
    assert (
        post_json(client, f"/deals/{deal.pk}/move", {"stage_id": deal.stage_id}).status_code == 404
    )
    assert deal.pk not in [item["id"] for item in get(client, "/deals").json()["items"]]


def test_a_token_without_the_deals_scope_cannot_write_deals(seller: Any) -> None:
    client = token_client(seller, scopes=("deals:read",))
    assert get(client, "/deals").status_code == 200
    assert post_json(client, "/deals", {"title": "x"}).status_code == 403
    assert (
        post_json(client, "/leads", {"last_name": "x", "phone": "09121112233"}).status_code == 403
    )
    assert Lead.objects.count() == 0


def test_products_and_quotes_through_the_api(seller: Any) -> None:
    manager = quick_user(Role.MANAGER)
    product = post_json(
        token_client(manager),
        "/products",
        {"code": "srv-1", "name": "سرور", "unit": "دستگاه", "price": 800_000_000},
    )
    assert product.status_code == 201, product.content
    assert post_json(token_client(seller), "/products", {"code": "x"}).status_code == 403
    deal = make_deal(actor=seller)
    client = token_client(seller)
    bad = post_json(client, f"/deals/{deal.pk}/quotes", {"lines": [{"product_id": 999_999}]})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "lines.0.product_id"
    created = post_json(
        client,
        f"/deals/{deal.pk}/quotes",
        {
            "issued_on": "2026-11-23",
            "lines": [
                {"product_id": product.json()["id"], "quantity": "2", "discount_percent": "10"},
                {"description": "حمل", "unit_price": 5_000_000, "is_taxable": False},
            ],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    # 1,600,000,000 − 160,000,000 = 1,440,000,000; VAT 144,000,000; + 5,000,000
    assert (body["number"], body["total"]) == ("1405-0001", 1_589_000_000)
    assert [line["vat"] for line in body["lines"]] == [144_000_000, 0]
    pdf = client.get(f"/api/v1/quotes/{body['id']}/pdf")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    answered = post_json(client, f"/quotes/{body['id']}/answer", {"accepted": True})
    assert answered.json()["status"] == "accepted"
    listed = get(client, f"/deals/{deal.pk}/quotes")
    assert [item["number"] for item in listed.json()] == ["1405-0001"]
