"""The webhook step against a real HTTP server on this machine: the body is signed, a 500 is
retried with backoff, the step gives up after the configured attempts, redirects are not
followed, and internal addresses are refused unless the setting allows them."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from peyvand.contacts.tests.factories import make_contact
from peyvand.marketing.journey_models import JourneyRun, JourneyRunLog, RunState
from peyvand.marketing.journeys.webhook import WebhookAddressError, check_address

from .journey_helpers import Clock, active_journey, step

pytestmark = pytest.mark.django_db


class Receiver:
    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.redirect_to = ""


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append((dict(self.headers), body))
            if state.redirect_to:
                self.send_response(302)
                self.send_header("Location", state.redirect_to)
                self.end_headers()
                return
            self.send_response(state.statuses.pop(0) if state.statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def allow_internal(settings: Any) -> None:
    settings.PEYVAND_JOURNEY_WEBHOOK_ALLOW_INTERNAL = True
    settings.PEYVAND_JOURNEY_WEBHOOK_ATTEMPTS = 3


def start(url: str) -> tuple[Clock, JourneyRun]:
    journey = active_journey([step("call_webhook", url=url), step("add_tag", tag="اعلام‌شده")])
    make_contact(first_name="آرش")
    clock = Clock(timezone.now() + datetime.timedelta(minutes=1))
    clock.tick()
    return clock, JourneyRun.objects.get(journey=journey)


def test_the_body_is_signed_with_the_journeys_secret(
    receiver: tuple[Receiver, str], allow_internal: None
) -> None:
    state, url = receiver
    _clock, run = start(url)
    headers, body = state.requests[0]
    expected = hmac.new(run.journey.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Peyvand-Signature"] == f"sha256={expected}"
    assert headers["X-Peyvand-Delivery"].startswith(f"journey:{run.journey_id}:run:{run.pk}:")
    payload = json.loads(body)
    assert payload["contact"]["first_name"] == "آرش"
    assert payload["journey"]["id"] == run.journey_id
    run.refresh_from_db()
    assert run.state == RunState.DONE


def test_a_500_is_retried_with_backoff_then_succeeds(
    receiver: tuple[Receiver, str], allow_internal: None
) -> None:
    state, url = receiver
    state.statuses = [500, 503]
    clock, run = start(url)
    run.refresh_from_db()
    assert (run.state, run.attempts) == (RunState.ACTIVE, 1)
    assert run.wake_at == clock.now + datetime.timedelta(minutes=1)
    clock.tick()  # not due yet
    assert len(state.requests) == 1
    clock.advance(minutes=1)
    clock.tick()
    run.refresh_from_db()
    assert run.wake_at == clock.now + datetime.timedelta(minutes=2)
    clock.advance(minutes=2)
    clock.tick()
    run.refresh_from_db()
    assert len(state.requests) == 3
    assert run.state == RunState.DONE
    assert list(JourneyRunLog.objects.filter(run=run).values_list("outcome", flat=True)) == [
        "entered",
        "retry",
        "retry",
        "done",
        "done",
        "completed",
    ]


def test_gives_up_after_the_configured_attempts(
    receiver: tuple[Receiver, str], allow_internal: None
) -> None:
    state, url = receiver
    state.statuses = [500] * 10
    clock, run = start(url)
    for _ in range(5):
        clock.advance(hours=1)
        clock.tick()
    run.refresh_from_db()
    assert len(state.requests) == 3
    assert run.state == RunState.FAILED
    assert run.contact.tags.count() == 0
    assert JourneyRunLog.objects.filter(run=run, outcome="failed").get().detail["attempt"] == 3


def test_a_redirect_is_not_followed(receiver: tuple[Receiver, str], allow_internal: None) -> None:
    state, url = receiver
    state.redirect_to = "http://169.254.169.254/latest/meta-data"
    _clock, run = start(url)
    run.refresh_from_db()
    assert len(state.requests) == 1
    assert run.state == RunState.FAILED


def test_internal_addresses_are_refused_by_default(
    receiver: tuple[Receiver, str], settings: Any
) -> None:
    state, url = receiver
    settings.PEYVAND_JOURNEY_WEBHOOK_ALLOW_INTERNAL = True
    journey = active_journey([step("call_webhook", url=url)])
    # The setting turned off after the journey was saved: the call itself is refused too.
    settings.PEYVAND_JOURNEY_WEBHOOK_ALLOW_INTERNAL = False
    make_contact()
    Clock(timezone.now() + datetime.timedelta(minutes=1)).tick()
    run = JourneyRun.objects.get(journey=journey)
    run.refresh_from_db()
    assert state.requests == []
    assert run.state == RunState.FAILED
    for address in (
        "http://127.0.0.1/x",
        "http://10.0.0.5/x",
        "http://[::1]/x",
        "http://localhost:8000/",
        "http://169.254.169.254/",
        "ftp://example.com/",
        "http://user:pass@example.com/",
    ):
        with pytest.raises(WebhookAddressError):
            check_address(address, resolve=False)
    check_address("https://hooks.example.com/in", resolve=False)
