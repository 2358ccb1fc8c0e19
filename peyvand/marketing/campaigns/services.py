"""Writes of campaigns by people: create and change a draft (with its variants), schedule,
launch now, cancel. Each checks marketing permission and that the actor may open the
segment, validates field by field and records one timeline event; the sending itself is
``launch.py``'s, started after commit."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.permissions import require_permission
from peyvand.common.persian import clean_persian
from peyvand.messaging.models import MessageChannel, MessageStatus, OutboxMessage, SenderIdentity
from peyvand.timeline.events import event_record

from ..campaign_models import Campaign, CampaignStatus, CampaignVariant
from ..selectors import segments_visible_to

if TYPE_CHECKING:
    from peyvand.accounts.models import User

MAX_VARIANTS = 4
VARIANT_LABELS = "ABCD"
CAMPAIGN_FIELDS = (
    "name",
    "channel",
    "segment",
    "sender",
    "holdout_percent",
    "ab_test_percent",
    "winner_metric",
    "decide_after_hours",
    "conversion_verb",
    "conversion_days",
    "track_opens",
    "track_clicks",
)
EDITABLE = {CampaignStatus.DRAFT, CampaignStatus.SCHEDULED}


def _error(field: str, message: Any, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def _apply(actor: User, campaign: Campaign, values: Mapping[str, Any]) -> None:
    errors: dict[str, list[ValidationError]] = {}
    for name in CAMPAIGN_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if name == "segment":
            segment_id = getattr(value, "pk", value)
            segment = segments_visible_to(actor).filter(pk=segment_id).first()
            if segment is None:
                errors["segment"] = [
                    ValidationError(_("Choose a segment you can open."), code="invalid")
                ]
                continue
            campaign.segment = segment
        elif name == "sender":
            sender_id = getattr(value, "pk", value)
            if sender_id in (None, ""):
                campaign.sender = None
            else:
                sender = SenderIdentity.objects.filter(pk=sender_id).first()
                if sender is None:
                    errors["sender"] = [ValidationError(_("No such sender."), code="invalid")]
                    continue
                campaign.sender = sender
        elif name == "name":
            campaign.name = clean_persian(str(value or ""))
        else:
            setattr(campaign, name, value)
    try:
        campaign.full_clean(exclude=["segment"] if "segment" in errors else None)
    except ValidationError as error:
        for field, items in error.error_dict.items():
            errors.setdefault(field, []).extend(items)
    if errors:
        raise ValidationError(errors)


def _clean_variants(channel: str, variants: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    errors: dict[str, list[ValidationError]] = {}
    cleaned: list[dict[str, str]] = []
    if not variants:
        raise _error("variants", _("Write the message."), "required")
    if len(variants) > MAX_VARIANTS:
        raise _error("variants", _("At most four variants."), "max_length")
    for index, variant in enumerate(variants):
        subject = clean_persian(str(variant.get("subject") or ""))
        body_text = str(variant.get("body_text") or "").strip()
        body_html = str(variant.get("body_html") or "").strip()
        prefix = f"variants.{index}"
        if channel == MessageChannel.EMAIL and not subject:
            errors[f"{prefix}.subject"] = [
                ValidationError(_("An email needs a subject."), code="required")
            ]
        if channel == MessageChannel.SMS and not body_text:
            errors[f"{prefix}.body_text"] = [
                ValidationError(_("Write the text of the SMS."), code="required")
            ]
        if channel == MessageChannel.EMAIL and not (body_text or body_html):
            errors[f"{prefix}.body_text"] = [
                ValidationError(_("Write the text or the HTML of the email."), code="required")
            ]
        if len(subject) > 250:
            errors[f"{prefix}.subject"] = [
                ValidationError(_("At most 250 characters."), code="max_length")
            ]
        cleaned.append(
            {
                "label": VARIANT_LABELS[index],
                "subject": subject,
                "body_text": body_text,
                "body_html": body_html if channel == MessageChannel.EMAIL else "",
            }
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _save_variants(campaign: Campaign, variants: list[dict[str, str]]) -> None:
    campaign.variants.all().delete()
    CampaignVariant.objects.bulk_create(
        [
            CampaignVariant(campaign=campaign, position=index, **variant)
            for index, variant in enumerate(variants)
        ]
    )


def campaign_create(
    *, actor: User, values: Mapping[str, Any], variants: Sequence[Mapping[str, Any]]
) -> Campaign:
    """Create a draft campaign and its variants (one for a plain send, two to four for an
    A/B test)."""
    require_permission(actor, "write", "marketing")
    campaign = Campaign(created_by=actor)
    errors: dict[str, list[ValidationError]] = {}
    for step in (
        lambda: _apply(actor, campaign, values),
        lambda: _clean_variants(str(values.get("channel") or ""), variants),
    ):
        try:
            step()
        except ValidationError as error:
            errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    cleaned = _clean_variants(campaign.channel, variants)
    with transaction.atomic():
        campaign.save()
        _save_variants(campaign, cleaned)
        event_record(
            actor=actor,
            verb="campaign.created",
            subject=campaign,
            summary=campaign.name,
            payload={"channel": campaign.channel, "segment": campaign.segment_id},
        )
    return campaign


def campaign_update(
    *,
    actor: User,
    campaign: Campaign,
    values: Mapping[str, Any],
    variants: Sequence[Mapping[str, Any]] | None = None,
) -> Campaign:
    """Change a draft or scheduled campaign (a launched one is frozen)."""
    require_permission(actor, "write", "marketing")
    if campaign.status not in EDITABLE:
        raise _error("status", _("A launched campaign cannot be changed."))
    errors: dict[str, list[ValidationError]] = {}
    try:
        _apply(actor, campaign, values)
    except ValidationError as error:
        errors.update(error.error_dict)
    cleaned = None
    if variants is not None:
        try:
            cleaned = _clean_variants(campaign.channel, variants)
        except ValidationError as error:
            errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        campaign.save()
        if cleaned is not None:
            _save_variants(campaign, cleaned)
        event_record(actor=actor, verb="campaign.updated", subject=campaign, summary=campaign.name)
    return campaign


def _ready_to_launch(actor: User, campaign: Campaign) -> None:
    require_permission(actor, "write", "marketing")
    if campaign.status not in EDITABLE:
        raise _error("status", _("This campaign was already launched or cancelled."))
    if not segments_visible_to(actor).filter(pk=campaign.segment_id).exists():
        raise _error("segment", _("Choose a segment you can open."))
    variants = list(campaign.variants.values("subject", "body_text", "body_html"))
    _clean_variants(campaign.channel, variants)


def campaign_schedule(*, actor: User, campaign: Campaign, when: datetime.datetime) -> Campaign:
    """Schedule the campaign to launch at ``when`` (the scheduler's periodic job does it)."""
    _ready_to_launch(actor, campaign)
    if when <= timezone.now():
        raise _error("scheduled_at", _("Choose a time in the future."))
    with transaction.atomic():
        # The audience will be the segment as the scheduling person sees it.
        Campaign.objects.filter(pk=campaign.pk).update(
            status=CampaignStatus.SCHEDULED, scheduled_at=when, created_by=actor
        )
        campaign.refresh_from_db()
        event_record(
            actor=actor,
            verb="campaign.scheduled",
            subject=campaign,
            summary=campaign.name,
            payload={"scheduled_at": when.isoformat()},
        )
    return campaign


def campaign_launch(*, actor: User, campaign: Campaign) -> Campaign:
    """Launch now: the campaign becomes ``sending`` and a background task freezes the
    audience and queues the messages (the scheduler resumes it if that task dies). The
    audience is the segment as the launching person sees it."""
    _ready_to_launch(actor, campaign)
    with transaction.atomic():
        updated = Campaign.objects.filter(pk=campaign.pk, status__in=EDITABLE).update(
            status=CampaignStatus.SENDING, launched_at=timezone.now(), created_by=actor
        )
        if not updated:
            raise _error("status", _("This campaign was already launched or cancelled."))
        campaign.refresh_from_db()
        event_record(actor=actor, verb="campaign.launched", subject=campaign, summary=campaign.name)
        transaction.on_commit(lambda: _start_task(campaign.pk))
    return campaign


def _start_task(campaign_id: int) -> None:
    from ..tasks import campaign_run_task

    campaign_run_task.enqueue(campaign_id)


def campaign_cancel(*, actor: User, campaign: Campaign) -> Campaign:
    """Stop a campaign: a draft or scheduled one never goes; a sending one stops queuing and
    its messages not yet handed to a worker are withdrawn from the outbox (those already
    sent stay sent)."""
    require_permission(actor, "write", "marketing")
    with transaction.atomic():
        updated = Campaign.objects.filter(
            pk=campaign.pk,
            status__in=[CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING],
        ).update(status=CampaignStatus.CANCELLED)
        if not updated:
            raise _error("status", _("Only a campaign that is not sent yet can be cancelled."))
        withdrawn, _detail = OutboxMessage.objects.filter(
            purpose=campaign.purpose, status=MessageStatus.PENDING
        ).delete()
        campaign.refresh_from_db()
        event_record(
            actor=actor,
            verb="campaign.cancelled",
            subject=campaign,
            summary=campaign.name,
            payload={"withdrawn": withdrawn},
        )
    return campaign
