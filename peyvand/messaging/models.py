"""The outbox (one row per message to one recipient on one channel), sender identities and
the suppression list.

Sending is at-least-once underneath and exactly-once to the customer: a message is a row
whose unique key is (purpose, channel, recipient), so enqueuing it twice finds the first
row; the worker (``worker.py``) claims rows, marks each one ``send_started_at`` just before
it hands it over, and a row found half-sent after a crash is never sent blindly again."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class MessageCategory(models.TextChoices):
    """Marketing needs consent and obeys quiet hours and caps; transactional does not."""

    TRANSACTIONAL = "transactional", _("Transactional")
    MARKETING = "marketing", _("Marketing")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Suppressed")
    UNCERTAIN = "uncertain", _("Uncertain")


class SuppressionReason(models.TextChoices):
    """Why a message was not sent (or, for quiet hours, not sent yet)."""

    NO_CONSENT = "no_consent", _("No consent")
    QUIET_HOURS = "quiet_hours", _("Deferred: quiet hours")
    FREQUENCY_CAP = "frequency_cap", _("Frequency cap reached")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Address bounced")
    NO_GATEWAY = "no_gateway", _("Channel not configured")
    # Two contacts merged into one, both queued for the same campaign: one copy goes.
    DUPLICATE = "duplicate", _("Duplicate of a merged contact's message")


class SenderIdentity(models.Model):
    """A "From" a message may be sent as: the company's shared one or a user's own.

    Only a verified identity is used; an unverified one falls back to the default sender
    (``DEFAULT_FROM_EMAIL``) so that mail is never sent from an address we do not own."""

    name = models.CharField(_("from name"), max_length=120)
    address = models.EmailField(_("from address"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sender_identities",
        verbose_name=_("user"),
    )
    is_shared = models.BooleanField(_("shared"), default=True)
    is_verified = models.BooleanField(_("verified"), default=False)
    reply_to = models.EmailField(_("reply-to"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("sender identity")
        verbose_name_plural = _("sender identities")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class OutboxMessage(models.Model):
    """One message to one recipient on one channel, from queued to its last known status.

    ``purpose`` says what it is for (``campaign:12``, ``journey:3:step:5``, ``otp:…``) and
    with ``channel`` and ``recipient`` forms the unique key; campaign statistics aggregate by
    it. ``send_started_at`` is written (and committed) just before the message is handed to
    SMTP or the SMS gateway: a ``sending`` row whose lease expired without it was never
    handed over and goes back to the queue; one with it may have been sent."""

    purpose = models.CharField(_("purpose"), max_length=120)
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    category = models.CharField(_("category"), max_length=15, choices=MessageCategory.choices)
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_messages",
        verbose_name=_("contact"),
    )
    sender = models.ForeignKey(
        SenderIdentity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sender"),
    )
    subject = models.CharField(_("subject"), max_length=250, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    track_opens = models.BooleanField(_("track opens"), default=False)
    track_clicks = models.BooleanField(_("track clicks"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    suppression_reason = models.CharField(
        _("suppression reason"), max_length=15, choices=SuppressionReason.choices, blank=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    send_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    provider_message_id = models.CharField(_("provider message ID"), max_length=100, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # The outbox key: its leading column also serves the per-purpose statistics.
            models.UniqueConstraint(
                fields=["purpose", "channel", "recipient"], name="outbox_message_key"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["contact", "channel", "sent_at"], name="outbox_contact_sent"),
            models.Index(fields=["provider_message_id"], name="outbox_provider_id"),
        ]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"

    @property
    def key(self) -> str:
        """The message's identity: purpose, channel and recipient."""
        return f"{self.purpose}|{self.channel}|{self.recipient}"

    @property
    def local_id(self) -> str:
        """The id the SMS gateway deduplicates by: the row's, stable across retries."""
        return str(self.pk)


class Suppression(models.Model):
    """An address that must not get marketing on a channel (unsubscribed, hard-bounced or
    opted out by SMS keyword); transactional messages still go."""

    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    address = models.CharField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=15, choices=SuppressionReason.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="suppression_unique")
        ]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return f"{self.channel}:{self.address} ({self.reason})"


class BounceKind(models.TextChoices):
    HARD = "hard", _("Hard")
    SOFT = "soft", _("Soft")


class EmailBounce(models.Model):
    """One bounce reported for an address (append-only); repeated soft bounces suppress it
    like a hard one."""

    address = models.CharField(_("address"), max_length=254, db_index=True)
    kind = models.CharField(_("kind"), max_length=5, choices=BounceKind.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    message = models.ForeignKey(
        OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("email bounce")
        verbose_name_plural = _("email bounces")

    def __str__(self) -> str:
        return f"{self.address} ({self.kind})"
