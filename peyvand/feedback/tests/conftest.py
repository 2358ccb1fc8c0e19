"""Feedback tests: tickets resolved through the service, surveys run by the immediate task
backend (as the worker would), email to the local SMTP server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from peyvand.accounts.models import User
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.feedback.models import Survey
from peyvand.service.models import Ticket, TicketStatus
from peyvand.service.tickets import ticket_create, ticket_set_status


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PEYVAND_PUBLIC_URL = "https://crm.example.ir"


def open_ticket(
    *, contact: Contact | None = None, requester_email: str = "", **values: Any
) -> Ticket:
    values.setdefault("subject", "سفارش ۱۲۳ نرسیده")
    if contact is not None:
        values["contact"] = contact
    return ticket_create(
        actor=None,
        values=values,
        body="سلام، سفارشم هنوز نرسیده است.",
        channel="email",
        requester_email=requester_email,
    )


@pytest.fixture
def resolve(django_capture_on_commit_callbacks: Any) -> Callable[..., Ticket]:
    """Resolve a ticket and run what waits for the commit (the survey task)."""

    def run(ticket: Ticket, actor: User | None = None) -> Ticket:
        with django_capture_on_commit_callbacks(execute=True):
            return ticket_set_status(actor=actor, ticket=ticket, status=TicketStatus.RESOLVED)

    return run


@pytest.fixture
def customer(db: Any) -> Contact:
    return make_contact(first_name="مریم", last_name="رضایی", emails=["maryam@example.ir"])


@pytest.fixture
def survey_of(
    customer: Contact, resolve: Callable[..., Ticket], smtp_settings: Any
) -> Callable[..., Survey]:
    """A sent survey of a freshly resolved ticket of ``customer``."""

    def make(**values: Any) -> Survey:
        ticket = resolve(open_ticket(contact=customer, **values))
        return Survey.objects.get(ticket=ticket)

    return make
