"""Kavenegar (کاوه‌نگار) REST API v1.

Sources:

* REST documentation: https://kavenegar.com/rest.html (``sms/send``, ``sms/status``,
  ``sms/statuslocalmessageid``, the ``return.status`` error table and message statuses).
* Official client https://github.com/kavenegar/kavenegar-python (``KavenegarAPI._request``:
  ``https://api.kavenegar.com/v1/{API-KEY}/{action}/{method}.json``, POSTed form fields, the
  answer is ``{"return": {"status", "message"}, "entries": …}`` and anything but 200 in
  ``return.status`` is an error).
* Endpoint/parameter summary with the ``localid`` note ("if the same localid is sent again,
  the API returns the existing message without resending"):
  https://github.com/FardaDev/kavenegar-for-laravel/blob/main/docs/api-endpoints.md

Idempotency: Kavenegar's ``localid`` (a number in our system) is documented as duplicate
prevention: a second ``sms/send`` with a ``localid`` already used answers with the first
message instead of sending again, and ``sms/statuslocalmessageid`` finds messages by it (for
about 12 hours). So ``idempotent_send`` is True. ``localid`` must be a 64-bit number; an
outbox key that is not one is hashed to one (:func:`provider_local_id`), deterministically,
so every retry carries the same value.

Callbacks (set in the Kavenegar panel): a delivery report is a POST with ``messageid`` and
``status`` (the message status codes below); a received message is a POST with ``messageid``,
``from``, ``to`` and ``message``.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest

from peyvand.messaging.sms._http import (
    HttpResult,
    call,
    callback_fields,
    national_mobile,
    required,
    sender_e164,
)
from peyvand.messaging.sms.base import (
    DeliveryReport,
    DeliveryStatus,
    GatewayConfig,
    InboundSms,
    InvalidCallbackError,
    PermanentSmsError,
    SmsGateway,
    SmsSendResult,
    TransientSmsError,
)

DEFAULT_BASE_URL = "https://api.kavenegar.com"
BATCH_SIZE = 500  # ids per sms/status call (documented limit)

# Message statuses (``entries[].status``) from the REST documentation.
STATUSES: dict[int, DeliveryStatus] = {
    1: DeliveryStatus.QUEUED,  # در صف ارسال
    2: DeliveryStatus.QUEUED,  # زمان‌بندی شده
    4: DeliveryStatus.SENT,  # ارسال شده به مخابرات
    5: DeliveryStatus.SENT,  # ارسال شده به مخابرات
    6: DeliveryStatus.FAILED,  # خطا در ارسال پیام
    10: DeliveryStatus.DELIVERED,  # رسیده به گیرنده
    11: DeliveryStatus.FAILED,  # نرسیده به گیرنده
    13: DeliveryStatus.FAILED,  # لغو شده
    14: DeliveryStatus.FAILED,  # بلاک شده (the recipient blocked our line)
    100: DeliveryStatus.UNKNOWN,  # شناسه پیامک نامعتبر است
}
UNKNOWN_MESSAGE = 100

# ``return.status`` codes worth trying again: 402 "operation failed", 409 "server cannot
# answer, try later", 429 too many requests. Every other documented code (400 incomplete
# parameters, 401 account disabled, 403 bad API key, 407 no access, 411 bad receptor, 412
# bad sender, 413 empty or long message, 414 too many receptors, 416 IP not allowed, 417 bad
# date, 418 no credit, 419/420/422/424/426/427/428/431/432/501/607 …) will fail the same way
# again. Unknown codes are permanent too, so a message is never retried forever.
TRANSIENT_CODES = frozenset({402, 409, 429})


def provider_local_id(local_id: str) -> str:
    """Our outbox key as Kavenegar's numeric ``localid``: itself when it already is a
    positive 63-bit number, otherwise the first 63 bits of its SHA-256."""
    if local_id.isascii() and local_id.isdigit() and 0 < int(local_id) < 2**63:
        return str(int(local_id))
    digest = hashlib.sha256(local_id.encode("utf-8")).digest()
    return str(int.from_bytes(digest[:8], "big") & (2**63 - 1))


class KavenegarGateway:
    """Sends through Kavenegar and reads its callbacks."""

    name = "kavenegar"
    idempotent_send = True

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        base = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
        self._base = f"{base}/v1/{urllib.parse.quote(config.api_key, safe='')}"

    def _post(self, method: str, form: dict[str, str]) -> list[dict[str, Any]]:
        result = call(
            "POST",
            f"{self._base}/{method}.json",
            timeout=self.config.timeout_seconds,
            secret=self.config.api_key,
            form=form,
        )
        return _entries(result, self.config.api_key)

    def send(self, *, recipient: str, text: str, local_id: str) -> SmsSendResult:
        """``sms/send`` with ``localid``; a repeated ``localid`` returns the first message."""
        form = {"receptor": national_mobile(recipient), "message": text}
        if self.config.line:
            form["sender"] = self.config.line
        if local_id:
            form["localid"] = provider_local_id(local_id)
        entries = self._post("sms/send", form)
        if not entries:
            raise TransientSmsError("Kavenegar accepted the request but returned no message")
        entry = entries[0]
        cost = entry.get("cost")
        return SmsSendResult(
            provider_message_id=str(entry.get("messageid", "")),
            status=_status(entry.get("status")),
            cost_rials=int(cost) if isinstance(cost, (int, float)) else None,
        )

    def fetch_statuses(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        """``sms/status`` in batches of 500 ids."""
        reports: list[DeliveryReport] = []
        ids = [str(i) for i in provider_message_ids]
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            for entry in self._post("sms/status", {"messageid": ",".join(batch)}):
                reports.append(_report(entry))
        return reports

    def fetch_statuses_by_local_id(self, local_ids: Sequence[str]) -> dict[str, DeliveryReport]:
        """``sms/statuslocalmessageid``: what Kavenegar did with the messages we sent with
        these outbox keys (ones it does not know answer status 100 and are left out)."""
        ours = {provider_local_id(local_id): local_id for local_id in local_ids}
        found: dict[str, DeliveryReport] = {}
        keys = list(ours)
        for start in range(0, len(keys), BATCH_SIZE):
            batch = keys[start : start + BATCH_SIZE]
            for entry in self._post("sms/statuslocalmessageid", {"localid": ",".join(batch)}):
                local = ours.get(str(entry.get("localid", "")))
                if local is None or _code(entry.get("status")) == UNKNOWN_MESSAGE:
                    continue
                found[local] = _report(entry)
        return found

    def parse_delivery_report(self, request: HttpRequest) -> list[DeliveryReport]:
        """A POST with ``messageid`` and ``status``."""
        reports = []
        for record in callback_fields(request):
            message_id = required(record, "messageid")
            code = _code(required(record, "status"))
            if code is None:
                raise InvalidCallbackError("The delivery status is not a number")
            reports.append(_report({"messageid": message_id, "status": code}))
        return reports

    def parse_inbound(self, request: HttpRequest) -> list[InboundSms]:
        """A POST with ``from``, ``to``, ``message`` and ``messageid``."""
        return [
            InboundSms(
                sender=sender_e164(required(record, "from")),
                line=required(record, "to"),
                text=record.get("message", ""),
                provider_message_id=record.get("messageid", ""),
            )
            for record in callback_fields(request)
        ]


def _code(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _status(value: Any) -> DeliveryStatus:
    code = _code(value)
    return (
        STATUSES.get(code, DeliveryStatus.UNKNOWN) if code is not None else DeliveryStatus.UNKNOWN
    )


def _report(entry: dict[str, Any]) -> DeliveryReport:
    status = _status(entry.get("status"))
    detail = str(entry.get("statustext", "") or "")
    if not detail and status is DeliveryStatus.FAILED:
        detail = f"Kavenegar status {entry.get('status')}"
    return DeliveryReport(
        provider_message_id=str(entry.get("messageid", "")), status=status, detail=detail
    )


def _entries(result: HttpResult, secret: str) -> list[dict[str, Any]]:
    """The ``entries`` of a successful answer, or the error Kavenegar's code means."""
    body: dict[str, Any] = result.body if isinstance(result.body, dict) else {}
    returned: dict[str, Any] = body["return"] if isinstance(body.get("return"), dict) else {}
    code = _code(returned.get("status"))
    message = str(returned.get("message", "") or "")
    if secret:
        message = message.replace(secret, "***")
    if result.status == 429 or code == 429:
        raise TransientSmsError(
            f"Kavenegar rate limit: {message or 'too many requests'}",
            provider_code="429",
            retry_after=result.retry_after,
        )
    if code is None:
        # No Kavenegar answer at all: a proxy, a maintenance page, a 5xx.
        raise TransientSmsError(
            f"Kavenegar answered HTTP {result.status} without its JSON",
            provider_code=f"http-{result.status}",
            retry_after=result.retry_after,
        )
    if code == 200:
        entries = body.get("entries")
        if isinstance(entries, dict):
            return [entries]
        return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    reason = f"Kavenegar error {code}: {message}".rstrip(": ")
    if code in TRANSIENT_CODES or (500 <= code < 600 and code != 501):
        raise TransientSmsError(reason, provider_code=str(code), retry_after=result.retry_after)
    raise PermanentSmsError(reason, provider_code=str(code))


def build(config: GatewayConfig) -> SmsGateway:
    """The Kavenegar adapter for ``config``."""
    return KavenegarGateway(config)
