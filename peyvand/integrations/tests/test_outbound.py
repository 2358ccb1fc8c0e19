"""Emails the desk sends, received by a real local SMTP server: the acknowledgement of a
ticket opened by email, an agent's reply (threading headers, text and RTL HTML parts,
attachments, portal link), the customer's answer threading back, exactly-once sending
under repeated tasks, and bounded retries with the error kept."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from peyvand.integrations.inbound_email import inbound_email_receive
from peyvand.integrations.models import TicketAcknowledgement
from peyvand.integrations.tasks import acknowledgement_send, reply_email
from peyvand.service.attachments import attachment_store
from peyvand.service.models import Ticket, TicketMessage
from peyvand.service.tickets import ticket_create, ticket_reply

from . import samples

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = IMMEDIATE


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[..., datetime.datetime]:
    def set_now(*parts: int) -> datetime.datetime:
        instant = datetime.datetime(*parts, tzinfo=TEHRAN)
        monkeypatch.setattr(timezone, "now", lambda: instant)
        return instant

    return set_now


def texts(message: Any) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return plain.replace("\r\n", "\n"), html.replace("\r\n", "\n")


def test_threading_both_ways_through_smtp(
    smtp_settings: Any,
    immediate_tasks: None,
    admin_user: Any,
    django_capture_on_commit_callbacks: Any,
    at: Callable[..., datetime.datetime],
) -> None:
    at(2026, 11, 25, 15)  # Wednesday 4 Azar 1405, 15:00
    with django_capture_on_commit_callbacks(execute=True):
        ticket = inbound_email_receive(raw=samples.gmail_new(), source="imap").ticket
    assert ticket is not None

    # 1. The acknowledgement, at once, with the first-response time in Jalali.
    [(recipients, acknowledgement)] = smtp_settings.messages
    assert recipients == ["ali.rezaei@gmail.com"]
    assert acknowledgement["Subject"].strip() == f"Re: [#{ticket.pk}] مشکل در ورود به حساب"
    assert acknowledgement["From"].addresses[0].addr_spec == "support@peyvand.test"
    assert acknowledgement["In-Reply-To"] == "<CAJx9kq1=new@mail.gmail.com>"
    assert acknowledgement["Auto-Submitted"] == "auto-replied"
    stored = TicketAcknowledgement.objects.get()
    assert acknowledgement["Message-ID"] == stored.message_id
    assert stored.sent_at is not None
    plain, html = texts(acknowledgement)
    number = str(ticket.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert f"درخواست شما به شمارهٔ {number} («مشکل در ورود به حساب») دریافت شد." in plain
    assert "پاسخ ما تا ۱۴۰۵/۰۹/۰۵ ۱۱:۰۰ به دستتان می‌رسد." in plain
    assert plain.startswith("سلام علی رضایی،")
    assert 'dir="rtl"' in html and "۱۴۰۵/۰۹/۰۵ ۱۱:۰۰" in html

    # 2. The agent's reply, with an attachment stored in the same transaction.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        reply = ticket_reply(actor=admin_user, ticket=ticket, body="سلام\nرمز را بازنشانی کنید.")
        attachment_store(
            ticket=ticket,
            message=reply,
            name="راهنما.pdf",
            content=samples.PDF,
            content_type="application/pdf",
        )
    assert len(smtp_settings.messages) == 2
    recipients, email = smtp_settings.messages[1]
    reply.refresh_from_db()
    assert recipients == ["ali.rezaei@gmail.com"]
    assert email["Subject"].strip() == f"Re: [#{ticket.pk}] مشکل در ورود به حساب"
    assert email["Message-ID"] == reply.message_id
    assert reply.message_id.endswith("@peyvand.test>")
    assert email["In-Reply-To"] == "<CAJx9kq1=new@mail.gmail.com>"
    assert email["References"] == f"<CAJx9kq1=new@mail.gmail.com> {stored.message_id}"
    assert reply.emailed_at is not None and reply.email_error == ""
    plain, html = texts(email)
    assert plain.startswith("سلام\nرمز را بازنشانی کنید.\n\n-- \n")
    assert f"درخواست {number}: مشکل در ورود به حساب" in plain
    assert "<p>سلام<br>رمز را بازنشانی کنید.</p>" in html and 'dir="rtl"' in html
    [attached] = list(email.iter_attachments())
    assert attached.get_filename() == "راهنما.pdf"
    assert attached.get_content() == samples.PDF

    # 3. The customer answers that email: the answer lands on the same ticket.
    with django_capture_on_commit_callbacks(execute=True):
        answer = inbound_email_receive(
            raw=samples.gmail_reply_fa(
                in_reply_to=email["Message-ID"], subject="Re: no token here"
            ),
            source="imap",
        )
    assert (answer.outcome, answer.ticket) == ("added", ticket)
    assert Ticket.objects.count() == 1
    assert len(smtp_settings.messages) == 2  # no second acknowledgement


def test_internal_notes_and_tickets_without_an_address_send_nothing(
    smtp_settings: Any,
    immediate_tasks: None,
    admin_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ticket = ticket_create(actor=admin_user, values={"subject": "تلفنی"}, body="x", channel="phone")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ticket_reply(actor=admin_user, ticket=ticket, body="پاسخ")
        ticket_reply(actor=admin_user, ticket=ticket, body="یادداشت", internal=True)
    assert callbacks == []
    assert smtp_settings.messages == []


def test_the_reply_links_to_the_ticket_in_the_portal(
    smtp_settings: Any,
    immediate_tasks: None,
    admin_user: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    settings.PEYVAND_PUBLIC_URL = "https://help.example.ir"
    ticket = ticket_create(
        actor=admin_user,
        values={"subject": "x"},
        body="y",
        channel="email",
        requester_email="c@example.ir",
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(actor=admin_user, ticket=ticket, body="پاسخ")
    plain, _html = texts(smtp_settings.messages[0][1])
    assert f"https://help.example.ir/portal/tickets/{ticket.pk}/" in plain


def test_a_repeated_or_duplicated_task_sends_once(
    smtp_settings: Any, immediate_tasks: None, admin_user: Any
) -> None:
    ticket = ticket_create(
        actor=admin_user,
        values={"subject": "x"},
        body="y",
        channel="email",
        requester_email="c@example.ir",
    )
    reply = ticket_reply(actor=admin_user, ticket=ticket, body="پاسخ")  # on_commit never runs
    assert reply_email.call(reply.pk) == "sent"
    assert reply_email.call(reply.pk) == "already sent"
    reply_email.enqueue(reply.pk)
    reply_email.enqueue(reply.pk)
    assert len(smtp_settings.messages) == 1
    first_id = TicketMessage.objects.get(pk=reply.pk).message_id
    assert smtp_settings.messages[0][1]["Message-ID"] == first_id


def test_a_failed_send_keeps_the_error_and_is_retried_a_bounded_number_of_times(
    smtp_inbox: Any, settings: Any, admin_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp_inbox
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", samples_closed_port()
    monkeypatch.setenv("PEYVAND_SUPPORT_EMAIL_ATTEMPTS", "3")
    ticket = ticket_create(
        actor=admin_user,
        values={"subject": "x"},
        body="y",
        channel="email",
        requester_email="c@example.ir",
    )
    reply = ticket_reply(actor=admin_user, ticket=ticket, body="پاسخ")

    assert reply_email.call(reply.pk) == "retrying"
    reply.refresh_from_db()
    assert reply.emailed_at is None
    assert "refused" in reply.email_error.lower()
    [queued] = DBTaskResult.objects.all()
    assert queued.args_kwargs == {"args": [reply.pk, 2], "kwargs": {}}
    assert queued.run_after > timezone.now()

    assert reply_email.call(reply.pk, 3) == "failed"  # the last try queues nothing more
    assert DBTaskResult.objects.count() == 1

    # The server is back: the retry sends it, once, and clears the error.
    settings.EMAIL_PORT = port
    assert reply_email.call(reply.pk, 2) == "sent"
    reply.refresh_from_db()
    assert reply.emailed_at is not None and reply.email_error == ""
    assert len(inbox.messages) == 1


def test_the_acknowledgement_is_sent_once(smtp_settings: Any, immediate_tasks: None) -> None:
    inbound_email_receive(raw=samples.gmail_new(), source="imap")  # on_commit never runs
    acknowledgement = TicketAcknowledgement.objects.get()
    assert acknowledgement_send.call(acknowledgement.pk) == "sent"
    assert acknowledgement_send.call(acknowledgement.pk) == "already sent"
    assert len(smtp_settings.messages) == 1


def samples_closed_port() -> int:
    """A local port nobody listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_any_failure_releases_the_claim_and_keeps_the_error(
    smtp_settings: Any, admin_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peyvand.integrations import outbound

    ticket = receive_ticket()
    reply = ticket_reply(actor=admin_user, ticket=ticket, body="پاسخ")  # on_commit never runs
    acknowledgement = TicketAcknowledgement.objects.get()

    def broken(item: object) -> object:
        raise ValueError("Header values may not contain linefeed")

    builders = (outbound.reply_email_build, outbound.acknowledgement_email_build)
    monkeypatch.setattr(outbound, "reply_email_build", broken)
    monkeypatch.setattr(outbound, "acknowledgement_email_build", broken)
    with pytest.raises(ValueError, match="linefeed"):
        outbound.reply_email_send(reply.pk)
    with pytest.raises(ValueError, match="linefeed"):
        outbound.acknowledgement_send(acknowledgement.pk)

    reply.refresh_from_db()
    acknowledgement.refresh_from_db()
    assert (reply.emailed_at, reply.email_error) == (
        None,
        "Header values may not contain linefeed",
    )
    assert (acknowledgement.sent_at, acknowledgement.error) == (
        None,
        "Header values may not contain linefeed",
    )
    assert smtp_settings.messages == []

    # Fixed: both go, once.
    monkeypatch.setattr(outbound, "reply_email_build", builders[0])
    monkeypatch.setattr(outbound, "acknowledgement_email_build", builders[1])
    assert outbound.reply_email_send(reply.pk) == "sent"
    assert outbound.acknowledgement_send(acknowledgement.pk) == "sent"
    assert len(smtp_settings.messages) == 2


def receive_ticket() -> Ticket:
    ticket = inbound_email_receive(raw=samples.gmail_new(), source="imap").ticket
    assert ticket is not None
    return ticket
