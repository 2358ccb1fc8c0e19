"""Products on a deal: the amount follows their total, the timeline says what changed, a new
quote starts from them; through the service, the pages and the API, with visibility."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from peyvand.accounts.models import Role, User
from peyvand.api.tests import API, quick_user, token_client
from peyvand.sales.deal_products import deal_products_set
from peyvand.sales.models import Deal, DealProduct
from peyvand.sales.quotes import product_save
from peyvand.timeline.models import Event

from .factories import make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def laptop() -> Any:
    return product_save(
        actor=None,
        values={"code": "LP-15", "name": "لپ‌تاپ ۱۵ اینچ", "unit": "دستگاه", "price": 450_000_000},
    )


@pytest.fixture
def deal(sales_user: User) -> Deal:
    return make_deal(actor=sales_user, owner=sales_user, title="تجهیز دفتر", amount=1_000)


def test_products_set_the_deal_amount_to_their_total_before_vat(
    sales_user: User, deal: Deal, laptop: Any
) -> None:
    deal_products_set(
        actor=sales_user,
        deal=deal,
        rows=[
            {"product": laptop, "quantity": Decimal(3), "discount_percent": Decimal("2.5")},
            {"description": "نصب و راه‌اندازی", "unit_price": 25_000_005, "quantity": 1},
        ],
    )

    deal.refresh_from_db()
    lines = list(deal.line_items.all())
    # 3 × 450,000,000 = 1,350,000,000 − 2.5% (33,750,000); plus the free-text line.
    assert [(line.description, line.total) for line in lines] == [
        ("لپ‌تاپ ۱۵ اینچ", 1_316_250_000),
        ("نصب و راه‌اندازی", 25_000_005),
    ]
    assert lines[0].vat == 0 and lines[0].unit == "دستگاه"
    assert deal.amount == 1_341_250_005
    event = Event.objects.filter(verb="deal.updated", deal=deal).latest("id")
    assert event.payload["changes"]["amount"] == [1_000, 1_341_250_005]
    assert event.payload["changes"]["products"] == [
        "",
        "لپ‌تاپ ۱۵ اینچ × ۳، نصب و راه‌اندازی × ۱",
    ]


def test_removing_the_products_keeps_the_amount_and_saving_the_same_lines_is_silent(
    sales_user: User, deal: Deal, laptop: Any
) -> None:
    rows = [{"product": laptop, "quantity": Decimal(2)}]
    deal_products_set(actor=sales_user, deal=deal, rows=rows)
    before = Event.objects.count()
    deal_products_set(actor=sales_user, deal=deal, rows=rows)
    assert Event.objects.count() == before

    deal_products_set(actor=sales_user, deal=deal, rows=[])

    deal.refresh_from_db()
    assert deal.line_items.count() == 0
    assert deal.amount == 900_000_000
    assert Event.objects.filter(verb="deal.updated", deal=deal).latest("id").payload["changes"] == {
        "products": ["لپ‌تاپ ۱۵ اینچ × ۲", ""]
    }


def test_bad_lines_are_refused_by_row_and_field_and_nothing_changes(
    sales_user: User, deal: Deal, laptop: Any
) -> None:
    deal_products_set(actor=sales_user, deal=deal, rows=[{"product": laptop, "quantity": 1}])
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            deal_products_set(
                actor=sales_user,
                deal=deal,
                rows=[
                    {"product": laptop, "quantity": Decimal(0)},
                    {"description": "خدمات", "quantity": 1},
                ],
            )
        assert caught.value.message_dict == {
            "lines.0.quantity": ["The quantity must be more than zero."],
            "lines.1.unit_price": ["Enter the unit price or choose a product."],
        }
    assert [line.quantity for line in deal.line_items.all()] == [1]


def test_a_deal_in_another_currency_cannot_have_products(sales_user: User, laptop: Any) -> None:
    deal = make_deal(
        actor=sales_user, currency="USD", currency_amount=Decimal(100), exchange_rate=600_000
    )
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            deal_products_set(actor=sales_user, deal=deal, rows=[{"product": laptop}])
        assert caught.value.message_dict == {
            "lines": ["Products are priced in Rials: set the deal's currency to Rial first."]
        }


def test_a_read_only_user_cannot_change_products(
    make_user: Callable[..., User], deal: Deal, laptop: Any
) -> None:
    with pytest.raises(PermissionDenied):
        deal_products_set(actor=make_user(role=Role.READ_ONLY), deal=deal, rows=[])


def test_the_pages_edit_products_and_a_new_quote_starts_with_them(
    logged_in: Callable[[User], Client], sales_user: User, deal: Deal, laptop: Any
) -> None:
    client = logged_in(sales_user)
    assert "/products/" in client.get(f"/sales/deals/{deal.pk}/").content.decode()
    response = client.post(
        f"/sales/deals/{deal.pk}/products/",
        {"line0-product": laptop.pk, "line0-quantity": "۲", "line1-description": "نصب",
         "line1-quantity": "1", "line1-unit_price": "۱۰۰۰"},
    )  # fmt: skip
    assert response.status_code == 302
    deal.refresh_from_db()
    # 2 × 450,000,000 Rials, plus 1,000 Toman typed in the display unit.
    assert deal.amount == 900_000_000 + 10_000
    detail = client.get(f"/sales/deals/{deal.pk}/").content.decode()
    assert "لپ‌تاپ ۱۵ اینچ × ۲" in detail

    quote_page = client.get(f"/sales/deals/{deal.pk}/quotes/new/").content.decode()
    assert f'<option value="{laptop.pk}" selected>' in quote_page
    assert 'value="نصب"' in quote_page


def test_the_page_shows_a_line_error_next_to_its_row(
    logged_in: Callable[[User], Client], sales_user: User, deal: Deal
) -> None:
    client = logged_in(sales_user)
    response = client.post(
        f"/sales/deals/{deal.pk}/products/", {"line0-description": "خدمات", "line0-quantity": "1"}
    )
    assert response.status_code == 200
    assert 'data-error-for="line0"' in response.content.decode()
    assert deal.line_items.count() == 0


def test_someone_who_cannot_see_the_deal_gets_404_on_its_products(
    logged_in: Callable[[User], Client], make_user: Callable[..., User], deal: Deal
) -> None:
    stranger = make_user(role=Role.SALES)
    client = logged_in(stranger)
    assert client.get(f"/sales/deals/{deal.pk}/products/").status_code == 404
    assert client.post(f"/sales/deals/{deal.pk}/products/", {}).status_code == 404


def test_the_api_reads_and_replaces_products(deal: Deal, laptop: Any, sales_user: User) -> None:
    client = token_client(sales_user)
    response = client.put(
        f"{API}/deals/{deal.pk}/products",
        json.dumps({"lines": [{"product_id": laptop.pk, "quantity": "1.5"}]}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()[0]["total"] == 675_000_000
    assert client.get(f"{API}/deals/{deal.pk}").json()["amount"] == 675_000_000
    assert len(client.get(f"{API}/deals/{deal.pk}/products").json()) == 1

    bad = client.put(
        f"{API}/deals/{deal.pk}/products",
        json.dumps({"lines": [{"product_id": 999_999}]}),
        content_type="application/json",
    )
    assert bad.status_code in (400, 422)
    assert "lines.0.product_id" in bad.content.decode()

    stranger = token_client(quick_user(role=Role.SALES))
    assert stranger.get(f"{API}/deals/{deal.pk}/products").status_code == 404
    assert DealProduct.objects.filter(deal=deal).count() == 1
