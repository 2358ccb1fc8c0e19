"""Campaigns: one message (in one or more A/B variants) to a segment over email or SMS.

The audience is frozen at launch into ``CampaignRecipient`` rows (one per contact, with the
hash bucket that decides hold-out and variant), so the statistics have a fixed denominator
and the hold-out group, which gets nothing, can be compared with the treated group. The
messages themselves are outbox rows with purpose ``campaign:<id>``; the outbox's unique key
(purpose, channel, recipient) makes every launch step safe to repeat."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.messaging.models import MessageChannel

# The buckets an audience is hashed into: hold-out and A/B shares are whole hundredths of
# a percent of this range.
BUCKETS = 10_000


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class WinnerMetric(models.TextChoices):
    OPEN_RATE = "open_rate", _("Open rate")
    CLICK_RATE = "click_rate", _("Click rate")
    CONVERSION_RATE = "conversion_rate", _("Conversion rate")


class RecipientGroup(models.TextChoices):
    """Where a frozen recipient falls: the A/B test (or, without a test, everyone), the
    hold-out (never messaged), or the rest that waits for the A/B winner."""

    TEST = "test", _("Test")
    HOLDOUT = "holdout", _("Hold-out")
    REST = "rest", _("Waiting for the winner")


class Campaign(models.Model):
    """One message to one segment on one channel, with its schedule, A/B and hold-out
    settings, the frozen audience's progress counters and the A/B decision.

    ``queue_cursor`` is the last contact id whose message was queued in the current phase
    (the test phase, then after the A/B decision the rest): a launch that stops half-way
    continues from there, and the outbox key makes any overlap harmless."""

    name = models.CharField(_("name"), max_length=150)
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    segment = models.ForeignKey(
        "marketing.Segment",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("segment"),
    )
    sender = models.ForeignKey(
        "messaging.SenderIdentity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sender"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    holdout_percent = models.PositiveSmallIntegerField(
        _("hold-out (%)"), default=0, validators=[MaxValueValidator(50)]
    )
    ab_test_percent = models.PositiveSmallIntegerField(
        _("A/B test share (%)"),
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    winner_metric = models.CharField(
        _("winner chosen by"),
        max_length=20,
        choices=WinnerMetric.choices,
        default=WinnerMetric.CLICK_RATE,
    )
    decide_after_hours = models.PositiveSmallIntegerField(
        _("decide after (hours)"), default=4, validators=[MaxValueValidator(24 * 14)]
    )
    conversion_verb = models.CharField(
        _("conversion event"), max_length=60, default="order.purchased"
    )
    conversion_days = models.PositiveSmallIntegerField(
        _("conversion window (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    track_opens = models.BooleanField(_("track opens"), default=True)
    track_clicks = models.BooleanField(_("track clicks"), default=True)
    # Launch progress (what the progress bar polls).
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    audience_frozen_at = models.DateTimeField(null=True, blank=True, editable=False)
    audience_count = models.PositiveIntegerField(_("audience"), default=0)
    to_queue_count = models.PositiveIntegerField(default=0, editable=False)
    queued_count = models.PositiveIntegerField(_("queued"), default=0)
    queue_cursor = models.BigIntegerField(default=0, editable=False)
    launch_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    queued_at = models.DateTimeField(_("all queued at"), null=True, blank=True)
    # The A/B decision.
    winner = models.ForeignKey(
        "marketing.CampaignVariant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("winner"),
    )
    winner_decided_at = models.DateTimeField(_("winner chosen at"), null=True, blank=True)
    winner_rates = models.JSONField(default=dict, blank=True, editable=False)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="campaign_due")]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name

    @property
    def purpose(self) -> str:
        """The outbox purpose of this campaign's messages."""
        return f"campaign:{self.pk}"


class CampaignVariant(models.Model):
    """One version of the campaign's message (A, B, …): subject and bodies with
    placeholders. A campaign with one variant is a plain send."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(_("label"), max_length=20)
    position = models.PositiveSmallIntegerField(default=0)
    subject = models.CharField(_("subject"), max_length=250, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("campaign variant")
        verbose_name_plural = _("campaign variants")

    def __str__(self) -> str:
        return self.label


class CampaignRecipient(models.Model):
    """One contact of the frozen audience: its address at launch (blank when it had none),
    its hash bucket, and its group and variant (none for the hold-out, and for the rest until
    the A/B winner is chosen)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="campaign_recipients"
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    bucket = models.PositiveSmallIntegerField(default=0)
    group = models.CharField(
        _("group"), max_length=10, choices=RecipientGroup.choices, default=RecipientGroup.TEST
    )
    variant = models.ForeignKey(
        CampaignVariant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["campaign", "contact"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact"], name="campaign_recipient_unique"
            )
        ]
        verbose_name = _("campaign recipient")
        verbose_name_plural = _("campaign recipients")

    def __str__(self) -> str:
        return f"{self.campaign_id} → {self.contact_id}"
