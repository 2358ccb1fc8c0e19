"""The rules at send time: consent, suppression, quiet hours and the frequency cap."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone

from peyvand.contacts.models import ConsentMethod, ConsentStatus
from peyvand.contacts.services import contact_set_consent
from peyvand.messaging.models import MessageStatus, OutboxMessage, Suppression
from peyvand.messaging.outbox import outbox_enqueue
from peyvand.messaging.rules import next_allowed_time
from peyvand.messaging.worker import outbox_deliver

from .conftest import MemoryGateway

pytestmark = pytest.mark.django_db
TEHRAN = zoneinfo.ZoneInfo("Asia/Tehran")


def _marketing(contact: Any, purpose: str = "campaign:1", channel: str = "sms") -> OutboxMessage:
    return outbox_enqueue(
        purpose=purpose,
        channel=channel,
        recipient="09121234567" if channel == "sms" else "maryam@example.ir",
        category="marketing",
        contact=contact,
        body_text="حراج",
    )


def _stored(row: OutboxMessage) -> tuple[str, str]:
    row.refresh_from_db()
    return row.status, row.suppression_reason


def test_marketing_with_consent_is_sent(gateway: MemoryGateway, consenting_contact: Any) -> None:
    row = _marketing(consenting_contact())
    assert outbox_deliver(gateway=gateway).sent == 1
    assert _stored(row) == ("sent", "")


def test_marketing_without_consent_is_suppressed_but_transactional_goes(
    gateway: MemoryGateway, consenting_contact: Any
) -> None:
    contact = consenting_contact(channels=("email",))
    marketing = _marketing(contact)
    otp = outbox_enqueue(
        purpose="otp:1", channel="sms", recipient="09121234567", contact=contact, body_text="۱۲"
    )
    result = outbox_deliver(gateway=gateway)
    assert (result.sent, result.suppressed) == (1, 1)
    assert _stored(marketing) == ("suppressed", "no_consent")
    assert _stored(otp) == ("sent", "")
    assert [text for _to, text, _id in gateway.sent] == ["۱۲"]


def test_consent_withdrawn_after_queuing_is_checked_at_send_time(
    gateway: MemoryGateway, consenting_contact: Any
) -> None:
    contact = consenting_contact()
    row = _marketing(contact)
    contact_set_consent(
        actor=None,
        contact=contact,
        channel="sms",
        status=ConsentStatus.WITHDRAWN,
        method=ConsentMethod.AGENT,
    )
    outbox_deliver(gateway=gateway)
    assert _stored(row) == ("suppressed", "no_consent")
    assert gateway.sent == []


def test_suppressed_address_gets_no_marketing(
    gateway: MemoryGateway, consenting_contact: Any
) -> None:
    row = _marketing(consenting_contact(), channel="email")
    Suppression.objects.create(channel="email", address="maryam@example.ir", reason="bounced")
    outbox_deliver(gateway=gateway)
    assert _stored(row) == ("suppressed", "bounced")


def test_quiet_hours_defer_marketing_sms_to_the_morning(
    gateway: MemoryGateway, consenting_contact: Any, settings: Any
) -> None:
    local = timezone.now().astimezone(TEHRAN)
    start = (local - datetime.timedelta(hours=1)).strftime("%H:%M")
    end = (local + datetime.timedelta(hours=2)).strftime("%H:%M")
    settings.PEYVAND_SMS_QUIET_HOURS = f"{start}-{end}"
    contact = consenting_contact()
    sms = _marketing(contact)
    email = _marketing(contact, channel="email")
    result = outbox_deliver(gateway=gateway)
    assert (result.deferred, result.sent) == (1, 1)
    assert _stored(sms) == ("pending", "quiet_hours")
    assert _stored(email) == ("sent", "")
    assert sms.next_attempt_at == (local + datetime.timedelta(hours=2)).replace(
        second=0, microsecond=0
    )
    assert gateway.sent == []


def test_next_allowed_time_across_midnight(settings: Any) -> None:
    settings.PEYVAND_SMS_QUIET_HOURS = "22:00-08:00"
    at = datetime.datetime(2026, 3, 10, 23, 30, tzinfo=TEHRAN)
    assert next_allowed_time(at) == datetime.datetime(2026, 3, 11, 8, 0, tzinfo=TEHRAN)
    early = datetime.datetime(2026, 3, 11, 6, 15, tzinfo=TEHRAN)
    assert next_allowed_time(early) == datetime.datetime(2026, 3, 11, 8, 0, tzinfo=TEHRAN)
    assert next_allowed_time(datetime.datetime(2026, 3, 11, 12, 0, tzinfo=TEHRAN)) is None
    settings.PEYVAND_SMS_QUIET_HOURS = ""
    assert next_allowed_time(at) is None


def test_frequency_cap_suppresses_past_n_per_channel(
    gateway: MemoryGateway, consenting_contact: Any, settings: Any
) -> None:
    settings.PEYVAND_MARKETING_CAP = 2
    settings.PEYVAND_MARKETING_CAP_DAYS = 7
    contact = consenting_contact()
    first = _marketing(contact, purpose="campaign:1")
    outbox_deliver(gateway=gateway)
    second, third = _marketing(contact, purpose="campaign:2"), _marketing(contact, "campaign:3")
    email = _marketing(contact, purpose="campaign:3", channel="email")
    outbox_deliver(gateway=gateway)
    assert [_stored(row) for row in (first, second, third, email)] == [
        ("sent", ""),
        ("sent", ""),
        ("suppressed", "frequency_cap"),
        ("sent", ""),
    ]
    # Older than the window: no longer counted.
    OutboxMessage.objects.filter(status=MessageStatus.SENT).update(
        sent_at=timezone.now() - datetime.timedelta(days=8)
    )
    fourth = _marketing(contact, purpose="campaign:4")
    outbox_deliver(gateway=gateway)
    assert _stored(fourth) == ("sent", "")
