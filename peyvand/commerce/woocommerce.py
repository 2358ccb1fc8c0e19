"""WooCommerce's order webhook payload, checked field by field and applied to our orders.

The shape (WooCommerce REST API v3, the ``order`` resource): ``id``, ``number``, ``status``
(pending, processing, on-hold, completed, cancelled, refunded, failed, checkout-draft),
``currency`` (IRR or IRT here; Toman amounts are multiplied by 10), ``date_created_gmt``
and ``date_modified_gmt`` (UTC without a zone), the amounts as decimal strings
(``discount_total``, ``shipping_total``, ``total_tax``, ``total``), ``billing``
(``first_name``, ``last_name``, ``email``, ``phone``), ``line_items`` (``product_id``,
``sku``, ``name``, ``quantity``, ``subtotal`` before discounts, ``total`` after, ``price``),
``fee_lines`` (``name``, ``total``), ``refunds`` (``id``, ``reason``, ``total`` negative),
``customer_note`` and ``created_via``. ``order.deleted`` sends only ``id``.

Lines keep their amount before discounts (``subtotal``) so they add up to the order's
subtotal; the order's discount is ``discount_total``. Fees become lines of their own.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from peyvand.common.money import round_half_up

from .models import Order, OrderStatus, ShopConnection
from .services import customer_contact, order_cancel, order_upsert, refund_record

# WooCommerce's statuses as ours; a shop's own custom statuses count as pending.
STATUS_MAP = {
    "pending": OrderStatus.PENDING,
    "on-hold": OrderStatus.PENDING,
    "checkout-draft": OrderStatus.PENDING,
    "processing": OrderStatus.PAID,
    "completed": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
    "failed": OrderStatus.CANCELLED,
    "refunded": OrderStatus.REFUNDED,
}
RIALS_PER = {"IRR": 1, "IRT": 10}
ORDER_TOPICS = ("order.created", "order.updated", "order.restored", "order.deleted")


class _Errors:
    """Errors by payload path (``line_items.0.quantity``), raised as one ``ValidationError``."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code))

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


@dataclass(frozen=True)
class WooResult:
    """What a delivery did: ``outcome`` (``created``, ``updated``, ``unchanged``,
    ``stale``, ``cancelled``, ``ignored``) and the order, when there is one."""

    outcome: str
    order: Order | None


def _text(payload: Mapping[str, Any], name: str, errors: _Errors, where: str = "") -> str:
    value = payload.get(name)
    if value is None:
        return ""
    if not isinstance(value, str | int):
        errors.add(f"{where}{name}", _("Enter text."), "string_type")
        return ""
    return str(value).strip()


def _rials(value: Any, per_unit: int, field: str, errors: _Errors, *, signed: bool = False) -> int:
    """A WooCommerce amount (``"150000.00"``, a number) in Rials."""
    if value in (None, ""):
        return 0
    try:
        amount = Decimal(str(value)) * per_unit
    except (InvalidOperation, ValueError):
        errors.add(field, _("Enter an amount as a number."), "invalid_money")
        return 0
    if not amount.is_finite():
        errors.add(field, _("Enter an amount as a number."), "invalid_money")
        return 0
    rials = round_half_up(amount)
    if signed:
        return abs(rials)
    if rials < 0:
        errors.add(field, _("The amount cannot be negative."), "negative")
    return rials


def _gmt(value: Any, field: str, errors: _Errors, *, required: bool) -> datetime.datetime | None:
    """WooCommerce's ``*_gmt`` time (UTC, written without a zone) as an aware time."""
    if value in (None, ""):
        if required:
            errors.add(field, _("This field is required."), "required")
        return None
    try:
        parsed = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        errors.add(field, _("Enter a valid date and time (ISO 8601)."), "datetime_parsing")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC)


def _order_id(payload: object, errors: _Errors) -> str:
    if not isinstance(payload, Mapping):
        errors.add("body", _("The request body must be a JSON object."), "invalid")
        errors.raise_any()
        raise AssertionError  # unreachable: raise_any raised
    value = payload.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        errors.add("id", _("This field is required."), "required")
        return ""
    return str(value).strip()


def _lines(payload: Mapping[str, Any], per_unit: int, errors: _Errors) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    items = payload.get("line_items") or []
    if not isinstance(items, list):
        errors.add("line_items", _("Send a list."), "list_type")
        items = []
    for index, item in enumerate(items):
        where = f"line_items.{index}"
        if not isinstance(item, Mapping):
            errors.add(where, _("Send an object."), "dict_type")
            continue
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            errors.add(f"{where}.quantity", _("The quantity must be at least 1."), "min_value")
            continue
        amount = item.get("subtotal", item.get("total"))
        total = _rials(amount, per_unit, f"{where}.subtotal", errors)
        lines.append(
            {
                "sku": _text(item, "sku", errors, f"{where}."),
                "name": _text(item, "name", errors, f"{where}.")
                or f"#{item.get('product_id') or ''}",
                "quantity": quantity,
                # Rounded; the line's own amount (what the lines add up to) is exact.
                "unit_price": round_half_up(Decimal(total) / quantity),
                "total": total,
            }
        )
    fees = payload.get("fee_lines") or []
    if not isinstance(fees, list):
        errors.add("fee_lines", _("Send a list."), "list_type")
        fees = []
    for index, fee in enumerate(fees):
        if not isinstance(fee, Mapping):
            errors.add(f"fee_lines.{index}", _("Send an object."), "dict_type")
            continue
        total = _rials(fee.get("total"), per_unit, f"fee_lines.{index}.total", errors)
        name = _text(fee, "name", errors, f"fee_lines.{index}.") or _("Fee")
        lines.append({"sku": "", "name": name, "quantity": 1, "unit_price": total, "total": total})
    return lines


