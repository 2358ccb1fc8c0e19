"""Sign-in codes by SMS, end to end through the outbox and the local fake gateway (the
Kavenegar protocol over HTTP): the customer types a mobile number, the code reaches the
gateway once as a transactional message (no consent, quiet hours, caps or opt-out stop it),
they sign in with it; a new code is a new message, a retried delivery never a second one;
a refused number leaves no code behind, a gateway hiccup is retried by the worker; and the
code is never kept in the outbox's text or the event log once the message is done."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from peyvand.contacts.models import ConsentMethod, ConsentStatus, Contact
from peyvand.contacts.services import contact_set_consent
from peyvand.messaging.models import (
    MessageCategory,
    MessageStatus,
    OutboxMessage,
    Suppression,
    SuppressionReason,
)
from peyvand.messaging.sms.fake_server import FakeSmsGateway
from peyvand.messaging.worker import outbox_deliver, outbox_deliver_now
from peyvand.portal.codes import SignInAddress, code_request, code_verify
from peyvand.portal.models import SignInCode
from peyvand.portal.senders import SmsCodeSender
from peyvand.portal.session import CONTACT_KEY
from peyvand.timeline.models import Event

from .conftest import enter_code, request_code

pytestmark = pytest.mark.django_db
MOBILE = "+989121234567"
API_KEY = "portal-sms-key"


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeSmsGateway]:
    """The fake gateway on a free local port, configured as this site's Kavenegar."""
    with FakeSmsGateway(api_key=API_KEY) as server:
        settings.PEYVAND_SMS_GATEWAY = "kavenegar"
        settings.PEYVAND_SMS_API_KEY = API_KEY
        settings.PEYVAND_SMS_LINE = "30001234"
        settings.PEYVAND_SMS_BASE_URL = server.base_url
        settings.PEYVAND_SMS_TIMEOUT_SECONDS = 2.0
        settings.PEYVAND_SMS_RATE = 0
        yield server


def texts_to(fake: FakeSmsGateway, number: str) -> list[str]:
    return [m["text"] for m in fake.stats()["messages"] if m["recipient"] == number]


def code_in(text: str) -> str:
    match = re.search(r"\b([0-9]{6})\b", text)
    assert match is not None, text
    return match.group(1)


def test_the_sms_sender_is_ready_only_with_a_gateway(settings: Any, fake: FakeSmsGateway) -> None:
    assert SmsCodeSender().is_ready() is True
    settings.PEYVAND_SMS_GATEWAY = ""
    assert SmsCodeSender().is_ready() is False


