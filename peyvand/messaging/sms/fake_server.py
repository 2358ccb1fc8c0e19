"""A local fake of Kavenegar, SMS.ir and Ghasedak for tests and development.

One threaded :mod:`http.server` on 127.0.0.1 speaks all three protocols at the paths the
adapters use, so ``PEYVAND_SMS_BASE_URL=http://127.0.0.1:<port>`` works with any
``PEYVAND_SMS_GATEWAY``. It counts every accepted message per recipient and per local id,
refuses a repeated Kavenegar ``localid`` the way Kavenegar does (answering with the first
message), and can be told to fail, stall or rate-limit the next requests, and to push
delivery reports and received messages to a callback URL.

In a test::

    with FakeSmsGateway(api_key="k") as fake:
        gateway = build_gateway(GatewayConfig(name="kavenegar", api_key="k", line="1000",
                                              base_url=fake.base_url))
        fake.fail_next(code=418)

From another process (the outbox's kill test runs workers as subprocesses) the same state
is at ``GET /__fake__/stats`` and the same controls at ``POST /__fake__/control`` with a
JSON body such as ``{"action": "fail", "count": 1, "code": 418}`` (actions: ``fail``,
``fail_http``, ``delay``, ``rate_limit``, ``set_status``, ``reset``, ``push_delivery``,
``push_inbound``, with the keyword arguments of the methods below). Counters per local id
use the id as the provider received it (for Kavenegar ``kavenegar.provider_local_id(key)``,
which is the key itself when it is a positive number).

Standalone: ``python -m peyvand.messaging.sms.fake_server --port 9900 --api-key dev``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from peyvand.messaging.sms import _fake_protocols as protocols
from peyvand.messaging.sms.base import DeliveryStatus

__all__ = ["FakeSmsGateway", "main"]

CONTROL_PREFIX = "/__fake__/"


@dataclass
class _Fault:
    """What to do instead of (or around) the next ``remaining`` API requests."""

    kind: str  # "fail" (provider error code), "http" (bare HTTP error), "delay", "rate_limit"
    remaining: int
    code: int = 0
    seconds: float = 0.0
    accept: bool = True  # for "delay": handle the request before stalling
    provider: str | None = None  # None: any provider


class FakeSmsGateway:
    """The fake gateway; a context manager that starts and stops the server thread."""

    def __init__(self, *, api_key: str = "test-key", host: str = "127.0.0.1", port: int = 0):
        self.state = protocols.FakeState(api_key=api_key)
        self._faults: deque[_Fault] = deque()
        self._faults_lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- life cycle ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeSmsGateway:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-sms-gateway",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeSmsGateway:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- controls -----------------------------------------------------------------------

    def _add(self, fault: _Fault) -> None:
        if fault.remaining > 0:
            with self._faults_lock:
                self._faults.append(fault)

    def fail_next(self, count: int = 1, *, code: int, provider: str | None = None) -> None:
        """Answer the next ``count`` requests with the provider's error ``code`` (Kavenegar
        418, SMS.ir 102, Ghasedak 418 …) in that provider's error shape."""
        self._add(_Fault("fail", count, code=code, provider=provider))

    def fail_http_next(self, count: int = 1, *, status: int = 502) -> None:
        """Answer the next ``count`` requests with a bare HTTP error page (no JSON)."""
        self._add(_Fault("http", count, code=status))

    def delay_next(self, count: int = 1, *, seconds: float, accept: bool = True) -> None:
        """Stall the next ``count`` requests by ``seconds``. With ``accept`` the message is
        taken (and counted) before the stall: the client times out on a message that did
        go out. Without it the request is answered 504 after the stall and not handled."""
        self._add(_Fault("delay", count, seconds=seconds, accept=accept))

    def rate_limit_next(self, count: int = 1, *, retry_after: float = 1) -> None:
        """Answer the next ``count`` requests with HTTP 429 and ``Retry-After``."""
        self._add(_Fault("rate_limit", count, seconds=retry_after))

    def set_status(self, message_id: str, status: DeliveryStatus) -> None:
        """Move an accepted message to ``status`` (what status lookups then report)."""
        with self.state.lock:
            self.state.messages[str(message_id)].status = status

    def reset(self) -> None:
        """Forget messages, counters and pending faults (the API key stays)."""
        with self._faults_lock:
            self._faults.clear()
        api_key = self.state.api_key
        with self.state.lock:
            fresh = protocols.FakeState(api_key=api_key)
            for name in ("messages", "by_local_id", "accepted_by_recipient"):
                setattr(self.state, name, getattr(fresh, name))
            self.state.accepted_by_local_id = fresh.accepted_by_local_id
            self.state.duplicates_refused = 0
            self.state.requests = 0

    def stats(self) -> dict[str, Any]:
        """Counters as plain JSON-ready data (the same as ``GET /__fake__/stats``)."""
        with self.state.lock:
            return {
                "requests": self.state.requests,
                "accepted": len(self.state.messages),
                "duplicates_refused": self.state.duplicates_refused,
                "by_recipient": dict(self.state.accepted_by_recipient),
                "by_local_id": dict(self.state.accepted_by_local_id),
                "messages": [
                    {
                        "id": m.message_id,
                        "provider": m.provider,
                        "recipient": m.recipient,
                        "local_id": m.local_id,
                        "sent_as": m.sent_as,
                        "text": m.text,
                        "status": m.status.value,
                    }
                    for m in self.state.messages.values()
                ],
            }

    def push_delivery(self, callback_url: str, message_id: str, *, provider: str = "") -> int:
        """POST the delivery report of an accepted message to ``callback_url`` in its
        provider's shape; returns the HTTP status the callback answered."""
        message = self.state.find(message_id)
        if message is None:
            raise KeyError(message_id)
        content_type, body = protocols.delivery_push(provider or message.provider, message)
        return _post(callback_url, content_type, body)

    def push_inbound(
        self, callback_url: str, *, provider: str, sender: str, text: str, line: str = "1000"
    ) -> int:
        """POST a message ``sender`` (E.164) sent to ``line`` to ``callback_url``."""
        with self.state.lock:
            self.state.next_id += 1
            message_id = str(self.state.next_id)
        content_type, body = protocols.inbound_push(
            provider, message_id=message_id, sender=sender, line=line, text=text
        )
        return _post(callback_url, content_type, body)

    def control(self, command: dict[str, Any]) -> None:
        """The controls above driven by a JSON object (the ``/__fake__/control`` body)."""
        action = command.get("action")
        count = int(command.get("count", 1))
        if action == "fail":
            self.fail_next(count, code=int(command["code"]), provider=command.get("provider"))
        elif action == "fail_http":
            self.fail_http_next(count, status=int(command.get("status", 502)))
        elif action == "delay":
            self.delay_next(
                count, seconds=float(command["seconds"]), accept=bool(command.get("accept", True))
            )
        elif action == "rate_limit":
            self.rate_limit_next(count, retry_after=float(command.get("retry_after", 1)))
        elif action == "set_status":
            self.set_status(str(command["message_id"]), DeliveryStatus(command["status"]))
        elif action == "reset":
            self.reset()
        elif action == "push_delivery":
            self.push_delivery(str(command["url"]), str(command["message_id"]))
        elif action == "push_inbound":
            self.push_inbound(
                str(command["url"]),
                provider=str(command["provider"]),
                sender=str(command["sender"]),
                text=str(command["text"]),
                line=str(command.get("line", "1000")),
            )
        else:
            raise ValueError(f"Unknown action {action!r}")

    def _take_fault(self, provider: str) -> _Fault | None:
        with self._faults_lock:
            for fault in self._faults:
                if fault.provider in (None, provider):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


