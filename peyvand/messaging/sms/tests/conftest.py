"""Fixtures for the SMS gateway tests: the fake gateway and a capturing callback server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import RequestFactory

from peyvand.messaging.sms.base import GatewayConfig, SmsGateway, build_gateway
from peyvand.messaging.sms.fake_server import FakeSmsGateway

API_KEY = "s3cret-api-key-0123"


@pytest.fixture
def fake() -> Iterator[FakeSmsGateway]:
    with FakeSmsGateway(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def make_gateway(fake: FakeSmsGateway) -> Callable[..., SmsGateway]:
    """An adapter pointed at the fake; keyword arguments override the config."""

    def make(name: str, **overrides: Any) -> SmsGateway:
        values: dict[str, Any] = {
            "name": name,
            "api_key": API_KEY,
            "line": "30001234",
            "base_url": fake.base_url,
            "timeout_seconds": 2.0,
        }
        values.update(overrides)
        return build_gateway(GatewayConfig(**values))

    return make


@dataclass
class Captured:
    """A request the capture server received, replayable through RequestFactory."""

    method: str
    path: str
    content_type: str
    body: bytes

    def as_request(self) -> HttpRequest:
        factory = RequestFactory()
        if self.method == "GET":
            return factory.get(self.path)
        return factory.generic("POST", self.path, data=self.body, content_type=self.content_type)


@dataclass
class CaptureServer:
    """Records every request; answers ``status`` with ``headers`` (a redirect, say)."""

    url: str
    requests: list[Captured] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def capture() -> Iterator[CaptureServer]:
    holder: dict[str, CaptureServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server = holder["server"]
            server.requests.append(
                Captured(self.command, self.path, self.headers.get("Content-Type", ""), body)
            )
            self.send_response(server.status)
            for name, value in server.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["server"] = CaptureServer(url=f"http://127.0.0.1:{http.server_address[1]}")
    thread = threading.Thread(target=http.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield holder["server"]
    http.shutdown()
    http.server_close()
    thread.join(timeout=5)


@pytest.fixture
def closed_port_url() -> str:
    """A local URL nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
