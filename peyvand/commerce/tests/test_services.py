from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from peyvand.accounts.models import Role
from peyvand.commerce.models import Order, OrderLine, Refund
from peyvand.commerce.services import (
    VERB_PURCHASED,
    customer_contact,
    order_cancel,
    order_upsert,
    refund_record,
)
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.sales.models import Product
from peyvand.timeline.models import Event

from .factories import ONE_LINE, PLACED, make_order, order_values

pytestmark = pytest.mark.django_db


def _verbs(contact: Contact) -> list[str]:
    return list(
        Event.objects.filter(contact=contact, verb__startswith="order.")
        .order_by("id")
        .values_list("verb", flat=True)
    )


def test_a_paid_order_is_a_purchase_with_one_event_and_product_ids() -> None:
    product = Product.objects.create(code="MUG-1", name="ماگ", price=150_000)
    contact = make_contact()
    order = make_order(contact, external_id="W1", number="1001")
    line = OrderLine.objects.get(order=order)
    assert (line.product_id, line.quantity, line.unit_price, line.total) == (
        product.pk,
        2,
        150_000,
        300_000,
    )
    order = Order.objects.get(pk=order.pk)
    assert (order.total, order.refunded_total, order.net_total) == (337_000, 0, 337_000)
    event = Event.objects.get(contact=contact, verb=VERB_PURCHASED)
    assert event.payload == {
        "order": order.pk,
        "number": "1001",
        "source": "api",
        "total": 337_000,
        "net_total": 337_000,
        "placed_at": PLACED.isoformat(),
        "product_ids": [product.pk],
        "backfill": False,
    }
    assert order.purchased_at is not None


def test_same_data_twice_changes_nothing_and_writes_no_event() -> None:
    contact = make_contact()
    first = order_upsert(
        actor=None,
        source="api",
        external_id="A",
        contact=contact,
        values=order_values(),
        lines=ONE_LINE,
    )
    again = order_upsert(
        actor=None,
        source="api",
        external_id="A",
        contact=contact,
        values=order_values(),
        lines=ONE_LINE,
    )
    assert (first.outcome, again.outcome) == ("created", "unchanged")
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 1
    assert _verbs(contact) == [VERB_PURCHASED]


def test_pending_then_paid_announces_the_purchase_once() -> None:
    contact = make_contact()
    order = make_order(contact, external_id="P", status="pending")
    assert not Order.objects.purchases().exists()
    order_upsert(
        actor=None,
        source="api",
        external_id="P",
        contact=contact,
        values=order_values(status="paid"),
        lines=ONE_LINE,
    )
    order_upsert(
        actor=None,
        source="api",
        external_id="P",
        contact=contact,
        values=order_values(status="completed"),
        lines=ONE_LINE,
    )
    assert _verbs(contact) == ["order.created", VERB_PURCHASED, "order.status_changed"]
    changed = Event.objects.get(verb="order.status_changed")
    assert changed.payload["changes"] == {"status": ["paid", "completed"]}
    assert list(Order.objects.purchases()) == [Order.objects.get(pk=order.pk)]


def test_lines_are_replaced_together() -> None:
    contact = make_contact()
    order = make_order(contact, external_id="L")
    lines = [
        {"sku": "A", "name": "الف", "quantity": 1, "unit_price": 100_000},
        {"sku": "B", "name": "ب", "quantity": 4, "unit_price": 50_000},
    ]
    result = order_upsert(
        actor=None,
        source="api",
        external_id="L",
        contact=contact,
        values=order_values(),
        lines=lines,
    )
    assert result.outcome == "updated"
    assert list(order.lines.values_list("sku", "total")) == [("A", 100_000), ("B", 200_000)]
    event = Event.objects.filter(verb="order.updated").get()
    assert event.payload["changes"] == {"lines": [1, 2]}


def test_amounts_are_checked_by_field(english: None) -> None:
    contact = make_contact()
    with pytest.raises(ValidationError) as caught:
        order_upsert(
            actor=None,
            source="api",
            external_id="X",
            contact=contact,
            values=order_values(total=1),
            lines=ONE_LINE,
        )
    assert caught.value.message_dict == {
        "total": [
            "The total must be the subtotal less the discount plus shipping and tax (337000)."
        ]
    }
    with pytest.raises(ValidationError) as caught:
        order_upsert(
            actor=None,
            source="api",
            external_id="X",
            contact=contact,
            values=order_values(discount=-5),
            lines=[{"name": "", "quantity": 0, "unit_price": 10}],
        )
    assert caught.value.message_dict == {
        "discount": ["The amount cannot be negative."],
        "lines.0.name": ["Give the product's name or SKU."],
        "lines.0.quantity": ["The quantity must be at least 1."],
    }
    with pytest.raises(ValidationError) as caught:
        order_upsert(
            actor=None,
            source="api",
            external_id="X",
            contact=contact,
            values=order_values(),
            lines=[{"name": "x", "quantity": 1, "unit_price": 10}],
        )
    assert caught.value.message_dict == {"subtotal": ["The lines add up to 10, not the subtotal."]}
    assert Order.objects.count() == 0


