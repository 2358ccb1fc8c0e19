"""Merging contacts moves their orders to the survivor; undo moves them back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from peyvand.accounts.models import User
from peyvand.commerce.models import Order
from peyvand.commerce.services import order_upsert
from peyvand.commerce.tests.factories import make_order
from peyvand.contacts.merging import contact_merge_undo, contacts_merge
from peyvand.contacts.models import Contact
from peyvand.contacts.services import contact_delete
from peyvand.contacts.tests.factories import make_contact
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db


def test_merge_moves_orders_and_undo_moves_them_back(admin_user: User) -> None:
    survivor, other = make_contact(), make_contact()
    kept = make_order(survivor, external_id="S1")
    moved = [make_order(other, external_id="O1"), make_order(other, external_id="O2")]
    merge = contacts_merge(actor=admin_user, survivor=survivor, others=[other])
    assert merge.moved["order"] == {str(order.pk): other.pk for order in moved}
    assert set(Order.objects.filter(contact=survivor).values_list("pk", flat=True)) == {
        kept.pk,
        *(order.pk for order in moved),
    }
    assert Order.objects.filter(contact=survivor).purchases().purchase_summary()["count"] == 3
    event = Event.objects.get(verb="contact.merged")
    assert event.payload["moved"]["order"] == 2

    contact_merge_undo(actor=admin_user, merge=merge)
    assert list(
        Order.objects.filter(contact=other).order_by("pk").values_list("pk", flat=True)
    ) == [order.pk for order in moved]
    assert list(Order.objects.filter(contact=survivor).values_list("pk", flat=True)) == [kept.pk]


def test_an_order_that_arrives_after_the_merge_stays_on_the_survivor(admin_user: User) -> None:
    survivor, other = make_contact(), make_contact()
    make_order(other, external_id="O1")
    merge = contacts_merge(actor=admin_user, survivor=survivor, others=[other])
    later = order_upsert(
        actor=None,
        source="api",
        external_id="O1",
        contact=survivor,
        values={
            "status": "completed",
            "placed_at": Order.objects.get().placed_at,
            "subtotal": 300_000,
            "discount": 20_000,
            "shipping": 30_000,
            "tax": 27_000,
            "total": 337_000,
        },
    )
    assert (later.outcome, later.order.contact_id) == ("updated", survivor.pk)
    contact_merge_undo(actor=admin_user, merge=merge)
    assert Order.objects.get().contact_id == other.pk


def test_a_contact_with_orders_is_not_deleted(
    admin_user: User, logged_in: Callable[[User], Client]
) -> None:
    contact = make_contact()
    make_order(contact)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        contact_delete(actor=admin_user, contact=contact)
    with translation.override("en"):
        assert caught.value.message_dict == {
            "contact": ["This contact has orders, so it cannot be deleted."]
        }
    response = logged_in(admin_user).post(f"/contacts/{contact.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert Contact.objects.filter(pk=contact.pk).exists()
