"""The outbox worker: claim due messages, check the rules, send, record the outcome.

A batch is claimed in one committed transaction (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so workers never wait for each other; SQLite's immediate transactions serialize
the claim) and marked ``sending`` with a lease. Each message is then sent outside any
transaction, after ``send_started_at`` has been committed for it: if the worker dies, the
next worker finds the expired lease and knows which rows were never handed over (back to
the queue) and which may have been (sent again only to an SMS gateway that deduplicates by
our local id; otherwise the provider's status is asked for, or the row is marked
``uncertain`` for a person to decide, never sent blindly a second time)."""

from __future__ import annotations

import datetime
import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from peyvand.timeline.events import event_record

from . import config
from .email_channel import PermanentEmailError, TransientEmailError, email_deliver
from .models import MessageChannel, MessageStatus, OutboxMessage, SuppressionReason
from .outbox import (
    SECRET_PURPOSE_PREFIX,
    is_secret_purpose,
    placeholder_values,
    render_placeholders,
    secret_redacted,
)
from .rules import BatchRules
from .sms.base import (
    DeliveryStatus,
    PermanentSmsError,
    SmsError,
    SmsGateway,
    SupportsLocalIdLookup,
    TransientSmsError,
    configured_gateway,
)

logger = logging.getLogger(__name__)

UNCERTAIN_REASON = "The worker stopped while sending; it may or may not have been sent."
NO_GATEWAY_DELAY = datetime.timedelta(hours=1)


@dataclass
class DeliverResult:
    """What one :func:`outbox_deliver` call did, by outcome."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    deferred: int = 0
    recovered: int = 0
    uncertain: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.suppressed + self.deferred

    def __str__(self) -> str:
        return ", ".join(f"{item.name} {getattr(self, item.name)}" for item in fields(self))


def retry_delay(attempt: int) -> datetime.timedelta:
    """The wait after failed try ``attempt``: 30 s, 1, 2, 4 … minutes, at most an hour."""
    return datetime.timedelta(seconds=min(3600, 30 * 2 ** max(0, attempt - 1)))


class Throttle:
    """At most ``config.send_rate(channel)`` messages per second per channel, per worker."""

    def __init__(
        self,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sleep = sleep
        self.clock = clock
        self.next_at: dict[str, float] = {}

    def wait(self, channel: str) -> None:
        rate = config.send_rate(channel)
        if rate <= 0:
            return
        now = self.clock()
        due = self.next_at.get(channel, now)
        if due > now:
            self.sleep(due - now)
            now = due
        self.next_at[channel] = now + 1.0 / rate


_STATUS_OF_REPORT = {
    DeliveryStatus.QUEUED: MessageStatus.SENT,
    DeliveryStatus.SENT: MessageStatus.SENT,
    DeliveryStatus.DELIVERED: MessageStatus.DELIVERED,
    DeliveryStatus.FAILED: MessageStatus.FAILED,
}


def outbox_recover(
    *, gateway: SmsGateway | None, now: datetime.datetime, result: DeliverResult
) -> None:
    """Settle the rows whose worker died: ``sending`` with an expired lease."""
    expired = OutboxMessage.objects.filter(status=MessageStatus.SENDING, claimed_until__lt=now)
    secret_ids = list(
        expired.filter(purpose__startswith=SECRET_PURPOSE_PREFIX).values_list("pk", flat=True)
    )
    result.recovered += expired.filter(send_started_at__isnull=True).update(
        status=MessageStatus.PENDING, claimed_until=None
    )
    started = expired.filter(send_started_at__isnull=False)
    if gateway is not None and gateway.idempotent_send:
        # The gateway refuses a second message with the same local id: send again.
        result.recovered += started.filter(channel=MessageChannel.SMS).update(
            status=MessageStatus.PENDING, claimed_until=None, send_started_at=None
        )
    elif gateway is not None:
        sms = started.filter(channel=MessageChannel.SMS)
        for row in sms.exclude(provider_message_id=""):
            _settle_from_provider(gateway, row)
        if isinstance(gateway, SupportsLocalIdLookup):
            result.recovered += _settle_by_local_id(
                gateway, list(sms.filter(provider_message_id="")[:500])
            )
    result.uncertain += started.update(
        status=MessageStatus.UNCERTAIN, claimed_until=None, error=UNCERTAIN_REASON
    )
    _redact_final_secrets(secret_ids)


def _redact_final_secrets(ids: list[int]) -> None:
    """Keep no one-time secret in rows that will not be sent again by themselves."""
    final = OutboxMessage.objects.filter(pk__in=ids).exclude(
        status__in=[MessageStatus.PENDING, MessageStatus.SENDING]
    )
    for pk, text in final.values_list("pk", "body_text"):
        OutboxMessage.objects.filter(pk=pk).update(body_text=secret_redacted(text))


def _settle_from_provider(gateway: SmsGateway, row: OutboxMessage) -> None:
    try:
        reports = gateway.fetch_statuses([row.provider_message_id])
    except SmsError:
        return
    for report in reports:
        status = _STATUS_OF_REPORT.get(report.status)
        if status is not None and report.provider_message_id == row.provider_message_id:
            OutboxMessage.objects.filter(
                pk=row.pk, status=MessageStatus.SENDING, claimed_until=row.claimed_until
            ).update(status=status, claimed_until=None, sent_at=row.send_started_at)


def _settle_by_local_id(gateway: SupportsLocalIdLookup, rows: list[OutboxMessage]) -> int:
    """Ask the provider what became of sends whose answer was lost: a message it knows is
    recorded as sent; one it never got goes back to the queue (sending it cannot make a
    second copy). Returns how many rows went back to the queue."""
    if not rows:
        return 0
    try:
        found = gateway.fetch_statuses_by_local_id([row.local_id for row in rows])
    except SmsError:
        return 0
    requeued = 0
    for row in rows:
        mine = OutboxMessage.objects.filter(
            pk=row.pk, status=MessageStatus.SENDING, claimed_until=row.claimed_until
        )
        report = found.get(row.local_id)
        if report is None:
            requeued += mine.update(
                status=MessageStatus.PENDING, claimed_until=None, send_started_at=None
            )
        else:
            mine.update(
                status=_STATUS_OF_REPORT.get(report.status, MessageStatus.SENT),
                provider_message_id=report.provider_message_id[:100],
                claimed_until=None,
                sent_at=row.send_started_at,
            )
    return requeued


def _claim(
    size: int, now: datetime.datetime, *, only_ids: list[int] | None = None
) -> tuple[list[OutboxMessage], datetime.datetime]:
    """Claim up to ``size`` due rows for this worker (only among ``only_ids`` when given);
    returns them and the lease's end."""
    slowest = min(
        (rate for rate in map(config.send_rate, MessageChannel.values) if rate > 0), default=0
    )
    seconds = config.lease_seconds() + (size / slowest if slowest else 0)
    lease_until = now + datetime.timedelta(seconds=seconds)
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            status=MessageStatus.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        if only_ids is not None:
            due = due.filter(id__in=only_ids)
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:size])
        if not ids:
            return [], lease_until
        OutboxMessage.objects.filter(id__in=ids, status=MessageStatus.PENDING).update(
            status=MessageStatus.SENDING, claimed_until=lease_until, send_started_at=None
        )
    rows = list(
        OutboxMessage.objects.filter(
            id__in=ids, status=MessageStatus.SENDING, claimed_until=lease_until
        )
        .select_related("sender", "contact")
        .order_by("next_attempt_at", "id")
    )
    return rows, lease_until


