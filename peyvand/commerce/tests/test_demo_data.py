from __future__ import annotations

import datetime

import pytest
from django.db.models import Max
from django.utils import timezone

from peyvand.commerce.demo_data import seed_commerce_demo
from peyvand.commerce.models import Order
from peyvand.contacts.tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_demo_orders_have_loyal_and_lapsed_customers_and_reseeding_adds_nothing() -> None:
    contacts = [make_contact() for _ in range(30)]
    made = seed_commerce_demo(seed=1403, contacts=contacts)
    assert made == Order.objects.count()
    now = timezone.now()
    assert Order.objects.filter(placed_at__lt=now - datetime.timedelta(days=549)).count() == 0
    rows = list(Order.objects.per_contact())
    last_by_contact = {row["contact_id"]: row for row in rows}
    loyal = [
        row
        for row in rows
        if row["orders"] >= 8 and now - row["last_at"] < datetime.timedelta(days=30)
    ]
    lapsed = [
        row
        for row in rows
        if row["orders"] >= 3 and now - row["last_at"] > datetime.timedelta(days=200)
    ]
    assert loyal and lapsed
    assert len(last_by_contact) < len(contacts)  # some never bought
    for order in Order.objects.prefetch_related("lines"):
        assert order.total == order.subtotal - order.discount + order.shipping + order.tax
        assert sum(line.total for line in order.lines.all()) == order.subtotal
    assert Order.objects.aggregate(Max("placed_at"))["placed_at__max"] <= now
    assert seed_commerce_demo(seed=1403, contacts=contacts) == made
    assert Order.objects.count() == made
