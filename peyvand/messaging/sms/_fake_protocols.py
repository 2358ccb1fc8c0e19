"""The three providers' wire formats as the fake gateway speaks them.

Each handler takes the parsed request and the shared :class:`FakeState` and returns
``(http_status, headers, body)``; the paths, fields and answers are the ones the adapters
use (see each adapter's docstring for the provider documentation they follow).
"""

from __future__ import annotations

import datetime
import json
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from peyvand.messaging.sms.base import DeliveryStatus

Answer = tuple[int, dict[str, str], Any]

KAVENEGAR = "kavenegar"
SMSIR = "smsir"
GHASEDAK = "ghasedak"
PROVIDERS = (KAVENEGAR, SMSIR, GHASEDAK)

_MOBILE_RE = re.compile(r"(?:0|98|\+98|0098)?(9\d{9})")

KAVENEGAR_CODES = {
    DeliveryStatus.QUEUED: 1,
    DeliveryStatus.SENT: 4,
    DeliveryStatus.DELIVERED: 10,
    DeliveryStatus.FAILED: 11,
    DeliveryStatus.UNKNOWN: 100,
}
SMSIR_CODES: dict[DeliveryStatus, int | None] = {
    DeliveryStatus.QUEUED: None,
    DeliveryStatus.SENT: 5,
    DeliveryStatus.DELIVERED: 1,
    DeliveryStatus.FAILED: 2,
    DeliveryStatus.UNKNOWN: 6,
}
GHASEDAK_CODES = {
    DeliveryStatus.QUEUED: 2,
    DeliveryStatus.SENT: 10,
    DeliveryStatus.DELIVERED: 14,
    DeliveryStatus.FAILED: 13,
    DeliveryStatus.UNKNOWN: 5,
}


@dataclass
class FakeMessage:
    """One message the fake accepted."""

    message_id: str
    provider: str
    recipient: str  # E.164
    text: str
    line: str
    local_id: str
    status: DeliveryStatus = DeliveryStatus.QUEUED
    sent_at: int = 0
    sent_as: str = ""  # the recipient exactly as the client wrote it


@dataclass
class FakeState:
    """Everything the fake remembers, behind one lock (handlers run on many threads)."""

    api_key: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    messages: dict[str, FakeMessage] = field(default_factory=dict)
    by_local_id: dict[tuple[str, str], str] = field(default_factory=dict)
    accepted_by_recipient: Counter[str] = field(default_factory=Counter)
    accepted_by_local_id: Counter[str] = field(default_factory=Counter)
    duplicates_refused: int = 0
    requests: int = 0
    next_id: int = 100_000

    def accept(
        self,
        provider: str,
        recipient: str,
        text: str,
        line: str,
        local_id: str,
        *,
        dedupe: bool,
        sent_as: str = "",
    ) -> tuple[FakeMessage, bool]:
        """Store a message (or, with ``dedupe``, find the one sent with ``local_id``);
        the flag says whether it is new."""
        with self.lock:
            key = (provider, local_id)
            if dedupe and local_id and key in self.by_local_id:
                self.duplicates_refused += 1
                return self.messages[self.by_local_id[key]], False
            self.next_id += 1
            message = FakeMessage(
                message_id=str(self.next_id),
                provider=provider,
                recipient=recipient,
                text=text,
                line=line,
                local_id=local_id,
                sent_at=int(datetime.datetime.now(datetime.UTC).timestamp()),
                sent_as=sent_as,
            )
            self.messages[message.message_id] = message
            if local_id:
                self.by_local_id.setdefault(key, message.message_id)
                self.accepted_by_local_id[local_id] += 1
            self.accepted_by_recipient[recipient] += 1
            return message, True

    def find(self, message_id: str) -> FakeMessage | None:
        with self.lock:
            return self.messages.get(str(message_id))

    def find_local(self, provider: str, local_id: str) -> FakeMessage | None:
        with self.lock:
            message_id = self.by_local_id.get((provider, local_id))
            return self.messages.get(message_id) if message_id else None


