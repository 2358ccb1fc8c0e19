"""The inbound email webhook: a mail provider posts each message to the support address
here, as raw MIME (``Content-Type: message/rfc822``) or as Postmark's inbound JSON.

It is off (404) until ``PEYVAND_INBOUND_EMAIL_SECRET`` is set; the caller proves it knows
the secret by HTTP Basic auth (as the password; Postmark puts it in the webhook URL) or by
``Authorization: Bearer <secret>``, compared in constant time (403 otherwise). It is
exempt from CSRF (a server calls it, with no cookie to abuse), reads at most
``PEYVAND_INBOUND_EMAIL_MAX_BYTES`` (413 beyond), limits requests per client address (429),
and answers invalid input with 422 and one entry per field, in the language of
``Accept-Language``. The same message posted twice is handled once (200 both times, so the
provider stops retrying); so is a message the ticket services refuse (200, outcome
``rejected`` and the reason), since posting it again cannot change that."""

from __future__ import annotations

import base64
import binascii
import hmac
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from peyvand.accounts.throttle import attempt_allowed
from peyvand.accounts.views import client_address
from peyvand.api.errors import django_errors_as_detail

from .config import inbound_max_bytes, inbound_rate, inbound_secret
from .inbound_email import NO_SENDER_REASON, inbound_email_receive
from .models import InboundOutcome, InboundSource
from .postmark import postmark_to_mime

_SUPPORTED_LANGUAGES = {"fa", "en"}


def _presented_secret(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _space, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return ""
        return decoded.partition(":")[2]
    return ""


def _language(request: HttpRequest) -> str:
    if not request.headers.get("Accept-Language"):
        return "fa"
    chosen = translation.get_language_from_request(request)
    return chosen if chosen in _SUPPORTED_LANGUAGES else "fa"


def _invalid(error: ValidationError) -> JsonResponse:
    return JsonResponse({"detail": django_errors_as_detail(error)}, status=422)


def _raw_message(request: HttpRequest, body: bytes) -> bytes:
    """The raw MIME bytes the request carries; ``ValidationError`` by field otherwise."""
    content_type = (request.content_type or "").lower()
    if content_type == "message/rfc822":
        if not body.strip():
            raise ValidationError(
                {"body": [ValidationError(_("Send the email message."), code="required")]}
            )
        return body
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as failure:
        message = _("The request body is not valid JSON.")
        raise ValidationError(
            {"body": [ValidationError(message, code="json_invalid")]}
        ) from failure
    return postmark_to_mime(payload)


@csrf_exempt  # called by the mail provider's servers, which hold no session cookie
@require_POST
def email_inbound(request: HttpRequest) -> HttpResponse:
    """Receive one inbound email (see the module's docstring)."""
    secret = inbound_secret()
    if not secret:
        raise Http404
    limit, window = inbound_rate()
    address = client_address(request)
    with translation.override(_language(request)):
        if not attempt_allowed("inbound-email", address, limit=limit, window=window):
            return JsonResponse({"detail": _("Too many requests; try again later.")}, status=429)
        if not hmac.compare_digest(
            _presented_secret(request).encode("utf-8"), secret.encode("utf-8")
        ):
            return JsonResponse({"detail": _("Invalid credentials.")}, status=403)
        if (request.content_type or "").lower() not in {"message/rfc822", "application/json"}:
            return JsonResponse(
                {"detail": _("Send message/rfc822 or application/json.")}, status=415
            )
        maximum = inbound_max_bytes()
        declared = request.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > maximum:
            return JsonResponse({"detail": _("The message is too large.")}, status=413)
        body = request.read(maximum + 1)
        if len(body) > maximum:
            return JsonResponse({"detail": _("The message is too large.")}, status=413)
        try:
            raw = _raw_message(request, body)
        except ValidationError as error:
            return _invalid(error)
    with translation.override(settings.LANGUAGE_CODE):
        result = inbound_email_receive(raw=raw, source=InboundSource.WEBHOOK)
    if result.outcome == InboundOutcome.REJECTED and result.reason == NO_SENDER_REASON:
        with translation.override(_language(request)):
            return _invalid(
                ValidationError({"From": [_("The message has no valid sender address.")]})
            )
    return JsonResponse(
        {
            "outcome": result.outcome,
            "duplicate": result.duplicate,
            "ticket": result.ticket.pk if result.ticket is not None else None,
            "reason": result.reason,
        }
    )
