"""What every adapter shares: one HTTP call with the standard library, phone formats,
callback parsing.

The HTTP helper never follows a redirect (a redirect to another host could carry the API
key or the message somewhere we did not choose), turns timeouts, connection failures, 5xx
and 429 into :class:`TransientSmsError`, and never puts the URL or the API key into an
error message (Kavenegar carries the key in the URL path).
"""

from __future__ import annotations

import datetime
import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from peyvand.common.validators import normalize_phone
from peyvand.messaging.sms.base import InvalidCallbackError, PermanentSmsError, TransientSmsError

__all__ = [
    "HttpResult",
    "call",
    "callback_fields",
    "lower_keys",
    "national_mobile",
    "parse_retry_after",
    "parse_time",
    "required",
    "sender_e164",
    "to_e164",
]


@dataclass(frozen=True)
class HttpResult:
    """One answer from a provider: HTTP status, the JSON body (None when not JSON)."""

    status: int
    body: Any
    retry_after: float | None = None


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Answer every 3xx as it is instead of following it."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> None:
        return None


_OPENER = urllib.request.build_opener(_RefuseRedirects())


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (only the delta-seconds form is used)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def call(
    method: str,
    url: str,
    *,
    timeout: float,
    secret: str,
    headers: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    json_body: Any = None,
) -> HttpResult:
    """Send one request and return the status and JSON body, whatever the status.

    Raises :class:`TransientSmsError` when no answer came back (timeout, refused
    connection, reset) and :class:`PermanentSmsError` for a URL we cannot even build.
    ``secret`` is scrubbed from every message this function raises.
    """
    data: bytes | None = None
    request_headers = {"Accept": "application/json", **(headers or {})}
    if form is not None:
        data = urllib.parse.urlencode(form).encode("utf-8")
        request_headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    elif json_body is not None:
        data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        request_headers["Content-Type"] = "application/json; charset=utf-8"
    if not url.startswith(("http://", "https://")):
        raise PermanentSmsError("The SMS gateway URL must start with http:// or https://")
    try:
        request = urllib.request.Request(url, data=data, headers=request_headers, method=method)
    except ValueError:
        raise PermanentSmsError("The SMS gateway URL is not valid") from None
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return HttpResult(status=response.status, body=_decode(response.read()))
    except urllib.error.HTTPError as error:
        # 4xx/5xx still carry the provider's JSON with its own error code.
        try:
            raw = error.read()
        except (OSError, TimeoutError):
            raw = b""
        finally:
            error.close()
        if 300 <= error.code < 400:
            raise TransientSmsError(
                f"The SMS gateway answered with a redirect ({error.code}); not followed",
                provider_code=f"http-{error.code}",
            ) from None
        return HttpResult(
            status=error.code,
            body=_decode(raw),
            retry_after=parse_retry_after(error.headers.get("Retry-After")),
        )
    except TimeoutError:
        raise TransientSmsError(
            f"The SMS gateway did not answer within {timeout:g} seconds", provider_code="timeout"
        ) from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise TransientSmsError(
                f"The SMS gateway did not answer within {timeout:g} seconds",
                provider_code="timeout",
            ) from None
        text = _scrub(str(reason), secret)
        raise TransientSmsError(
            f"Could not reach the SMS gateway: {text}", provider_code="network"
        ) from None
    except (OSError, http.client.HTTPException) as error:
        raise TransientSmsError(
            f"Connection to the SMS gateway failed: {_scrub(type(error).__name__, secret)}",
            provider_code="network",
        ) from None


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def to_e164(value: str) -> str:
    """Any way a person writes a number (0912…, +98912…, ۰۹۱۲…) as E.164."""
    try:
        return normalize_phone(value)
    except ValidationError as error:
        raise PermanentSmsError(
            f"Invalid recipient number {value!r}", provider_code="number"
        ) from (error)


def national_mobile(value: str) -> str:
    """An Iranian number the way Iranian gateways want it: ``09121234567``; others as
    international digits with ``00``."""
    e164 = to_e164(value)
    if e164.startswith("+98"):
        return "0" + e164[3:]
    return "00" + e164[1:]


def sender_e164(value: str) -> str:
    """The sender of an inbound message as E.164; a callback with a number that does not
    parse is not a message we can act on."""
    try:
        return normalize_phone(value)
    except ValidationError as error:
        raise InvalidCallbackError(f"Invalid sender number {value!r}") from error


def callback_fields(request: HttpRequest) -> list[dict[str, str]]:
    """The records a provider's callback carries, whatever way it posted them.

    Form posts and query strings give one record; a JSON body may be one object or a list
    of objects. Keys are lower-cased because providers are not consistent about case.
    """
    content_type = (request.content_type or "").lower()
    if content_type == "application/json":
        try:
            payload = json.loads(request.body.decode("utf-8-sig") or "null")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InvalidCallbackError("The callback body is not valid JSON") from error
        items = payload if isinstance(payload, list) else [payload]
        records: list[dict[str, str]] = []
        for item in items:
            if not isinstance(item, dict):
                raise InvalidCallbackError("The callback JSON must hold objects")
            records.append({str(k).lower(): "" if v is None else str(v) for k, v in item.items()})
        if not records:
            raise InvalidCallbackError("The callback carried no records")
        return records
    source = request.POST if request.method == "POST" else request.GET
    record = {key.lower(): source.get(key, "") for key in source}
    if not record:
        raise InvalidCallbackError("The callback carried no fields")
    return [record]


def required(record: Mapping[str, str], *names: str) -> str:
    """The first non-empty field among ``names`` (aliases), or InvalidCallbackError."""
    for name in names:
        value = record.get(name.lower(), "").strip()
        if value:
            return value
    raise InvalidCallbackError(f"The callback lacks {names[0]!r}")


def parse_time(value: object) -> datetime.datetime | None:
    """A provider's timestamp (Unix seconds, or ISO 8601) as an aware datetime."""
    if value in (None, ""):
        return None
    try:
        return datetime.datetime.fromtimestamp(float(str(value)), datetime.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        parsed = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def lower_keys(value: object) -> dict[str, Any]:
    """A JSON object with lower-case keys (providers are not consistent about case)."""
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}
