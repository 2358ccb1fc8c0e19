"""A marketer creates an SMS campaign in a real Chromium, previews it for one recipient,
launches it and watches the progress bar and the stats fill in (polled by htmx) while the
worker queues the messages."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.accounts.models import Role
from peyvand.accounts.tests.factories import PASSWORD, UserFactory
from peyvand.contacts.tests.factories import make_contact
from peyvand.marketing.campaign_models import Campaign, CampaignStatus
from peyvand.marketing.campaigns.launch import campaign_run
from peyvand.marketing.services import segment_create
from peyvand.messaging.models import OutboxMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_marketer_creates_and_launches_an_sms_campaign(page: Any, live_server: Any) -> None:
    marketer = UserFactory(username="sima", role=Role.MARKETING)
    nagar = make_contact(first_name="نگار", owner=marketer, phones=["09121110001"])
    make_contact(first_name="بهار", owner=marketer, phones=["09121110002"])
    segment = segment_create(
        actor=marketer, values={"name": "همه", "rules": {"match": "all", "conditions": []}}
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "sima")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/marketing/campaigns/")
    page.click("#new-campaign")
    page.fill("#id_name", "یلدا")
    page.select_option("#id_channel", "sms")
    page.select_option("#id_segment", str(segment.pk))
    assert page.locator(f'[data-segment-count="{segment.pk}"]').is_visible()
    page.fill("#id_a_body_text", "{{ first_name }} عزیز، یلدا مبارک!")
    page.click("#save-campaign")
    page.wait_for_selector("#campaign-name")
    # htmx binds its triggers on DOMContentLoaded; a change fired before that is lost.
    page.wait_for_load_state()
    campaign = Campaign.objects.get()

    page.select_option("#preview-contact", str(nagar.pk))
    page.wait_for_selector("#campaign-preview .preview-text")
    assert page.inner_text("#campaign-preview .preview-text") == "نگار عزیز، یلدا مبارک!"

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#launch-campaign")
    page.wait_for_selector('#campaign-progress[data-status="sending"]')
    # The background worker's part, done here.
    campaign_run(campaign_id=campaign.pk)
    page.wait_for_selector('#campaign-progress[data-status="sent"]', timeout=20_000)
    assert page.inner_text("#queue-bar") == "۱۰۰٪"
    assert page.inner_text("#stats-total td:nth-child(4)") == "۲"
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert OutboxMessage.objects.filter(purpose=campaign.purpose).count() == 2
