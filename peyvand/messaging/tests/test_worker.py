"""The worker: claims, sends, retries, and what it does with rows whose worker died."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import pytest
from django.utils import timezone

from peyvand.messaging.models import MessageStatus, OutboxMessage
from peyvand.messaging.outbox import outbox_enqueue
from peyvand.messaging.sms.base import (
    DeliveryReport,
    DeliveryStatus,
    PermanentSmsError,
    TransientSmsError,
)
from peyvand.messaging.worker import (
    UNCERTAIN_REASON,
    Throttle,
    outbox_deliver,
    retry_delay,
)
from peyvand.timeline.models import Event

from .conftest import MemoryGateway

pytestmark = pytest.mark.django_db


def _sms(number: int, **extra: Any) -> OutboxMessage:
    return outbox_enqueue(
        purpose="otp:test",
        channel="sms",
        recipient=f"+98912000{number:04d}",
        body_text=f"کد {number}",
        **extra,
    )


def _expire(row: OutboxMessage, *, started: bool, provider_id: str = "") -> None:
    """What a worker killed mid-batch leaves: ``sending``, its lease run out."""
    past = timezone.now() - datetime.timedelta(minutes=5)
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=MessageStatus.SENDING,
        claimed_until=past,
        send_started_at=past if started else None,
        attempts=1 if started else 0,
        provider_message_id=provider_id,
    )


def test_sends_due_sms_once_and_records_provider_ids(gateway: MemoryGateway) -> None:
    rows = [_sms(number) for number in range(5)]
    later = _sms(9, not_before=timezone.now() + datetime.timedelta(hours=1))
    result = outbox_deliver(gateway=gateway)
    assert (result.sent, result.handled) == (5, 5)
    assert outbox_deliver(gateway=gateway).handled == 0
    assert gateway.delivered == {str(row.pk): 1 for row in rows}
    assert gateway.sent[0] == ("+989120000000", "کد 0", str(rows[0].pk))
    stored = OutboxMessage.objects.get(pk=rows[0].pk)
    assert (stored.status, stored.provider_message_id, stored.attempts) == ("sent", "p1", 1)
    assert stored.sent_at is not None and stored.claimed_until is None
    assert OutboxMessage.objects.get(pk=later.pk).status == MessageStatus.PENDING


def test_limit_bounds_one_pass(gateway: MemoryGateway, settings: Any) -> None:
    settings.PEYVAND_OUTBOX_BATCH = 2
    for number in range(5):
        _sms(number)
    assert outbox_deliver(gateway=gateway, limit=3).sent == 3
    assert OutboxMessage.objects.filter(status=MessageStatus.PENDING).count() == 2


def test_transient_failure_backs_off_then_fails_after_max_attempts(
    gateway: MemoryGateway, settings: Any
) -> None:
    settings.PEYVAND_OUTBOX_MAX_ATTEMPTS = 2
    row = _sms(1)
    gateway.failures = [TransientSmsError("timeout"), TransientSmsError("502", retry_after=600)]
    before = timezone.now()
    assert outbox_deliver(gateway=gateway).retried == 1
    stored = OutboxMessage.objects.get(pk=row.pk)
    assert (stored.status, stored.attempts, stored.error) == ("pending", 1, "timeout")
    assert stored.next_attempt_at >= before + datetime.timedelta(seconds=30)
    assert stored.send_started_at is None
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox_deliver(gateway=gateway).failed == 1
    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.error) == ("failed", 2, "502")
    assert gateway.sent == []


def test_retry_delay_doubles_up_to_an_hour() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [
        30,
        60,
        120,
        3600,
        3600,
    ]


def test_permanent_failure_is_recorded_and_not_retried(gateway: MemoryGateway) -> None:
    row = _sms(1)
    gateway.failures = [PermanentSmsError("invalid receptor", provider_code="411")]
    assert outbox_deliver(gateway=gateway).failed == 1
    stored = OutboxMessage.objects.get(pk=row.pk)
    assert (stored.status, stored.error, stored.attempts) == ("failed", "invalid receptor", 1)
    assert outbox_deliver(gateway=gateway).handled == 0


def test_expired_claim_never_handed_over_goes_back_to_the_queue(gateway: MemoryGateway) -> None:
    row = _sms(1)
    _expire(row, started=False)
    result = outbox_deliver(gateway=MemoryGateway(idempotent_send=False))
    assert (result.recovered, result.sent, result.uncertain) == (1, 1, 0)
    assert OutboxMessage.objects.get(pk=row.pk).status == MessageStatus.SENT


def test_live_claim_is_not_touched(gateway: MemoryGateway) -> None:
    row = _sms(1)
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=MessageStatus.SENDING,
        claimed_until=timezone.now() + datetime.timedelta(minutes=1),
        send_started_at=timezone.now(),
    )
    assert outbox_deliver(gateway=gateway).handled == 0
    assert OutboxMessage.objects.get(pk=row.pk).status == MessageStatus.SENDING
    assert gateway.sent == []


def test_expired_send_to_idempotent_gateway_is_sent_again_with_the_same_local_id(
    gateway: MemoryGateway,
) -> None:
    row = _sms(1)
    # The first worker's request reached the provider, then the worker was killed.
    gateway.send(recipient=row.recipient, text=row.body_text, local_id=str(row.pk))
    _expire(row, started=True)
    result = outbox_deliver(gateway=gateway)
    assert (result.recovered, result.sent) == (1, 1)
    assert gateway.delivered == {str(row.pk): 1}
    stored = OutboxMessage.objects.get(pk=row.pk)
    assert (stored.status, stored.provider_message_id, stored.attempts) == ("sent", "p1", 2)


def test_expired_send_without_idempotency_becomes_uncertain() -> None:
    gateway = MemoryGateway(idempotent_send=False)
    row = _sms(1)
    _expire(row, started=True)
    result = outbox_deliver(gateway=gateway)
    assert (result.uncertain, result.sent) == (1, 0)
    stored = OutboxMessage.objects.get(pk=row.pk)
    assert (stored.status, stored.error) == ("uncertain", UNCERTAIN_REASON)
    assert gateway.sent == []
    assert outbox_deliver(gateway=gateway).handled == 0


def test_expired_send_with_a_provider_id_asks_the_provider() -> None:
    gateway = MemoryGateway(idempotent_send=False)
    row = _sms(1)
    _expire(row, started=True, provider_id="p77")
    gateway.statuses["p77"] = DeliveryStatus.DELIVERED
    outbox_deliver(gateway=gateway)
    assert OutboxMessage.objects.get(pk=row.pk).status == MessageStatus.DELIVERED
    assert gateway.sent == []


def test_sms_without_a_gateway_waits(settings: Any) -> None:
    settings.PEYVAND_SMS_GATEWAY = ""
    row = _sms(1)
    result = outbox_deliver()
    assert result.deferred == 1
    stored = OutboxMessage.objects.get(pk=row.pk)
    assert (stored.status, stored.suppression_reason) == ("pending", "no_gateway")
    assert stored.next_attempt_at > timezone.now() + datetime.timedelta(minutes=59)


def test_sent_message_to_a_contact_is_one_timeline_event(
    gateway: MemoryGateway, consenting_contact: Any
) -> None:
    contact = consenting_contact()
    row = _sms(1, contact=contact)
    outbox_deliver(gateway=gateway)
    outbox_deliver(gateway=gateway)
    events = Event.objects.filter(verb="message.sms", contact=contact)
    assert [(event.subject_id, event.summary, event.payload) for event in events] == [
        (row.pk, "کد 1", {"purpose": "otp:test", "category": "transactional"})
    ]


def test_throttle_spaces_sends_per_channel(settings: Any) -> None:
    settings.PEYVAND_SMS_RATE = 4
    settings.PEYVAND_EMAIL_RATE = 0
    clock = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    throttle = Throttle(sleep=sleep, clock=lambda: clock[0])
    for _ in range(3):
        throttle.wait("sms")
        throttle.wait("email")
    assert waits == [0.25, 0.25]
    clock[0] += 10
    throttle.wait("sms")
    assert waits == [0.25, 0.25]


class LookupGateway(MemoryGateway):
    """A gateway without send deduplication that can look messages up by local id."""

    def fetch_statuses_by_local_id(self, local_ids: Sequence[str]) -> dict[str, DeliveryReport]:
        return {
            local_id: DeliveryReport(self.ids[local_id], DeliveryStatus.SENT)
            for local_id in local_ids
            if local_id in self.ids
        }


def test_expired_send_is_settled_by_a_local_id_lookup() -> None:
    gateway = LookupGateway(idempotent_send=False)
    reached, lost = _sms(1), _sms(2)
    gateway.send(recipient=reached.recipient, text=reached.body_text, local_id=str(reached.pk))
    _expire(reached, started=True)
    _expire(lost, started=True)
    result = outbox_deliver(gateway=gateway)
    assert (result.recovered, result.sent, result.uncertain) == (1, 1, 0)
    assert gateway.delivered == {str(reached.pk): 1, str(lost.pk): 1}
    assert OutboxMessage.objects.get(pk=reached.pk).provider_message_id == "p1"
    assert OutboxMessage.objects.get(pk=lost.pk).provider_message_id == "p2"


def test_sms_placeholders_are_filled_at_send_time(
    gateway: MemoryGateway, consenting_contact: Any
) -> None:
    contact = consenting_contact()
    outbox_enqueue(
        purpose="otp:name",
        channel="sms",
        recipient="09121234567",
        contact=contact,
        body_text="{{ first_name }} عزیز، کد شما ۱۲۳",
    )
    outbox_deliver(gateway=gateway)
    assert [text for _to, text, _id in gateway.sent] == ["مریم عزیز، کد شما ۱۲۳"]
