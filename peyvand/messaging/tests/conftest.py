"""Fixtures for the messaging tests: an in-memory SMS gateway and consenting contacts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.http import HttpRequest
from django.utils import timezone

from peyvand.contacts.models import ConsentMethod, ConsentStatus, Contact
from peyvand.contacts.services import contact_set_consent
from peyvand.contacts.tests.factories import make_contact
from peyvand.messaging.sms.base import (
    DeliveryReport,
    DeliveryStatus,
    InboundSms,
    SmsError,
    SmsSendResult,
)


class MemoryGateway:
    """An SmsGateway in memory: counts what reaches it by local id and can be told to fail
    the next sends (``failures`` is a list of exceptions raised in turn)."""

    name = "memory"

    def __init__(self, *, idempotent_send: bool = True) -> None:
        self.idempotent_send = idempotent_send
        self.delivered: Counter[str] = Counter()  # local id -> messages that reached phones
        self.sent: list[tuple[str, str, str]] = []  # (recipient, text, local id)
        self.failures: list[SmsError] = []
        self.ids: dict[str, str] = {}
        self.statuses: dict[str, DeliveryStatus] = {}
        self.reports: list[DeliveryReport] = []
        self.inbound: list[InboundSms] = []

    def send(self, *, recipient: str, text: str, local_id: str) -> SmsSendResult:
        if self.failures:
            raise self.failures.pop(0)
        if self.idempotent_send and local_id in self.ids:
            return SmsSendResult(self.ids[local_id], DeliveryStatus.QUEUED)
        provider_id = f"p{len(self.sent) + 1}"
        self.ids[local_id] = provider_id
        self.sent.append((recipient, text, local_id))
        self.delivered[local_id] += 1
        return SmsSendResult(provider_id, DeliveryStatus.QUEUED)

    def fetch_statuses(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        return [
            DeliveryReport(provider_id, self.statuses[provider_id])
            for provider_id in provider_message_ids
            if provider_id in self.statuses
        ]

    def parse_delivery_report(self, request: HttpRequest) -> list[DeliveryReport]:
        return self.reports

    def parse_inbound(self, request: HttpRequest) -> list[InboundSms]:
        return self.inbound


@pytest.fixture
def gateway() -> MemoryGateway:
    return MemoryGateway()


@pytest.fixture(autouse=True)
def _messaging_settings(settings: Any) -> None:
    """No throttling, no quiet hours and no cap unless a test asks for them."""
    settings.PEYVAND_EMAIL_RATE = 0
    settings.PEYVAND_SMS_RATE = 0
    settings.PEYVAND_SMS_QUIET_HOURS = ""
    settings.PEYVAND_MARKETING_CAP = 0
    settings.PEYVAND_PUBLIC_URL = "https://crm.example.ir"
    settings.DEFAULT_FROM_EMAIL = "Peyvand <no-reply@example.ir>"


@pytest.fixture
def consenting_contact(db: Any) -> Callable[..., Contact]:
    """A contact with an email and a mobile who granted consent on the given channels."""

    def make(
        channels: tuple[str, ...] = ("email", "sms"), phone: str = "09121234567", **values: Any
    ) -> Contact:
        contact = make_contact(phones=[phone], emails=[values.pop("email", "maryam@example.ir")])
        for channel in channels:
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
