"""Campaign pages: create, preview per recipient, launch, progress and stats, cancel;
permissions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import override

from peyvand.accounts.models import Role, User
from peyvand.common.jalali import format_date
from peyvand.contacts.models import Contact
from peyvand.marketing.campaign_models import Campaign, CampaignStatus
from peyvand.marketing.campaigns.launch import campaign_run
from peyvand.marketing.models import Segment
from peyvand.messaging.models import MessageStatus, OutboxMessage

pytestmark = pytest.mark.django_db


def _form(segment: Segment, **extra: str) -> dict[str, str]:
    values = {
        "name": "جشنواره",
        "channel": "sms",
        "segment": str(segment.pk),
        "holdout_percent": "0",
        "ab_test_percent": "100",
        "winner_metric": "click_rate",
        "decide_after_hours": "4",
        "conversion_verb": "order.purchased",
        "conversion_days": "7",
        "a_body_text": "سلام {{ first_name }}، امروز {{ today }}",
    }
    values.update(extra)
    return values


def test_create_preview_launch_and_watch_progress(
    logged_in: Callable[[User], Client],
    marketer: User,
    everyone_segment: Segment,
    customer: Callable[..., Contact],
) -> None:
    maryam = customer(first_name="مریم")
    customer(first_name="رضا")
    client = logged_in(marketer)
    page = client.get("/marketing/campaigns/new/")
    assert page.status_code == 200
    assert f'data-segment-count="{everyone_segment.pk}"' in page.content.decode()
    response = client.post("/marketing/campaigns/new/", _form(everyone_segment))
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/marketing/campaigns/{campaign.pk}/"
    detail = client.get(f"/marketing/campaigns/{campaign.pk}/")
    assert detail.status_code == 200
    preview = client.get(f"/marketing/campaigns/{campaign.pk}/preview/?contact={maryam.pk}")
    today = format_date(timezone.localdate(), "fa")
    text = f"سلام مریم، امروز {today}"
    assert text in preview.content.decode()
    assert f"{len(text)}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in (
        preview.content.decode()
    )
    launched = client.post(f"/marketing/campaigns/{campaign.pk}/launch/")
    assert launched.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    progress = client.get(f"/marketing/campaigns/{campaign.pk}/progress/")
    assert 'hx-trigger="every 2s"' in progress.content.decode()
    campaign_run(campaign_id=campaign.pk)
    assert OutboxMessage.objects.filter(purpose=campaign.purpose).count() == 2
    with CaptureQueriesContext(connection) as queries:
        progress = client.get(f"/marketing/campaigns/{campaign.pk}/progress/")
    body = progress.content.decode()
    assert 'id="queue-bar">۱۰۰٪' in body
    assert len(queries) <= 12


def test_the_progress_bar_splits_sent_failed_and_suppressed(
    logged_in: Callable[[User], Client],
    marketer: User,
    everyone_segment: Segment,
    customer: Callable[..., Contact],
) -> None:
    for name in ("مریم", "رضا", "سارا"):
        customer(first_name=name)
    client = logged_in(marketer)
    client.post("/marketing/campaigns/new/", _form(everyone_segment))
    campaign = Campaign.objects.get()
    client.post(f"/marketing/campaigns/{campaign.pk}/launch/")
    campaign_run(campaign_id=campaign.pk)
    first, second, _third = OutboxMessage.objects.filter(purpose=campaign.purpose).order_by("pk")
    OutboxMessage.objects.filter(pk=first.pk).update(status=MessageStatus.SENT)
    OutboxMessage.objects.filter(pk=second.pk).update(status=MessageStatus.SUPPRESSED)
    body = client.get(f"/marketing/campaigns/{campaign.pk}/progress/").content.decode()
    assert 'id="sent-bar">۳۳٪' in body
    assert 'id="suppressed-bar">۳۳٪' in body
    assert 'id="failed-bar"></div>' in body
    assert body.count('aria-valuenow="33"') == 2


def test_service_errors_show_on_the_form(
    logged_in: Callable[[User], Client], marketer: User, everyone_segment: Segment
) -> None:
    client = logged_in(marketer)
    with override("en"):
        response = client.post(
            "/marketing/campaigns/new/",
            _form(everyone_segment, channel="email", a_body_text="متن"),
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert 'data-error-for="a_subject"' in response.content.decode()
    assert not Campaign.objects.exists()


def test_sales_cannot_create_and_cancel_works(
    logged_in: Callable[[User], Client],
    make_user: Callable[..., User],
    marketer: User,
    everyone_segment: Segment,
    make_campaign: Callable[..., Campaign],
) -> None:
    seller = make_user(role=Role.SALES)
    assert (
        logged_in(seller).post("/marketing/campaigns/new/", _form(everyone_segment)).status_code
        == 403
    )
    campaign = make_campaign()
    client = logged_in(marketer)
    assert client.post(f"/marketing/campaigns/{campaign.pk}/cancel/").status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert client.get("/marketing/campaigns/").status_code == 200
