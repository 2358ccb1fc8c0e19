"""Campaign statistics with exact numbers, the A/B winner, consent at send time, and the
end-to-end SMS path through the fake Kavenegar gateway."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peyvand.contacts.models import Contact
from peyvand.marketing.campaign_models import Campaign, CampaignStatus, RecipientGroup
from peyvand.marketing.campaigns.launch import campaign_run, campaigns_run_due
from peyvand.marketing.campaigns.services import campaign_launch
from peyvand.marketing.campaigns.stats import campaign_stats
from peyvand.messaging.models import MessageStatus, OutboxMessage, Suppression
from peyvand.messaging.sms.base import configured_gateway
from peyvand.messaging.sms.fake_server import FakeSmsGateway
from peyvand.messaging.suppression import delivery_reports_apply
from peyvand.messaging.worker import outbox_deliver
from peyvand.timeline.events import event_record

pytestmark = pytest.mark.django_db


def _launch(campaign: Campaign) -> Campaign:
    campaign_launch(actor=campaign.created_by, campaign=campaign)  # type: ignore[arg-type]
    campaign_run(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


def _purchase(contact: Contact, when: datetime.datetime) -> None:
    event_record(
        actor=None, verb="order.purchased", subject=contact, contact=contact, occurred_at=when
    )


def test_stats_count_each_outcome_exactly(
    customer: Callable[..., Contact], make_campaign: Callable[..., Campaign]
) -> None:
    consenting = [customer(consent=("email",)) for _ in range(4)]
    silent = customer(consent=())
    customer(emails=[], consent=("email",))
    campaign = _launch(
        make_campaign(channel="email", variants=[{"subject": "سلام", "body_text": "متن"}])
    )
    rows = {row.contact_id: row for row in OutboxMessage.objects.filter(purpose=campaign.purpose)}
    assert len(rows) == 5
    now = timezone.now()
    first, second, third, fourth = consenting
    OutboxMessage.objects.filter(pk__in=[rows[c.pk].pk for c in consenting]).update(
        status=MessageStatus.SENT, sent_at=now
    )
    OutboxMessage.objects.filter(pk=rows[first.pk].pk).update(
        status=MessageStatus.DELIVERED, opened_at=now, clicked_at=now
    )
    OutboxMessage.objects.filter(pk=rows[second.pk].pk).update(opened_at=now)
    OutboxMessage.objects.filter(pk=rows[third.pk].pk).update(status=MessageStatus.FAILED)
    OutboxMessage.objects.filter(pk=rows[silent.pk].pk).update(
        status=MessageStatus.SUPPRESSED, suppression_reason="no_consent"
    )
    Suppression.objects.create(
        channel="email", address=rows[fourth.pk].recipient, reason="unsubscribed"
    )
    _purchase(first, now + datetime.timedelta(days=1))
    _purchase(second, now + datetime.timedelta(days=30))  # after the window
    with CaptureQueriesContext(connection) as queries:
        stats = campaign_stats(campaign)
    assert len(queries) == 3
    total = stats.treated
    assert {name: getattr(total, name) for name in total.COUNTS} == {
        "audience": 6,
        "no_address": 1,
        "queued": 5,
        "pending": 0,
        "sent": 3,
        "delivered": 1,
        "failed": 1,
        "suppressed": 1,
        "no_consent": 1,
        "opened": 2,
        "clicked": 1,
        "unsubscribed": 1,
        "converted": 1,
    }
    assert (total.open_rate, total.click_rate) == (2 / 3, 1 / 3)
    assert stats.lift is None


def test_holdout_conversion_gives_the_lift(
    customer: Callable[..., Contact], make_campaign: Callable[..., Campaign]
) -> None:
    contacts = [customer() for _ in range(40)]
    campaign = _launch(make_campaign(holdout_percent=50))
    by_group: dict[str, list[int]] = {}
    for contact_id, group in campaign.recipients.values_list("contact_id", "group"):
        by_group.setdefault(group, []).append(contact_id)
    holdout, treated = by_group[RecipientGroup.HOLDOUT], by_group[RecipientGroup.TEST]
    assert len(holdout) + len(treated) == 40
    when = timezone.now() + datetime.timedelta(hours=1)
    lookup = {contact.pk: contact for contact in contacts}
    for contact_id in holdout[:2] + treated[:6]:
        _purchase(lookup[contact_id], when)
    stats = campaign_stats(campaign)
    assert (stats.holdout.audience, stats.holdout.converted) == (len(holdout), 2)
    assert (stats.treated.audience, stats.treated.converted) == (len(treated), 6)
    assert stats.holdout.queued == 0
    expected = (6 / len(treated)) / (2 / len(holdout)) - 1
    assert stats.lift == pytest.approx(expected)


def test_ab_winner_by_click_rate_goes_to_the_rest(
    customer: Callable[..., Contact],
    make_campaign: Callable[..., Campaign],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for _ in range(60):
        customer()
    campaign = _launch(
        make_campaign(
            channel="email",
            ab_test_percent=50,
            decide_after_hours=4,
            variants=[
                {"subject": "الف", "body_text": "متن الف"},
                {"subject": "ب", "body_text": "متن ب"},
            ],
        )
    )
    variant_a, variant_b = campaign.variants.order_by("position")
    assert campaign.status == CampaignStatus.SENDING  # waiting for the winner
    test_rows = OutboxMessage.objects.filter(purpose=campaign.purpose)
    rest = campaign.recipients.filter(group=RecipientGroup.REST)
    assert test_rows.count() == campaign.recipients.filter(group=RecipientGroup.TEST).count()
    assert not test_rows.filter(contact_id__in=rest.values("contact_id")).exists()
    OutboxMessage.objects.filter(purpose=campaign.purpose).update(status=MessageStatus.SENT)
    b_contacts = campaign.recipients.filter(variant=variant_b).values("contact_id")
    clicked = test_rows.filter(contact_id__in=b_contacts).first()
    assert clicked is not None
    OutboxMessage.objects.filter(pk=clicked.pk).update(clicked_at=timezone.now())
    assert campaigns_run_due() == 0  # not yet time
    later = timezone.now() + datetime.timedelta(hours=4, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert campaigns_run_due() == 1
    campaign.refresh_from_db()
    assert (campaign.winner_id, campaign.status) == (variant_b.pk, CampaignStatus.SENT)
    assert campaign.winner_rates[str(variant_b.pk)]["click_rate"] > 0
    rest_subjects = set(
        OutboxMessage.objects.filter(
            purpose=campaign.purpose, contact_id__in=rest.values("contact_id")
        ).values_list("subject", flat=True)
    )
    assert rest_subjects == {"ب"}
    assert OutboxMessage.objects.filter(purpose=campaign.purpose).count() == 60
    assert variant_a.pk != campaign.winner_id


@pytest.mark.django_db(transaction=True)
def test_sms_campaign_through_the_fake_kavenegar(
    customer: Callable[..., Contact],
    make_campaign: Callable[..., Campaign],
    settings: Any,
) -> None:
    consenting = [customer(consent=("sms",)) for _ in range(7)]
    withdrawn = customer(consent=())
    campaign = _launch(make_campaign())
    with FakeSmsGateway(api_key="campaign-key") as fake:
        settings.PEYVAND_SMS_GATEWAY = "kavenegar"
        settings.PEYVAND_SMS_API_KEY = "campaign-key"
        settings.PEYVAND_SMS_LINE = "30001234"
        settings.PEYVAND_SMS_BASE_URL = fake.base_url
        result = outbox_deliver(limit=100)
        assert (result.sent, result.suppressed) == (7, 1)
        assert outbox_deliver(limit=100).handled == 0  # a second worker pass sends nothing
        stats = fake.stats()
        numbers = sorted(
            phone
            for contact in consenting
            for phone in contact.phones.values_list("number", flat=True)
        )
        assert sorted(stats["by_recipient"]) == numbers
        assert set(stats["by_recipient"].values()) == {1}
        assert stats["accepted"] == 7
        gateway = configured_gateway()
        assert gateway is not None
        sent = list(OutboxMessage.objects.filter(purpose=campaign.purpose, status="sent"))
        from peyvand.messaging.sms.base import DeliveryStatus

        for row in sent[:5]:
            fake.set_status(row.provider_message_id, DeliveryStatus.DELIVERED)
        reports = gateway.fetch_statuses([row.provider_message_id for row in sent])
    assert delivery_reports_apply(reports=reports) == 5
    numbers_text = stats["messages"][0]["text"]
    assert numbers_text.startswith("سلام مریم")
    totals = campaign_stats(campaign).treated
    assert (totals.sent, totals.delivered, totals.suppressed, totals.no_consent) == (7, 5, 1, 1)
    assert OutboxMessage.objects.get(contact=withdrawn).status == MessageStatus.SUPPRESSED
