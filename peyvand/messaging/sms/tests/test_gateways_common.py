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


def test_the_standalone_fake_serves_adapters_from_another_process(
    make_gateway: MakeGateway,
) -> None:
    import json
    import os
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    root = Path(__file__).resolve().parents[4]
    command = [sys.executable, "-m", "peyvand.messaging.sms.fake_server"]
    process = subprocess.Popen(
        [*command, "--port", "0", "--api-key", API_KEY],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().split(" on ", 1)[1].split(" ", 1)[0]
        gateway = make_gateway("kavenegar", base_url=base_url)
        gateway.send(recipient="09121234567", text="x", local_id="8")
        gateway.send(recipient="09121234567", text="x", local_id="8")
        with urllib.request.urlopen(base_url + "/__fake__/stats", timeout=5) as response:
            stats = json.load(response)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    assert stats["accepted"] == 1
    assert stats["duplicates_refused"] == 1
    assert stats["by_local_id"] == {"8": 1}


def test_pushes_can_be_driven_through_the_control_endpoint(
    fake: FakeSmsGateway, make_gateway: MakeGateway, capture: CaptureServer
) -> None:
    import json
    import urllib.request

    gateway = make_gateway("kavenegar")
    sent = gateway.send(recipient="09121234567", text="x", local_id="1")
    commands = [
        {"action": "set_status", "message_id": sent.provider_message_id, "status": "delivered"},
        {
            "action": "push_delivery",
            "url": capture.url + "/d",
            "message_id": sent.provider_message_id,
        },
        {"action": "push_inbound", "url": capture.url + "/i", "provider": "kavenegar"}
        | {"sender": "+989121234567", "text": "لغو", "line": "3000"},
    ]
    for command in commands:
        request = urllib.request.Request(
            fake.base_url + "/__fake__/control", data=json.dumps(command).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200

    delivery, inbound = capture.requests
    [report] = gateway.parse_delivery_report(delivery.as_request())
    [message] = gateway.parse_inbound(inbound.as_request())
    assert report.status is DeliveryStatus.DELIVERED
    assert (message.sender, message.text, message.line) == ("+989121234567", "لغو", "3000")


def test_a_bad_control_command_is_refused(fake: FakeSmsGateway) -> None:
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        fake.base_url + "/__fake__/control",
        data=json.dumps({"action": "x"}).encode(),
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    caught.value.close()
    assert caught.value.code == 400


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_configured_gateway_comes_from_settings(
    provider: str, fake: FakeSmsGateway, settings: object
) -> None:
    from peyvand.messaging.sms.base import configured_gateway

    settings.PEYVAND_SMS_GATEWAY = provider  # type: ignore[attr-defined]
    settings.PEYVAND_SMS_API_KEY = API_KEY  # type: ignore[attr-defined]
    settings.PEYVAND_SMS_LINE = "30001234"  # type: ignore[attr-defined]
    settings.PEYVAND_SMS_BASE_URL = fake.base_url  # type: ignore[attr-defined]
    gateway = configured_gateway()

    assert gateway is not None
    assert gateway.name == provider
    gateway.send(recipient="09121234567", text="x", local_id="1")
    assert fake.stats()["by_recipient"] == {"+989121234567": 1}