def _post(url: str, content_type: str, body: bytes) -> int:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": content_type}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _handler_for(fake: FakeSmsGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: tests and the CLI print their own

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _reply(self, status: int, headers: dict[str, str], body: Any) -> None:
            if body is None:
                raw, content_type = b"Too Many Requests", "text/plain"
            elif isinstance(body, bytes):
                raw, content_type = body, "text/html"
            else:
                raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
                content_type = "application/json; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            # The client may have given up (a timeout test); there is nothing to tell it.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(raw)

        def _handle(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if url.path.startswith(CONTROL_PREFIX):
                self._control(url.path[len(CONTROL_PREFIX) :], raw)
                return
            provider = protocols.provider_for(url.path)
            if provider is None:
                self._reply(404, {}, {"error": "unknown path"})
                return
            with fake.state.lock:
                fake.state.requests += 1
            params = _params(url.query, raw, self.headers.get("Content-Type", ""))
            body = _json_or_none(raw)
            headers = {k.lower(): v for k, v in self.headers.items()}
            fault = fake._take_fault(provider)
            handler = protocols.HANDLERS[provider]
            path = urllib.parse.unquote(url.path)
            if fault is None:
                self._reply(*handler(fake.state, path, params, body, headers))
            elif fault.kind == "fail":
                self._reply(*protocols.ERRORS[provider](fault.code, "injected failure"))
            elif fault.kind == "http":
                self._reply(fault.code, {}, b"<html><body>Bad Gateway</body></html>")
            elif fault.kind == "rate_limit":
                self._reply(*protocols.rate_limited(provider, fault.seconds))
            elif fault.accept:
                answer = handler(fake.state, path, params, body, headers)
                time.sleep(fault.seconds)
                self._reply(*answer)
            else:
                time.sleep(fault.seconds)
                self._reply(504, {}, b"<html><body>Gateway Timeout</body></html>")

        def _control(self, name: str, raw: bytes) -> None:
            if name == "stats" and self.command == "GET":
                self._reply(200, {}, fake.stats())
                return
            if name == "control" and self.command == "POST":
                try:
                    fake.control(json.loads(raw or b"{}"))
                except (ValueError, KeyError, TypeError) as error:
                    self._reply(400, {}, {"error": str(error)})
                    return
                self._reply(200, {}, {"ok": True})
                return
            self._reply(404, {}, {"error": "unknown control"})

    return Handler


def _params(query: str, raw: bytes, content_type: str) -> dict[str, str]:
    """Query and form fields, keys lower-cased, repeated keys joined with commas."""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    if "application/x-www-form-urlencoded" in content_type.lower():
        pairs += urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
    params: dict[str, str] = {}
    for key, value in pairs:
        key = key.lower()
        params[key] = f"{params[key]},{value}" if key in params else value
    return params


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def main(argv: list[str] | None = None) -> None:
    """Run the fake in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Fake Kavenegar / SMS.ir / Ghasedak gateway")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9900)
    parser.add_argument("--api-key", default="test-key")
    arguments = parser.parse_args(argv)
    fake = FakeSmsGateway(api_key=arguments.api_key, host=arguments.host, port=arguments.port)
    print(f"Fake SMS gateway on {fake.base_url} (API key {arguments.api_key!r})", flush=True)
    print(f"  PEYVAND_SMS_BASE_URL={fake.base_url}", flush=True)
    print(f"  stats: GET {fake.base_url}{CONTROL_PREFIX}stats", flush=True)
    try:
        fake._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake._server.server_close()


if __name__ == "__main__":
    main()
