"""The Kavenegar adapter against the fake gateway: codes, localid, callbacks."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

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
from peyvand.messaging.sms.kavenegar import KavenegarGateway, provider_local_id
from peyvand.messaging.sms.tests.conftest import CaptureServer

MakeGateway = Callable[..., SmsGateway]


@pytest.fixture
def gateway(make_gateway: MakeGateway) -> KavenegarGateway:
    built = make_gateway("kavenegar")
    assert isinstance(built, KavenegarGateway)
    return built


def test_kavenegar_says_it_deduplicates_and_can_look_up_by_local_id(
    gateway: KavenegarGateway,
) -> None:
    assert gateway.idempotent_send is True
    assert isinstance(gateway, SupportsLocalIdLookup)


def test_send_reports_cost_in_rials(gateway: KavenegarGateway) -> None:
    result = gateway.send(recipient="09121234567", text="سلام", local_id="7")
    assert result.cost_rials == 1200


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (400, PermanentSmsError),  # incomplete parameters
        (403, PermanentSmsError),  # bad API key
        (411, PermanentSmsError),  # invalid receptor
        (412, PermanentSmsError),  # invalid sender line
        (418, PermanentSmsError),  # no credit
        (402, TransientSmsError),  # operation failed
        (409, TransientSmsError),  # server cannot answer now
        (999, PermanentSmsError),  # unknown: never retried forever
    ],
)
def test_kavenegar_codes_map_to_what_the_outbox_does_next(
    code: int, error: type[Exception], fake: FakeSmsGateway, gateway: KavenegarGateway
) -> None:
    fake.fail_next(code=code)
    with pytest.raises(error) as caught:
        gateway.send(recipient="09121234567", text="x", local_id="1")
    assert isinstance(caught.value, (PermanentSmsError, TransientSmsError))
    assert caught.value.provider_code == str(code)
    assert fake.stats()["accepted"] == 0


def test_the_fake_refuses_an_invalid_receptor_with_411(
    fake: FakeSmsGateway, gateway: KavenegarGateway
) -> None:
    # A foreign number passes our own check but not Kavenegar's (Iranian mobiles only).
    with pytest.raises(PermanentSmsError) as caught:
        gateway.send(recipient="+4915112345678", text="x", local_id="1")
    assert caught.value.provider_code == "411"


def test_a_repeated_local_id_returns_the_first_message_without_sending_again(
    fake: FakeSmsGateway, gateway: KavenegarGateway
) -> None:
    first = gateway.send(recipient="09121234567", text="x", local_id="order-17")
    again = gateway.send(recipient="09121234567", text="x", local_id="order-17")
    other = gateway.send(recipient="09121234567", text="x", local_id="order-18")

    stats = fake.stats()
    assert again.provider_message_id == first.provider_message_id
    assert other.provider_message_id != first.provider_message_id
    assert stats["accepted"] == 2
    assert stats["duplicates_refused"] == 1
    assert stats["by_local_id"] == {
        provider_local_id("order-17"): 1,
        provider_local_id("order-18"): 1,
    }


def test_a_send_that_timed_out_after_leaving_is_sent_once_when_retried(
    fake: FakeSmsGateway, make_gateway: MakeGateway
) -> None:
    fake.delay_next(seconds=0.6, accept=True)
    impatient = make_gateway("kavenegar", timeout_seconds=0.2)
    with pytest.raises(TransientSmsError):
        impatient.send(recipient="09121234567", text="x", local_id="99")

    retried = make_gateway("kavenegar").send(recipient="09121234567", text="x", local_id="99")

    stats = fake.stats()
    assert stats["accepted"] == 1
    assert stats["by_recipient"] == {"+989121234567": 1}
    assert retried.provider_message_id == stats["messages"][0]["id"]


def test_concurrent_sends_with_one_local_id_send_once(
    fake: FakeSmsGateway, gateway: KavenegarGateway
) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(
            pool.map(
                lambda _: (
                    gateway.send(
                        recipient="09121234567", text="x", local_id="same"
                    ).provider_message_id
                ),
                range(24),
            )
        )
    assert len(ids) == 1
    assert fake.stats()["accepted"] == 1
    assert fake.stats()["duplicates_refused"] == 23


def test_provider_local_id_keeps_numbers_and_hashes_the_rest() -> None:
    assert provider_local_id("12345") == "12345"
    hashed = provider_local_id("outbox:7f3a")
    assert hashed == provider_local_id("outbox:7f3a")
    assert hashed.isdigit()
    assert 0 <= int(hashed) < 2**63
    assert provider_local_id("0") != "0"  # Kavenegar wants a positive number


def test_fetch_statuses_by_local_id(fake: FakeSmsGateway, gateway: KavenegarGateway) -> None:
    sent = gateway.send(recipient="09121234567", text="x", local_id="abc-1")
    fake.set_status(sent.provider_message_id, DeliveryStatus.DELIVERED)

    found = gateway.fetch_statuses_by_local_id(["abc-1", "never-sent"])

    assert found == {
        "abc-1": DeliveryReport(
            provider_message_id=sent.provider_message_id, status=DeliveryStatus.DELIVERED
        )
    }


def test_fetch_statuses_of_an_unknown_id_is_unknown(gateway: KavenegarGateway) -> None:
    [report] = gateway.fetch_statuses(["424242"])
    assert report.status is DeliveryStatus.UNKNOWN


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("1", DeliveryStatus.QUEUED),
        ("2", DeliveryStatus.QUEUED),
        ("4", DeliveryStatus.SENT),
        ("5", DeliveryStatus.SENT),
        ("6", DeliveryStatus.FAILED),
        ("10", DeliveryStatus.DELIVERED),
        ("11", DeliveryStatus.FAILED),
        ("13", DeliveryStatus.FAILED),
        ("14", DeliveryStatus.FAILED),
        ("100", DeliveryStatus.UNKNOWN),
        ("77", DeliveryStatus.UNKNOWN),
    ],
)
def test_delivery_callback_statuses(
    code: str, status: DeliveryStatus, gateway: KavenegarGateway
) -> None:
    request = RequestFactory().post("/sms/delivery", {"messageid": "8792343", "status": code})
    [report] = gateway.parse_delivery_report(request)
    assert report.provider_message_id == "8792343"
    assert report.status is status


def test_the_fakes_pushed_delivery_report_parses(
    fake: FakeSmsGateway, gateway: KavenegarGateway, capture: CaptureServer
) -> None:
    sent = gateway.send(recipient="09121234567", text="x", local_id="3")
    fake.set_status(sent.provider_message_id, DeliveryStatus.DELIVERED)

    assert fake.push_delivery(capture.url + "/sms/delivery", sent.provider_message_id) == 200

    [captured] = capture.requests
    assert gateway.parse_delivery_report(captured.as_request()) == [
        DeliveryReport(
            provider_message_id=sent.provider_message_id, status=DeliveryStatus.DELIVERED
        )
    ]


@pytest.mark.parametrize(
    "fields", [{}, {"status": "10"}, {"messageid": "1"}, {"messageid": "1", "status": "ok"}]
)
def test_a_bad_delivery_callback_is_refused(
    fields: dict[str, str], gateway: KavenegarGateway
) -> None:
    with pytest.raises(InvalidCallbackError):
        gateway.parse_delivery_report(RequestFactory().post("/sms/delivery", fields))


def test_an_inbound_message_parses(
    fake: FakeSmsGateway, gateway: KavenegarGateway, capture: CaptureServer
) -> None:
    fake.push_inbound(
        capture.url + "/sms/inbound",
        provider="kavenegar",
        sender="+989121234567",
        text="لغو۱۱",
        line="10004346",
    )
    [captured] = capture.requests
    [inbound] = gateway.parse_inbound(captured.as_request())
    assert inbound == InboundSms(
        sender="+989121234567",
        line="10004346",
        text="لغو۱۱",
        provider_message_id=inbound.provider_message_id,
    )
    assert inbound.provider_message_id.isdigit()


def test_an_inbound_message_by_get_parses(gateway: KavenegarGateway) -> None:
    request = RequestFactory().get(
        "/sms/inbound",
        {"from": "۰۹۱۲۱۲۳۴۵۶۷", "to": "10004346", "message": "stop", "messageid": "5"},
    )
    assert gateway.parse_inbound(request) == [
        InboundSms(sender="+989121234567", line="10004346", text="stop", provider_message_id="5")
    ]


@pytest.mark.parametrize(
    "fields",
    [{}, {"to": "1000", "message": "x"}, {"from": "not a number", "to": "1000", "message": "x"}],
)
def test_a_bad_inbound_callback_is_refused(
    fields: dict[str, str], gateway: KavenegarGateway
) -> None:
    with pytest.raises(InvalidCallbackError):
        gateway.parse_inbound(RequestFactory().post("/sms/inbound", fields))
