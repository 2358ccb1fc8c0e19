"""One interface in front of every SMS gateway (Kavenegar, SMS.ir, Ghasedak …).

The outbox only ever talks to :class:`SmsGateway`. Each adapter lives in its own module
``peyvand.messaging.sms.<name>`` and exposes ``build(config: GatewayConfig) -> SmsGateway``;
:func:`configured_gateway` imports the one named by the ``PEYVAND_SMS_GATEWAY`` setting.

Numbers cross this interface in E.164 form (``+989121234567``); each adapter writes them
the way its provider wants. Errors are split by what the outbox must do next: a
:class:`TransientSmsError` is tried again later (timeouts, 5xx, rate limits, the provider's
"try again" codes), a :class:`PermanentSmsError` is recorded with its reason and never tried
again (bad number, blocked recipient, no credit, bad API key).
"""

from __future__ import annotations

import datetime
import enum
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.http import HttpRequest


class DeliveryStatus(enum.StrEnum):
    """Where a message stands at the provider, in the outbox's words."""

    QUEUED = "queued"  # accepted by the provider, not yet handed to the operator
    SENT = "sent"  # handed to the operator
    DELIVERED = "delivered"  # the handset confirmed it
    FAILED = "failed"  # the operator or provider gave up (the reason is in ``detail``)
    UNKNOWN = "unknown"  # the provider's status had no meaning we know


@dataclass(frozen=True)
class SmsSendResult:
    """What the provider said when it accepted one message."""

    provider_message_id: str
    status: DeliveryStatus
    cost_rials: int | None = None


@dataclass(frozen=True)
class DeliveryReport:
    """A later status of one sent message (pushed to our callback or fetched by us)."""

    provider_message_id: str
    status: DeliveryStatus
    detail: str = ""
    reported_at: datetime.datetime | None = None


@dataclass(frozen=True)
class InboundSms:
    """A message a person sent to our line (for example «لغو» to opt out)."""

    sender: str  # E.164
    line: str  # our number it was sent to, as the provider wrote it
    text: str
    provider_message_id: str = ""
    received_at: datetime.datetime | None = None


class SmsError(Exception):
    """The provider did not take the message; ``reason`` says why in the provider's words."""

    def __init__(self, reason: str, *, provider_code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.provider_code = provider_code


class TransientSmsError(SmsError):
    """Worth trying again later; ``retry_after`` (seconds) when the provider said so."""

    def __init__(
        self, reason: str, *, provider_code: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(reason, provider_code=provider_code)
        self.retry_after = retry_after


class PermanentSmsError(SmsError):
    """Never worth trying again with the same recipient and text."""


class InvalidCallbackError(Exception):
    """A delivery-report or inbound request that does not parse (answered with 400)."""


@dataclass(frozen=True)
class GatewayConfig:
    """How to reach one provider; everything comes from the environment."""

    name: str
    api_key: str
    line: str  # our sender number
    base_url: str = ""  # empty: the provider's public URL; tests point it at the fake
    timeout_seconds: float = 10.0


class SmsGateway(Protocol):
    """A provider's HTTP API seen as four calls."""

    name: str
    # True when the provider refuses a second message with the same ``local_id`` (answering
    # with the first one's id): then a send whose outcome is unknown (a worker killed after
    # the request left) is simply sent again. Otherwise the outbox asks ``fetch_statuses``
    # or marks the message uncertain instead of risking a second copy.
    idempotent_send: bool

    def send(self, *, recipient: str, text: str, local_id: str) -> SmsSendResult:
        """Hand one message to the provider. ``local_id`` is our outbox key, passed where
        the provider accepts one so that a retried request cannot send twice."""
        ...

    def fetch_statuses(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        """Ask the provider for the current status of sent messages."""
        ...

    def parse_delivery_report(self, request: HttpRequest) -> list[DeliveryReport]:
        """Read a status callback the provider pushed to us; raise InvalidCallbackError."""
        ...

    def parse_inbound(self, request: HttpRequest) -> list[InboundSms]:
        """Read a callback carrying messages people sent to our line."""
        ...


@runtime_checkable
class SupportsLocalIdLookup(Protocol):
    """A gateway that can find messages by the ``local_id`` we sent them with (Kavenegar's
    ``localid``, Ghasedak's ``clientReferenceId``): how the outbox learns what happened to
    a send whose answer never came back, without risking a second copy."""

    def fetch_statuses_by_local_id(self, local_ids: Sequence[str]) -> dict[str, DeliveryReport]:
        """The current report of each ``local_id`` the provider knows; unknown ones are
        left out (never sent, or older than the provider keeps them)."""
        ...


def gateway_config() -> GatewayConfig | None:
    """The configured provider, or None when this installation sends no SMS."""
    name = settings.PEYVAND_SMS_GATEWAY
    if not name:
        return None
    return GatewayConfig(
        name=name,
        api_key=settings.PEYVAND_SMS_API_KEY,
        line=settings.PEYVAND_SMS_LINE,
        base_url=settings.PEYVAND_SMS_BASE_URL,
        timeout_seconds=settings.PEYVAND_SMS_TIMEOUT_SECONDS,
    )


def build_gateway(config: GatewayConfig) -> SmsGateway:
    """The adapter for ``config.name`` (its module's ``build``)."""
    if not config.name.isidentifier():
        raise ValueError(f"Unknown SMS gateway {config.name!r}")
    try:
        module = importlib.import_module(f"peyvand.messaging.sms.{config.name}")
    except ModuleNotFoundError as error:
        raise ValueError(f"Unknown SMS gateway {config.name!r}") from error
    gateway: SmsGateway = module.build(config)
    return gateway


def configured_gateway() -> SmsGateway | None:
    """The gateway this installation sends SMS through, or None when SMS is off."""
    config = gateway_config()
    return None if config is None else build_gateway(config)