def test_an_older_version_is_ignored() -> None:
    contact = make_contact()
    newer = datetime.datetime(2026, 5, 2, tzinfo=datetime.UTC)
    order_upsert(
        actor=None,
        source="api",
        external_id="S",
        contact=contact,
        values=order_values(status="completed"),
        lines=ONE_LINE,
        source_modified_at=newer,
    )
    result = order_upsert(
        actor=None,
        source="api",
        external_id="S",
        contact=contact,
        values=order_values(status="pending"),
        lines=ONE_LINE,
        source_modified_at=newer - datetime.timedelta(minutes=1),
    )
    assert result.outcome == "stale"
    assert Order.objects.get().status == "completed"


def test_refunds_are_idempotent_capped_and_set_the_status(english: None) -> None:
    contact = make_contact()
    order = make_order(contact)
    refund, created = refund_record(actor=None, order=order, amount=37_000, external_id="R1")
    again, created_again = refund_record(actor=None, order=order, amount=37_000, external_id="R1")
    assert (created, created_again, again.pk) == (True, False, refund.pk)
    order.refresh_from_db()
    assert (order.status, order.refunded_total, order.net_total) == (
        "partially_refunded",
        37_000,
        300_000,
    )
    assert Order.objects.purchases().purchase_summary()["net_total"] == 300_000
    with pytest.raises(ValidationError) as caught:
        refund_record(actor=None, order=order, amount=300_001)
    assert caught.value.message_dict == {
        "amount": ["Refunds cannot exceed the amount paid: 300000 can still be refunded."]
    }
    refund_record(actor=None, order=order, amount=300_000, external_id="R2")
    order.refresh_from_db()
    assert (order.status, order.net_total) == ("refunded", 0)
    assert not Order.objects.purchases().exists()
    assert Refund.objects.filter(order=order).count() == 2
    assert _verbs(contact) == [VERB_PURCHASED, "order.refunded", "order.refunded"]


def test_a_pending_order_cannot_be_refunded(english: None) -> None:
    order = make_order(make_contact(), status="pending")
    with pytest.raises(ValidationError) as caught:
        refund_record(actor=None, order=order, amount=1)
    assert caught.value.message_dict == {"order": ["Only a paid order can be refunded."]}


def test_cancel_once_with_an_event() -> None:
    contact = make_contact()
    order = make_order(contact)
    order_cancel(actor=None, order=order, reason="مشتری منصرف شد")
    order_cancel(actor=None, order=order)
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert _verbs(contact) == [VERB_PURCHASED, "order.cancelled"]
    assert Event.objects.get(verb="order.cancelled").payload["reason"] == "مشتری منصرف شد"


def test_people_need_the_write_right(make_user: Any) -> None:
    contact = make_contact()
    with pytest.raises(PermissionDenied):
        order_upsert(
            actor=make_user(role=Role.SUPPORT),
            source="api",
            external_id="Z",
            contact=contact,
            values=order_values(),
            lines=ONE_LINE,
        )


def test_customer_found_by_email_then_mobile_else_created(english: None) -> None:
    by_email = make_contact(emails=["sara@example.ir"], phones=["09121111111"])
    by_phone = make_contact(phones=["09122222222"])
    assert customer_contact(email=" Sara@Example.IR ", phone="09122222222") == by_email
    assert customer_contact(email="other@example.ir", phone="+98 912 222 2222") == by_phone
    created = customer_contact(email="new@example.ir", phone="", first_name="علي")
    assert (created.first_name, created.source) == ("علی", "website")
    assert list(created.emails.values_list("address", flat=True)) == ["new@example.ir"]
    assert customer_contact(email="NEW@example.ir") == created
    with pytest.raises(ValidationError) as caught:
        customer_contact(email="not an email", phone="12")
    assert caught.value.message_dict == {"email": ["Give the customer's email or mobile number."]}


def test_purchase_summary_per_contact() -> None:
    first, second = make_contact(), make_contact()
    make_order(first, placed_at=PLACED)
    make_order(first, placed_at=PLACED + datetime.timedelta(days=30))
    make_order(first, status="cancelled")
    make_order(second, status="pending")
    rows = list(Order.objects.per_contact())
    assert rows == [
        {
            "contact_id": first.pk,
            "orders": 2,
            "net_total": 674_000,
            "first_at": PLACED,
            "last_at": PLACED + datetime.timedelta(days=30),
        }
    ]
    summary = Order.objects.filter(contact=second).purchase_summary()
    assert summary == {"count": 0, "net_total": 0, "first_at": None, "last_at": None}


def test_the_same_instant_in_another_zone_is_no_change() -> None:
    contact = make_contact()
    make_order(contact, external_id="T")
    tehran = PLACED.astimezone(datetime.timezone(datetime.timedelta(hours=3, minutes=30)))
    result = order_upsert(
        actor=None,
        source="api",
        external_id="T",
        contact=contact,
        values=order_values(placed_at=tehran),
        lines=ONE_LINE,
    )
    assert result.outcome == "unchanged"
