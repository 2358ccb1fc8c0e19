"""Behaviour every adapter shares, each against the fake gateway over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from peyvand.messaging.sms.base import (
    DeliveryStatus,
    PermanentSmsError,
    SmsGateway,
    TransientSmsError,
)
from peyvand.messaging.sms.fake_server import FakeSmsGateway
from peyvand.messaging.sms.tests.conftest import API_KEY, CaptureServer

PROVIDERS = ["kavenegar", "smsir", "ghasedak"]
MakeGateway = Callable[..., SmsGateway]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "written", ["09121234567", "+989121234567", "۰۹۱۲۱۲۳۴۵۶۷", "0912 123 4567", "٠٩١٢١٢٣٤٥٦٧"]
)
def test_send_turns_every_form_of_a_number_into_the_providers_form(
    provider: str, written: str, fake: FakeSmsGateway, make_gateway: MakeGateway
) -> None:
    result = make_gateway(provider).send(recipient=written, text="سلام", local_id="41")

    stats = fake.stats()
    assert stats["by_recipient"] == {"+989121234567": 1}
    [message] = stats["messages"]
    assert message["sent_as"] == "09121234567"
    assert message["text"] == "سلام"
    assert result.provider_message_id == message["id"]
    assert result.status is DeliveryStatus.QUEUED


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_invalid_number_is_permanent_before_any_request(
    provider: str, fake: FakeSmsGateway, make_gateway: MakeGateway
) -> None:
    with pytest.raises(PermanentSmsError):
        make_gateway(provider).send(recipient="12345", text="x", local_id="1")
    assert fake.stats()["requests"] == 0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_timeout_is_transient(
    provider: str, fake: FakeSmsGateway, make_gateway: MakeGateway
) -> None:
    fake.delay_next(seconds=1.0, accept=False)
    with pytest.raises(TransientSmsError) as caught:
        make_gateway(provider, timeout_seconds=0.2).send(
            recipient="09121234567", text="x", local_id="1"
        )
    assert caught.value.provider_code == "timeout"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_rate_limit_is_transient_with_retry_after(
    provider: str, fake: FakeSmsGateway, make_gateway: MakeGateway
) -> None:
    fake.rate_limit_next(retry_after=7)
    gateway = make_gateway(provider)
    with pytest.raises(TransientSmsError) as caught:
        gateway.send(recipient="09121234567", text="x", local_id="1")
    assert caught.value.retry_after == 7
    gateway.send(recipient="09121234567", text="x", local_id="1")
    assert fake.stats()["accepted"] == 1


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_bare_server_error_is_transient(
    provider: str, status: int, fake: FakeSmsGateway, make_gateway: MakeGateway
) -> None:
    fake.fail_http_next(status=status)
    with pytest.raises(TransientSmsError) as caught:
        make_gateway(provider).send(recipient="09121234567", text="x", local_id="1")
    assert caught.value.provider_code == f"http-{status}"
    assert fake.stats()["accepted"] == 0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_wrong_api_key_is_permanent(provider: str, make_gateway: MakeGateway) -> None:
    with pytest.raises(PermanentSmsError):
        make_gateway(provider, api_key="wrong-key").send(
            recipient="09121234567", text="x", local_id="1"
        )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_connection_is_transient_and_never_shows_the_api_key(
    provider: str, make_gateway: MakeGateway, closed_port_url: str
) -> None:
    with pytest.raises(TransientSmsError) as caught:
        make_gateway(provider, base_url=closed_port_url).send(
            recipient="09121234567", text="x", local_id="1"
        )
    assert caught.value.provider_code == "network"
    assert API_KEY not in str(caught.value)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_redirect_is_not_followed(
    provider: str, make_gateway: MakeGateway, capture: CaptureServer, fake: FakeSmsGateway
) -> None:
    capture.status = 302
    capture.headers = {"Location": fake.base_url + "/elsewhere"}
    with pytest.raises(TransientSmsError) as caught:
        make_gateway(provider, base_url=capture.url).send(
            recipient="09121234567", text="x", local_id="1"
        )
    assert caught.value.provider_code == "http-302"
    assert API_KEY not in str(caught.value)
    assert len(capture.requests) == 1
    assert fake.stats()["requests"] == 0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_fetch_statuses_follows_the_fake(
    provider: str, fake: FakeSmsGateway, make_gateway: MakeGateway
) -> None:
    gateway = make_gateway(provider)
    first = gateway.send(recipient="09121234567", text="a", local_id="1")
    second = gateway.send(recipient="09351234567", text="b", local_id="2")
    fake.set_status(first.provider_message_id, DeliveryStatus.DELIVERED)
    fake.set_status(second.provider_message_id, DeliveryStatus.FAILED)

    reports = gateway.fetch_statuses([first.provider_message_id, second.provider_message_id])

    assert [(r.provider_message_id, r.status) for r in reports] == [
        (first.provider_message_id, DeliveryStatus.DELIVERED),
        (second.provider_message_id, DeliveryStatus.FAILED),
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_counters_are_exact_under_concurrent_sends(
    provider: str, fake: FakeSmsGateway, make_gateway: MakeGateway
) -> None:
    gateway = make_gateway(provider)
    recipients = [f"0912000{n:04d}" for n in range(8)]

    def send(index: int) -> str:
        recipient = recipients[index % len(recipients)]
        return gateway.send(
            recipient=recipient, text="x", local_id=str(index + 1)
        ).provider_message_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(send, range(80)))

    stats = fake.stats()
    assert len(set(ids)) == 80
    assert stats["accepted"] == 80
    assert stats["requests"] == 80
    assert stats["by_recipient"] == {"+98" + r[1:]: 10 for r in recipients}


def test_the_stats_endpoint_serves_the_counters_to_other_processes(
    fake: FakeSmsGateway, make_gateway: MakeGateway
) -> None:
    import json
    import urllib.request

    make_gateway("kavenegar").send(recipient="09121234567", text="x", local_id="5")
    control = urllib.request.Request(
        fake.base_url + "/__fake__/control",
        data=json.dumps({"action": "fail", "code": 418}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(control, timeout=5) as response:
        assert json.load(response) == {"ok": True}
    with urllib.request.urlopen(fake.base_url + "/__fake__/stats", timeout=5) as response:
        stats = json.load(response)

    assert stats["accepted"] == 1
    assert stats["by_recipient"] == {"+989121234567": 1}
    assert stats["by_local_id"] == {"5": 1}
    with pytest.raises(PermanentSmsError):
        make_gateway("kavenegar").send(recipient="09121234567", text="x", local_id="6")