def test_a_customer_gets_the_code_by_sms_at_once_and_signs_in_with_it(
    client: Client, customer: Contact, fake: FakeSmsGateway
) -> None:
    page = client.get("/portal/sign-in/").content.decode()
    assert 'id="sms-not-ready"' not in page

    response = request_code(client, "۰۹۱۲ ۱۲۳ ۴۵۶۷")
    assert (response.status_code, response["Location"]) == (302, "/portal/sign-in/code/")
    # Sent in the request itself: no worker has run.
    [text] = texts_to(fake, MOBILE)
    code = code_in(text)
    assert text.count(code) == 1 and "۱۰" in text  # in Farsi, minutes in Persian digits
    row = OutboxMessage.objects.get()
    assert (row.channel, row.recipient, row.category, row.status, row.contact_id) == (
        "sms",
        MOBILE,
        MessageCategory.TRANSACTIONAL,
        MessageStatus.SENT,
        customer.pk,
    )
    assert row.purpose.startswith(f"otp:portal:{customer.pk}:")
    # Once sent, neither the outbox row nor the (append-only) event log keeps the code.
    assert code not in row.body_text and "••••" in row.body_text
    event = Event.objects.get(verb="message.sms")
    assert code not in event.summary and code not in str(event.payload)

    response = enter_code(client, code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")))
    assert (response.status_code, response["Location"]) == (302, "/portal/tickets/")
    assert client.session[CONTACT_KEY] == customer.pk
    assert SignInCode.objects.count() == 0
    # Nothing left for the worker, and running it sends nothing again.
    assert outbox_deliver().sent == 0
    assert fake.stats()["accepted"] == 1


def test_a_new_code_is_a_new_message_and_a_retried_delivery_is_not(
    customer: Contact, fake: FakeSmsGateway
) -> None:
    address = SignInAddress("sms", MOBILE)
    code_request(address=address)
    first = OutboxMessage.objects.get()
    # The same row delivered again (a worker racing the request, a retried task): nothing.
    assert outbox_deliver_now(message=first).status == MessageStatus.SENT
    assert outbox_deliver().handled == 0
    assert len(texts_to(fake, MOBILE)) == 1

    code_request(address=address)
    assert OutboxMessage.objects.count() == 2
    assert len({row.purpose for row in OutboxMessage.objects.all()}) == 2
    old, new = (code_in(text) for text in texts_to(fake, MOBILE))
    # Only the newest code works.
    assert code_verify(address=address, code=old) is None or old == new
    assert code_verify(address=address, code=new) == customer


def test_a_transactional_code_ignores_consent_quiet_hours_caps_and_marketing_opt_outs(
    customer: Contact, fake: FakeSmsGateway, settings: Any
) -> None:
    settings.PEYVAND_SMS_QUIET_HOURS = "00:00-23:59"
    settings.PEYVAND_MARKETING_CAP = 1
    contact_set_consent(
        actor=None,
        contact=customer,
        channel="sms",
        status=ConsentStatus.WITHDRAWN,
        method=ConsentMethod.SMS_KEYWORD,
        recorded_at=timezone.now(),
    )
    Suppression.objects.create(channel="sms", address=MOBILE, reason=SuppressionReason.UNSUBSCRIBED)
    code_request(address=SignInAddress("sms", MOBILE))
    assert OutboxMessage.objects.get().status == MessageStatus.SENT
    code = code_in(texts_to(fake, MOBILE)[0])
    assert code_verify(address=SignInAddress("sms", MOBILE), code=code) == customer


def test_a_number_the_gateway_refuses_leaves_no_code_and_no_secret(
    customer: Contact, fake: FakeSmsGateway
) -> None:
    fake.fail_next(code=411)  # Kavenegar: bad receptor, never worth a retry
    code_request(address=SignInAddress("sms", MOBILE))
    row = OutboxMessage.objects.get()
    assert row.status == MessageStatus.FAILED
    assert SignInCode.objects.count() == 0
    assert not re.search(r"[0-9]{6}", row.body_text)


def test_a_gateway_hiccup_is_retried_by_the_worker_and_the_code_still_works(
    customer: Contact, fake: FakeSmsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.fail_http_next(status=502)
    code_request(address=SignInAddress("sms", MOBILE))
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == (MessageStatus.PENDING, 1)
    assert SignInCode.objects.count() == 1
    assert texts_to(fake, MOBILE) == []

    later = timezone.now() + datetime.timedelta(seconds=31)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert outbox_deliver().sent == 1
    [text] = texts_to(fake, MOBILE)
    assert code_verify(address=SignInAddress("sms", MOBILE), code=code_in(text)) == customer


def test_an_english_speaking_customer_gets_the_text_in_english(
    customer: Contact, fake: FakeSmsGateway
) -> None:
    Contact.objects.filter(pk=customer.pk).update(language="en")
    code_request(address=SignInAddress("sms", MOBILE))
    [text] = texts_to(fake, MOBILE)
    assert text == (
        f"Your sign-in code for پیوند: {code_in(text)}\n"
        "Valid for 10 minutes. Never give it to anyone."
    )


def test_a_new_code_cancels_an_older_one_still_waiting_for_a_retry(
    customer: Contact, fake: FakeSmsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = SignInAddress("sms", MOBILE)
    fake.fail_http_next(status=502)
    code_request(address=address)
    older = OutboxMessage.objects.get()
    code_request(address=address)
    older.refresh_from_db()
    assert (older.status, older.error) == (
        MessageStatus.FAILED,
        "Replaced by a newer sign-in code.",
    )
    assert not re.search(r"[0-9]{6}", older.body_text)
    later = timezone.now() + datetime.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert outbox_deliver().handled == 0
    [text] = texts_to(fake, MOBILE)
    assert code_verify(address=address, code=code_in(text)) == customer
