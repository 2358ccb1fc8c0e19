from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from peyvand.accounts.models import Role, User
from peyvand.commerce.models import Order
from peyvand.contacts.tests.factories import make_contact

from .factories import PLACED, make_order

pytestmark = pytest.mark.django_db

BODY: dict[str, Any] = {
    "customer": {"email": "Sara@Example.ir", "first_name": "سارا", "last_name": "کریمی"},
    "number": "1001",
    "status": "paid",
    "placed_at": "2026-05-01T09:30:00Z",
    "subtotal": 300_000,
    "discount": 20_000,
    "shipping": 30_000,
    "tax": 27_000,
    "total": 337_000,
    "lines": [{"sku": "MUG-1", "name": "ماگ", "quantity": 2, "unit_price": 150_000}],
}


def _put(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.put(path, data=json.dumps(body), content_type="application/json")


def test_put_creates_then_is_idempotent(
    api_client: Callable[..., Client], admin_user: User
) -> None:
    client = api_client(admin_user)
    created = _put(client, "/api/v1/orders/by-source/api/W-1", BODY)
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["status"], data["total"], data["net_total"], data["currency"]) == (
        "paid",
        337_000,
        337_000,
        "IRR",
    )
    assert [(line["sku"], line["total"]) for line in data["lines"]] == [("MUG-1", 300_000)]
    again = _put(client, "/api/v1/orders/by-source/api/W-1", BODY)
    assert again.status_code == 200
    assert again.json()["id"] == data["id"]
    assert Order.objects.count() == 1
    contact = Order.objects.get().contact
    assert (contact.first_name, contact.owner) == ("سارا", admin_user)


def test_put_errors_have_field_paths(api_client: Callable[..., Client], admin_user: User) -> None:
    client = api_client(admin_user)
    body = {**BODY, "total": 5, "lines": [{"name": "x", "quantity": 0, "unit_price": 1}]}
    response = _put(client, "/api/v1/orders/by-source/api/W-2", body)
    assert response.status_code == 422
    assert [(item["field"], item["type"]) for item in response.json()["detail"]] == [
        ("lines.0.quantity", "greater_than_equal")
    ]
    response = _put(client, "/api/v1/orders/by-source/api/W-2", {**BODY, "total": 5})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "total"],
            "field": "total",
            "msg": "The total must be the subtotal less the discount plus shipping and tax "
            "(337000).",
            "type": "total_mismatch",
        }
    ]
    response = _put(
        client, "/api/v1/orders/by-source/api/W-2", {**BODY, "customer": {"email": "x"}}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "customer.email"


def test_list_filters_and_pages(api_client: Callable[..., Client], admin_user: User) -> None:
    import datetime

    contact, other = make_contact(), make_contact()
    orders = [
        make_order(contact, placed_at=PLACED + datetime.timedelta(days=day)) for day in range(3)
    ]
    make_order(other, status="cancelled")
    client = api_client(admin_user)
    first = client.get(f"/api/v1/orders?contact={contact.pk}&limit=2").json()
    assert [item["id"] for item in first["items"]] == [orders[2].pk, orders[1].pk]
    second = client.get(
        f"/api/v1/orders?contact={contact.pk}&limit=2&cursor={first['next_cursor']}"
    ).json()
    assert ([item["id"] for item in second["items"]], second["next_cursor"]) == (
        [orders[0].pk],
        None,
    )
    ranged = client.get("/api/v1/orders?placed_from=2026-05-02&placed_to=2026-05-02").json()
    assert [item["id"] for item in ranged["items"]] == [orders[1].pk]
    cancelled = client.get("/api/v1/orders?status=cancelled").json()
    assert [item["contact_id"] for item in cancelled["items"]] == [other.pk]
    bad = client.get("/api/v1/orders?cursor=zzz")
    assert bad.status_code == 422


def test_orders_follow_contact_visibility(
    api_client: Callable[..., Client], make_user: Callable[..., User]
) -> None:
    seller, colleague = make_user(role=Role.SALES), make_user(role=Role.SALES)
    mine = make_order(make_contact(owner=seller))
    theirs = make_order(make_contact(owner=colleague))
    client = api_client(seller)
    listed = client.get("/api/v1/orders").json()
    assert [item["id"] for item in listed["items"]] == [mine.pk]
    assert client.get(f"/api/v1/orders/{theirs.pk}").status_code == 404
    response = _put(client, f"/api/v1/orders/by-source/{theirs.source}/{theirs.external_id}", BODY)
    assert response.status_code == 404
    support = api_client(make_user(role=Role.SUPPORT))
    assert support.get(f"/api/v1/orders/{mine.pk}").status_code == 404
    assert _put(support, "/api/v1/orders/by-source/api/new", BODY).status_code == 403


def test_refunds_and_cancel(api_client: Callable[..., Client], admin_user: User) -> None:
    order = make_order(make_contact())
    client = api_client(admin_user)
    path = f"/api/v1/orders/{order.pk}/refunds"
    body = {"amount": 37_000, "reason": "آسیب در ارسال", "external_id": "R1"}
    first = client.post(path, data=json.dumps(body), content_type="application/json")
    again = client.post(path, data=json.dumps(body), content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    detail = client.get(f"/api/v1/orders/{order.pk}").json()
    assert (detail["status"], detail["refunded_total"], detail["net_total"]) == (
        "partially_refunded",
        37_000,
        300_000,
    )
    too_much = client.post(
        path, data=json.dumps({"amount": 400_000}), content_type="application/json"
    )
    assert too_much.status_code == 422
    assert too_much.json()["detail"][0]["field"] == "amount"
    assert [item["amount"] for item in client.get(path).json()] == [37_000]
    pending = make_order(make_contact(), status="pending")
    cancelled = client.post(
        f"/api/v1/orders/{pending.pk}/cancel", data="{}", content_type="application/json"
    )
    assert cancelled.json()["status"] == "cancelled"


def test_a_customer_matching_someone_elses_contact_still_gets_the_order(
    api_client: Callable[..., Client], make_user: Callable[..., User]
) -> None:
    seller, colleague = make_user(role=Role.SALES), make_user(role=Role.SALES)
    theirs = make_contact(owner=colleague, emails=["sara@example.ir"])
    response = _put(api_client(seller), "/api/v1/orders/by-source/api/N-1", BODY)
    assert response.status_code == 201
    assert Order.objects.get().contact == theirs
