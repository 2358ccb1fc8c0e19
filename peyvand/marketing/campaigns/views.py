"""Campaign pages: the list, the editor, a campaign's page (progress bar polled by htmx,
statistics with charts, preview per recipient), and launch, schedule and cancel."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.contacts.models import Contact
from peyvand.web.form_errors import add_service_errors, flash_service_errors

from ..campaign_models import Campaign, CampaignStatus
from ..selectors import segment_count, segment_members, segments_visible_to
from .forms import VARIANT_FIELD_MAP, CampaignForm, ScheduleForm
from .launch import CHUNK
from .personalize import PLACEHOLDERS, VariantRenderer, placeholder_values, sms_length
from .selectors import campaigns_visible_to
from .services import (
    campaign_cancel,
    campaign_create,
    campaign_launch,
    campaign_schedule,
    campaign_update,
)
from .stats import campaign_stats

PREVIEW_CHOICES = 30


def _campaign(request: AuthenticatedRequest, campaign_id: int) -> Campaign:
    campaign = campaigns_visible_to(request.user).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404
    return campaign


@login_required
def campaign_list(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "marketing")
    campaigns = list(campaigns_visible_to(request.user).order_by("-id")[:200])
    return render(
        request,
        "marketing/campaign_list.html",
        {"campaigns": campaigns, "can_write": has_permission(request.user, "write", "marketing")},
    )


def _initial(campaign: Campaign | None) -> dict[str, Any]:
    if campaign is None:
        return {
            "channel": "sms",
            "holdout_percent": 0,
            "ab_test_percent": 100,
            "winner_metric": "click_rate",
            "decide_after_hours": 4,
            "conversion_verb": "order.purchased",
            "conversion_days": 7,
        }
    initial: dict[str, Any] = {
        name: getattr(campaign, name)
        for name in (
            "name",
            "channel",
            "holdout_percent",
            "ab_test_percent",
            "winner_metric",
            "decide_after_hours",
            "conversion_verb",
            "conversion_days",
        )
    }
    initial["segment"] = campaign.segment_id
    initial["sender"] = campaign.sender_id
    for prefix, variant in zip("ab", campaign.variants.order_by("position"), strict=False):
        for name in ("subject", "body_text", "body_html"):
            initial[f"{prefix}_{name}"] = getattr(variant, name)
    return initial


def _editor(request: AuthenticatedRequest, campaign: Campaign | None) -> HttpResponse:
    require_permission(request.user, "write", "marketing")
    segments = segments_visible_to(request.user).order_by("name", "id")
    form = CampaignForm(request.POST or None, initial=_initial(campaign), segments=segments)
    if request.method == "POST" and form.is_valid():
        try:
            if campaign is None:
                campaign = campaign_create(
                    actor=request.user, values=form.values(), variants=form.variants()
                )
            else:
                campaign = campaign_update(
                    actor=request.user,
                    campaign=campaign,
                    values=form.values(),
                    variants=form.variants(),
                )
        except ValidationError as error:
            add_service_errors(form, error, VARIANT_FIELD_MAP)
        else:
            return redirect("marketing:campaign_detail", campaign.pk)
    counts = {segment.pk: segment_count(segment, user=request.user) for segment in segments}
    return render(
        request,
        "marketing/campaign_form.html",
        {
            "form": form,
            "campaign": campaign,
            "segment_counts": counts,
            "placeholders": PLACEHOLDERS,
        },
    )


@login_required
def campaign_create_view(request: AuthenticatedRequest) -> HttpResponse:
    return _editor(request, None)


@login_required
def campaign_edit(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    if campaign.status not in {CampaignStatus.DRAFT, CampaignStatus.SCHEDULED}:
        return redirect("marketing:campaign_detail", campaign.pk)
    return _editor(request, campaign)


def _progress_context(campaign: Campaign) -> dict[str, Any]:
    stats = campaign_stats(campaign)
    to_queue = max(campaign.to_queue_count, 1)
    return {
        "campaign": campaign,
        "stats": stats,
        "queue_percent": min(100, round(100 * campaign.queued_count / to_queue))
        if campaign.audience_frozen_at
        else 0,
        "outcome_percents": stats.outcome_percents(),
        "polling": campaign.status == CampaignStatus.SENDING or stats.treated.pending > 0,
    }


@login_required
def campaign_detail(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    require_permission(request.user, "read", "marketing")
    campaign = _campaign(request, campaign_id)
    context = _progress_context(campaign)
    audience = (
        Contact.objects.filter(campaign_recipients__campaign=campaign).order_by("pk")
        if campaign.audience_frozen_at
        else segment_members(campaign.segment, user=request.user).order_by("pk")
    )
    stats = context["stats"]
    chart = {
        "labels": [
            _("Queued"),
            _("Sent"),
            _("Delivered"),
            _("Opened"),
            _("Clicked"),
            _("Converted"),
        ],
        "values": [
            stats.treated.queued,
            stats.treated.sent,
            stats.treated.delivered,
            stats.treated.opened,
            stats.treated.clicked,
            stats.treated.converted,
        ],
    }
    context.update(
        {
            "variants": list(campaign.variants.order_by("position")),
            "preview_contacts": list(audience[:PREVIEW_CHOICES]),
            "can_write": has_permission(request.user, "write", "marketing"),
            "schedule_form": ScheduleForm(),
            "chart": chart,
            "chunk": CHUNK,
        }
    )
    return render(request, "marketing/campaign_detail.html", context)


@login_required
def campaign_progress(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    """The progress bar and counters, polled by htmx while the campaign is sending."""
    require_permission(request.user, "read", "marketing")
    campaign = _campaign(request, campaign_id)
    return render(request, "marketing/_campaign_progress.html", _progress_context(campaign))


@login_required
def campaign_preview(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    """Each variant as the chosen recipient (one the user may see) would get it."""
    require_permission(request.user, "read", "marketing")
    campaign = _campaign(request, campaign_id)
    contact = None
    contact_id = request.GET.get("contact", "")
    if contact_id.isdigit():
        contact = segment_members(campaign.segment, user=request.user).filter(pk=contact_id).first()
        if contact is None:
            contact = (
                Contact.objects.filter(pk=contact_id, campaign_recipients__campaign=campaign)
                .filter(pk__in=segment_members(campaign.segment, user=request.user).values("pk"))
                .first()
            )
    if contact is None:
        return render(request, "marketing/_campaign_preview.html", {"previews": []})
    from django.utils import timezone

    variants = list(campaign.variants.order_by("position"))
    renderers = [
        VariantRenderer(
            subject=variant.subject, body_text=variant.body_text, body_html=variant.body_html
        )
        for variant in variants
    ]
    next_product = ""
    if any(renderer.mentions_next_product for renderer in renderers):
        # Intelligence sits above marketing, hence the import here.
        from peyvand.intelligence.product_recommendations import next_product_names

        next_product = next_product_names([contact.pk])[contact.pk]
    values = placeholder_values(
        channel=campaign.channel,
        first_name=contact.first_name,
        last_name=contact.last_name,
        custom_fields=contact.custom_fields,
        language=contact.language,
        today=timezone.localdate(),
        next_product=next_product,
    )
    previews = []
    for variant, renderer in zip(variants, renderers, strict=True):
        rendered = renderer.render(values)
        previews.append(
            {
                "variant": variant,
                "rendered": rendered,
                "sms": sms_length(rendered.body_text) if campaign.channel == "sms" else None,
            }
        )
    return render(
        request,
        "marketing/_campaign_preview.html",
        {"previews": previews, "contact": contact, "campaign": campaign},
    )


@login_required
@require_POST
def campaign_launch_view(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    try:
        campaign_launch(actor=request.user, campaign=campaign)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("The campaign is being sent."))
    return redirect("marketing:campaign_detail", campaign.pk)


@login_required
@require_POST
def campaign_schedule_view(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid date and time."))
        return redirect("marketing:campaign_detail", campaign.pk)
    try:
        campaign_schedule(
            actor=request.user, campaign=campaign, when=form.cleaned_data["scheduled_at"]
        )
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("The campaign is scheduled."))
    return redirect("marketing:campaign_detail", campaign.pk)


@login_required
@require_POST
def campaign_cancel_view(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    try:
        campaign_cancel(actor=request.user, campaign=campaign)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("The campaign was cancelled."))
    return redirect("marketing:campaign_detail", campaign.pk)
