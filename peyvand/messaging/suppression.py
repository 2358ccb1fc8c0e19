"""What stops marketing to an address: an unsubscribe (link or SMS keyword) and bounces;
and the provider's later word on a sent message (delivery reports, opens, clicks)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from peyvand.contacts.models import (
    ConsentMethod,
    ConsentStatus,
    Contact,
    ContactConsent,
    ContactPhone,
)
from peyvand.contacts.services import contact_set_consent

from . import config
from .models import (
    BounceKind,
    EmailBounce,
    MessageCategory,
    MessageChannel,
    MessageStatus,
    OutboxMessage,
    Suppression,
    SuppressionReason,
)
from .sms.base import DeliveryReport, DeliveryStatus
from .tokens import UnsubscribeTarget


def _suppress(channel: str, address: str, reason: str, detail: str = "") -> None:
    Suppression.objects.get_or_create(
        channel=channel, address=address, defaults={"reason": reason, "detail": detail[:300]}
    )


def _withdraw(contact: Contact, channel: str, method: str, note: str) -> bool:
    """Withdraw the contact's consent on ``channel`` (one timeline event), unless it is
    already withdrawn."""
    current = ContactConsent.objects.filter(contact=contact, channel=channel).first()
    if current is not None and current.status == ConsentStatus.WITHDRAWN:
        return False
    contact_set_consent(
        actor=None,
        contact=contact,
        channel=channel,
        status=ConsentStatus.WITHDRAWN,
        method=method,
        note=note,
    )
    return True


def unsubscribe_apply(*, target: UnsubscribeTarget) -> bool:
    """Stop marketing to the link's address and withdraw the contact's consent on the
    channel (ConsentMethod.UNSUBSCRIBE); True when something changed, so a second click is
    harmless and adds no event."""
    with transaction.atomic():
        _suppression, created = Suppression.objects.get_or_create(
            channel=target.channel,
            address=target.address,
            defaults={"reason": SuppressionReason.UNSUBSCRIBED},
        )
        contact = (
            Contact.objects.filter(pk=target.contact_id).first()
            if target.contact_id is not None
            else None
        )
        withdrawn = False
        if contact is not None:
            withdrawn = _withdraw(
                contact, target.channel, ConsentMethod.UNSUBSCRIBE, target.address
            )
    return created or withdrawn


def bounce_record(
    *, address: str, kind: str, reason: str = "", message: OutboxMessage | None = None
) -> EmailBounce:
    """Record a bounce of ``address``: a hard one (or the Nth soft one in 30 days) suppresses
    it from marketing; the bounced message, when known, is marked failed (hard) with the
    reason."""
    address = address.strip().lower()
    with transaction.atomic():
        bounce = EmailBounce(address=address, kind=kind, reason=reason[:300], message=message)
        bounce.full_clean()
        bounce.save()
        if kind == BounceKind.HARD:
            _suppress(MessageChannel.EMAIL, address, SuppressionReason.BOUNCED, reason)
            if message is not None:
                OutboxMessage.objects.filter(pk=message.pk).update(
                    status=MessageStatus.FAILED, error=reason[:300]
                )
        else:
            since = timezone.now() - datetime.timedelta(days=30)
            soft = EmailBounce.objects.filter(
                address=address, kind=BounceKind.SOFT, created_at__gte=since
            ).count()
            if soft >= config.soft_bounce_limit():
                _suppress(MessageChannel.EMAIL, address, SuppressionReason.BOUNCED, reason)
    return bounce


def sms_opt_out(*, sender: str, text: str) -> int:
    """Someone texted an opt-out keyword: stop marketing SMS to the number, withdraw the SMS
    consent of every contact with that number (ConsentMethod.SMS_KEYWORD, one event each)
    and, when ``PEYVAND_SMS_OPT_OUT_REPLY`` is set, queue a transactional confirmation.
    Returns how many contacts' consent changed."""
    from .outbox import outbox_enqueue

    changed = 0
    with transaction.atomic():
        _suppress(MessageChannel.SMS, sender, SuppressionReason.UNSUBSCRIBED, text[:100])
        contacts = Contact.objects.filter(
            pk__in=ContactPhone.objects.filter(number=sender).values("contact_id"),
            merged_into__isnull=True,
        ).order_by("id")
        first: Contact | None = None
        for contact in contacts:
            first = first or contact
            changed += _withdraw(contact, MessageChannel.SMS, ConsentMethod.SMS_KEYWORD, text)
        reply = config.opt_out_confirmation()
        if reply:
            outbox_enqueue(
                purpose=f"sms-opt-out:{timezone.now():%Y%m%d%H%M%S}",
                channel=MessageChannel.SMS,
                recipient=sender,
                category=MessageCategory.TRANSACTIONAL,
                contact=first,
                body_text=reply,
            )
    return changed


_DELIVERY_STATUS = {
    DeliveryStatus.DELIVERED: MessageStatus.DELIVERED,
    DeliveryStatus.FAILED: MessageStatus.FAILED,
}


def delivery_reports_apply(*, reports: Iterable[DeliveryReport]) -> int:
    """Record the provider's later status of sent SMS (delivered or failed); returns how
    many outbox rows changed. Reports for unknown ids are ignored."""
    changed = 0
    for report in reports:
        status = _DELIVERY_STATUS.get(report.status)
        if status is None or not report.provider_message_id:
            continue
        rows = OutboxMessage.objects.filter(
            channel=MessageChannel.SMS,
            provider_message_id=report.provider_message_id,
            status__in=[MessageStatus.SENT, MessageStatus.UNCERTAIN, MessageStatus.SENDING],
        )
        values: dict[str, object] = {"status": status, "claimed_until": None}
        if status == MessageStatus.DELIVERED:
            values["delivered_at"] = report.reported_at or timezone.now()
        else:
            values["error"] = report.detail[:300]
        changed += rows.update(**values)
    return changed


def message_opened(*, message_id: int) -> None:
    """The open pixel was fetched: the first time is kept."""
    OutboxMessage.objects.filter(pk=message_id, opened_at__isnull=True).update(
        opened_at=timezone.now()
    )


def message_clicked(*, message_id: int) -> None:
    """A tracked link was followed (which implies the message was opened)."""
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message_id, clicked_at__isnull=True).update(clicked_at=now)
    message_opened(message_id=message_id)
