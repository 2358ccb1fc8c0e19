"""A survey is created and emailed exactly once per resolution of a ticket, through the
real hook in ``ticket_set_status`` and the background task, to a real SMTP server."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from peyvand.common.persian import to_persian_digits
from peyvand.contacts.models import Contact
from peyvand.contacts.services import contact_set_consent
from peyvand.contacts.tests.factories import make_contact
from peyvand.feedback.models import Survey
from peyvand.feedback.surveys import survey_answer, survey_send, surveys_send_pending
from peyvand.feedback.tasks import send_resolution_survey
from peyvand.service.models import Ticket, TicketStatus
from peyvand.service.tickets import ticket_customer_message, ticket_set_status
from peyvand.timeline.models import Event

from .conftest import open_ticket

pytestmark = pytest.mark.django_db


def _links(message: Any) -> tuple[str, str]:
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    return html, text


def test_resolving_sends_one_farsi_survey_with_five_links(
    customer: Contact, resolve: Callable[..., Ticket], smtp_settings: Any
) -> None:
    ticket = resolve(open_ticket(contact=customer))

    survey = Survey.objects.get()
    assert survey.ticket == ticket
    assert survey.contact == customer
    assert survey.recipient == "maryam@example.ir"
    assert survey.kind == "csat" and survey.channel == "email"
    assert survey.sent_at is not None and survey.send_attempts == 1
    assert survey.resolved_at == ticket.resolved_at
    assert survey.expires_at - survey.created_at == pytest.approx(
        datetime.timedelta(days=30), abs=datetime.timedelta(seconds=1)
    )
    assert len(survey.token) == 43  # 256 random bits, URL-safe

    assert len(smtp_settings.messages) == 1
    recipients, message = smtp_settings.messages[0]
    assert recipients == ["maryam@example.ir"]
    number = to_persian_digits(str(ticket.pk))
    assert message["Subject"].strip() == f"نظرتان دربارهٔ پاسخ ما چیست؟ درخواست شمارهٔ {number}"
    html, text = _links(message)
    assert 'dir="rtl"' in html and 'lang="fa"' in html
    assert "مریم رضایی" in html
    base = f"https://crm.example.ir/feedback/{survey.token}/?score="
    for score in range(1, 6):
        assert f'href="{base}{score}"' in html
        assert f"{base}{score}" in text
    assert html.count(base) == 5 and text.count(base) == 5
    sent = Event.objects.filter(verb="feedback.csat_sent")
    assert list(sent.values_list("subject_type", "subject_id", "contact_id")) == [
        ("ticket", ticket.pk, customer.pk)
    ]


def test_a_second_call_or_a_retried_task_sends_nothing_twice(
    customer: Contact,
    resolve: Callable[..., Ticket],
    smtp_settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ticket = resolve(open_ticket(contact=customer))
    resolve(ticket)  # already resolved: nothing changes
    send_resolution_survey.call(ticket.pk)  # the worker retrying the task
    send_resolution_survey.call(ticket.pk)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(actor=None, ticket=ticket, status=TicketStatus.CLOSED)

    assert Survey.objects.count() == 1
    assert len(smtp_settings.messages) == 1
    survey = Survey.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Survey.objects.create(
            ticket=ticket,
            resolved_at=survey.resolved_at,
            recipient="x@example.ir",
            expires_at=survey.expires_at,
        )


def test_a_ticket_resolved_again_after_the_customer_wrote_gets_a_new_survey(
    customer: Contact, resolve: Callable[..., Ticket], smtp_settings: Any
) -> None:
    ticket = resolve(open_ticket(contact=customer))
    ticket_customer_message(ticket=ticket, body="هنوز مشکل دارم")
    resolve(ticket)

    assert Survey.objects.filter(ticket=ticket).count() == 2
    assert len(smtp_settings.messages) == 2
    first, second = Survey.objects.order_by("id")
    assert first.token != second.token


def test_the_requester_address_wins_over_the_contact_address(
    customer: Contact, resolve: Callable[..., Ticket], smtp_settings: Any
) -> None:
    resolve(open_ticket(contact=customer, requester_email="Maryam.Work@Example.ir"))
    assert smtp_settings.messages[0][0] == ["maryam.work@example.ir"]


def test_no_survey_without_an_email_address(
    resolve: Callable[..., Ticket], smtp_settings: Any
) -> None:
    phone_only = make_contact(first_name="علی", emails=[])
    resolve(open_ticket(contact=phone_only))
    resolve(open_ticket())
    assert Survey.objects.count() == 0
    assert smtp_settings.messages == []


def test_no_survey_for_a_customer_who_opted_out_of_email(
    customer: Contact, resolve: Callable[..., Ticket], smtp_settings: Any
) -> None:
    contact_set_consent(
        actor=None, contact=customer, channel="email", status="withdrawn", method="unsubscribe"
    )
    resolve(open_ticket(contact=customer))
    # The same address written from without the contact linked is still opted out.
    resolve(open_ticket(requester_email="maryam@example.ir"))
    assert Survey.objects.count() == 0
    assert smtp_settings.messages == []


def test_opting_in_again_or_consent_on_another_channel_does_not_block(
    customer: Contact, resolve: Callable[..., Ticket], smtp_settings: Any
) -> None:
    contact_set_consent(
        actor=None, contact=customer, channel="sms", status="withdrawn", method="sms_keyword"
    )
    resolve(open_ticket(contact=customer))
    assert len(smtp_settings.messages) == 1


def test_only_resolving_sends_a_survey(
    customer: Contact, smtp_settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = open_ticket(contact=customer)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(actor=None, ticket=ticket, status=TicketStatus.WAITING)
        ticket_set_status(actor=None, ticket=ticket, status=TicketStatus.CLOSED)
    assert Survey.objects.count() == 0


def test_a_rolled_back_resolution_sends_nothing(customer: Contact, smtp_settings: Any) -> None:
    ticket = open_ticket(contact=customer)
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket_set_status(actor=None, ticket=ticket, status=TicketStatus.RESOLVED)
        raise RuntimeError("crash before commit")
    assert Survey.objects.count() == 0
    assert smtp_settings.messages == []


def test_a_failed_send_is_retried_by_the_worker_and_sent_once(
    customer: Contact,
    resolve: Callable[..., Ticket],
    smtp_settings: Any,
    settings: Any,
) -> None:
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9  # nothing listens there: the connection is refused
    ticket = resolve(open_ticket(contact=customer))
    survey = Survey.objects.get(ticket=ticket)
    assert survey.sent_at is None and survey.send_attempts == 1
    assert survey.send_error != ""
    assert not Event.objects.filter(verb="feedback.csat_sent").exists()

    settings.EMAIL_PORT = port
    assert surveys_send_pending() == 1
    assert surveys_send_pending() == 0
    survey.refresh_from_db()
    assert survey.sent_at is not None and survey.send_attempts == 2 and survey.send_error == ""
    assert len(smtp_settings.messages) == 1


def test_the_worker_gives_up_after_three_attempts_and_on_expired_surveys(
    customer: Contact, resolve: Callable[..., Ticket], smtp_settings: Any, settings: Any
) -> None:
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9
    ticket = resolve(open_ticket(contact=customer))
    assert surveys_send_pending() == 0
    assert surveys_send_pending() == 0
    survey = Survey.objects.get(ticket=ticket)
    assert survey.send_attempts == 3
    settings.EMAIL_PORT = port
    assert surveys_send_pending() == 0

    Survey.objects.filter(pk=survey.pk).update(send_attempts=1)
    later = timezone.now() + datetime.timedelta(days=31)
    assert surveys_send_pending(now=later) == 0
    assert smtp_settings.messages == []


BROKEN_ADDRESS = "maryam@@example.ir"


def test_a_malformed_address_releases_the_claim_and_records_the_error(
    customer: Contact, resolve: Callable[..., Ticket], smtp_settings: Any
) -> None:
    """A ``ValueError`` (not the mail server) used to leave the survey claimed forever."""
    ticket = open_ticket(contact=customer)
    Ticket.objects.filter(pk=ticket.pk).update(requester_email=BROKEN_ADDRESS)  # legacy data
    resolve(ticket)  # the task fails; the resolution itself stands

    survey = Survey.objects.get(ticket=ticket)
    assert (survey.sent_at, survey.send_started_at, survey.send_attempts) == (None, None, 1)
    assert survey.send_error == 'Invalid address "maryam@@example.ir"'
    assert smtp_settings.messages == []
    assert not Event.objects.filter(verb="feedback.csat_sent").exists()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED

    # Called directly, the error is raised (after the claim is released again).
    with pytest.raises(ValueError, match="Invalid address"):
        survey_send(survey=survey)
    survey.refresh_from_db()
    assert (survey.send_started_at, survey.send_attempts) == (None, 2)

    # Once the address is corrected, the worker's retry sends it.
    Survey.objects.filter(pk=survey.pk).update(recipient="maryam@example.ir")
    assert surveys_send_pending() == 1
    survey.refresh_from_db()
    assert survey.sent_at is not None and survey.send_error == "" and survey.send_attempts == 3
    assert [recipients for recipients, _message in smtp_settings.messages] == [
        ["maryam@example.ir"]
    ]


def test_a_survey_failing_in_the_retry_does_not_hold_up_the_others(
    customer: Contact,
    resolve: Callable[..., Ticket],
    smtp_settings: Any,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9  # both first sends fail: the server is down
    broken = resolve(open_ticket(contact=customer))
    working = resolve(open_ticket(contact=customer))
    first, second = Survey.objects.order_by("id")
    assert (first.ticket, second.ticket) == (broken, working)
    Survey.objects.filter(pk=first.pk).update(recipient=BROKEN_ADDRESS)
    settings.EMAIL_PORT = port

    assert surveys_send_pending() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.sent_at, first.send_started_at, first.send_attempts) == (None, None, 2)
    assert first.send_error == 'Invalid address "maryam@@example.ir"'
    assert second.sent_at is not None and second.send_attempts == 2
    assert [recipients for recipients, _message in smtp_settings.messages] == [
        ["maryam@example.ir"]
    ]
    assert f"survey {first.pk} could not be sent" in caplog.text


def test_the_retry_skips_surveys_of_tickets_reopened_since(
    customer: Contact, resolve: Callable[..., Ticket], smtp_settings: Any, settings: Any
) -> None:
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9
    reopened = resolve(open_ticket(contact=customer))
    closed = resolve(open_ticket(contact=customer))
    ticket_customer_message(ticket=reopened, body="هنوز مشکل دارم")  # opens it again
    ticket_set_status(actor=None, ticket=closed, status=TicketStatus.CLOSED)
    settings.EMAIL_PORT = port

    # Only the closed ticket's survey is sent: it is still the same resolution.
    assert surveys_send_pending() == 1
    assert Survey.objects.get(ticket=reopened).sent_at is None
    assert Survey.objects.get(ticket=closed).sent_at is not None

    # Resolved again: the new resolution's survey is sent, never the old one.
    resolve(reopened)
    old, new = Survey.objects.filter(ticket=reopened).order_by("id")
    assert (old.sent_at, new.sent_at is not None) == (None, True)
    assert surveys_send_pending() == 0
    old.refresh_from_db()
    assert old.sent_at is None and old.send_attempts == 1
    assert len(smtp_settings.messages) == 2


def test_the_retry_skips_a_survey_already_answered_through_the_portal_link(
    customer: Contact, resolve: Callable[..., Ticket], smtp_settings: Any, settings: Any
) -> None:
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9
    ticket = resolve(open_ticket(contact=customer))
    survey = Survey.objects.get(ticket=ticket)
    survey_answer(survey=survey, score=5)  # the customer used the portal's link meanwhile
    settings.EMAIL_PORT = port
    assert surveys_send_pending() == 0
    assert smtp_settings.messages == []
