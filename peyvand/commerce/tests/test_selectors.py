from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser

from peyvand.accounts.models import Role, User
from peyvand.commerce.selectors import orders_filtered, orders_visible_to
from peyvand.contacts.tests.factories import make_contact

from .factories import PLACED, make_order

pytestmark = pytest.mark.django_db


def test_visibility_follows_contacts_and_fails_closed(make_user: Callable[..., User]) -> None:
    seller = make_user(role=Role.SALES)
    mine = make_order(make_contact(owner=seller))
    make_order(make_contact(owner=make_user(role=Role.SALES)))
    assert list(orders_visible_to(seller)) == [mine]
    assert list(orders_visible_to(AnonymousUser())) == []
    assert list(orders_visible_to(None)) == []
    inactive = make_user(role=Role.ADMIN, is_active=False)
    assert list(orders_visible_to(inactive)) == []


def test_filters_use_local_days(make_user: Callable[..., User]) -> None:
    admin = make_user(role=Role.ADMIN)
    contact = make_contact()
    # 2026-05-01 21:00 UTC is already 2 May in Tehran.
    late = make_order(contact, placed_at=PLACED.replace(hour=21))
    early = make_order(contact, placed_at=PLACED)
    day = datetime.date(2026, 5, 1)
    assert list(orders_filtered(admin, {"placed_from": day, "placed_to": day})) == [early]
    next_day = datetime.date(2026, 5, 2)
    assert list(orders_filtered(admin, {"placed_from": next_day})) == [late]
    assert list(orders_filtered(admin, {"status": "purchase", "contact": str(contact.pk)})) == [
        late,
        early,
    ]
