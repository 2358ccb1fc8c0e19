"""Postmark's inbound webhook JSON, checked field by field and turned into the RFC 5322
message it describes, so it takes the same path as mail fetched over IMAP.

The documented shape: ``From``, ``FromName``, ``FromFull`` (``Email``, ``Name``), ``To``,
``Subject``, ``MessageID`` (Postmark's own id), ``Date``, ``TextBody``, ``HtmlBody``,
``Headers`` (a list of ``Name``/``Value``, holding the original ``Message-ID``,
``In-Reply-To``, ``References``, ``Auto-Submitted`` …) and ``Attachments`` (a list of
``Name``, ``Content`` in base64, ``ContentType``, ``ContentLength``).
"""

from __future__ import annotations

import base64
import binascii
import email.policy
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from peyvand.common.validators import normalize_email

from .config import support_email

# Headers the rebuilt message sets itself (its structure and addresses).
_OWN_HEADERS = frozenset(
    {
        "content-type",
        "content-transfer-encoding",
        "mime-version",
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
    }
)
_TEXT_FIELDS = ("From", "FromName", "To", "Subject", "MessageID", "Date", "TextBody", "HtmlBody")
MAX_SUBJECT = 2000


class _Errors:
    """Errors by field (``Attachments[0].Content``), as one ``ValidationError``."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str) -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code))

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _text(payload: Mapping[str, Any], name: str, errors: _Errors) -> str:
    value = payload.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(name, _("Enter text."), "string_type")
        return ""
    return value


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _sender(payload: Mapping[str, Any], errors: _Errors) -> tuple[str, str]:
    full = payload.get("FromFull")
    name, address = "", ""
    if isinstance(full, Mapping):
        address = str(full.get("Email") or "")
        name = str(full.get("Name") or "")
    elif full is not None:
        errors.add("FromFull", _("Send an object."), "dict_type")
    if not address:
        name_from_header, address = parseaddr(_text(payload, "From", errors))
        name = name or name_from_header
    name = name or _text(payload, "FromName", errors)
    if not address:
        errors.add("From", _("This field is required."), "required")
        return "", ""
    try:
        return _one_line(name), normalize_email(address)
    except ValidationError:
        errors.add("From", _("Enter a valid email address."), "invalid_email")
        return "", ""


def _headers(payload: Mapping[str, Any], errors: _Errors) -> list[tuple[str, str]]:
    value = payload.get("Headers")
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add("Headers", _("Send a list."), "list_type")
        return []
    headers = []
    for index, item in enumerate(value):
        where = f"Headers[{index}]"
        if not isinstance(item, Mapping):
            errors.add(where, _("Send an object."), "dict_type")
            continue
        name, header_value = item.get("Name"), item.get("Value")
        if not isinstance(name, str) or not name.strip() or ":" in name or " " in name.strip():
            errors.add(f"{where}.Name", _("Enter a header name."), "invalid")
            continue
        if not isinstance(header_value, str):
            errors.add(f"{where}.Value", _("Enter text."), "string_type")
            continue
        headers.append((name.strip(), _one_line(header_value)))
    return headers


def _attachments(payload: Mapping[str, Any], errors: _Errors) -> list[tuple[str, bytes, str]]:
    value = payload.get("Attachments")
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add("Attachments", _("Send a list."), "list_type")
        return []
    files = []
    for index, item in enumerate(value):
        where = f"Attachments[{index}]"
        if not isinstance(item, Mapping):
            errors.add(where, _("Send an object."), "dict_type")
            continue
        name, content = item.get("Name"), item.get("Content")
        content_type = item.get("ContentType") or "application/octet-stream"
        if not isinstance(name, str) or not name.strip():
            errors.add(f"{where}.Name", _("This field is required."), "required")
        if not isinstance(content_type, str) or "/" not in content_type:
            errors.add(
                f"{where}.ContentType", _("Enter a media type such as image/png."), "invalid"
            )
        if not isinstance(content, str) or not content:
            errors.add(f"{where}.Content", _("This field is required."), "required")
            continue
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            errors.add(f"{where}.Content", _("Send the file's content in base64."), "base64")
            continue
        length = item.get("ContentLength")
        if length is not None and (not isinstance(length, int) or length != len(data)):
            errors.add(
                f"{where}.ContentLength",
                _("It does not match the size of the content (%(size)s bytes).")
                % {"size": len(data)},
                "mismatch",
            )
            continue
        if isinstance(name, str) and name.strip() and isinstance(content_type, str):
            files.append((name, data, content_type))
    return files


def postmark_to_mime(payload: object) -> bytes:
    """The raw message a Postmark inbound payload describes. Raises ``ValidationError``
    keyed by the JSON field (``From``, ``Headers[2].Value``, ``Attachments[0].Content``)."""
    errors = _Errors()
    if not isinstance(payload, Mapping):
        errors.add("body", _("The request body must be a JSON object."), "invalid")
        errors.raise_any()
        raise AssertionError  # unreachable: raise_any raised
    texts = {name: _text(payload, name, errors) for name in _TEXT_FIELDS}
    if len(texts["Subject"]) > MAX_SUBJECT:
        errors.add("Subject", _("This text is too long."), "string_too_long")
    name, address = _sender(payload, errors)
    headers = _headers(payload, errors)
    files = _attachments(payload, errors)
    errors.raise_any()
    message = EmailMessage(policy=email.policy.default)
    message["From"] = formataddr((name, address)) if name else address
    message["To"] = _one_line(texts["To"]) or support_email()
    message["Subject"] = _one_line(texts["Subject"])
    if texts["Date"]:
        message["Date"] = _one_line(texts["Date"])
    original_id = next((value for key, value in headers if key.lower() == "message-id"), "")
    postmark_id = _one_line(texts["MessageID"]).strip("<>")
    if original_id or postmark_id:
        message["Message-ID"] = original_id or f"<{postmark_id}@inbound.postmarkapp.com>"
    for key, value in headers:
        if key.lower() not in _OWN_HEADERS:
            message[key] = value
    if texts["TextBody"] or not texts["HtmlBody"]:
        message.set_content(texts["TextBody"])
        if texts["HtmlBody"]:
            message.add_alternative(texts["HtmlBody"], subtype="html")
    else:
        message.set_content(texts["HtmlBody"], subtype="html")
    for file_name, data, content_type in files:
        maintype, _slash, subtype = content_type.partition("/")
        message.add_attachment(
            data, maintype=maintype.strip(), subtype=subtype.strip(), filename=file_name
        )
    return message.as_bytes()
