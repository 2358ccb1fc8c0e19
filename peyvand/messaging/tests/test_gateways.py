"""The outbox with the real adapters against the fake gateway: sending, then the provider
pushing delivery reports and a received opt-out to our callback URLs over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse

from peyvand.contacts.models import ContactConsent
from peyvand.messaging.models import OutboxMessage
from peyvand.messaging.outbox import outbox_enqueue
from peyvand.messaging.sms.base import DeliveryStatus
from peyvand.messaging.sms.fake_server import FakeSmsGateway
from peyvand.messaging.worker import outbox_deliver

SECRET = "push-secret"


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeSmsGateway]:
    with FakeSmsGateway(api_key="k") as server:
        yield server


@pytest.mark.parametrize("provider", ["kavenegar", "smsir", "ghasedak"])
def test_send_then_delivery_report_and_opt_out_by_push(
    provider: str, fake: FakeSmsGateway, settings: Any, live_server: Any, consenting_contact: Any
) -> None:
    settings.PEYVAND_SMS_GATEWAY = provider
    settings.PEYVAND_SMS_API_KEY = "k"
    settings.PEYVAND_SMS_LINE = "30001234"
    settings.PEYVAND_SMS_BASE_URL = fake.base_url
    settings.PEYVAND_SMS_CALLBACK_SECRET = SECRET
    contact = consenting_contact()
    row = outbox_enqueue(
        purpose="campaign:1",
        channel="sms",
        recipient="09121234567",
        category="marketing",
        contact=contact,
        body_text="حراج",
    )
    assert outbox_deliver().sent == 1
    row.refresh_from_db()
    assert fake.stats()["by_recipient"] == {"+989121234567": 1}
    fake.set_status(row.provider_message_id, DeliveryStatus.DELIVERED)
    delivery = live_server.url + reverse("messaging:sms_delivery", args=[provider, SECRET])
    assert fake.push_delivery(delivery, row.provider_message_id) == 200
    row.refresh_from_db()
    assert row.status == "delivered"
    inbound = live_server.url + reverse("messaging:sms_inbound", args=[provider, SECRET])
    assert fake.push_inbound(inbound, provider=provider, sender="+989121234567", text="لغو") == 200
    consent = ContactConsent.objects.get(contact=contact, channel="sms")
    assert (consent.status, consent.method) == ("withdrawn", "sms_keyword")
    again = outbox_enqueue(
        purpose="campaign:2",
        channel="sms",
        recipient="09121234567",
        category="marketing",
        contact=contact,
    )
    outbox_deliver()
    assert OutboxMessage.objects.get(pk=again.pk).suppression_reason == "unsubscribed"
