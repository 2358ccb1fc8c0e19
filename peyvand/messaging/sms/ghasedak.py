"""Ghasedak (قاصدک) REST web service v1 (``https://gateway.ghasedak.me/rest/api/v1``).

Sources:

* API documentation: https://ghasedak.me/docs (``WebService/…`` methods, the ``ApiKey``
  header, answers shaped ``{"IsSuccess", "StatusCode", "Message", "Data"}``, the error
  table).
* Official Python SDK https://github.com/ghasedakapi/ghasedak_sms_python
  (``ghasedak.py``: ``POST WebService/SendSingleSMS`` with ``SendDate``, ``LineNumber``,
  ``Receptor``, ``Message``, ``ClientReferenceId``, ``Udh``; ``GET
  WebService/CheckSmsStatus?Type=…&Ids=…`` where ``Type`` 1 means message ids and 2 means
  client reference ids (``enums/message_id_type.py``); message statuses 0-17 in
  ``enums/send_status.py``).
* Status code meanings as collected in smsit's ``Ghasedak2Gateway`` (200 success, 400
  invalid input, 401 not authorised, 402 operation failed, 406/412 line problems, 416
  forbidden IP, 418 not enough credit, 420/422 bad message, 429 missing parameters, 451
  duplicate request, 500 unknown error).

Idempotency: ``ClientReferenceId`` is stored with the message and ``CheckSmsStatus`` with
``Type=2`` finds messages by it, so the adapter supports lookup by our local id; but the
documentation does not say a repeated ``ClientReferenceId`` is refused, so
``idempotent_send`` is False.

Callbacks: the parsers accept the records Ghasedak's status and inbox methods return, as
JSON or form fields (case-insensitive): delivery ``MessageId`` + ``Status``; inbound
``Sender``, ``LineNumber``, ``Message``, ``Id`` (+ ``ReceiveDate``).
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

DEFAULT_BASE_URL = "https://gateway.ghasedak.me"
BATCH_SIZE = 100
BY_MESSAGE_ID, BY_CLIENT_REFERENCE = "1", "2"

STATUSES: dict[int, DeliveryStatus] = {
    0: DeliveryStatus.QUEUED,  # to be confirmed
    1: DeliveryStatus.FAILED,  # rejected
    2: DeliveryStatus.QUEUED,  # to be sent
    3: DeliveryStatus.QUEUED,  # sending
    4: DeliveryStatus.SENT,  # sent
    5: DeliveryStatus.UNKNOWN,  # debug mode (never leaves Ghasedak)
    6: DeliveryStatus.FAILED,  # internal failure
    7: DeliveryStatus.FAILED,  # cancelled
    8: DeliveryStatus.FAILED,  # internal blacklist
    9: DeliveryStatus.QUEUED,  # paused
    10: DeliveryStatus.SENT,  # sent to provider
    11: DeliveryStatus.SENT,  # delivered to provider
    12: DeliveryStatus.FAILED,  # blacklisted
    13: DeliveryStatus.FAILED,  # not delivered
    14: DeliveryStatus.DELIVERED,  # delivered
    15: DeliveryStatus.FAILED,  # blocked
    16: DeliveryStatus.FAILED,  # failed
    17: DeliveryStatus.QUEUED,  # processing
}

# Worth trying again: 402 operation failed, 451 duplicate request (a concurrent twin is in
# flight; the outbox checks by reference before sending again), 5xx. Everything else in the
# table (400, 401, 406, 412, 413, 416, 418, 419, 420, 422, 426, 428, 429 "missing
# parameters" …) fails the same way again. An HTTP 429 *status* is a rate limit.
TRANSIENT_CODES = frozenset({402, 451})


class GhasedakGateway:
    """Sends through Ghasedak and reads its callbacks."""

    name = "ghasedak"
    idempotent_send = False

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        base = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
        self._base = base + "/rest/api/v1/WebService/"

    def _call(self, method: str, path: str, json_body: Any = None) -> Any:
        result = call(
            method,
            self._base + path,
            timeout=self.config.timeout_seconds,
            secret=self.config.api_key,
            headers={"ApiKey": self.config.api_key},
            json_body=json_body,
        )
        return _data(result, self.config.api_key)

    def send(self, *, recipient: str, text: str, local_id: str) -> SmsSendResult:
        """``SendSingleSMS`` with our ``local_id`` as ``ClientReferenceId``."""
        payload = {
            "SendDate": None,
            "LineNumber": self.config.line,
            "Receptor": national_mobile(recipient),
            "Message": text,
            "ClientReferenceId": local_id or None,
            "Udh": False,
        }
        data = lower_keys(self._call("POST", "SendSingleSMS", payload))
        message_id = str(data.get("messageid") or "")
        if not message_id:
            raise TransientSmsError("Ghasedak accepted the request but returned no message id")
        cost = data.get("cost")
        return SmsSendResult(
            provider_message_id=message_id,
            status=DeliveryStatus.QUEUED,
            cost_rials=int(cost) if isinstance(cost, (int, float)) else None,
        )

    def _check(self, ids: Sequence[str], kind: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for start in range(0, len(ids), BATCH_SIZE):
            query = [("Type", kind)] + [("Ids", i) for i in ids[start : start + BATCH_SIZE]]
            data = self._call("GET", "CheckSmsStatus?" + urllib.parse.urlencode(query))
            items += [lower_keys(item) for item in data or [] if isinstance(item, dict)]
        return items

    def fetch_statuses(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        """``CheckSmsStatus`` by message id; ids Ghasedak does not return are UNKNOWN."""
        ids = [str(i) for i in provider_message_ids]
        found = {str(item.get("messageid")): _report(item) for item in self._check(ids, "1")}
        return [found.get(i) or DeliveryReport(i, DeliveryStatus.UNKNOWN) for i in ids]

    def fetch_statuses_by_local_id(self, local_ids: Sequence[str]) -> dict[str, DeliveryReport]:
        """``CheckSmsStatus`` with ``Type=2``: messages by our ``ClientReferenceId``."""
        wanted = set(local_ids)
        return {
            str(item.get("clientreferenceid")): _report(item)
            for item in self._check(list(local_ids), BY_CLIENT_REFERENCE)
            if str(item.get("clientreferenceid")) in wanted
        }

    def parse_delivery_report(self, request: HttpRequest) -> list[DeliveryReport]:
        """Records with ``MessageId`` and a numeric ``Status``."""
        reports = []
        for record in callback_fields(request):
            required(record, "messageid")
            if _code(required(record, "status")) is None:
                raise InvalidCallbackError("The delivery status is not a number")
            reports.append(_report(record))
        return reports

    def parse_inbound(self, request: HttpRequest) -> list[InboundSms]:
        """Records with ``Sender``, ``LineNumber``, ``Message`` and ``Id``."""
        return [
            InboundSms(
                sender=sender_e164(required(record, "sender", "from")),
                line=required(record, "linenumber", "receptor", "to"),
                text=record.get("message", ""),
                provider_message_id=record.get("id", "") or record.get("messageid", ""),
                received_at=parse_time(record.get("receivedate")),
            )
            for record in callback_fields(request)
        ]


def _code(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _report(item: dict[str, Any]) -> DeliveryReport:
    code = _code(item.get("status"))
    status = (
        STATUSES.get(code, DeliveryStatus.UNKNOWN) if code is not None else DeliveryStatus.UNKNOWN
    )
    detail = f"Ghasedak status {code}" if status is DeliveryStatus.FAILED else ""
    return DeliveryReport(
        provider_message_id=str(item.get("messageid", "")),
        status=status,
        detail=detail,
        reported_at=parse_time(item.get("statusdate")),
    )


def _data(result: HttpResult, secret: str) -> Any:
    """``Data`` of a successful answer, or the error Ghasedak's code means."""
    if result.status == 429:
        raise TransientSmsError(
            "Ghasedak rate limit", provider_code="429", retry_after=result.retry_after
        )
    body = lower_keys(result.body)
    code = _code(body.get("statuscode"))
    message = str(body.get("message", "") or "")
    if secret:
        message = message.replace(secret, "***")
    if code is None:
        raise TransientSmsError(
            f"Ghasedak answered HTTP {result.status} without its JSON",
            provider_code=f"http-{result.status}",
            retry_after=result.retry_after,
        )
    if code == 200 and body.get("issuccess") is not False and result.status < 400:
        return body.get("data")
    reason = f"Ghasedak error {code}: {message}".rstrip(": ")
    if code in TRANSIENT_CODES or 500 <= code < 600:
        raise TransientSmsError(reason, provider_code=str(code), retry_after=result.retry_after)
    raise PermanentSmsError(reason, provider_code=str(code))


def build(config: GatewayConfig) -> SmsGateway:
    """The Ghasedak adapter for ``config``."""
    return GhasedakGateway(config)
