"""A local stand-in for an OpenAI-compatible chat-completions API: a real HTTP server on a
free port that speaks the documented request and response shape and can be told to fail
(HTTP 500, a body that is not JSON, no choices, too slow, a redirect elsewhere)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class FakeChatApi:
    """What the fake server answers next, and every request it received."""

    base_url: str = ""
    mode: str = "ok"  # ok | error | garbage | no_choices | slow | redirect
    answer: str = "سلام، برای بازیابی رمز عبور روی «فراموشی رمز عبور» بزنید."
    delay: float = 5.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    redirect_status: int = 302
    redirect_to: str = ""


def _handler(api: FakeChatApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: bytes, location: str = "") -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (the timeout test)
                pass

        def do_GET(self) -> None:  # only where a redirect could lead a client
            api.requests.append(
                {
                    "method": "GET",
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                }
            )
            self._send(404, b'{"error": {"message": "not found"}}')

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            api.requests.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "content_type": self.headers.get("Content-Type"),
                    "json": json.loads(raw.decode("utf-8")),
                }
            )
            if self.path != "/v1/chat/completions":
                self._send(404, b'{"error": {"message": "not found"}}')
                return
            if api.mode == "redirect":
                self._send(api.redirect_status, b"{}", location=api.redirect_to)
                return
            if api.mode == "slow":
                api.release.wait(api.delay)
            if api.mode == "error":
                self._send(
                    500,
                    b'{"error": {"message": "The server had an error", "type": "server_error"}}',
                )
                return
            if api.mode == "garbage":
                self._send(200, b"<html>Bad gateway</html>")
                return
            choices = (
                []
                if api.mode == "no_choices"
                else [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": api.answer},
                        "finish_reason": "stop",
                    }
                ]
            )
            body = {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": 1767225600,
                "model": api.requests[-1]["json"].get("model"),
                "choices": choices,
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }
            self._send(200, json.dumps(body, ensure_ascii=False).encode("utf-8"))

    return Handler


@contextmanager
def running_fake_chat_api() -> Iterator[FakeChatApi]:
    """A fake server on a free port of 127.0.0.1 while the block runs."""
    api = FakeChatApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield api
    finally:
        api.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def fake_chat_api(settings: Any) -> Iterator[FakeChatApi]:
    """The fake server, with the settings pointing at it (``/v1`` as the base URL)."""
    with running_fake_chat_api() as api:
        settings.PEYVAND_LLM_URL = api.base_url
        settings.PEYVAND_LLM_MODEL = "test-model"
        settings.PEYVAND_LLM_API_KEY = "sk-test-key"
        settings.PEYVAND_LLM_TIMEOUT_SECONDS = 5
        yield api
