"""Tickets for tests, made through the services."""

from __future__ import annotations

from typing import Any

from peyvand.service.models import Ticket
from peyvand.service.tickets import ticket_create


def make_ticket(actor: Any = None, **values: Any) -> Ticket:
    """A ticket with the customer's first message; ``body``, ``channel``,
    ``requester_email`` and ``is_complaint`` go to ``ticket_create``, the rest are values."""
    body = values.pop("body", "سلام، سفارشم هنوز نرسیده است.")
    channel = values.pop("channel", "email")
    requester_email = values.pop("requester_email", "customer@example.ir")
    is_complaint = values.pop("is_complaint", False)
    values.setdefault("subject", "سفارش ۱۲۳ نرسیده")
    return ticket_create(
        actor=actor,
        values=values,
        body=body,
        channel=channel,
        requester_email=requester_email,
        is_complaint=is_complaint,
    )
