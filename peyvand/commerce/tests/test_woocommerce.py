from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client

from peyvand.commerce.models import Order, Refund, ShopConnection, WebhookDelivery
from peyvand.commerce.services import VERB_PURCHASED
from peyvand.commerce.webhooks import signature_for
from peyvand.contacts.tests.factories import make_contact
from peyvand.sales.models import Product
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db

URL = "/commerce/webhooks/woocommerce/shop1/"
SECRET = "s3cret-of-the-shop"

# Trimmed from a real WooCommerce v3 order payload (prices in Toman).
ORDER: dict[str, Any] = {
    "id": 4750,
    "parent_id": 0,
    "number": "4750",
    "order_key": "wc_order_Q6tuhq12KJOel",
    "created_via": "checkout",
    "status": "processing",
    "currency": "IRT",
    "date_created": "2026-05-01T13:00:00",
    "date_created_gmt": "2026-05-01T09:30:00",
    "date_modified": "2026-05-01T13:05:00",
    "date_modified_gmt": "2026-05-01T09:35:00",
    "discount_total": "2000",
    "discount_tax": "0",
    "shipping_total": "3000",
    "shipping_tax": "0",
    "cart_tax": "2700",
    "total": "33700",
    "total_tax": "2700",
    "prices_include_tax": False,
    "customer_id": 0,
    "customer_note": "لطفا زنگ بزنید",
    "billing": {
        "first_name": "سارا",
        "last_name": "کریمی",
        "company": "",
        "city": "تهران",
        "email": "Sara@Example.ir",
        "phone": "۰۹۱۲۳۴۵۶۷۸۹",
    },
    "payment_method": "zarinpal",
    "line_items": [
        {
            "id": 315,
            "name": "ماگ سرامیکی",
            "product_id": 93,
            "variation_id": 0,
            "quantity": 2,
            "tax_class": "",
            "subtotal": "30000",
            "subtotal_tax": "2700",
            "total": "28000",
            "total_tax": "2700",
            "sku": "MUG-1",
            "price": 14000,
        }
    ],
    "shipping_lines": [{"id": 316, "method_title": "پست", "total": "3000"}],
    "fee_lines": [],
    "refunds": [],
}


@pytest.fixture
def shop(db: Any) -> ShopConnection:
    return ShopConnection.objects.create(name="فروشگاه یک", slug="shop1", secret=SECRET)


def _post(
    client: Client,
    payload: Any,
    *,
    topic: str = "order.created",
    delivery: str = "d-1",
    secret: str = SECRET,
    raw: bytes | None = None,
    **headers: str,
) -> Any:
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        headers={
            "X-WC-Webhook-Signature": signature_for(secret, body),
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Delivery-ID": delivery,
            "X-WC-Webhook-Source": "https://shop.example.ir/",
            **headers,
        },
    )


def test_an_order_arrives_with_its_customer_in_rials(client: Client, shop: ShopConnection) -> None:
    product = Product.objects.create(code="MUG-1", name="ماگ", price=150_000)
    existing = make_contact(emails=["sara@example.ir"])
    response = _post(client, ORDER)
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "created"
    order = Order.objects.get()
    assert (order.source, order.external_id, order.number, order.status, order.currency) == (
        "woocommerce:shop1",
        "4750",
        "4750",
        "paid",
        "IRT",
    )
    assert (order.subtotal, order.discount, order.shipping, order.tax, order.total) == (
        300_000,
        20_000,
        30_000,
        27_000,
        337_000,
    )
    assert order.contact == existing
    assert order.placed_at.isoformat() == "2026-05-01T09:30:00+00:00"
    assert list(order.lines.values_list("product_id", "quantity", "unit_price", "total")) == [
        (product.pk, 2, 150_000, 300_000)
    ]
    assert Event.objects.filter(contact=existing, verb=VERB_PURCHASED).count() == 1


def test_the_same_delivery_twice_changes_nothing(client: Client, shop: ShopConnection) -> None:
    first = _post(client, ORDER)
    again = _post(client, ORDER)
    other_delivery = _post(client, ORDER, delivery="d-2")
    assert [first.json()["outcome"], again.json()["outcome"]] == ["created", "created"]
    assert again.json()["duplicate"] is True
    assert other_delivery.json()["outcome"] == "unchanged"
    assert Order.objects.count() == 1
    assert Event.objects.filter(verb__startswith="order.").count() == 1
    assert WebhookDelivery.objects.count() == 2


def test_an_older_update_after_a_newer_one_is_ignored(client: Client, shop: ShopConnection) -> None:
    newer = {**ORDER, "status": "completed", "date_modified_gmt": "2026-05-03T10:00:00"}
    older = {**ORDER, "status": "on-hold", "date_modified_gmt": "2026-05-02T10:00:00"}
    _post(client, newer, topic="order.updated", delivery="d-new")
    response = _post(client, older, topic="order.updated", delivery="d-old")
    assert response.json()["outcome"] == "stale"
    assert Order.objects.get().status == "completed"