def e164(mobile: str) -> str | None:
    """The fake's own check of a provider-format mobile number."""
    match = _MOBILE_RE.fullmatch(mobile.strip())
    return "+98" + match.group(1) if match else None


def _lower(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in mapping.items()}


# --- Kavenegar -----------------------------------------------------------------------------


def kavenegar_error(code: int, message: str = "") -> Answer:
    status = code if 400 <= code < 600 else 200
    return status, {}, {"return": {"status": code, "message": message}, "entries": None}


def _kavenegar_ok(entries: Any) -> Answer:
    return 200, {}, {"return": {"status": 200, "message": "تایید شد"}, "entries": entries}


def _kavenegar_entry(message: FakeMessage) -> dict[str, Any]:
    return {
        "messageid": int(message.message_id),
        "message": message.text,
        "status": KAVENEGAR_CODES[message.status],
        "statustext": message.status.value,
        "sender": message.line,
        "receptor": "0" + message.recipient[3:],
        "date": message.sent_at,
        "cost": 1200,
    }


def kavenegar(
    state: FakeState, path: str, params: Mapping[str, str], body: Any, headers: Mapping[str, str]
) -> Answer:
    """``/v1/{API-KEY}/sms/{send,status,statuslocalmessageid}.json``."""
    parts = path.split("/")
    if len(parts) != 5 or parts[3] != "sms":
        return kavenegar_error(404, "متدی با این نام پیدا نشده است")
    if parts[2] != state.api_key:
        return kavenegar_error(403, "کد شناسائی API-Key معتبر نمی‌باشد")
    method = parts[4]
    if method == "send.json":
        receptor, text = params.get("receptor", ""), params.get("message", "")
        if not receptor or not text:
            return kavenegar_error(400 if not receptor else 413, "پارامترها ناقص هستند")
        recipient = e164(receptor)
        if recipient is None:
            return kavenegar_error(411, "شماره گیرنده پیام معتبر نمی‌باشد")
        message, _new = state.accept(
            KAVENEGAR,
            recipient,
            text,
            params.get("sender", ""),
            params.get("localid", ""),
            dedupe=True,
            sent_as=receptor,
        )
        return _kavenegar_ok([_kavenegar_entry(message)])
    if method == "status.json":
        entries = []
        for message_id in filter(None, params.get("messageid", "").split(",")):
            found = state.find(message_id)
            code = KAVENEGAR_CODES[found.status] if found else 100
            entries.append({"messageid": int(message_id), "status": code, "statustext": ""})
        return _kavenegar_ok(entries)
    if method == "statuslocalmessageid.json":
        entries = []
        for local_id in filter(None, params.get("localid", "").split(",")):
            found = state.find_local(KAVENEGAR, local_id)
            entries.append(
                {
                    "messageid": int(found.message_id) if found else 0,
                    "localid": local_id,
                    "status": KAVENEGAR_CODES[found.status] if found else 100,
                    "statustext": "",
                }
            )
        return _kavenegar_ok(entries)
    return kavenegar_error(404, "متدی با این نام پیدا نشده است")


# --- SMS.ir --------------------------------------------------------------------------------


def smsir_error(code: int, message: str = "") -> Answer:
    if code in {10, 11, 12, 13, 14}:
        http = 401
    elif code == 20:
        http = 429
    elif code == 0:
        http = 500
    else:
        http = 400
    return http, {}, {"status": code, "message": message, "data": None}


