"""Reading a delivery status notification (RFC 3464: ``multipart/report`` with a
``message/delivery-status`` part) into bounces: one per failed or delayed recipient."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message

from .models import BounceKind

_OUTBOX_HEADER_RE = re.compile(rb"^X-Peyvand-Outbox:\s*(\d+)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Bounce:
    address: str
    kind: str
    reason: str
    outbox_id: int | None


def _field_blocks(part: Message) -> list[Message]:
    """The per-message and per-recipient field groups of a delivery-status part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = payload if isinstance(payload, str) else ""
    return [email.message_from_string(block) for block in re.split(r"\r?\n\r?\n", text) if block]


def _address(value: str) -> str:
    """``rfc822; user@example.com`` → ``user@example.com``."""
    return value.partition(";")[2].strip().strip("<>").lower() if ";" in value else value.strip()


def dsn_bounces(raw: bytes) -> list[Bounce]:
    """The bounces a DSN reports; empty when it is not one (or reports only successes)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    outbox_match = _OUTBOX_HEADER_RE.search(raw)
    outbox_id = int(outbox_match.group(1)) if outbox_match else None
    bounces: list[Bounce] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _field_blocks(part)[1:]:
            recipient = _address(str(block.get("Final-Recipient", "")))
            action = str(block.get("Action", "")).strip().lower()
            status = str(block.get("Status", "")).strip()
            if not recipient or "@" not in recipient or action not in {"failed", "delayed"}:
                continue
            kind = (
                BounceKind.HARD
                if action == "failed" and status.startswith("5")
                else (BounceKind.SOFT)
            )
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
            reason = f"{status} {diagnostic}".strip()[:300]
            bounces.append(Bounce(recipient, kind, reason, outbox_id))
    return bounces
