"""The email channel's own records: every inbound message handled (so a message delivered
twice is handled once), where polling of the support mailbox stands, and the automatic
acknowledgement sent for a ticket opened by email."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundSource(models.TextChoices):
    IMAP = "imap", _("Support mailbox (IMAP)")
    WEBHOOK = "webhook", _("Inbound webhook")
    COMMAND = "command", _("Command line")


class InboundOutcome(models.TextChoices):
    CREATED = "created", _("New ticket")
    ADDED = "added", _("Added to a ticket")
    SKIPPED = "skipped", _("Skipped (automatic reply, bounce or loop)")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


class InboundEmail(models.Model):
    """One inbound email, handled once. ``key`` is the SHA-256 of its Message-ID (or of its
    raw bytes when it has none) and is unique: the same message fetched again, or posted by
    the webhook after the poller saw it, is recognised and adds nothing. The row is written
    in the same transaction as the ticket or message it made."""

    key = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=InboundSource.choices)
    from_email = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=250, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=InboundOutcome.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    ticket = models.ForeignKey(
        "service.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    ticket_message = models.ForeignKey(
        "service.TicketMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")

    def __str__(self) -> str:
        return f"{self.from_email}: {self.subject}"


class ImapMailboxState(models.Model):
    """How far polling of one IMAP folder has got: the folder's UIDVALIDITY and the highest
    UID handled. When the server's UIDVALIDITY changes the UIDs mean other messages, so the
    folder is read again from the start (the Message-ID keys keep that from adding twice).
    ``failing_uid`` is the message that failed on the last tries and ``failures`` how many
    times in a row: after a few it is recorded as failed and passed over."""

    mailbox = models.CharField(_("mailbox"), max_length=300, unique=True)
    uidvalidity = models.PositiveBigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    last_uid = models.PositiveBigIntegerField(_("last UID handled"), default=0)
    failing_uid = models.PositiveBigIntegerField(_("failing UID"), null=True, blank=True)
    failures = models.PositiveSmallIntegerField(_("failed tries of the failing UID"), default=0)
    polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("IMAP mailbox")
        verbose_name_plural = _("IMAP mailboxes")

    def __str__(self) -> str:
        return self.mailbox


class TicketAcknowledgement(models.Model):
    """The automatic "we received your request" email of a ticket opened by email: one per
    ticket. ``sent_at`` is claimed by a conditional update before sending, so a repeated
    task never sends it twice; its Message-ID threads the customer's answer back."""

    ticket = models.OneToOneField(
        "service.Ticket", on_delete=models.CASCADE, related_name="email_acknowledgement"
    )
    to_email = models.EmailField(_("recipient"))
    message_id = models.CharField(max_length=255, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("email error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("acknowledgement email")
        verbose_name_plural = _("acknowledgement emails")

    def __str__(self) -> str:
        return f"#{self.ticket_id} → {self.to_email}"
