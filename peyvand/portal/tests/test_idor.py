"""Every portal URL with an id, tried with another customer's record (and with records of
no customer, drafts and ids that do not exist): always a 404, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from peyvand.contacts.models import Contact
from peyvand.service.models import TicketStatus

from .factories import make_quote, open_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign(other_customer: Contact, smtp_settings: Any) -> dict[str, int]:
    """Ids the signed-in customer must never reach."""
    return {
        "theirs": open_ticket(other_customer, subject="محرمانه").pk,
        "nobody": open_ticket(None, subject="بی‌صاحب").pk,
        "quote": make_quote(other_customer, send_to="ali@example.ir").pk,
    }


@pytest.mark.parametrize("which", ["theirs", "nobody", "missing"])
def test_another_customer_s_ticket_is_not_found_anywhere(
    portal: Client, foreign: dict[str, int], which: str
) -> None:
    from peyvand.service.models import Ticket, TicketMessage

    ticket_id = foreign.get(which, 999_999)
    messages_before = TicketMessage.objects.count()
    assert portal.get(f"/portal/tickets/{ticket_id}/").status_code == 404
    reply = portal.post(
        f"/portal/tickets/{ticket_id}/reply/",
        {"message": "سلام", "once": "6f1c5a58-6f0a-4a55-9d38-2f1f3f1b9a01"},
    )
    assert reply.status_code == 404
    assert portal.post(f"/portal/tickets/{ticket_id}/solved/").status_code == 404
    assert TicketMessage.objects.count() == messages_before
    assert set(Ticket.objects.values_list("status", flat=True)) == {TicketStatus.NEW}


def test_another_customer_s_quote_is_not_found(portal: Client, foreign: dict[str, int]) -> None:
    assert portal.get(f"/portal/quotes/{foreign['quote']}/pdf/").status_code == 404
    assert portal.get("/portal/quotes/999999/pdf/").status_code == 404


def test_the_customer_s_own_draft_quote_is_not_found(portal: Client, customer: Contact) -> None:
    draft = make_quote(customer)
    assert portal.get(f"/portal/quotes/{draft.pk}/pdf/").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/portal/tickets/{ticket}/"),
        ("post", "/portal/tickets/{ticket}/reply/"),
        ("post", "/portal/tickets/{ticket}/solved/"),
        ("get", "/portal/quotes/{quote}/pdf/"),
    ],
)
def test_without_a_portal_sign_in_every_id_url_goes_to_the_sign_in_page(
    client: Client, customer: Contact, smtp_settings: Any, method: str, path: str
) -> None:
    url = path.format(
        ticket=open_ticket(customer).pk, quote=make_quote(customer, send_to="maryam@example.ir").pk
    )
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/sign-in/")
