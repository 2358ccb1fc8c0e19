"""Inbound email → tickets through ``inbound_email_receive``: a new ticket with its SLA
clocks and contact, threading by Message-ID and by the subject token (never into another
customer's ticket), attachments kept or refused with a note, automatic mail skipped, and
the same message twice or a crash part way leaving exactly one result."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.integrations import inbound_email
from peyvand.integrations.inbound_email import inbound_email_receive
from peyvand.integrations.models import InboundEmail, TicketAcknowledgement
from peyvand.service.models import (
    MessageKind,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketStatus,
)
from peyvand.service.tickets import MAX_BODY, ticket_reply, ticket_set_status
from peyvand.timeline.models import Event

from . import samples

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[..., datetime.datetime]:
    def set_now(*parts: int) -> datetime.datetime:
        instant = datetime.datetime(*parts, tzinfo=TEHRAN)
        monkeypatch.setattr(timezone, "now", lambda: instant)
        return instant

    return set_now


def receive(raw: bytes) -> inbound_email.InboundResult:
    return inbound_email_receive(raw=raw, source="imap")


def test_a_new_email_opens_a_ticket_with_sla_clocks_and_a_new_contact(
    at: Callable[..., datetime.datetime],
) -> None:
    at(2026, 11, 25, 15)  # Wednesday 4 Azar 1405, 15:00
    result = receive(samples.gmail_new())

    assert (result.outcome, result.duplicate) == ("created", False)
    ticket = Ticket.objects.get()
    assert result.ticket == ticket
    assert (ticket.subject, ticket.channel, ticket.status) == (
        "مشکل در ورود به حساب",
        "email",
        "new",
    )
    assert ticket.requester_email == "ali.rezaei@gmail.com"
    assert ticket.first_response_due == datetime.datetime(2026, 11, 26, 11, tzinfo=TEHRAN)
    assert ticket.resolution_due == datetime.datetime(2026, 11, 30, 11, tzinfo=TEHRAN)
    contact = Contact.objects.get()
    assert ticket.contact == contact
    assert (contact.first_name, contact.last_name) == ("علی", "رضایی")
    assert list(contact.emails.values_list("address", flat=True)) == ["ali.rezaei@gmail.com"]
    message = ticket.messages.get()
    assert (message.kind, message.from_email) == ("customer", "ali.rezaei@gmail.com")
    assert message.body == "سلام\nنمی\u200cتوانم وارد حسابم شوم. لطفاً راهنمایی کنید.\nممنون"
    assert message.message_id == "<CAJx9kq1=new@mail.gmail.com>"
    record = InboundEmail.objects.get()
    assert (record.outcome, record.ticket, record.ticket_message) == ("created", ticket, message)
    assert (record.source, record.from_email) == ("imap", "ali.rezaei@gmail.com")
    acknowledgement = TicketAcknowledgement.objects.get()
    assert acknowledgement.ticket == ticket
    assert acknowledgement.to_email == "ali.rezaei@gmail.com"
    assert acknowledgement.message_id.endswith("@peyvand.test>")
    assert acknowledgement.sent_at is None
    assert Event.objects.filter(verb="ticket.created", contact=contact).count() == 1


def test_an_existing_contact_is_linked_by_email_not_duplicated() -> None:
    known = make_contact(first_name="سارا", last_name="احمدی", emails=["SARA@company.ir"])
    result = receive(samples.outlook_reply_en(subject="Invoice question"))
    assert result.ticket is not None and result.ticket.contact == known
    assert Contact.objects.count() == 1


def test_a_sender_without_a_name_becomes_a_contact_named_by_the_address() -> None:
    receive(samples.iso_8859_6())
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name) == ("", "hamed")


def test_a_reply_threads_by_in_reply_to_and_reopens_a_waiting_ticket(admin_user: Any) -> None:
    ticket = receive(samples.gmail_new()).ticket
    assert ticket is not None
    reply = ticket_reply(
        actor=admin_user,
        ticket=ticket,
        body="لطفاً رمز را بازنشانی کنید.",
        message_id="<r1@peyvand.test>",
    )
    ticket_set_status(actor=admin_user, ticket=ticket, status=TicketStatus.WAITING)

    result = receive(
        samples.gmail_reply_fa(in_reply_to=reply.message_id, subject="Re: something else")
    )

    assert (result.outcome, result.ticket) == ("added", ticket)
    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    last = ticket.messages.order_by("id").last()
    assert last is not None
    assert (last.kind, last.body) == (MessageKind.CUSTOMER, "ممنون، مشکل حل شد.")
    assert TicketAcknowledgement.objects.count() == 1  # only the first message is acknowledged


def test_a_reply_to_the_acknowledgement_threads_too() -> None:
    ticket = receive(samples.gmail_new()).ticket
    acknowledgement = TicketAcknowledgement.objects.get()
    result = receive(samples.gmail_reply_fa(in_reply_to=acknowledgement.message_id))
    assert (result.outcome, result.ticket) == ("added", ticket)


def test_the_subject_token_works_for_the_requester_only() -> None:
    ticket = receive(samples.gmail_new()).ticket
    assert ticket is not None
    token = f"Re: [#{ticket.pk}] مشکل"

    own = receive(samples.plain(sender="ali.rezaei@gmail.com", subject=token, message_id="<o@x>"))
    assert (own.outcome, own.ticket) == ("added", ticket)

    stranger = receive(
        samples.plain(
            sender="eve@evil.example", subject=token, body="I own this now", message_id="<e@x>"
        )
    )
    assert stranger.outcome == "created"
    assert stranger.ticket != ticket
    assert stranger.ticket is not None and stranger.ticket.subject == "مشکل"
    assert not ticket.messages.filter(body__contains="I own this").exists()


def test_the_token_accepts_persian_digits_and_the_contacts_other_addresses() -> None:
    ticket = receive(samples.gmail_new()).ticket
    assert ticket is not None and ticket.contact is not None
    ticket.contact.emails.create(address="ali@work.ir", position=1)
    subject = "پاسخ: [#" + str(ticket.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) + "]"
    result = receive(samples.plain(sender="ali@work.ir", subject=subject, message_id="<w@x>"))
    assert (result.outcome, result.ticket) == ("added", ticket)


def test_a_closed_ticket_is_not_reopened_a_new_one_starts(admin_user: Any) -> None:
    ticket = receive(samples.gmail_new()).ticket
    assert ticket is not None
    ticket_set_status(actor=admin_user, ticket=ticket, status=TicketStatus.CLOSED)
    result = receive(samples.gmail_reply_fa(in_reply_to="<CAJx9kq1=new@mail.gmail.com>"))
    assert result.outcome == "created"
    assert result.ticket is not None and result.ticket != ticket
    assert result.ticket.subject == "مشکل در ورود به حساب"
    assert result.ticket.contact == ticket.contact


def test_a_message_to_a_merged_ticket_lands_on_the_surviving_one() -> None:
    first = receive(samples.gmail_new()).ticket
    survivor = receive(samples.plain(message_id="<other@x>")).ticket
    assert first is not None and survivor is not None
    Ticket.objects.filter(pk=first.pk).update(merged_into=survivor)
    result = receive(samples.gmail_reply_fa(in_reply_to="<CAJx9kq1=new@mail.gmail.com>"))
    assert result.ticket == survivor


@pytest.mark.parametrize(
    "raw",
    [samples.auto_reply(), samples.bounce(), samples.plain(sender="support@peyvand.test")],
)
def test_automatic_mail_is_recorded_and_skipped(raw: bytes) -> None:
    result = receive(raw)
    assert result.outcome == "skipped"
    assert result.ticket is None
    assert Ticket.objects.count() == 0
    assert Contact.objects.count() == 0
    assert InboundEmail.objects.get().outcome == "skipped"
    assert receive(raw).duplicate


def test_a_message_without_a_sender_is_rejected() -> None:
    result = receive(samples.plain(sender="not an address"))
    assert (result.outcome, result.reason) == ("rejected", "no valid From address")
    assert Ticket.objects.count() == 0


def test_attachments_are_kept_and_a_refused_one_is_noted() -> None:
    result = receive(samples.with_attachments())
    ticket = result.ticket
    assert ticket is not None
    kept = TicketAttachment.objects.order_by("id")
    assert [(item.name, item.content_type, item.size) for item in kept] == [
        ("فاکتور آذر.pdf", "application/pdf", len(samples.PDF)),
        ("عکس.png", "image/png", len(samples.PNG)),
    ]
    assert {item.message_id for item in kept} == {result.message.pk if result.message else 0}
    note = ticket.messages.get(kind=MessageKind.NOTE)
    assert note.body == (
        "پرونده‌هایی از ایمیل مشتری که نگه داشته نشد:\n"
        "- «invoice.pdf.exe»: این نوع پرونده پذیرفته نمی‌شود (مجاز: تصویر، PDF، متن، سندهای "
        "اداری و بایگانی zip)."
    )
    assert note.author is None


def test_the_same_message_twice_makes_one_ticket() -> None:
    first = receive(samples.gmail_new())
    again = inbound_email_receive(raw=samples.gmail_new(), source="webhook")
    assert (again.outcome, again.duplicate, again.ticket) == ("created", True, first.ticket)
    assert Ticket.objects.count() == 1
    assert TicketMessage.objects.count() == 1
    assert InboundEmail.objects.count() == 1


def test_a_message_without_message_id_twice_makes_one_ticket() -> None:
    raw = samples.plain(message_id=None)
    receive(raw)
    assert receive(raw).duplicate
    assert Ticket.objects.count() == 1


def test_a_crash_part_way_leaves_nothing_and_the_retry_works(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    def crash(ticket: Ticket) -> None:
        raise RuntimeError("worker killed")

    acknowledge = inbound_email._acknowledge
    monkeypatch.setattr(inbound_email, "_acknowledge", crash)
    with pytest.raises(RuntimeError):
        receive(samples.with_attachments())
    assert Ticket.objects.count() == 0
    assert Contact.objects.count() == 0
    assert TicketMessage.objects.count() == 0
    assert TicketAttachment.objects.count() == 0
    assert InboundEmail.objects.count() == 0
    assert Event.objects.count() == 0
    assert files_under(settings.MEDIA_ROOT) == []  # the files written were deleted again

    monkeypatch.setattr(inbound_email, "_acknowledge", acknowledge)
    result = receive(samples.with_attachments())
    assert result.outcome == "created" and not result.duplicate
    assert Ticket.objects.count() == 1
    assert TicketAttachment.objects.count() == 2
    assert files_under(settings.MEDIA_ROOT) == sorted(
        item.file.name for item in TicketAttachment.objects.all()
    )


def test_a_reply_in_a_thread_from_someone_else_opens_their_own_ticket() -> None:
    ticket = receive(samples.gmail_new()).ticket
    assert ticket is not None
    # The customer forwarded our answer; the colleague's reply threads by In-Reply-To.
    stranger = receive(
        samples.gmail_reply_fa(
            sender="eve@evil.example", in_reply_to="<CAJx9kq1=new@mail.gmail.com>"
        )
    )
    assert stranger.outcome == "created"
    assert stranger.ticket is not None and stranger.ticket != ticket
    assert stranger.ticket.requester_email == "eve@evil.example"
    assert stranger.ticket.contact is not None and stranger.ticket.contact != ticket.contact
    assert list(ticket.messages.values_list("from_email", flat=True)) == ["ali.rezaei@gmail.com"]

    # The requester's other address on the contact still threads.
    assert ticket.contact is not None
    ticket.contact.emails.create(address="ali@work.ir", position=1)
    own = receive(
        samples.gmail_reply_fa(
            sender="ali@work.ir",
            in_reply_to="<CAJx9kq1=new@mail.gmail.com>",
            message_id="<own-2@x>",
        )
    )
    assert (own.outcome, own.ticket) == ("added", ticket)


def test_a_body_that_cleans_to_nothing_and_a_subject_of_only_a_token() -> None:
    result = receive(
        samples.plain(subject="Re: [#999] \u0640\u0640", body="\u0640\u0640\u0640 \u0640")
    )
    assert result.outcome == "created"
    assert result.ticket is not None
    assert result.ticket.subject == "(بدون موضوع)"
    assert result.ticket.messages.get().body == "(بدون متن)"


def test_a_body_that_grows_when_cleaned_is_cut_after_cleaning() -> None:
    # NFKC turns each U+FDFA ligature into 18 letters: 50 000 of them make 900 000.
    result = receive(samples.plain(body="\ufdfa" * MAX_BODY))
    assert result.outcome == "created"
    assert result.ticket is not None
    one = "صلی الله علیه وسلم"  # 18 characters; the cut falls after "علیه "
    assert result.ticket.messages.get().body == (one * MAX_BODY)[: MAX_BODY - 1]


def test_a_message_the_ticket_services_refuse_is_rejected_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(**kwargs: Any) -> Ticket:
        raise ValidationError({"body": [ValidationError("Write the message.")]})

    monkeypatch.setattr(inbound_email, "ticket_create", refuse)
    result = receive(samples.with_attachments())
    assert (result.outcome, result.reason, result.ticket) == (
        "rejected",
        "body: Write the message.",
        None,
    )
    record = InboundEmail.objects.get()
    assert (record.outcome, record.reason, record.ticket) == (
        "rejected",
        "body: Write the message.",
        None,
    )
    assert Contact.objects.count() == 0  # made for the ticket, undone with it
    again = receive(samples.with_attachments())
    assert (again.outcome, again.duplicate) == ("rejected", True)


def test_a_refused_message_after_its_files_were_stored_leaves_no_file(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    def refuse(ticket: Ticket, **kwargs: Any) -> None:
        raise ValidationError("refused late")

    monkeypatch.setattr(inbound_email, "ticket_reply", refuse)  # the note on a refused file
    result = receive(samples.with_attachments())
    assert (result.outcome, result.reason) == ("rejected", "refused late")
    assert TicketAttachment.objects.count() == 0
    assert files_under(settings.MEDIA_ROOT) == []


def test_a_message_recorded_as_failed_is_tried_again_when_handed_in() -> None:
    failed = inbound_email.inbound_email_fail(
        raw=samples.gmail_new(), source="imap", reason="failed 3 times: RuntimeError()"
    )
    assert (failed.outcome, failed.reason, failed.duplicate) == (
        "failed",
        "failed 3 times: RuntimeError()",
        False,
    )
    record = InboundEmail.objects.get()
    assert (record.from_email, record.subject, record.message_id) == (
        "ali.rezaei@gmail.com",
        "مشکل در ورود به حساب",
        "<CAJx9kq1=new@mail.gmail.com>",
    )
    result = receive(samples.gmail_new())
    assert (result.outcome, result.duplicate) == ("created", False)
    assert InboundEmail.objects.get().outcome == "created"
    # Recording a handled message as failed changes nothing.
    late = inbound_email.inbound_email_fail(raw=samples.gmail_new(), source="imap", reason="x")
    assert (late.outcome, late.duplicate, late.ticket) == ("created", True, result.ticket)


def files_under(root: Any) -> list[str]:
    base = Path(str(root))
    return sorted(str(path.relative_to(base)) for path in base.rglob("*") if path.is_file())
