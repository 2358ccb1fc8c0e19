"""SMS.ir REST API v1 (``https://api.sms.ir/v1``, key in the ``X-API-KEY`` header).

Sources:

* API documentation: https://sms.ir/rest-api/ (also https://app.sms.ir/developer/help):
  ``POST /v1/send/bulk`` with ``lineNumber``, ``messageText``, ``mobiles``,
  ``sendDateTime``, answering ``{"status": 1, "message", "data": {"packId", "messageIds",
  "cost"}}``; ``GET /v1/send/{messageId}`` answering a report with ``deliveryState`` and
  ``deliveryDateTime``; the application status codes (1 success, 0 server problem, 10-14
  key/account, 20 too many requests, 101-123 request errors) and HTTP 400/401/429/500.
* Code and status tables as summarised from those docs in
  https://github.com/fstarlike/smsir-agent-skill/blob/main/references/errors.md and
  ``references/reports.md``; the TypeScript client https://github.com/movahhedi/sms-ir-node
  (``ApiUrl = "https://api.sms.ir/v1"``, ``Data_SendBulk``).

Idempotency: the send methods take no client reference at all, and nothing can be looked
up by our id, so ``idempotent_send`` is False: after a send whose answer was lost the outbox
must not send again blindly.

Callbacks: SMS.ir's v1 documentation describes polling (``/v1/send/{id}``,
``/v1/receive/live``) rather than a pushed format; the parsers accept the documented report
records as JSON (one object or a list): delivery ``messageId`` + ``deliveryState`` (+
``deliveryDateTime``), inbound ``mobile`` + ``number`` + ``messageText`` (+
``receiveReturnId``, ``receivedDateTime``), which is also what a forwarding job posts.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest

from peyvand.messaging.sms._http import (
    HttpResult,
    call,
    callback_fields,
    lower_keys,
    national_mobile,
    parse_time,
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

DEFAULT_BASE_URL = "https://api.sms.ir"
SUCCESS = 1
NOT_FOUND = 111  # "no send found for this id"

# ``deliveryState`` of a sent message; null while it has not reached the operator.
STATUSES: dict[int, DeliveryStatus] = {
    1: DeliveryStatus.DELIVERED,  # رسیده به گوشی
    2: DeliveryStatus.FAILED,  # نرسیده به گوشی
    3: DeliveryStatus.SENT,  # پردازش در مخابرات
    4: DeliveryStatus.FAILED,  # نرسیده به مخابرات
    5: DeliveryStatus.SENT,  # رسیده به مخابرات
    6: DeliveryStatus.FAILED,  # خطا
    7: DeliveryStatus.FAILED,  # لیست سیاه
}

# Application codes worth trying again: 0 (system problem) and 20 (too many requests).
# 10-14 (bad, disabled or IP-restricted key, inactive or suspended account), 101 (bad
# line), 102 (no credit), 103-119, 123 fail the same way every time.
TRANSIENT_CODES = frozenset({0, 20})


class SmsIrGateway:
    """Sends through SMS.ir and reads forwarded reports."""

    name = "smsir"
    idempotent_send = False

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self._base = (config.base_url or DEFAULT_BASE_URL).rstrip("/") + "/v1"

    def _call(self, method: str, path: str, json_body: Any = None) -> HttpResult:
        return call(
            method,
            self._base + path,
            timeout=self.config.timeout_seconds,
            secret=self.config.api_key,
            headers={"X-API-KEY": self.config.api_key},
            json_body=json_body,
        )

    def send(self, *, recipient: str, text: str, local_id: str) -> SmsSendResult:
        """``POST /v1/send/bulk`` with one mobile (SMS.ir has no field for ``local_id``)."""
        line: int | str = int(self.config.line) if self.config.line.isdigit() else self.config.line
        payload = {
            "lineNumber": line,
            "messageText": text,
            "mobiles": [national_mobile(recipient)],
            "sendDateTime": None,
        }
        data = _data(self._call("POST", "/send/bulk", payload), self.config.api_key)
        message_ids = data.get("messageids")
        if not isinstance(message_ids, list) or not message_ids:
            raise TransientSmsError("SMS.ir accepted the request but returned no message id")
        # ``cost`` is counted in SMS parts of the account's credit, not in Rials.
        return SmsSendResult(provider_message_id=str(message_ids[0]), status=DeliveryStatus.QUEUED)

    def fetch_statuses(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        """``GET /v1/send/{messageId}`` for each id (the API reports one at a time)."""
        reports = []
        for message_id in provider_message_ids:
            path = "/send/" + urllib.parse.quote(str(message_id), safe="")
            try:
                data = _data(self._call("GET", path), self.config.api_key)
            except PermanentSmsError as error:
                if error.provider_code != str(NOT_FOUND):
                    raise
                reports.append(
                    DeliveryReport(str(message_id), DeliveryStatus.UNKNOWN, detail=error.reason)
                )
                continue
            reports.append(_report({**data, "messageid": data.get("messageid", message_id)}))
        return reports

    def parse_delivery_report(self, request: HttpRequest) -> list[DeliveryReport]:
        """JSON records with ``messageId`` and ``deliveryState``."""
        reports = []
        for record in callback_fields(request):
            required(record, "messageid")
            if (
                record.get("deliverystate", "") not in ("", "null")
                and _code(record["deliverystate"]) is None
            ):
                raise InvalidCallbackError("The delivery state is not a number")
            reports.append(_report(record))
        return reports

    def parse_inbound(self, request: HttpRequest) -> list[InboundSms]:
        """JSON records with ``mobile`` (sender), ``number`` (our line), ``messageText``."""
        return [
            InboundSms(
                sender=sender_e164(required(record, "mobile")),
                line=required(record, "number"),
                text=record.get("messagetext", ""),
                provider_message_id=record.get("receivereturnid", ""),
                received_at=parse_time(record.get("receiveddatetime")),
            )
            for record in callback_fields(request)
        ]


def _code(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _report(record: dict[str, Any]) -> DeliveryReport:
    code = _code(record.get("deliverystate"))
    # No delivery state yet: the message is still with SMS.ir.
    status = DeliveryStatus.QUEUED if code is None else STATUSES.get(code, DeliveryStatus.UNKNOWN)
    detail = f"SMS.ir delivery state {code}" if status is DeliveryStatus.FAILED else ""
    return DeliveryReport(
        provider_message_id=str(record.get("messageid", "")),
        status=status,
        detail=detail,
        reported_at=parse_time(record.get("deliverydatetime")),
    )


def _data(result: HttpResult, secret: str) -> dict[str, Any]:
    """``data`` of a successful answer, or the error SMS.ir's code means."""
    body = lower_keys(result.body)
    code = _code(body.get("status"))
    message = str(body.get("message", "") or "")
    if secret:
        message = message.replace(secret, "***")
    if result.status == 429 or code == 20:
        raise TransientSmsError(
            f"SMS.ir rate limit: {message or 'too many requests'}",
            provider_code="20" if code == 20 else "429",
            retry_after=result.retry_after,
        )
    if code is None:
        raise TransientSmsError(
            f"SMS.ir answered HTTP {result.status} without its JSON",
            provider_code=f"http-{result.status}",
            retry_after=result.retry_after,
        )
    if code == SUCCESS and result.status < 400:
        return lower_keys(body.get("data"))
    reason = f"SMS.ir error {code}: {message}".rstrip(": ")
    if code in TRANSIENT_CODES or result.status >= 500:
        raise TransientSmsError(reason, provider_code=str(code), retry_after=result.retry_after)
    raise PermanentSmsError(reason, provider_code=str(code))


def build(config: GatewayConfig) -> SmsGateway:
    """The SMS.ir adapter for ``config``."""
    return SmsIrGateway(config)
