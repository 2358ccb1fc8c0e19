"""The public endpoints: unsubscribe, the bounce webhook and the SMS callbacks."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from peyvand.contacts.models import ContactConsent
from peyvand.messaging.models import EmailBounce, OutboxMessage, Suppression
from peyvand.messaging.outbox import outbox_enqueue
from peyvand.messaging.suppression import bounce_record
from peyvand.messaging.tokens import UnsubscribeTarget, unsubscribe_token
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db
SECRET = "callback-secret-123"


def _token(contact: Any, channel: str = "email", address: str = "maryam@example.ir") -> str:
    return unsubscribe_token(UnsubscribeTarget(channel, address, contact.pk, None))


def test_unsubscribe_page_confirms_then_withdraws_consent_once(consenting_contact: Any) -> None:
    contact = consenting_contact()
    url = reverse("messaging:unsubscribe", args=[_token(contact)])
    client = Client(enforce_csrf_checks=True)
    with translation.override("en"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b'id="unsubscribe-confirm"' in page.content
    assert ContactConsent.objects.get(contact=contact, channel="email").status == "granted"
    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 200  # a second click changes nothing
    consent = ContactConsent.objects.get(contact=contact, channel="email")
    assert (consent.status, consent.method) == ("withdrawn", "unsubscribe")
    assert Event.objects.filter(contact=contact, verb="consent.withdrawn").count() == 1
    assert Suppression.objects.get(channel="email").address == "maryam@example.ir"
    assert ContactConsent.objects.get(contact=contact, channel="sms").status == "granted"


def test_one_click_post_without_csrf_needs_a_valid_token(consenting_contact: Any) -> None:
    contact = consenting_contact()
    client = Client(enforce_csrf_checks=True)
    token = _token(contact)
    bad = client.post(
        reverse("messaging:unsubscribe", args=[token[:-2] + "xx"]),
        {"List-Unsubscribe": "One-Click"},
    )
    assert bad.status_code == 404
    assert not Suppression.objects.exists()
    good = client.post(
        reverse("messaging:unsubscribe", args=[token]), {"List-Unsubscribe": "One-Click"}
    )
    assert good.status_code == 200
    assert ContactConsent.objects.get(contact=contact, channel="email").status == "withdrawn"


def test_unsubscribed_address_gets_no_more_marketing(consenting_contact: Any) -> None:
    from peyvand.messaging.worker import outbox_deliver

    contact = consenting_contact()
    Client().post(reverse("messaging:unsubscribe", args=[_token(contact)]))
    row = outbox_enqueue(
        purpose="campaign:2",
        channel="email",
        recipient="maryam@example.ir",
        category="marketing",
        contact=contact,
    )
    outbox_deliver()
    row.refresh_from_db()
    assert (row.status, row.suppression_reason) == ("suppressed", "unsubscribed")


DSN = b"""From: MAILER-DAEMON@mx.example.ir
To: no-reply@example.ir
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.ir

Final-Recipient: rfc822; Maryam@Example.ir
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 No such user

Final-Recipient: rfc822; busy@example.ir
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 mailbox full

--B
Content-Type: text/rfc822-headers

From: Peyvand <no-reply@example.ir>
To: maryam@example.ir
X-Peyvand-Outbox: %(outbox)s

