"""Launching a campaign: the frozen audience, hold-out and A/B split, personalization,
idempotency and resuming after a crash."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from django.utils.translation import override

from peyvand.common.jalali import format_date
from peyvand.contacts.models import Contact
from peyvand.marketing.campaign_models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    RecipientGroup,
)
from peyvand.marketing.campaigns import launch
from peyvand.marketing.campaigns.launch import campaign_run, campaigns_run_due, recipient_bucket
from peyvand.marketing.campaigns.personalize import sms_length
from peyvand.marketing.campaigns.services import (
    campaign_cancel,
    campaign_launch,
    campaign_schedule,
)
from peyvand.messaging.email_channel import email_build, unsubscribe_url
from peyvand.messaging.models import MessageCategory, MessageStatus, OutboxMessage

pytestmark = pytest.mark.django_db


def _launch(campaign: Campaign, **options: Any) -> Campaign:
    campaign_launch(actor=campaign.created_by, campaign=campaign)  # type: ignore[arg-type]
    campaign_run(campaign_id=campaign.pk, **options)
    campaign.refresh_from_db()
    return campaign


def _outbox(campaign: Campaign) -> list[tuple[str, str]]:
    return sorted(
        OutboxMessage.objects.filter(purpose=campaign.purpose).values_list("recipient", "body_text")
    )


def test_launch_queues_one_personalized_marketing_sms_per_contact(
    customer: Callable[..., Contact], make_campaign: Callable[..., Campaign]
) -> None:
    maryam = customer(first_name="مریم", last_name="رضایی", phones=["09121111111"])
    ali = customer(first_name="علی", last_name="", phones=["09122222222"])
    nobody = customer(first_name="بی‌شماره", phones=[], emails=[])
    campaign = _launch(
        make_campaign(
            variants=[{"body_text": "{{ full_name }} عزیز، کد {{ custom.code }} تا {{ today }}"}]
        )
    )
    today = format_date(timezone.localdate(), "fa")
    assert _outbox(campaign) == [
        ("+989121111111", f"مریم رضایی عزیز، کد  تا {today}"),
        ("+989122222222", f"علی عزیز، کد  تا {today}"),
    ]
    assert set(
        OutboxMessage.objects.filter(purpose=campaign.purpose).values_list(
            "category", "channel", "status"
        )
    ) == {(MessageCategory.MARKETING, "sms", MessageStatus.PENDING)}
    assert (campaign.status, campaign.audience_count, campaign.queued_count) == (
        CampaignStatus.SENT,
        3,
        2,
    )
    assert CampaignRecipient.objects.get(campaign=campaign, contact=nobody).address == ""
    assert {maryam.pk, ali.pk} == set(
        OutboxMessage.objects.filter(purpose=campaign.purpose).values_list("contact_id", flat=True)
    )


def test_custom_fields_and_email_placeholders(
    customer: Callable[..., Contact], make_campaign: Callable[..., Campaign]
) -> None:
    contact = customer(emails=["Sara@Example.ir"], first_name="سارا", custom_fields={})
    Contact.objects.filter(pk=contact.pk).update(custom_fields={"code": "پاییز۱۴۰۵", "n": None})
    campaign = _launch(
        make_campaign(
            channel="email",
            variants=[
                {
                    "subject": "{{ first_name }}، هدیه شما",
                    "body_text": (
                        "کد: {{ custom.code }}{{ custom.n }}{{ custom.missing }} "
                        "{{ unsubscribe_url }}"
                    ),
                    "body_html": "<p>{{ first_name }} <a href='{{ unsubscribe_url }}'>لغو</a></p>",
                }
            ],
        )
    )
    row = OutboxMessage.objects.get(purpose=campaign.purpose)
    assert (row.recipient, row.subject, row.body_text) == (
        "sara@example.ir",
        "سارا، هدیه شما",
        "کد: پاییز۱۴۰۵ {{ unsubscribe_url }}",
    )
    assert row.body_html == "<p>سارا <a href='{{ unsubscribe_url }}'>لغو</a></p>"
    # The email channel fills the row's own unsubscribe link when it sends.
    email = email_build(row)
    # (the link is signed with a timestamp: the second may tick between the two builds)
    link_payload = unsubscribe_url(row).rsplit(":", 2)[0]
    assert email.body.startswith(f"کد: پاییز۱۴۰۵ {link_payload}:")
    html = str(email.alternatives[0][0])
    # (the link itself is wrapped by click tracking)
    assert "{{" not in html and html.startswith("<p>سارا <a href='https://crm.example.ir/")
    assert (row.track_opens, row.track_clicks) == (True, True)


def test_launch_twice_adds_nothing(
    customer: Callable[..., Contact], make_campaign: Callable[..., Campaign]
) -> None:
    for _ in range(5):
        customer()
    campaign = _launch(make_campaign())
    before = list(
        OutboxMessage.objects.filter(purpose=campaign.purpose).values_list("pk", flat=True)
    )
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, queue_cursor=0)
    campaign_run(campaign_id=campaign.pk)
    after = list(
        OutboxMessage.objects.filter(purpose=campaign.purpose).values_list("pk", flat=True)
    )
    assert sorted(after) == sorted(before) and len(after) == 5
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 5


def test_crash_mid_launch_resumes_without_duplicates(
    customer: Callable[..., Contact],
    make_campaign: Callable[..., Campaign],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for _ in range(11):
        customer()
    campaign = make_campaign()
    campaign_launch(actor=campaign.created_by, campaign=campaign)  # type: ignore[arg-type]
    real = launch.outbox_enqueue_bulk
    calls = {"count": 0}

    def crash_on_third(**kwargs: Any) -> int:
        calls["count"] += 1
        if calls["count"] == 3:
            raise RuntimeError("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(launch, "outbox_enqueue_bulk", crash_on_third)
    with pytest.raises(RuntimeError):
        campaign_run(campaign_id=campaign.pk, chunk_size=2)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.queued_count) == (CampaignStatus.SENDING, 4)
    assert OutboxMessage.objects.filter(purpose=campaign.purpose).count() == 4
    monkeypatch.setattr(launch, "outbox_enqueue_bulk", real)
    # The scheduler's job resumes it (the lease was released when the run died).
    assert campaigns_run_due() == 1
    campaign.refresh_from_db()
    assert (campaign.status, campaign.queued_count) == (CampaignStatus.SENT, 11)
    recipients = OutboxMessage.objects.filter(purpose=campaign.purpose).values_list(
        "recipient", flat=True
    )
    assert len(recipients) == len(set(recipients)) == 11


def test_holdout_never_receives_and_split_is_deterministic(
    customer: Callable[..., Contact], make_campaign: Callable[..., Campaign]
) -> None:
    contacts = [customer() for _ in range(60)]
    campaign = _launch(
        make_campaign(
            holdout_percent=20,
            ab_test_percent=100,
            variants=[{"body_text": "الف {{ first_name }}"}, {"body_text": "ب {{ first_name }}"}],
        )
    )
    variants = list(campaign.variants.order_by("position"))
    recipients = {
        row.contact_id: row for row in CampaignRecipient.objects.filter(campaign=campaign)
    }
    for contact in contacts:
        bucket = recipient_bucket(campaign.pk, contact.pk)
        row = recipients[contact.pk]
        assert row.bucket == bucket
        if bucket < 2000:
            assert (row.group, row.variant_id) == (RecipientGroup.HOLDOUT, None)
        else:
            expected = variants[0] if bucket < 6000 else variants[1]
            assert (row.group, row.variant_id) == (RecipientGroup.TEST, expected.pk)
    holdout = {pk for pk, row in recipients.items() if row.group == RecipientGroup.HOLDOUT}
    sent_to = set(
        OutboxMessage.objects.filter(purpose=campaign.purpose).values_list("contact_id", flat=True)
    )
    assert holdout and not holdout & sent_to
    assert sent_to | holdout == set(recipients)
    by_variant = dict(
        OutboxMessage.objects.filter(purpose=campaign.purpose).values_list(
            "contact_id", "body_text"
        )
    )
    for contact_id, text in by_variant.items():
        prefix = "الف" if recipients[contact_id].variant_id == variants[0].pk else "ب"
        assert text.startswith(prefix)


def test_scheduled_campaign_launches_when_due(
    customer: Callable[..., Contact],
    make_campaign: Callable[..., Campaign],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer()
    campaign = make_campaign()
    when = timezone.now() + datetime.timedelta(hours=2)
    campaign_schedule(actor=campaign.created_by, campaign=campaign, when=when)  # type: ignore[arg-type]
    assert campaigns_run_due() == 0
    assert not OutboxMessage.objects.filter(purpose=campaign.purpose).exists()
    later = when + datetime.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert campaigns_run_due() == 1
    campaign.refresh_from_db()
    assert (campaign.status, campaign.queued_count) == (CampaignStatus.SENT, 1)


def test_cancel_withdraws_pending_messages(
    customer: Callable[..., Contact], make_campaign: Callable[..., Campaign]
) -> None:
    customer()
    customer()
    campaign = _launch(make_campaign())
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    campaign_cancel(actor=campaign.created_by, campaign=campaign)  # type: ignore[arg-type]
    assert not OutboxMessage.objects.filter(purpose=campaign.purpose).exists()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED


def test_sms_length_counts_persian_as_ucs2() -> None:
    assert (sms_length("سلام").characters, sms_length("سلام").parts) == (4, 1)
    assert sms_length("س" * 70).parts == 1
    assert sms_length("س" * 71).parts == 2
    assert sms_length("س" * 134).parts == 2
    assert sms_length("س" * 135).parts == 3
    assert (sms_length("a" * 160).parts, sms_length("a" * 161).parts) == (1, 2)
    assert sms_length("").parts == 0


def test_validation_errors_are_per_field(make_campaign: Callable[..., Campaign]) -> None:
    from django.core.exceptions import ValidationError

    with override("en"):
        with pytest.raises(ValidationError) as error:
            make_campaign(channel="email", holdout_percent=80, variants=[{"body_text": "x"}])
        assert error.value.message_dict == {
            "holdout_percent": ["Ensure this value is less than or equal to 50."],
            "variants.0.subject": ["An email needs a subject."],
        }


def test_two_recipients_merged_into_one_person_after_the_freeze_get_one_message(
    customer: Callable[..., Contact], make_campaign: Callable[..., Campaign], admin_user: Any
) -> None:
    from peyvand.contacts.merging import contacts_merge

    ali, also_ali, _only = (
        customer(phones=["09121111111"]),
        customer(phones=["09122222222"]),
        customer(phones=["09123333333"]),
    )
    campaign = make_campaign()
    campaign_launch(actor=campaign.created_by, campaign=campaign)  # type: ignore[arg-type]
    launch.campaign_freeze_audience(campaign)
    contacts_merge(actor=admin_user, survivor=ali, others=[also_ali])
    campaign_run(campaign_id=campaign.pk)
    assert [recipient for recipient, _body in _outbox(campaign)] == [
        "+989121111111",
        "+989123333333",
    ]
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 3