def test_refunds_in_the_payload_are_recorded_once(client: Client, shop: ShopConnection) -> None:
    _post(client, ORDER)
    refunded = {
        **ORDER,
        "status": "completed",
        "date_modified_gmt": "2026-05-04T08:00:00",
        "refunds": [{"id": 901, "reason": "شکسته", "total": "-3700"}],
    }
    _post(client, refunded, topic="order.updated", delivery="d-2")
    _post(client, {**refunded, "date_modified_gmt": "2026-05-04T09:00:00"}, delivery="d-3")
    order = Order.objects.get()
    assert (order.status, order.refunded_total, order.net_total) == (
        "partially_refunded",
        37_000,
        300_000,
    )
    assert list(Refund.objects.values_list("external_id", "amount", "reason")) == [
        ("901", 37_000, "شکسته")
    ]


def test_a_new_customer_becomes_a_contact_owned_by_the_shop_owner(
    client: Client, shop: ShopConnection, admin_user: Any
) -> None:
    shop.owner = admin_user
    shop.save()
    _post(client, ORDER)
    contact = Order.objects.get().contact
    assert (contact.first_name, contact.last_name, contact.owner, contact.source) == (
        "سارا",
        "کریمی",
        admin_user,
        "website",
    )
    assert list(contact.phones.values_list("number", flat=True)) == ["+989123456789"]


def test_deleted_in_the_shop_cancels_the_order(client: Client, shop: ShopConnection) -> None:
    _post(client, ORDER)
    response = _post(client, {"id": 4750}, topic="order.deleted", delivery="d-del")
    assert response.json()["outcome"] == "cancelled"
    assert Order.objects.get().status == "cancelled"


def test_ping_gets_200_and_changes_nothing(client: Client, shop: ShopConnection) -> None:
    response = client.post(
        URL, data="webhook_id=12", content_type="application/x-www-form-urlencoded"
    )
    assert (response.status_code, response.json()["outcome"]) == (200, "ping")
    assert Order.objects.count() == 0


def test_invalid_signature_is_401(client: Client, shop: ShopConnection) -> None:
    assert _post(client, ORDER, secret="wrong").status_code == 401
    body = json.dumps(ORDER).encode()
    unsigned = client.post(
        URL, data=body, content_type="application/json", headers={"X-WC-Webhook-Topic": "x"}
    )
    assert unsigned.status_code == 401
    assert Order.objects.count() == 0


def test_unknown_or_inactive_shop_is_404(client: Client, shop: ShopConnection) -> None:
    shop.is_active = False
    shop.save()
    assert _post(client, ORDER).status_code == 404


def test_bad_payload_is_400_with_reasons(client: Client, shop: ShopConnection) -> None:
    bad = copy.deepcopy(ORDER)
    bad["total"] = "abc"
    bad["date_created_gmt"] = "yesterday"
    bad["line_items"][0]["quantity"] = 0
    response = _post(client, bad, **{"Accept-Language": "en"})
    assert response.status_code == 400
    assert {(item["field"], item["msg"]) for item in response.json()["detail"]} == {
        ("total", "Enter an amount as a number."),
        ("date_created_gmt", "Enter a valid date and time (ISO 8601)."),
        ("line_items.0.quantity", "The quantity must be at least 1."),
    }
    mismatch = _post(client, {**ORDER, "total": "1"}, delivery="d-2")
    assert mismatch.status_code == 400
    assert [item["field"] for item in mismatch.json()["detail"]] == ["total"]
    not_json = _post(client, None, raw=b"{not json", delivery="d-3")
    assert not_json.status_code == 400
    usd = _post(client, {**ORDER, "currency": "USD"}, delivery="d-4")
    assert [item["field"] for item in usd.json()["detail"]] == ["currency"]
    no_customer = _post(client, {**ORDER, "billing": {"first_name": "x"}}, delivery="d-5")
    assert [item["field"] for item in no_customer.json()["detail"]] == ["billing.email"]
    assert Order.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0


def test_too_large_is_413(client: Client, shop: ShopConnection, monkeypatch: Any) -> None:
    monkeypatch.setenv("PEYVAND_SHOP_WEBHOOK_MAX_BYTES", "100")
    assert _post(client, ORDER).status_code == 413


def test_too_many_requests_is_429(client: Client, shop: ShopConnection, monkeypatch: Any) -> None:
    monkeypatch.setenv("PEYVAND_SHOP_WEBHOOK_PER_ADDRESS", "2")
    codes = [_post(client, ORDER, delivery=f"d-{n}").status_code for n in range(3)]
    assert codes == [200, 200, 429]


def test_other_topics_are_acknowledged_and_ignored(client: Client, shop: ShopConnection) -> None:
    response = _post(client, {"id": 1}, topic="product.updated")
    assert (response.status_code, response.json()["outcome"]) == (200, "ignored")


def test_a_race_on_the_same_new_order_is_retried_as_an_update(
    client: Client, shop: ShopConnection, monkeypatch: Any
) -> None:
    from django.db import IntegrityError

    from peyvand.commerce import webhooks

    real = webhooks.woocommerce_order_apply
    calls: list[int] = []

    def racing(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("order_source_id")
        return real(**kwargs)

    monkeypatch.setattr(webhooks, "woocommerce_order_apply", racing)
    response = _post(client, ORDER)
    assert (response.status_code, response.json()["outcome"], len(calls)) == (200, "created", 2)
    assert Order.objects.count() == 1