class _Sender:
    """Sends one row on its channel; holds the batch's SMTP connection and the gateway."""

    def __init__(self, gateway: SmsGateway | None) -> None:
        self.gateway = gateway
        self.mail: BaseEmailBackend | None = None

    def send(self, row: OutboxMessage) -> tuple[str, str]:
        """``(provider_message_id, outbox status)``; raises the channel's errors."""
        if row.channel == MessageChannel.EMAIL:
            try:
                if self.mail is None:
                    self.mail = get_connection(fail_silently=False)
                    self.mail.open()
                return email_deliver(row, self.mail), MessageStatus.SENT
            except (OSError, smtplib.SMTPException) as error:  # opening the connection
                self.close()
                raise TransientEmailError(str(error)[:300] or type(error).__name__) from error
            except TransientEmailError:
                self.close()  # the connection may be broken; the next row opens a new one
                raise
        assert self.gateway is not None
        text = render_placeholders(row.body_text, placeholder_values(row), html=False)
        sent = self.gateway.send(recipient=row.recipient, text=text, local_id=row.local_id)
        return sent.provider_message_id, _STATUS_OF_REPORT.get(sent.status, MessageStatus.SENT)

    def close(self) -> None:
        if self.mail is not None:
            try:
                self.mail.close()
            except Exception:
                logger.warning("closing the SMTP connection failed", exc_info=True)
            self.mail = None


def _record_sent(row: OutboxMessage, provider_id: str, status: str) -> bool:
    now = timezone.now()
    secret = is_secret_purpose(row.purpose)
    body_text = secret_redacted(row.body_text) if secret else row.body_text
    with transaction.atomic():
        # Success is the truth even if the lease was lost meanwhile; a row already recorded
        # as sent (a deduplicated second send) is left alone and gets no second event.
        updated = (
            OutboxMessage.objects.filter(pk=row.pk)
            .exclude(status__in=[MessageStatus.SENT, MessageStatus.DELIVERED])
            .update(
                status=status,
                provider_message_id=provider_id[:100],
                sent_at=now,
                delivered_at=now if status == MessageStatus.DELIVERED else None,
                claimed_until=None,
                error="",
                suppression_reason="",
                body_text=body_text,
            )
        )
        if updated and row.contact is not None:
            event_record(
                actor=None,
                verb=f"message.{row.channel}",
                subject=row,
                contact=row.contact,
                # A one-time code never reaches the (append-only) event log.
                summary=row.subject or body_text[:80],
                payload={"purpose": row.purpose, "category": row.category},
                occurred_at=now,
            )
    return bool(updated)


