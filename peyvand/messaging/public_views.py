"""The messaging endpoints strangers reach: the unsubscribe page (and RFC 8058 one-click
POST), the open pixel and click redirect, the bounce (DSN) webhook and the SMS gateway's
delivery and inbound callbacks.

None has a session; each is authorized by what it carries: a signed token (unsubscribe,
tracking) or a shared secret (the webhooks, compared in constant time). The webhooks are
exempt from CSRF (servers call them), read a bounded body (413) and are rate-limited per
client address (429)."""

from __future__ import annotations

import base64
import binascii
import hmac

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.throttle import attempt_allowed
from peyvand.accounts.views import client_address

from . import config
from .dsn import dsn_bounces
from .models import OutboxMessage
from .sms.base import InvalidCallbackError, SmsGateway, configured_gateway
from .sms_inbound import inbound_sms_receive
from .suppression import (
    bounce_record,
    delivery_reports_apply,
    message_clicked,
    message_opened,
    unsubscribe_apply,
)
from .tokens import click_target, open_message_id, unsubscribe_target

# A transparent 1×1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie;
# the signed token is the only authority needed, and it names one address and channel.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page asking to confirm; POST (the page's button or a one-click client):
    unsubscribe."""
    target = unsubscribe_target(token)
    with translation.override(settings.LANGUAGE_CODE):
        if target is None:
            return render(request, "messaging/unsubscribe.html", {"state": "invalid"}, status=404)
        if request.method == "POST":
            unsubscribe_apply(target=target)
            state = "done"
        else:
            state = "confirm"
        return render(
            request, "messaging/unsubscribe.html", {"state": state, "address": target.address}
        )


@require_GET
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    message_id = open_message_id(token)
    if message_id is not None:
        message_opened(message_id=message_id)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def click(request: HttpRequest, token: str) -> HttpResponse:
    """Redirect to a link of the message; only URLs signed into the token, and only ones
    the message's HTML really contains, so this is no open redirect."""
    target = click_target(token)
    if target is None:
        raise Http404
    message_id, url = target
    message = OutboxMessage.objects.filter(pk=message_id).only("body_html").first()
    if message is None or not url.startswith(("https://", "http://")):
        raise Http404
    if url not in message.body_html and url.replace("&", "&amp;") not in message.body_html:
        raise Http404
    message_clicked(message_id=message_id)
    return HttpResponseRedirect(url)


def _presented_secret(request: HttpRequest) -> str:
    scheme, _space, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip(), validate=True).decode().partition(":")[2]
        except (binascii.Error, ValueError):
            return ""
    return ""


def _same(presented: str, secret: str) -> bool:
    return hmac.compare_digest(presented.encode(), secret.encode())


def _guard(request: HttpRequest, scope: str) -> HttpResponse | None:
    """429 beyond the rate, 413 beyond the size; None when the request may be read."""
    limit, window = config.callback_rate()
    if not attempt_allowed(scope, client_address(request), limit=limit, window=window):
        return JsonResponse({"detail": "Too many requests."}, status=429)
    maximum = config.callback_max_bytes()
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > maximum:
        return JsonResponse({"detail": "Too large."}, status=413)
    if len(request.body) > maximum:
        return JsonResponse({"detail": "Too large."}, status=413)
    return None


@csrf_exempt  # called by the mail server, which holds no session cookie
@require_POST
def bounce_webhook(request: HttpRequest) -> HttpResponse:
    """Receive one DSN (raw MIME, ``multipart/report``); off (404) without a secret."""
    secret = config.bounce_secret()
    if not secret:
        raise Http404
    refused = _guard(request, "messaging-bounce")
    if refused is not None:
        return refused
    if not _same(_presented_secret(request), secret):
        return JsonResponse({"detail": "Invalid credentials."}, status=403)
    bounces = dsn_bounces(request.body)
    for bounce in bounces:
        message = (
            OutboxMessage.objects.filter(pk=bounce.outbox_id, recipient=bounce.address).first()
            if bounce.outbox_id is not None
            else None
        )
        bounce_record(
            address=bounce.address, kind=bounce.kind, reason=bounce.reason, message=message
        )
    return JsonResponse({"bounces": [[bounce.address, bounce.kind] for bounce in bounces]})


def _callback_gateway(gateway: str, secret: str) -> SmsGateway:
    expected = config.sms_callback_secret()
    if not expected or not _same(secret, expected):
        raise Http404
    configured = configured_gateway()
    if configured is None or configured.name != gateway:
        raise Http404
    return configured


@csrf_exempt  # called by the SMS provider's servers
@require_http_methods(["GET", "POST"])
def sms_delivery(request: HttpRequest, gateway: str, secret: str) -> HttpResponse:
    """A delivery report pushed by the gateway."""
    sms_gateway = _callback_gateway(gateway, secret)
    refused = _guard(request, "messaging-sms")
    if refused is not None:
        return refused
    try:
        reports = sms_gateway.parse_delivery_report(request)
    except InvalidCallbackError as error:
        return JsonResponse({"detail": str(error)}, status=400)
    return JsonResponse({"updated": delivery_reports_apply(reports=reports)})


@csrf_exempt  # called by the SMS provider's servers
@require_http_methods(["GET", "POST"])
def sms_inbound(request: HttpRequest, gateway: str, secret: str) -> HttpResponse:
    """Messages people sent to our line; an opt-out keyword withdraws SMS consent."""
    sms_gateway = _callback_gateway(gateway, secret)
    refused = _guard(request, "messaging-sms")
    if refused is not None:
        return refused
    try:
        messages = sms_gateway.parse_inbound(request)
    except InvalidCallbackError as error:
        return JsonResponse({"detail": str(error)}, status=400)
    opted_out = sum(inbound_sms_receive(message=message) for message in messages)
    return JsonResponse({"received": len(messages), "opted_out": opted_out})
