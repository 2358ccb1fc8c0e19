"""Sending one queued message at once (``outbox_deliver_now``, for sign-in codes): the
worker's claim, rules and bookkeeping, so it never sends a row a worker holds, one that is
not due or one already sent; and one-time secrets (``otp:`` purposes) are redacted from the
row and the event once the message is final."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.messaging.models import MessageStatus, OutboxMessage
from peyvand.messaging.outbox import is_secret_purpose, outbox_enqueue, secret_redacted
from peyvand.messaging.sms.base import PermanentSmsError, TransientSmsError
from peyvand.messaging.worker import outbox_deliver, outbox_deliver_now
from peyvand.timeline.models import Event

from .conftest import MemoryGateway

pytestmark = pytest.mark.django_db


def _code_sms(contact: Contact | None = None, purpose: str = "otp:portal:1:abc") -> OutboxMessage:
    return outbox_enqueue(
        purpose=purpose,
        channel="sms",
        recipient="09121234567",
        contact=contact,
        body_text="Your code: 482913 (valid 10 minutes) — کد ۴۸۲۹۱۳",
    )


def test_secrets_are_runs_of_four_or_more_digits_in_any_script() -> None:
    assert secret_redacted("code 482913, ۴۸۲۹۱۳ or ٤٨٢٩; 10 min") == (
        "code ••••, •••• or ••••; 10 min"
    )
    assert is_secret_purpose("otp:portal:3:x") and not is_secret_purpose("campaign:3")


def test_sends_the_one_row_now_and_never_again(gateway: MemoryGateway) -> None:
    contact = make_contact(phones=["09121234567"])
    other = outbox_enqueue(purpose="ticket-reply:1", channel="sms", recipient="09351112233")
    row = outbox_deliver_now(message=_code_sms(contact), gateway=gateway)
    assert row.status == MessageStatus.SENT
    assert [text for _r, text, _l in gateway.sent] == [
        "Your code: 482913 (valid 10 minutes) — کد ۴۸۲۹۱۳"
    ]
    assert row.body_text == "Your code: •••• (valid 10 minutes) — کد ••••"
    assert Event.objects.get(verb="message.sms").summary == row.body_text[:80]
    # Only that row went; the other waits for the worker.
    assert OutboxMessage.objects.get(pk=other.pk).status == MessageStatus.PENDING
    assert outbox_deliver_now(message=row, gateway=gateway).status == MessageStatus.SENT
    assert len(gateway.sent) == 1


def test_a_row_a_worker_holds_or_that_is_not_due_is_left_alone(gateway: MemoryGateway) -> None:
    held = _code_sms(purpose="otp:a")
    OutboxMessage.objects.filter(pk=held.pk).update(
        status=MessageStatus.SENDING, claimed_until=timezone.now() + datetime.timedelta(minutes=1)
    )
    later = outbox_enqueue(
        purpose="otp:b",
        channel="sms",
        recipient="09121234567",
        body_text="x",
        not_before=timezone.now() + datetime.timedelta(hours=1),
    )
    assert outbox_deliver_now(message=held, gateway=gateway).status == MessageStatus.SENDING
    assert outbox_deliver_now(message=later, gateway=gateway).status == MessageStatus.PENDING
    assert gateway.sent == []


def test_a_transient_failure_goes_back_to_the_worker_with_the_text_intact(
    gateway: MemoryGateway,
) -> None:
    gateway.failures.append(TransientSmsError("busy"))
    row = outbox_deliver_now(message=_code_sms(), gateway=gateway)
    assert (row.status, row.attempts, row.error) == (MessageStatus.PENDING, 1, "busy")
    assert "482913" in row.body_text
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox_deliver(gateway=gateway).sent == 1
    assert "482913" not in OutboxMessage.objects.get(pk=row.pk).body_text


def test_a_permanent_failure_is_final_and_redacted(gateway: MemoryGateway) -> None:
    gateway.failures.append(PermanentSmsError("bad number"))
    row = outbox_deliver_now(message=_code_sms(), gateway=gateway)
    assert (row.status, row.error) == (MessageStatus.FAILED, "bad number")
    assert "482913" not in row.body_text


def test_other_purposes_keep_their_text(gateway: MemoryGateway) -> None:
    row = outbox_deliver_now(message=_code_sms(purpose="ticket-reply:7"), gateway=gateway)
    assert "482913" in row.body_text


def test_a_code_whose_worker_died_mid_send_keeps_no_secret_once_settled() -> None:
    row = _code_sms()
    past = timezone.now() - datetime.timedelta(minutes=5)
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=MessageStatus.SENDING, claimed_until=past, send_started_at=past, attempts=1
    )
    outbox_deliver(gateway=MemoryGateway(idempotent_send=False))
    row.refresh_from_db()
    assert row.status == MessageStatus.UNCERTAIN
    assert "482913" not in row.body_text and "••••" in row.body_text