def smsir(
    state: FakeState, path: str, params: Mapping[str, str], body: Any, headers: Mapping[str, str]
) -> Answer:
    """``POST /v1/send/bulk`` and ``GET /v1/send/{messageId}`` with ``X-API-KEY``."""
    if headers.get("x-api-key") != state.api_key:
        return smsir_error(10, "کلید وب سرویس نامعتبر است")
    if path == "/v1/send/bulk":
        data = _lower(body) if isinstance(body, dict) else {}
        mobiles, text = data.get("mobiles"), str(data.get("messagetext") or "")
        if not isinstance(mobiles, list) or not mobiles:
            return smsir_error(107, "لیست موبایل‌ها خالی است")
        if not text:
            return smsir_error(103, "متن پیام خالی است")
        numbers = [e164(str(m)) for m in mobiles]
        if any(n is None for n in numbers):
            return smsir_error(104, "شماره موبایل نامعتبر است")
        ids = []
        for mobile, number in zip(mobiles, numbers, strict=True):
            assert number is not None
            line = str(data.get("linenumber", ""))
            message, _new = state.accept(
                SMSIR, number, text, line, "", dedupe=False, sent_as=str(mobile)
            )
            ids.append(int(message.message_id))
        packet = {"packId": str(uuid.uuid4()), "messageIds": ids, "cost": float(len(ids))}
        return 200, {}, {"status": 1, "message": "موفق", "data": packet}
    if path.startswith("/v1/send/"):
        found = state.find(path.rsplit("/", 1)[1])
        if found is None:
            return smsir_error(111, "ارسالی با این شناسه یافت نشد")
        delivered = found.status is DeliveryStatus.DELIVERED
        report = {
            "messageId": int(found.message_id),
            "mobile": int(found.recipient[1:]),
            "messageText": found.text,
            "sendDateTime": found.sent_at,
            "lineNumber": int(found.line) if found.line.isdigit() else found.line,
            "cost": 1.0,
            "deliveryState": SMSIR_CODES[found.status],
            "deliveryDateTime": found.sent_at + 5 if delivered else None,
        }
        return 200, {}, {"status": 1, "message": "موفق", "data": report}
    return 404, {}, {"status": 0, "message": "Not found", "data": None}


# --- Ghasedak ------------------------------------------------------------------------------


def ghasedak_error(code: int, message: str = "") -> Answer:
    http = code if 400 <= code < 600 else 400
    return http, {}, {"IsSuccess": False, "StatusCode": code, "Message": message, "Data": None}


def _ghasedak_item(message: FakeMessage) -> dict[str, Any]:
    return {
        "MessageId": message.message_id,
        "ClientReferenceId": message.local_id or None,
        "Receptor": "0" + message.recipient[3:],
        "LineNumber": message.line,
        "Message": message.text,
        "Status": GHASEDAK_CODES[message.status],
        "Price": 1250,
        "SendDate": datetime.datetime.fromtimestamp(message.sent_at, datetime.UTC).isoformat(),
    }


def ghasedak(
    state: FakeState, path: str, params: Mapping[str, str], body: Any, headers: Mapping[str, str]
) -> Answer:
    """``POST …/WebService/SendSingleSMS`` and ``GET …/WebService/CheckSmsStatus`` with the
    ``ApiKey`` header."""
    if headers.get("apikey") != state.api_key:
        return ghasedak_error(401, "NotAuthorized")
    method = path.rsplit("/", 1)[1].lower()
    if method == "sendsinglesms":
        data = _lower(body) if isinstance(body, dict) else {}
        receptor, text = str(data.get("receptor") or ""), str(data.get("message") or "")
        recipient = e164(receptor)
        if recipient is None or not text:
            return ghasedak_error(400, "InvalidInput")
        reference = str(data.get("clientreferenceid") or "")
        line = str(data.get("linenumber") or "")
        message, _new = state.accept(
            GHASEDAK, recipient, text, line, reference, dedupe=False, sent_as=receptor
        )
        item = _ghasedak_item(message)
        answer = {k: item[k] for k in ("Receptor", "LineNumber", "MessageId", "Message")}
        answer |= {"Cost": 1250, "ClientReferenceId": message.local_id or None}
        answer["SendDate"] = item["SendDate"]
        return 200, {}, {"IsSuccess": True, "StatusCode": 200, "Message": "OK", "Data": answer}
    if method == "checksmsstatus":
        kind = params.get("type", "1")
        items = []
        for wanted in params.get("ids", "").split(","):
            if not wanted:
                continue
            found = state.find_local(GHASEDAK, wanted) if kind == "2" else state.find(wanted)
            if found is not None:
                items.append(_ghasedak_item(found))
        return 200, {}, {"IsSuccess": True, "StatusCode": 200, "Message": "OK", "Data": items}
    return ghasedak_error(404, "NotFound")


