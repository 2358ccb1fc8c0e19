"""Messages personalized by the database (PostgreSQL) read exactly as the Python renderer
writes them, for awkward values too; templates the SQL cannot render fall back to Python."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from peyvand.contacts.models import Contact
from peyvand.marketing.campaign_models import Campaign, CampaignVariant
from peyvand.marketing.campaigns import launch
from peyvand.marketing.campaigns.launch import campaign_run
from peyvand.marketing.campaigns.personalize import VariantRenderer, placeholder_values
from peyvand.marketing.campaigns.services import campaign_launch
from peyvand.marketing.campaigns.sql_personalize import sql_plan
from peyvand.messaging.models import OutboxMessage
from peyvand.messaging.outbox import outbox_enqueue_select

ALL_PLACEHOLDERS = (
    "{{ first_name }}|{{ last_name }}|{{ full_name }}|{{ today }}|{{ custom.code }}|"
    "{{ custom.size }}|{{ unknown }}|{{ first_name.deeper }}|{{unsubscribe_url}}|50% <off>"
)

AWKWARD = [
    # (first name, last name, language, custom fields)
    ("مریم", "رضایی", "", {"code": "YALDA-1", "size": "L"}),
    ("علی", "", "en", {"code": 12, "size": 3.5}),
    ("", "کریمی", "fa", {"code": True, "size": None}),
    (" سارا", "محمدی\u00a0", "", {"code": {"nested": 1}, "size": ["a", "b"]}),
    ("<b>Tom & 'Jerry'</b>", 'say "hi"', "en", {"code": "<script>&</script>"}),
    ("نرگس", "احمدی", "", {}),
    ("امیر", "\u3000", "", {"code": "", "size": "XL"}),
]


def _expected(variant: CampaignVariant, contact: Contact, channel: str) -> tuple[str, str, str]:
    renderer = VariantRenderer(
        subject=variant.subject, body_text=variant.body_text, body_html=variant.body_html
    )
    rendered = renderer.render(
        placeholder_values(
            channel=channel,
            first_name=contact.first_name,
            last_name=contact.last_name,
            custom_fields=contact.custom_fields,
            language=contact.language,
            today=timezone.localdate(),
        )
    )
    return rendered.subject[:250], rendered.body_text, rendered.body_html


@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_every_message_reads_as_the_python_renderer_writes_it(
    channel: str,
    customer: Callable[..., Contact],
    make_campaign: Callable[..., Campaign],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_sql: list[int] = []

    def counting(**arguments: Any) -> int:
        inserted = outbox_enqueue_select(**arguments)
        in_sql.append(inserted)
        return inserted

    monkeypatch.setattr(launch, "outbox_enqueue_select", counting)
    for first, last, language, custom in AWKWARD:
        contact = customer()
        # Straight to the table: the forms would tidy these values up.
        Contact.objects.filter(pk=contact.pk).update(
            first_name=first, last_name=last, language=language, custom_fields=custom
        )
    campaign = make_campaign(
        channel=channel,
        variants=[
            {
                "subject": "x" * 200 + " {{ full_name }} {{ full_name }} {{ custom.code }}",
                "body_text": ALL_PLACEHOLDERS,
                "body_html": f"<p>{ALL_PLACEHOLDERS}</p>" if channel == "email" else "",
            },
            {"subject": "B {{ first_name }}", "body_text": "B {{ today }} {{ custom.size }}"},
        ],
        ab_test_percent=100,
    )
    campaign_launch(actor=campaign.created_by, campaign=campaign)  # type: ignore[arg-type]
    campaign_run(campaign_id=campaign.pk, chunk_size=3)

    messages = list(
        OutboxMessage.objects.filter(purpose=campaign.purpose).select_related("contact")
    )
    assert len(messages) == len(AWKWARD)
    variant_of = dict(campaign.recipients.values_list("contact_id", "variant_id"))
    variants = {variant.pk: variant for variant in campaign.variants.all()}
    for message in messages:
        assert message.contact is not None
        variant = variants[variant_of[message.contact_id]]
        assert (message.subject, message.body_text, message.body_html) == _expected(
            variant, message.contact, channel
        ), message.contact.first_name
    campaign.refresh_from_db()
    assert campaign.queued_count == len(AWKWARD)
    if connection.vendor == "postgresql":
        # The plain rows went through the SQL, the awkward ones (a number in a custom field
        # every variant uses) through Python.
        assert 0 < sum(in_sql) < len(AWKWARD)
    else:
        assert in_sql == []


def test_templates_the_sql_cannot_render_get_no_plan() -> None:
    today = datetime.date(2026, 12, 5)

    def plan(body: str) -> Any:
        return sql_plan(channel="sms", today=today, variants={1: ("", body, "")})

    assert plan("{{ first_name }} {{ custom.code }} {{ today }} {{ nothing }}") is not None
    assert plan("{{ custom.address.city }}") is None
    assert plan("{{ custom }}") is None
