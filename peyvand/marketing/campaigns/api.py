"""REST endpoints of campaigns: ``/api/v1/campaigns`` (list, create, read), launch, and
stats. A campaign whose segment the caller may not open is a 404; bad input is a 422 with
field errors (``variants.0.subject``)."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.api.common import PageOut, cursor_page

from ..campaign_models import Campaign
from .selectors import campaigns_visible_to
from .services import campaign_create, campaign_launch
from .stats import campaign_stats

router = Router(tags=["campaigns"])


class VariantIO(Schema):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field("", max_length=250)
    body_text: str = Field("", max_length=20_000)
    body_html: str = Field("", max_length=200_000)


class VariantOut(VariantIO):
    id: int
    label: str


class CampaignIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=150)
    channel: Literal["email", "sms"]
    segment_id: int
    sender_id: int | None = None
    holdout_percent: int = Field(0, ge=0, le=50)
    ab_test_percent: int = Field(100, ge=1, le=100)
    winner_metric: Literal["open_rate", "click_rate", "conversion_rate"] = "click_rate"
    decide_after_hours: int = Field(4, ge=0, le=336)
    conversion_verb: str = Field("order.purchased", max_length=60)
    conversion_days: int = Field(7, ge=1, le=90)
    variants: list[VariantIO] = Field(..., min_length=1, max_length=4)


class CampaignOut(Schema):
    id: int
    name: str
    channel: str
    segment_id: int
    sender_id: int | None
    status: str
    scheduled_at: datetime.datetime | None
    holdout_percent: int
    ab_test_percent: int
    winner_metric: str
    decide_after_hours: int
    conversion_verb: str
    conversion_days: int
    launched_at: datetime.datetime | None
    audience_count: int
    queued_count: int
    winner_id: int | None
    variants: list[VariantOut]


class PageQuery(Schema):
    cursor: str | None = None
    limit: int = 50


def _out(campaign: Campaign) -> dict[str, Any]:
    values = {name: getattr(campaign, name) for name in CampaignOut.model_fields}
    values["variants"] = list(
        campaign.variants.values("id", "label", "subject", "body_text", "body_html")
    )
    return values


def _campaign(request: AuthenticatedRequest, campaign_id: int) -> Campaign:
    return campaigns_visible_to(request.user).get(pk=campaign_id)


@router.get("/campaigns", response=PageOut[CampaignOut], summary="List campaigns")
def list_campaigns(request: AuthenticatedRequest, page: Query[PageQuery]) -> dict[str, Any]:
    require_permission(request.user, "read", "marketing")
    result = cursor_page(
        campaigns_visible_to(request.user).prefetch_related("variants"),
        ordering=["-id"],
        cursor=page.cursor,
        limit=page.limit,
    )
    return {"items": [_out(item) for item in result.items], "next_cursor": result.next_cursor}


@router.post("/campaigns", response={201: CampaignOut}, summary="Create a campaign")
def create_campaign(request: AuthenticatedRequest, payload: CampaignIn) -> Status[dict[str, Any]]:
    """A draft; one variant for a plain send, two to four for an A/B test."""
    require_permission(request.user, "write", "marketing")
    values = payload.dict(exclude={"variants"})
    values["segment"] = values.pop("segment_id")
    values["sender"] = values.pop("sender_id")
    campaign = campaign_create(
        actor=request.user,
        values=values,
        variants=[variant.dict() for variant in payload.variants],
    )
    return Status(201, _out(campaign))


@router.get("/campaigns/{campaign_id}", response=CampaignOut, summary="Get a campaign")
def get_campaign(request: AuthenticatedRequest, campaign_id: int) -> dict[str, Any]:
    require_permission(request.user, "read", "marketing")
    return _out(_campaign(request, campaign_id))


@router.post(
    "/campaigns/{campaign_id}/launch", response=CampaignOut, summary="Launch a campaign now"
)
def launch_campaign(request: AuthenticatedRequest, campaign_id: int) -> dict[str, Any]:
    """Freezes the audience (as the caller sees the segment) and queues the messages in the
    background; poll the campaign or its stats for progress."""
    require_permission(request.user, "write", "marketing")
    campaign = campaign_launch(actor=request.user, campaign=_campaign(request, campaign_id))
    return _out(campaign)


@router.get("/campaigns/{campaign_id}/stats", summary="Campaign statistics")
def get_stats(request: AuthenticatedRequest, campaign_id: int) -> dict[str, Any]:
    """Audience, queued, sent, delivered, failed, suppressed, opened, clicked,
    unsubscribed and converted per group and variant, the totals, the hold-out and the
    lift."""
    require_permission(request.user, "read", "marketing")
    return campaign_stats(_campaign(request, campaign_id)).as_dict()
