"""The demo seed leaves one customer who can sign in with the email the README names."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from peyvand.contacts.demo_data import seed_demo_data
from peyvand.contacts.models import Contact
from peyvand.portal.demo_data import DEMO_CUSTOMER_EMAIL, seed_portal_demo

from .conftest import enter_code, last_code, request_code

pytestmark = pytest.mark.django_db


def test_the_seeded_demo_customer_signs_in_and_sees_tickets_and_a_quote(
    smtp_settings: Any,
) -> None:
    seed_demo_data(contacts=6, seed=5)
    assert Contact.objects.count() == 6
    customer = Contact.objects.get(emails__address="moshtari@example.ir")
    assert DEMO_CUSTOMER_EMAIL == "moshtari@example.ir"
    client = Client()
    request_code(client, "moshtari@example.ir")
    response = enter_code(client, last_code(smtp_settings, "moshtari@example.ir"))
    assert response["Location"] == "/portal/tickets/"
    tickets = client.get("/portal/tickets/").content.decode()
    assert tickets.count('data-ticket="') == 2
    thread = client.get(f"/portal/tickets/{customer.tickets.order_by('id').first().pk}/")
    text = thread.content.decode()
    assert "بسته دیروز ارسال شد" in text and "انبار تأیید کرد" not in text
    assert client.get("/portal/quotes/").content.decode().count('data-quote="') == 1
    # Seeding again finds the same customer and adds nothing.
    assert seed_portal_demo(Contact.objects.exclude(pk=customer.pk).first()) == customer
    assert customer.tickets.count() == 2