--B--
"""


def test_bounce_webhook_records_hard_and_soft_bounces(settings: Any, client: Client) -> None:
    url = reverse("messaging:bounces")
    row = outbox_enqueue(purpose="campaign:1", channel="email", recipient="maryam@example.ir")
    body = DSN.replace(b"%(outbox)s", str(row.pk).encode())
    settings.PEYVAND_EMAIL_BOUNCE_SECRET = ""
    assert client.post(url, body, content_type="message/rfc822").status_code == 404
    settings.PEYVAND_EMAIL_BOUNCE_SECRET = SECRET
    wrong = client.post(url, body, content_type="message/rfc822", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    response = client.post(
        url, body, content_type="message/rfc822", HTTP_AUTHORIZATION=f"Bearer {SECRET}"
    )
    assert response.json() == {
        "bounces": [["maryam@example.ir", "hard"], ["busy@example.ir", "soft"]]
    }
    assert list(Suppression.objects.values_list("address", "reason")) == [
        ("maryam@example.ir", "bounced")
    ]
    row.refresh_from_db()
    assert (row.status, row.error) == ("failed", "5.1.1 smtp; 550 5.1.1 No such user")
    assert EmailBounce.objects.get(kind="soft").reason == "4.2.2 smtp; 452 mailbox full"


def test_bounce_webhook_refuses_large_bodies(settings: Any, client: Client) -> None:
    settings.PEYVAND_EMAIL_BOUNCE_SECRET = SECRET
    settings.PEYVAND_MESSAGING_CALLBACK_MAX_BYTES = 2048
    response = client.post(
        reverse("messaging:bounces"),
        b"x" * 5000,
        content_type="message/rfc822",
        HTTP_AUTHORIZATION=f"Bearer {SECRET}",
    )
    assert response.status_code == 413


def test_repeated_soft_bounces_suppress_the_address(settings: Any) -> None:
    settings.PEYVAND_SOFT_BOUNCE_LIMIT = 2
    bounce_record(address="a@example.ir", kind="soft", reason="full")
    assert not Suppression.objects.exists()
    bounce_record(address="A@example.ir", kind="soft", reason="full")
    assert Suppression.objects.get().address == "a@example.ir"


@pytest.fixture
def kavenegar(settings: Any) -> None:
    settings.PEYVAND_SMS_GATEWAY = "kavenegar"
    settings.PEYVAND_SMS_API_KEY = "key"
    settings.PEYVAND_SMS_BASE_URL = "http://127.0.0.1:9"  # never called here
    settings.PEYVAND_SMS_CALLBACK_SECRET = SECRET


def _sent_sms(provider_id: str) -> OutboxMessage:
    row = outbox_enqueue(purpose="otp:3", channel="sms", recipient="09121234567")
    OutboxMessage.objects.filter(pk=row.pk).update(
        status="sent", provider_message_id=provider_id, sent_at=timezone.now()
    )
    return row


def test_delivery_report_updates_the_message(kavenegar: None, client: Client) -> None:
    row = _sent_sms("8812")
    url = reverse("messaging:sms_delivery", args=["kavenegar", SECRET])
    response = client.post(url, {"messageid": "8812", "status": "10"})
    assert response.json() == {"updated": 1}
    row.refresh_from_db()
    assert row.status == "delivered" and row.delivered_at is not None
    assert client.post(url, {"status": "10"}).status_code == 400


def test_callbacks_need_the_secret_and_the_configured_gateway(
    kavenegar: None, client: Client
) -> None:
    _sent_sms("8812")
    data = {"messageid": "8812", "status": "10"}
    wrong = reverse("messaging:sms_delivery", args=["kavenegar", "guess"])
    other = reverse("messaging:sms_delivery", args=["smsir", SECRET])
    assert client.post(wrong, data).status_code == 404
    assert client.post(other, data).status_code == 404
    assert OutboxMessage.objects.get().status == "sent"


def test_callbacks_are_rate_limited(kavenegar: None, client: Client, settings: Any) -> None:
    settings.PEYVAND_MESSAGING_CALLBACKS_PER_ADDRESS = 2
    url = reverse("messaging:sms_delivery", args=["kavenegar", SECRET])
    codes = [client.post(url, {"messageid": "1", "status": "10"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_inbound_opt_out_withdraws_sms_consent_and_confirms(
    kavenegar: None, client: Client, consenting_contact: Any, settings: Any
) -> None:
    settings.PEYVAND_SMS_OPT_OUT_REPLY = "لغو عضویت انجام شد."
    contact = consenting_contact()
    url = reverse("messaging:sms_inbound", args=["kavenegar", SECRET])
    chat = client.post(url, {"from": "09121234567", "to": "30001234", "message": "سلام"})
    assert chat.json() == {"received": 1, "opted_out": 0}
    response = client.post(
        url, {"from": "09121234567", "to": "30001234", "message": "لغو", "messageid": "5"}
    )
    assert response.json() == {"received": 1, "opted_out": 1}
    consent = ContactConsent.objects.get(contact=contact, channel="sms")
    assert (consent.status, consent.method) == ("withdrawn", "sms_keyword")
    assert Event.objects.filter(contact=contact, verb="consent.withdrawn").count() == 1
    assert ContactConsent.objects.get(contact=contact, channel="email").status == "granted"
    reply = OutboxMessage.objects.get()
    assert (reply.recipient, reply.category, reply.body_text) == (
        "+989121234567",
        "transactional",
        "لغو عضویت انجام شد.",
    )
    assert reply.next_attempt_at <= timezone.now() + datetime.timedelta(seconds=1)
