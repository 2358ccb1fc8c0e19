"""Fixtures of the campaign tests: no throttling or quiet hours, a marketer, consenting
contacts and a segment of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from peyvand.accounts.models import Role, User
from peyvand.contacts.models import ConsentMethod, ConsentStatus, Contact
from peyvand.contacts.services import contact_set_consent
from peyvand.contacts.tests.factories import make_contact
from peyvand.marketing.campaign_models import Campaign
from peyvand.marketing.campaigns.services import campaign_create
from peyvand.marketing.models import Segment
from peyvand.marketing.services import segment_create


@pytest.fixture(autouse=True)
def _messaging_settings(settings: Any) -> None:
    settings.PEYVAND_EMAIL_RATE = 0
    settings.PEYVAND_SMS_RATE = 0
    settings.PEYVAND_SMS_QUIET_HOURS = ""
    settings.PEYVAND_MARKETING_CAP = 0
    settings.PEYVAND_PUBLIC_URL = "https://crm.example.ir"
    settings.DEFAULT_FROM_EMAIL = "Peyvand <no-reply@example.ir>"


@pytest.fixture
def marketer(make_user: Callable[..., User]) -> User:
    return make_user(role=Role.ADMIN, username="marketer")


@pytest.fixture
def customer(db: Any) -> Callable[..., Contact]:
    """A contact with a mobile and an email, consenting on ``consent`` channels."""
    counter = iter(range(10_000))

    def make(consent: tuple[str, ...] = ("sms", "email"), **values: Any) -> Contact:
        number = next(counter)
        values.setdefault("phones", [f"0935{number:07d}"])
        values.setdefault("emails", [f"customer{number}@example.ir"])
        contact = make_contact(**values)
        for channel in consent:
            contact_set_consent(
                actor=None,
                contact=contact,
                channel=channel,
                status=ConsentStatus.GRANTED,
                method=ConsentMethod.WEB_FORM,
                recorded_at=timezone.now(),
            )
        return contact

    return make


@pytest.fixture
def everyone_segment(db: Any) -> Segment:
    """A dynamic segment with no conditions: every contact."""
    return segment_create(
        actor=None, values={"name": "همه", "rules": {"match": "all", "conditions": []}}
    )


@pytest.fixture
def make_campaign(marketer: User, everyone_segment: Segment) -> Callable[..., Campaign]:
    def make(variants: list[dict[str, str]] | None = None, **values: Any) -> Campaign:
        values.setdefault("name", "حراج پاییز")
        values.setdefault("channel", "sms")
        values.setdefault("segment", everyone_segment.pk)
        return campaign_create(
            actor=marketer,
            values=values,
            variants=variants or [{"body_text": "سلام {{ first_name }}، حراج پاییز!"}],
        )

    return make
