"""The "call a webhook" step: POST a JSON body signed with HMAC-SHA256 to an address that is
checked first (http/https only; no loopback, private, link-local or otherwise internal
address unless ``PEYVAND_JOURNEY_WEBHOOK_ALLOW_INTERNAL`` is on), with a timeout, and no
redirects followed (a redirect is a failure: it could point anywhere)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

SIGNATURE_HEADER = "X-Peyvand-Signature"
DELIVERY_HEADER = "X-Peyvand-Delivery"


class WebhookAddressError(Exception):
    """The address may not be called."""


def allow_internal() -> bool:
    return bool(getattr(settings, "PEYVAND_JOURNEY_WEBHOOK_ALLOW_INTERNAL", False))


def _is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_address(url: str, *, resolve: bool = True) -> None:
    """Raise ``WebhookAddressError`` unless ``url`` may be called. ``resolve`` also looks the
    host up and refuses it when any of its addresses is internal."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookAddressError(_("Use an http or https address."))
    if parts.username or parts.password:
        raise WebhookAddressError(_("Do not put a user name or password in the address."))
    if allow_internal():
        return
    host = parts.hostname
    if host in {"localhost"} or host.endswith((".localhost", ".local", ".internal")):
        raise WebhookAddressError(_("Internal addresses are not allowed."))
    try:
        if _is_internal(host):
            raise WebhookAddressError(_("Internal addresses are not allowed."))
        return
    except ValueError:
        pass  # a name, not an IP literal
    if not resolve:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise WebhookAddressError(_("The host name does not resolve.")) from error
    for info in infos:
        if _is_internal(str(info[4][0])):
            raise WebhookAddressError(_("Internal addresses are not allowed."))


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class WebhookResult:
    ok: bool
    status: int | None
    error: str
    # A 4xx other than 408/429 will not get better by trying again.
    permanent: bool = False


def webhook_post(
    *, url: str, payload: dict[str, Any], secret: str, delivery: str, timeout: float = 5.0
) -> WebhookResult:
    """POST ``payload`` once; never raises for network or HTTP errors."""
    try:
        check_address(url)
    except WebhookAddressError as error:
        return WebhookResult(False, None, str(error), permanent=True)
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Peyvand-Journeys/1",
            SIGNATURE_HEADER: sign(secret, body),
            DELIVERY_HEADER: delivery,
        },
    )
    opener = urllib.request.build_opener(_NoRedirects())
    try:
        with opener.open(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        status = int(error.code)
        error.close()
        permanent = 300 <= status < 500 and status not in {408, 429}
        return WebhookResult(False, status, f"HTTP {status}", permanent=permanent)
    except (OSError, ValueError) as error:
        return WebhookResult(False, None, str(error)[:200])
    return WebhookResult(200 <= status < 300, status, "" if status < 300 else f"HTTP {status}")
