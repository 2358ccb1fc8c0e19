"""The SMS.ir adapter against the fake gateway: codes, reports, callbacks."""

from __future__ import annotations

import datetime
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
from peyvand.messaging.sms.smsir import SmsIrGateway
from peyvand.messaging.sms.tests.conftest import CaptureServer

MakeGateway = Callable[..., SmsGateway]


@pytest.fixture
def gateway(make_gateway: MakeGateway) -> SmsIrGateway:
    built = make_gateway("smsir")
    assert isinstance(built, SmsIrGateway)
    return built


def test_smsir_does_not_claim_idempotency_or_local_id_lookup(gateway: SmsIrGateway) -> None:
    assert gateway.idempotent_send is False
    assert not isinstance(gateway, SupportsLocalIdLookup)


def test_a_repeated_local_id_is_sent_again_because_smsir_cannot_refuse_it(
    fake: FakeSmsGateway, gateway: SmsIrGateway
) -> None:
    first = gateway.send(recipient="09121234567", text="x", local_id="1")
    again = gateway.send(recipient="09121234567", text="x", local_id="1")
    assert first.provider_message_id != again.provider_message_id
    assert fake.stats()["by_recipient"] == {"+989121234567": 2}


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (10, PermanentSmsError),  # invalid key
        (13, PermanentSmsError),  # inactive account
        (101, PermanentSmsError),  # invalid line
        (102, PermanentSmsError),  # no credit
        (104, PermanentSmsError),  # invalid mobile
        (115, PermanentSmsError),  # blacklisted
        (0, TransientSmsError),  # system problem
        (20, TransientSmsError),  # too many requests
    ],
)
def test_smsir_codes_map_to_what_the_outbox_does_next(
    code: int, error: type[Exception], fake: FakeSmsGateway, gateway: SmsIrGateway
) -> None:
    fake.fail_next(code=code)
    with pytest.raises(error) as caught:
        gateway.send(recipient="09121234567", text="x", local_id="1")
    assert isinstance(caught.value, (PermanentSmsError, TransientSmsError))
    assert caught.value.provider_code == str(code)


def test_an_unknown_message_id_reports_unknown(gateway: SmsIrGateway) -> None:
    [report] = gateway.fetch_statuses(["9999999"])
    assert report.provider_message_id == "9999999"
    assert report.status is DeliveryStatus.UNKNOWN


def test_a_delivered_report_carries_its_time(fake: FakeSmsGateway, gateway: SmsIrGateway) -> None:
    sent = gateway.send(recipient="09121234567", text="x", local_id="1")
    fake.set_status(sent.provider_message_id, DeliveryStatus.DELIVERED)
    [report] = gateway.fetch_statuses([sent.provider_message_id])
    assert report.status is DeliveryStatus.DELIVERED
    assert report.reported_at is not None
    assert report.reported_at.tzinfo is datetime.UTC


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (None, DeliveryStatus.QUEUED),
        (1, DeliveryStatus.DELIVERED),
        (2, DeliveryStatus.FAILED),
        (3, DeliveryStatus.SENT),
        (4, DeliveryStatus.FAILED),
        (5, DeliveryStatus.SENT),
        (6, DeliveryStatus.FAILED),
        (7, DeliveryStatus.FAILED),
        (42, DeliveryStatus.UNKNOWN),
    ],
)
def test_delivery_callback_states(
    state: int | None, status: DeliveryStatus, gateway: SmsIrGateway
) -> None:
    body = {"messageId": 885, "mobile": "989121234567", "deliveryState": state}
    request = RequestFactory().post(
        "/sms/delivery", json.dumps(body), content_type="application/json"
    )
    [report] = gateway.parse_delivery_report(request)
    assert (report.provider_message_id, report.status) == ("885", status)


def test_the_fakes_pushed_delivery_report_parses(
    fake: FakeSmsGateway, gateway: SmsIrGateway, capture: CaptureServer
) -> None:
    sent = gateway.send(recipient="09121234567", text="x", local_id="3")
    fake.set_status(sent.provider_message_id, DeliveryStatus.FAILED)
    fake.push_delivery(capture.url + "/d", sent.provider_message_id)
    [report] = gateway.parse_delivery_report(capture.requests[0].as_request())
    assert report.provider_message_id == sent.provider_message_id
    assert report.status is DeliveryStatus.FAILED
    assert report.detail == "SMS.ir delivery state 2"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b"[1, 2]",
        b'{"deliveryState": 1}',
        b'{"messageId": 1, "deliveryState": "x"}',
    ],
)
def test_a_bad_delivery_callback_is_refused(body: bytes, gateway: SmsIrGateway) -> None:
    request = RequestFactory().post("/d", body, content_type="application/json")
    with pytest.raises(InvalidCallbackError):
        gateway.parse_delivery_report(request)


def test_an_inbound_message_parses(
    fake: FakeSmsGateway, gateway: SmsIrGateway, capture: CaptureServer
) -> None:
    fake.push_inbound(
        capture.url + "/i", provider="smsir", sender="+989351234567", text="STOP", line="30001234"
    )
    [inbound] = gateway.parse_inbound(capture.requests[0].as_request())
    assert inbound.sender == "+989351234567"
    assert inbound.line == "30001234"
    assert inbound.text == "STOP"
    assert inbound.provider_message_id.isdigit()
    assert inbound.received_at is not None


def test_a_list_of_inbound_messages_parses(gateway: SmsIrGateway) -> None:
    body = [
        {"mobile": "9121234567", "number": "3000", "messageText": "لغو", "receiveReturnId": 1},
        {"mobile": "09351234567", "number": "3000", "messageText": "سلام", "receiveReturnId": 2},
    ]
    request = RequestFactory().post("/i", json.dumps(body), content_type="application/json")
    assert gateway.parse_inbound(request) == [
        InboundSms(sender="+989121234567", line="3000", text="لغو", provider_message_id="1"),
        InboundSms(sender="+989351234567", line="3000", text="سلام", provider_message_id="2"),
    ]


def test_an_inbound_message_without_sender_is_refused(gateway: SmsIrGateway) -> None:
    request = RequestFactory().post(
        "/i", json.dumps({"number": "3000", "messageText": "x"}), content_type="application/json"
    )
    with pytest.raises(InvalidCallbackError):
        gateway.parse_inbound(request)


def test_reports_equal_what_was_sent(fake: FakeSmsGateway, gateway: SmsIrGateway) -> None:
    sent = gateway.send(recipient="09121234567", text="x", local_id="1")
    assert gateway.fetch_statuses([sent.provider_message_id]) == [
        DeliveryReport(provider_message_id=sent.provider_message_id, status=DeliveryStatus.QUEUED)
    ]