Handler = Callable[[FakeState, str, Mapping[str, str], Any, Mapping[str, str]], Answer]
HANDLERS: dict[str, Handler] = {
    KAVENEGAR: kavenegar,
    SMSIR: smsir,
    GHASEDAK: ghasedak,
}
ERRORS: dict[str, Callable[[int, str], Answer]] = {
    KAVENEGAR: kavenegar_error,
    SMSIR: smsir_error,
    GHASEDAK: ghasedak_error,
}


def provider_for(path: str) -> str | None:
    """Which provider a request path belongs to."""
    if path.lower().startswith("/rest/api/v1/webservice/"):
        return GHASEDAK
    if path.startswith(("/v1/send", "/v1/receive")):
        return SMSIR
    if path.startswith("/v1/") and path.endswith(".json"):
        return KAVENEGAR
    return None


def rate_limited(provider: str, retry_after: float) -> Answer:
    """HTTP 429 with ``Retry-After``, and the provider's own code where it has one."""
    headers = {"Retry-After": f"{retry_after:g}"}
    if provider == KAVENEGAR:
        return 429, headers, {"return": {"status": 429, "message": "Too many requests"}}
    if provider == SMSIR:
        return 429, headers, {"status": 20, "message": "تعداد درخواست بیش از حد مجاز", "data": None}
    return 429, headers, None  # Ghasedak's gateway answers a bare 429


def delivery_push(provider: str, message: FakeMessage) -> tuple[str, bytes]:
    """The delivery report a provider would push for ``message`` (content type, body)."""
    if provider == KAVENEGAR:
        form = {"messageid": message.message_id, "status": str(KAVENEGAR_CODES[message.status])}
        return _form(form)
    if provider == SMSIR:
        payload: dict[str, Any] = {
            "messageId": int(message.message_id),
            "mobile": message.recipient[1:],
            "deliveryState": SMSIR_CODES[message.status],
            "deliveryDateTime": message.sent_at + 5,
        }
        return _json(payload)
    return _json({k: v for k, v in _ghasedak_item(message).items() if k != "Message"})


def inbound_push(
    provider: str, *, message_id: str, sender: str, line: str, text: str
) -> tuple[str, bytes]:
    """A received message the way a provider would push it."""
    national = "0" + sender[3:] if sender.startswith("+98") else sender
    if provider == KAVENEGAR:
        return _form({"messageid": message_id, "from": national, "to": line, "message": text})
    now = int(datetime.datetime.now(datetime.UTC).timestamp())
    if provider == SMSIR:
        payload = {
            "receiveReturnId": int(message_id),
            "mobile": sender[1:],
            "number": line,
            "messageText": text,
            "receivedDateTime": now,
        }
        return _json(payload)
    received = datetime.datetime.fromtimestamp(now, datetime.UTC).isoformat()
    return _json(
        {
            "Id": message_id,
            "Sender": national,
            "LineNumber": line,
            "Message": text,
            "ReceiveDate": received,
        }
    )


def _form(fields: Mapping[str, str]) -> tuple[str, bytes]:
    from urllib.parse import urlencode

    return "application/x-www-form-urlencoded; charset=utf-8", urlencode(fields).encode()


def _json(payload: Any) -> tuple[str, bytes]:
    return "application/json", json.dumps(payload, ensure_ascii=False).encode("utf-8")
