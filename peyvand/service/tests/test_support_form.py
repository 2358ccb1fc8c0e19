"""The public support form: a visitor's request becomes a web ticket linked to their
contact (recognised by a normalized email or mobile, or created), with errors by field in
Farsi, a silent honeypot and a per-address limit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.service.models import Ticket

pytestmark = pytest.mark.django_db

URL = "/support/"


def farsi_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="fa")


def request_data(**changes: Any) -> dict[str, str]:
    data = {
        "name": "زهرا محمدی",
        "email": "",
        "mobile": "۰۹۱۲ ۳۴۵ ۶۷۸۹",
        "subject": "پیگیری سفارش",
        "message": "سفارش ۵۵۵ را کی تحویل می‌دهید؟",
        "website": "",
    }
    data.update(changes)
    return data


def test_a_returning_customer_is_recognised_by_any_digit_form_of_their_mobile() -> None:
    customer = make_contact(first_name="زهرا", phones=["09123456789"])
    response = farsi_client().post(URL, request_data())
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.contact, ticket.channel, ticket.requester_phone) == (
        customer,
        "web",
        "+989123456789",
    )
    assert f"#{ticket.pk}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in (
        response.content.decode()
    )
    assert ticket.first_response_due is not None


def test_a_new_sender_becomes_a_contact() -> None:
    farsi_client().post(URL, request_data(mobile="", email=" Zahra@Example.IR "))
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name, contact.source) == ("زهرا", "محمدی", "website")
    assert list(contact.emails.values_list("address", flat=True)) == ["zahra@example.ir"]
    assert Ticket.objects.get().requester_email == "zahra@example.ir"


def test_errors_name_the_field_in_farsi_and_nothing_is_saved() -> None:
    response = farsi_client().post(URL, request_data(mobile="12345", subject=""))
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert set(errors) == {"mobile", "subject"}
    assert errors["subject"] == ["این فیلد الزامی است."]
    unreachable = farsi_client().post(URL, request_data(mobile="", email=""))
    assert unreachable.context["form"].errors["email"] == [
        "یک ایمیل یا شمارهٔ موبایل بدهید تا بتوانیم پاسخ دهیم."
    ]
    assert not Ticket.objects.exists() and not Contact.objects.exists()


def test_bots_get_a_thank_you_and_floods_get_429(settings: Any) -> None:
    bot = farsi_client().post(URL, request_data(website="http://spam.example"))
    assert bot.status_code == 200 and 'id="support-done"' in bot.content.decode()
    assert not Ticket.objects.exists()
    settings.PEYVAND_FORM_SUBMISSIONS_PER_ADDRESS = 2
    client = farsi_client()
    client.post(URL, request_data())
    client.post(URL, request_data())
    assert client.post(URL, request_data()).status_code == 429
    assert Ticket.objects.count() == 1  # the bot's attempt counted too