def _refunds(payload: Mapping[str, Any], per_unit: int, errors: _Errors) -> list[dict[str, Any]]:
    refunds = []
    items = payload.get("refunds") or []
    if not isinstance(items, list):
        errors.add("refunds", _("Send a list."), "list_type")
        return []
    for index, item in enumerate(items):
        where = f"refunds.{index}"
        if not isinstance(item, Mapping) or item.get("id") in (None, ""):
            errors.add(where, _("Send an object with an id."), "dict_type")
            continue
        amount = _rials(item.get("total"), per_unit, f"{where}.total", errors, signed=True)
        if amount:
            refunds.append(
                {
                    "external_id": str(item["id"]),
                    "amount": amount,
                    "reason": _text(item, "reason", errors, f"{where}."),
                }
            )
    return refunds


def woocommerce_order_apply(*, shop: ShopConnection, topic: str, payload: object) -> WooResult:
    """Apply one order webhook of ``shop``: create or update the order (its customer found
    by email, then mobile, else created), record its refunds, or cancel it when the shop
    deleted it. Raises ``ValidationError`` by payload path for a payload that cannot be used.
    """
    errors = _Errors()
    external_id = _order_id(payload, errors)
    assert isinstance(payload, Mapping)
    errors.raise_any()
    source = shop.order_source
    if topic == "order.deleted":
        order = Order.objects.filter(source=source, external_id=external_id).first()
        if order is None or order.refunded_total > 0:
            return WooResult("ignored", order)
        return WooResult("cancelled", order_cancel(actor=None, order=order, reason=topic))
    currency = _text(payload, "currency", errors).upper() or "IRR"
    per_unit = RIALS_PER.get(currency, 0)
    if not per_unit:
        errors.add("currency", _("Only Rial (IRR) and Toman (IRT) prices are supported."))
        errors.raise_any()
    woo_status = _text(payload, "status", errors)
    placed_at = _gmt(payload.get("date_created_gmt"), "date_created_gmt", errors, required=True)
    modified_at = _gmt(
        payload.get("date_modified_gmt"), "date_modified_gmt", errors, required=False
    )
    billing = payload.get("billing") or {}
    if not isinstance(billing, Mapping):
        errors.add("billing", _("Send an object."), "dict_type")
        billing = {}
    customer = {
        name: _text(billing, name, errors, "billing.")
        for name in ("email", "phone", "first_name", "last_name")
    }
    lines = _lines(payload, per_unit, errors)
    refunds = _refunds(payload, per_unit, errors)
    amounts = {
        "discount": _rials(payload.get("discount_total"), per_unit, "discount_total", errors),
        "shipping": _rials(payload.get("shipping_total"), per_unit, "shipping_total", errors),
        "tax": _rials(payload.get("total_tax"), per_unit, "total_tax", errors),
        "total": _rials(payload.get("total"), per_unit, "total", errors),
    }
    errors.raise_any()
    status = STATUS_MAP.get(woo_status, OrderStatus.PENDING)
    refunded = sum(refund["amount"] for refund in refunds)
    if refunded and status in (OrderStatus.PAID, OrderStatus.COMPLETED):
        # The shop keeps "completed" after a partial refund; for us that is its own status.
        status = (
            OrderStatus.REFUNDED if refunded >= amounts["total"] else OrderStatus.PARTIALLY_REFUNDED
        )
    existing = Order.objects.filter(source=source, external_id=external_id).first()
    try:
        contact = (
            existing.contact
            if existing is not None
            else customer_contact(**customer, owner=shop.owner)
        )
    except ValidationError as error:
        raise ValidationError(
            {f"billing.{field}": messages for field, messages in error.error_dict.items()}
        ) from error
    result = order_upsert(
        actor=None,
        source=source,
        external_id=external_id,
        contact=contact,
        values={
            "number": _text(payload, "number", errors),
            "status": status,
            "placed_at": placed_at,
            "currency": currency,
            "subtotal": sum(line["total"] for line in lines),
            **amounts,
            "channel": (_text(payload, "created_via", errors) or "woocommerce")[:30],
            "note": _text(payload, "customer_note", errors),
        },
        lines=lines,
        source_modified_at=modified_at,
    )
    if result.outcome == "stale":
        return WooResult("stale", result.order)
    outcome = result.outcome
    for refund in refunds:
        _refund, created = refund_record(
            actor=None, order=result.order, refunded_at=modified_at, **refund
        )
        if created and outcome == "unchanged":
            outcome = "updated"
    return WooResult(outcome, result.order)
