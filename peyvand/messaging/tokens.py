"""Signed tokens in the links of our messages: unsubscribe, open pixel and click redirect.

A token is Django's signing (HMAC with the secret key and a salt per use), so a link can
be neither forged nor pointed elsewhere: the click redirect goes only to a URL that was
signed into that message's token."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

_UNSUBSCRIBE = "peyvand.messaging.unsubscribe"
_OPEN = "peyvand.messaging.open"
_CLICK = "peyvand.messaging.click"


@dataclass(frozen=True)
class UnsubscribeTarget:
    """Whose marketing on which channel and address an unsubscribe link stops."""

    channel: str
    address: str
    contact_id: int | None
    message_id: int | None


def unsubscribe_token(target: UnsubscribeTarget) -> str:
    payload = {
        "c": target.channel,
        "a": target.address,
        "k": target.contact_id,
        "m": target.message_id,
    }
    return signing.dumps(payload, salt=_UNSUBSCRIBE, compress=True)


def unsubscribe_target(token: str) -> UnsubscribeTarget | None:
    """The target of a valid token, else None."""
    try:
        payload = signing.loads(token, salt=_UNSUBSCRIBE)
        return UnsubscribeTarget(
            channel=str(payload["c"]),
            address=str(payload["a"]),
            contact_id=int(payload["k"]) if payload.get("k") is not None else None,
            message_id=int(payload["m"]) if payload.get("m") is not None else None,
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def open_token(message_id: int) -> str:
    return signing.dumps(message_id, salt=_OPEN)


def open_message_id(token: str) -> int | None:
    try:
        return int(signing.loads(token, salt=_OPEN))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def click_token(message_id: int, url: str) -> str:
    return signing.dumps([message_id, url], salt=_CLICK, compress=True)


def click_target(token: str) -> tuple[int, str] | None:
    try:
        message_id, url = signing.loads(token, salt=_CLICK)
        return int(message_id), str(url)
    except (signing.BadSignature, TypeError, ValueError):
        return None
