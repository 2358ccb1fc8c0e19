from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from peyvand.accounts.models import Role, User
from peyvand.commerce.models import Order
from peyvand.commerce.services import refund_record
from peyvand.contacts.tests.factories import make_contact

from .factories import PLACED, make_order

pytestmark = pytest.mark.django_db


def test_list_pages_with_a_fixed_number_of_queries(
    logged_in: Callable[[User], Client],
    admin_user: User,
    django_assert_num_queries: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("peyvand.commerce.views.PAGE_SIZE", 3)
    contacts = [make_contact() for _ in range(4)]
    orders = [
        make_order(contact, placed_at=PLACED + datetime.timedelta(days=index))
        for index, contact in enumerate(contacts)
    ]
    client = logged_in(admin_user)
    client.get("/commerce/orders/")  # warm the session and caches
    # session, user, notifications, orders (with contacts)
    with django_assert_num_queries(4):
        response = client.get("/commerce/orders/")
    assert response.status_code == 200
    assert [order.pk for order in response.context["orders"]] == [
        orders[3].pk,
        orders[2].pk,
        orders[1].pk,
    ]
    second = client.get(f"/commerce/orders/?{response.context['next_query']}")
    assert [order.pk for order in second.context["orders"]] == [orders[0].pk]
    assert second.context["next_cursor"] is None


def test_list_filters_by_status_and_jalali_dates(
    logged_in: Callable[[User], Client], admin_user: User
) -> None:
    contact = make_contact()
    paid = make_order(contact, placed_at=PLACED)  # 1405/02/11 in Tehran
    make_order(contact, placed_at=PLACED + datetime.timedelta(days=10), status="cancelled")
    client = logged_in(admin_user)
    by_date = client.get("/commerce/orders/?placed_from=1405/02/11&placed_to=1405/02/11")
    assert [order.pk for order in by_date.context["orders"]] == [paid.pk]
    purchases = client.get("/commerce/orders/?status=purchase")
    assert [order.pk for order in purchases.context["orders"]] == [paid.pk]


def test_detail_shows_lines_and_refunds_and_hides_others_orders(
    logged_in: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    seller, colleague = make_user(role=Role.SALES), make_user(role=Role.SALES)
    order = make_order(make_contact(owner=seller), number="1001")
    refund_record(actor=None, order=order, amount=37_000, reason="آسیب")
    theirs = make_order(make_contact(owner=colleague))
    client = logged_in(seller)
    with translation.override("fa"):
        page = client.get(f"/commerce/orders/{order.pk}/").content.decode()
    assert "#1001" in page
    assert "ماگ" in page
    assert "۳٬۷۰۰ تومان" in page
    assert "آسیب" in page
    assert client.get(f"/commerce/orders/{theirs.pk}/").status_code == 404


def test_cancel_from_the_page(logged_in: Callable[[User], Client], admin_user: User) -> None:
    order = make_order(make_contact(), status="pending")
    response = logged_in(admin_user).post(f"/commerce/orders/{order.pk}/cancel/")
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_read_only_users_cannot_cancel(
    logged_in: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    viewer = make_user(role=Role.READ_ONLY)
    order = make_order(make_contact(owner=viewer), status="pending")
    client = logged_in(viewer)
    assert client.get(f"/commerce/orders/{order.pk}/").status_code == 200
    assert client.post(f"/commerce/orders/{order.pk}/cancel/").status_code == 403
    assert Order.objects.get(pk=order.pk).status == "pending"


def test_contact_page_shows_the_purchases_card(
    logged_in: Callable[[User], Client], admin_user: User
) -> None:
    contact = make_contact()
    make_order(contact, placed_at=PLACED, number="1")
    second = make_order(contact, placed_at=PLACED + datetime.timedelta(days=31), number="2")
    refund_record(actor=None, order=second, amount=37_000)
    make_order(contact, status="cancelled", number="3")
    client = logged_in(admin_user)
    with translation.override("fa"):
        response = client.get(f"/contacts/{contact.pk}/")
    page = response.content.decode()
    summary = response.context["purchases"]["summary"]
    assert summary == {
        "count": 2,
        "net_total": 637_000,
        "first_at": PLACED,
        "last_at": PLACED + datetime.timedelta(days=31),
    }
    assert "۶۳٬۷۰۰ تومان" in page
    assert "۱۴۰۵/۰۲/۱۱" in page  # first purchase, Jalali
    assert "۱۴۰۵/۰۳/۱۱" in page  # last purchase
    assert len(response.context["purchases"]["orders"]) == 3


def test_navigation_has_orders(logged_in: Callable[[User], Client], admin_user: User) -> None:
    response = logged_in(admin_user).get("/commerce/orders/")
    assert "/commerce/orders/" in [item["url"] for item in response.context["nav_items"]]


def test_order_events_read_well_on_the_timeline(
    logged_in: Callable[[User], Client], admin_user: User
) -> None:
    contact = make_contact()
    make_order(contact, number="77")
    admin_user.language = "en"  # pages follow the user's language
    admin_user.save(update_fields=["language"])
    with translation.override("en"):
        response = logged_in(admin_user).get(f"/contacts/{contact.pk}/")
        purchase = next(e for e in response.context["events"] if e.verb == "order.purchased")
    with translation.override("en"):  # the request left the user's language active
        assert (str(purchase.label), purchase.icon, purchase.summary) == (
            "Purchase",
            "bag-check",
            "#77",
        )


def test_import_page_previews_imports_and_offers_the_rejects(
    logged_in: Callable[[User], Client], admin_user: User
) -> None:
    from urllib.parse import unquote

    from django.core.files.uploadedfile import SimpleUploadedFile

    content = (
        "order id,date,email,product,quantity,unit price\n"
        "W-1,1403/05/12,sara@example.ir,ماگ,2,150000\n"
        "W-2,1403/05/13,,کتاب,1,50000\n"
    ).encode()
    admin_user.language = "en"  # pages follow the user's language
    admin_user.save(update_fields=["language"])
    client = logged_in(admin_user)

    def upload(dry_run: bool) -> Any:
        data: dict[str, Any] = {
            "file": SimpleUploadedFile("orders.csv", content, content_type="text/csv"),
            "source": "import-web",
        }
        if dry_run:
            data["dry_run"] = "on"
        with translation.override("en"):
            return client.post("/commerce/orders/import/", data)

    preview = upload(dry_run=True)
    assert (preview.context["result"].created, Order.objects.count()) == (1, 0)
    done = upload(dry_run=False)
    result = done.context["result"]
    assert (result.created, [row.number for row in result.rejected]) == (1, [2])
    assert Order.objects.get().source == "import-web"
    rejects = unquote(done.context["rejects_href"].partition(",")[2])
    assert rejects.splitlines()[1].startswith("2,W-2,1403/05/13")
    assert "Give the customer's email or mobile number." in rejects


def test_import_page_needs_the_write_right(
    logged_in: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    client = logged_in(make_user(role=Role.SUPPORT))
    assert client.get("/commerce/orders/import/").status_code == 403