def _record_failure(
    row: OutboxMessage, lease_until: datetime.datetime, error: Exception, *, transient: bool
) -> str:
    reason = (getattr(error, "reason", "") or str(error) or type(error).__name__)[:300]
    mine = OutboxMessage.objects.filter(
        pk=row.pk, status=MessageStatus.SENDING, claimed_until=lease_until
    )
    attempts = row.attempts + 1
    if transient and attempts < config.max_attempts():
        delay = retry_delay(attempts)
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            delay = max(delay, datetime.timedelta(seconds=float(retry_after)))
        mine.update(
            status=MessageStatus.PENDING,
            next_attempt_at=timezone.now() + delay,
            claimed_until=None,
            send_started_at=None,
            error=reason,
        )
        return "retried"
    final: dict[str, object] = {"status": MessageStatus.FAILED, "claimed_until": None}
    if is_secret_purpose(row.purpose):
        final["body_text"] = secret_redacted(row.body_text)
    mine.update(error=reason, **final)
    return "failed"


def _deliver_one(
    row: OutboxMessage,
    lease_until: datetime.datetime,
    rules: BatchRules,
    sender: _Sender,
    throttle: Throttle,
    result: DeliverResult,
) -> None:
    mine = OutboxMessage.objects.filter(
        pk=row.pk, status=MessageStatus.SENDING, claimed_until=lease_until
    )
    verdict = rules.verdict(row)
    if verdict.reason == "" and row.channel == MessageChannel.SMS and sender.gateway is None:
        verdict = type(verdict)(SuppressionReason.NO_GATEWAY, rules.now + NO_GATEWAY_DELAY)
    if verdict.defer_until is not None:
        mine.update(
            status=MessageStatus.PENDING,
            next_attempt_at=verdict.defer_until,
            suppression_reason=verdict.reason,
            claimed_until=None,
        )
        result.deferred += 1
        return
    if verdict.reason:
        mine.update(
            status=MessageStatus.SUPPRESSED, suppression_reason=verdict.reason, claimed_until=None
        )
        result.suppressed += 1
        return
    # Committed before the send: from here a crash leaves a row that may have gone out.
    started = mine.filter(claimed_until__gt=timezone.now()).update(
        send_started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not started:
        return  # the lease ran out; another worker recovers the row
    throttle.wait(row.channel)
    try:
        provider_id, status = sender.send(row)
    except (TransientSmsError, TransientEmailError) as error:
        outcome = _record_failure(row, lease_until, error, transient=True)
    except (PermanentSmsError, PermanentEmailError) as error:
        outcome = _record_failure(row, lease_until, error, transient=False)
    else:
        _record_sent(row, provider_id, status)
        outcome = "sent"
    setattr(result, outcome, getattr(result, outcome) + 1)


def outbox_deliver(
    *,
    limit: int = 1000,
    gateway: SmsGateway | None = None,
    throttle: Throttle | None = None,
) -> DeliverResult:
    """Send up to ``limit`` due messages (after settling rows whose worker died); the SMS
    gateway is ``gateway`` or, when None, the configured one."""
    if gateway is None:
        gateway = configured_gateway()
    result = DeliverResult()
    outbox_recover(gateway=gateway, now=timezone.now(), result=result)
    sender = _Sender(gateway)
    throttle = throttle or Throttle()
    try:
        while result.handled < limit:
            now = timezone.now()
            rows, lease_until = _claim(min(config.batch_size(), limit - result.handled), now)
            if not rows:
                break
            rules = BatchRules(rows, now)
            for row in rows:
                _deliver_one(row, lease_until, rules, sender, throttle, result)
    finally:
        sender.close()
    return result


def outbox_deliver_now(
    *, message: OutboxMessage, gateway: SmsGateway | None = None
) -> OutboxMessage:
    """Send one queued message right away, in the caller's process (a sign-in code must not
    wait for the worker's next pass), through the same claim, rules and bookkeeping as the
    worker: if a worker claimed it first, or it is not due, this does nothing and the
    worker sends it; a crash mid-send leaves a row the worker's recovery settles. Returns
    the row as it stands afterwards (sent, back in the queue for a retry, failed …)."""
    if gateway is None:
        gateway = configured_gateway()
    result = DeliverResult()
    sender = _Sender(gateway)
    try:
        now = timezone.now()
        rows, lease_until = _claim(1, now, only_ids=[message.pk])
        if rows:
            rules = BatchRules(rows, now)
            _deliver_one(rows[0], lease_until, rules, sender, Throttle(), result)
    finally:
        sender.close()
    return OutboxMessage.objects.get(pk=message.pk)


def outbox_deliver_job() -> DeliverResult:
    """The scheduler's periodic job (a bounded pass, so other jobs are not held up)."""
    return outbox_deliver(limit=200)
