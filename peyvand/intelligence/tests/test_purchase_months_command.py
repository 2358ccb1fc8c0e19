"""``peyvand purchase_months rebuild`` brings the rollup back in step with orders written
behind the services' back."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from peyvand.commerce.models import Order, OrderStatus
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence.models import PurchaseMonth

pytestmark = pytest.mark.django_db


def test_rebuild_counts_orders_loaded_straight_into_the_table() -> None:
    contact = make_contact()
    placed = datetime.datetime(2026, 5, 1, 9, 0, tzinfo=datetime.UTC)
    for number, total in enumerate((1000, 2500)):
        Order.objects.create(
            contact=contact,
            source="load",
            external_id=str(number),
            status=OrderStatus.COMPLETED,
            placed_at=placed + datetime.timedelta(days=number),
            subtotal=total,
            total=total,
        )
    assert not PurchaseMonth.objects.exists()
    out = StringIO()
    call_command("purchase_months", "rebuild", stdout=out)
    assert out.getvalue().startswith("1 rows")
    row = PurchaseMonth.objects.get()
    assert (row.contact_id, row.orders, row.net_total, row.days) == (contact.pk, 2, 3500, 2)
    assert row.first_month == row.month and row.next_month is None
