"""The WooCommerce webhook: ``POST /commerce/webhooks/woocommerce/<shop slug>/``.

A shop (a :class:`~.models.ShopConnection`) is set up in WooCommerce under Settings →
Advanced → Webhooks with topics "Order created", "Order updated" and "Order deleted", API
version v3, this URL, and the connection's secret. WooCommerce signs each delivery:
``X-WC-Webhook-Signature`` is the base64 HMAC-SHA256 of the raw body with the secret
(checked in constant time: 401 otherwise); ``X-WC-Webhook-Topic`` names the event and
``X-WC-Webhook-Delivery-ID`` the delivery. When a webhook is saved WooCommerce first
sends a ping (a form body ``webhook_id=N``), answered 200.

Exempt from CSRF (a server calls it, with no cookie); unknown or inactive shops are 404;
bodies over ``PEYVAND_SHOP_WEBHOOK_MAX_BYTES`` are 413; too many requests per shop and
address 429; a payload that cannot be used is 400 with one entry per field, in the language
of ``Accept-Language``. The same delivery twice is handled once, and an update older than
the stored version of the order is ignored (both 200, so the shop stops retrying).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from peyvand.accounts.throttle import attempt_allowed
from peyvand.accounts.views import client_address
from peyvand.api.errors import django_errors_as_detail

from .config import webhook_max_bytes, webhook_rate
from .models import ShopConnection, WebhookDelivery
from .woocommerce import ORDER_TOPICS, woocommerce_order_apply

_SUPPORTED_LANGUAGES = {"fa", "en"}


def _language(request: HttpRequest) -> str:
    if not request.headers.get("Accept-Language"):
        return "fa"
    chosen = translation.get_language_from_request(request)
    return chosen if chosen in _SUPPORTED_LANGUAGES else "fa"


def signature_for(secret: str, body: bytes) -> str:
    """WooCommerce's signature of ``body``: base64 of its HMAC-SHA256 with ``secret``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _is_ping(request: HttpRequest, body: bytes) -> bool:
    """WooCommerce's test delivery when a webhook is saved: ``webhook_id=N`` as a form."""
    if request.headers.get("X-WC-Webhook-Topic"):
        return False
    try:
        fields = parse_qs(body.decode("ascii"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return False
    return list(fields) == ["webhook_id"]


def _ok(outcome: str, order_id: int | None = None, **extra: object) -> JsonResponse:
    return JsonResponse({"outcome": outcome, "order": order_id, **extra})


@csrf_exempt  # called by the shop's server, which holds no session cookie
@require_POST
def woocommerce_webhook(request: HttpRequest, slug: str) -> HttpResponse:
    """Receive one WooCommerce order delivery (see the module's docstring)."""
    shop = ShopConnection.objects.filter(slug=slug, is_active=True).first()
    if shop is None:
        raise Http404
    limit, window = webhook_rate()
    with translation.override(_language(request)):
        identity = f"{shop.pk}:{client_address(request)}"
        if not attempt_allowed("shop-webhook", identity, limit=limit, window=window):
            return JsonResponse({"detail": _("Too many requests; try again later.")}, status=429)
        maximum = webhook_max_bytes()
        declared = request.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > maximum:
            return JsonResponse({"detail": _("The request is too large.")}, status=413)
        body = request.read(maximum + 1)
        if len(body) > maximum:
            return JsonResponse({"detail": _("The request is too large.")}, status=413)
        if _is_ping(request, body):
            return _ok("ping")
        presented = request.headers.get("X-WC-Webhook-Signature", "").strip()
        if not presented or not hmac.compare_digest(
            presented.encode("ascii", "replace"), signature_for(shop.secret, body).encode()
        ):
            return JsonResponse({"detail": _("Invalid signature.")}, status=401)
        topic = request.headers.get("X-WC-Webhook-Topic", "").strip()
        if topic not in ORDER_TOPICS:
            return _ok("ignored", topic=topic)
        delivery_id = request.headers.get("X-WC-Webhook-Delivery-ID", "").strip()[:100]
        if delivery_id:
            seen = WebhookDelivery.objects.filter(shop=shop, delivery_id=delivery_id).first()
            if seen is not None:
                return _ok(seen.outcome, seen.order_id, duplicate=True)
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return JsonResponse(
                {
                    "detail": django_errors_as_detail(
                        ValidationError(
                            {"body": [_("The request body is not valid JSON.")]}, code="json"
                        )
                    )
                },
                status=400,
            )
        for attempt in (1, 2):
            try:
                with transaction.atomic():
                    result = woocommerce_order_apply(shop=shop, topic=topic, payload=payload)
                    if delivery_id:
                        WebhookDelivery.objects.create(
                            shop=shop,
                            delivery_id=delivery_id,
                            topic=topic,
                            outcome=result.outcome,
                            order=result.order,
                        )
                break
            except ValidationError as error:
                return JsonResponse({"detail": django_errors_as_detail(error)}, status=400)
            except IntegrityError:
                # Another delivery created the same order (or this delivery) at the same
                # moment and won: once more, now as an update (or as a known delivery).
                known = WebhookDelivery.objects.filter(shop=shop, delivery_id=delivery_id)
                if attempt == 2 or (delivery_id and known.exists()):
                    return _ok("duplicate", duplicate=True)
    ShopConnection.objects.filter(pk=shop.pk).update(last_delivery_at=timezone.now())
    order = result.order
    return _ok(result.outcome, order.pk if order is not None else None)
