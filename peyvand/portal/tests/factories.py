"""Tickets and quotes for portal tests, made through the services."""

from __future__ import annotations

from typing import Any

from peyvand.contacts.models import Contact
from peyvand.sales.models import Quote
from peyvand.sales.quotes import quote_create, quote_send
from peyvand.sales.tests.factories import make_deal
from peyvand.service.models import Ticket
from peyvand.service.tickets import ticket_create


def open_ticket(
    contact: Contact | None,
    subject: str = "سفارش ۱۲۳ نرسیده",
    body: str = "سلام، سفارشم هنوز نرسیده است.",
    channel: str = "email",
) -> Ticket:
    return ticket_create(
        actor=None, values={"subject": subject, "contact": contact}, body=body, channel=channel
    )


def make_quote(contact: Contact, *, send_to: str | None = None, **values: Any) -> Quote:
    """A quote on a new deal of ``contact``; emailed (so "sent") when ``send_to`` is given,
    which needs the ``smtp_settings`` fixture."""
    deal = make_deal(contact=contact)
    quote = quote_create(
        actor=None,
        deal=deal,
        lines=[{"description": "پشتیبانی سالانه", "unit_price": 120_000_000, "quantity": 1}],
        values=values,
    )
    if send_to:
        quote = quote_send(actor=None, quote=quote, to=send_to)
    return quote
