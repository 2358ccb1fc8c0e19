"""The Ghasedak adapter against the fake gateway: codes, reference lookup, callbacks."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import RequestFactory

from peyvand.messaging.sms.base import (
    DeliveryReport,
    DeliveryStatus,
    InboundSms,
    InvalidCallbackError,
    PermanentSmsError,
    SmsGateway,
    SupportsLocalIdLookup,
    TransientSmsError,
)
from peyvand.messaging.sms.fake_server import FakeSmsGateway
from peyvand.messaging.sms.ghasedak import GhasedakGateway
from peyvand.messaging.sms.tests.conftest import CaptureServer

MakeGateway = Callable[..., SmsGateway]


@pytest.fixture
def gateway(make_gateway: MakeGateway) -> GhasedakGateway:
    built = make_gateway("ghasedak")
    assert isinstance(built, GhasedakGateway)
    return built


def test_ghasedak_looks_up_by_reference_but_does_not_claim_idempotency(
    gateway: GhasedakGateway,
) -> None:
    assert gateway.idempotent_send is False
    assert isinstance(gateway, SupportsLocalIdLookup)


def test_send_passes_the_local_id_as_client_reference(
    fake: FakeSmsGateway, gateway: GhasedakGateway
) -> None:
    result = gateway.send(recipient="+989121234567", text="x", local_id="outbox-9")
    [message] = fake.stats()["messages"]
    assert message["local_id"] == "outbox-9"
    assert result.cost_rials == 1250


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (400, PermanentSmsError),  # invalid input
        (401, PermanentSmsError),  # not authorised
        (412, PermanentSmsError),  # line problem
        (418, PermanentSmsError),  # not enough credit
        (422, PermanentSmsError),  # invalid character
        (402, TransientSmsError),  # operation failed
        (451, TransientSmsError),  # duplicate request in flight
        (500, TransientSmsError),  # unknown error
    ],
)
def test_ghasedak_codes_map_to_what_the_outbox_does_next(
    code: int, error: type[Exception], fake: FakeSmsGateway, gateway: GhasedakGateway
) -> None:
    fake.fail_next(code=code)
    with pytest.raises(error) as caught:
        gateway.send(recipient="09121234567", text="x", local_id="1")
    assert isinstance(caught.value, (PermanentSmsError, TransientSmsError))
    assert caught.value.provider_code == str(code)


def test_fetch_statuses_by_local_id(fake: FakeSmsGateway, gateway: GhasedakGateway) -> None:
    sent = gateway.send(recipient="09121234567", text="x", local_id="ref-1")
    fake.set_status(sent.provider_message_id, DeliveryStatus.SENT)
    assert gateway.fetch_statuses_by_local_id(["ref-1", "ref-2"]) == {
        "ref-1": DeliveryReport(
            provider_message_id=sent.provider_message_id, status=DeliveryStatus.SENT
        )
    }


def test_an_unknown_message_id_reports_unknown(gateway: GhasedakGateway) -> None:
    assert gateway.fetch_statuses(["123"]) == [DeliveryReport("123", DeliveryStatus.UNKNOWN)]


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (0, DeliveryStatus.QUEUED),
        (1, DeliveryStatus.FAILED),
        (4, DeliveryStatus.SENT),
        (10, DeliveryStatus.SENT),
        (12, DeliveryStatus.FAILED),
        (13, DeliveryStatus.FAILED),
        (14, DeliveryStatus.DELIVERED),
        (17, DeliveryStatus.QUEUED),
        (99, DeliveryStatus.UNKNOWN),
    ],
)
def test_delivery_callback_statuses(
    code: int, status: DeliveryStatus, gateway: GhasedakGateway
) -> None:
    request = RequestFactory().post(
        "/d", json.dumps({"MessageId": "77", "Status": code}), content_type="application/json"
    )
    [report] = gateway.parse_delivery_report(request)
    assert (report.provider_message_id, report.status) == ("77", status)


def test_the_fakes_pushed_delivery_report_parses(
    fake: FakeSmsGateway, gateway: GhasedakGateway, capture: CaptureServer
) -> None:
    sent = gateway.send(recipient="09121234567", text="x", local_id="1")
    fake.set_status(sent.provider_message_id, DeliveryStatus.DELIVERED)
    fake.push_delivery(capture.url + "/d", sent.provider_message_id)
    assert gateway.parse_delivery_report(capture.requests[0].as_request()) == [
        DeliveryReport(
            provider_message_id=sent.provider_message_id, status=DeliveryStatus.DELIVERED
        )
    ]


@pytest.mark.parametrize("fields", [{}, {"MessageId": "1"}, {"MessageId": "1", "Status": "x"}])
def test_a_bad_delivery_callback_is_refused(
    fields: dict[str, str], gateway: GhasedakGateway
) -> None:
    with pytest.raises(InvalidCallbackError):
        gateway.parse_delivery_report(RequestFactory().post("/d", fields))


def test_an_inbound_message_parses(
    fake: FakeSmsGateway, gateway: GhasedakGateway, capture: CaptureServer
) -> None:
    fake.push_inbound(
        capture.url + "/i", provider="ghasedak", sender="+989121234567", text="لغو", line="3000"
    )
    [inbound] = gateway.parse_inbound(capture.requests[0].as_request())
    assert (inbound.sender, inbound.line, inbound.text) == ("+989121234567", "3000", "لغو")
    assert inbound.provider_message_id.isdigit()
    assert inbound.received_at is not None


def test_an_inbound_form_post_parses(gateway: GhasedakGateway) -> None:
    request = RequestFactory().post(
        "/i", {"sender": "09121234567", "linenumber": "3000", "message": "۱۱", "id": "8"}
    )
    assert gateway.parse_inbound(request) == [
        InboundSms(sender="+989121234567", line="3000", text="۱۱", provider_message_id="8")
    ]


def test_an_inbound_message_without_line_is_refused(gateway: GhasedakGateway) -> None:
    with pytest.raises(InvalidCallbackError):
        gateway.parse_inbound(RequestFactory().post("/i", {"sender": "09121234567"}))
