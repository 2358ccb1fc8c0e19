"""Writes of orders: create or update an order by its source and id (lines replaced at once),
cancel it, record a refund, and find (or create) the contact a shop's customer is.

Each change appends one timeline event on the contact. The verbs: :data:`VERB_PURCHASED`
when an order first becomes a purchase (once per order: journeys and loyalty start from it),
``order.created`` for an order that is not a purchase yet, ``order.updated``,
``order.status_changed``, :data:`VERB_CANCELLED` and :data:`VERB_REFUNDED`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.permissions import require_permission
from peyvand.common.money import MAX_RIALS
from peyvand.common.persian import clean_persian
from peyvand.common.validators import normalize_email, normalize_phone
from peyvand.contacts.models import Contact, Source
from peyvand.contacts.services import contact_create
from peyvand.sales.leads import matching_contact
from peyvand.sales.models import Product
from peyvand.timeline.events import event_record, field_changes, snapshot

from .models import (
    EARLIEST_PLACED_AT,
    LATEST_PLACED_AT,
    PURCHASE_STATUSES,
    REFUNDABLE_STATUSES,
    Order,
    OrderCurrency,
    OrderLine,
    OrderStatus,
    Refund,
)
from .signals import announce_orders_changed

if TYPE_CHECKING:
    from peyvand.accounts.models import User

# The event journeys, loyalty and webhooks trigger on: written once per order, when it
# first becomes a purchase. Payload: order (id), number, source, total, net_total,
# placed_at, product_ids, backfill (true for history loaded by an import or the demo).
VERB_PURCHASED = "order.purchased"
VERB_CREATED = "order.created"
VERB_UPDATED = "order.updated"
VERB_STATUS_CHANGED = "order.status_changed"
VERB_CANCELLED = "order.cancelled"
VERB_REFUNDED = "order.refunded"

# A contact created for a shop's customer comes from the web. (A dedicated "online shop"
# source would need a migration of contacts and sales; see docs/architecture.md.)
ESHOP_CONTACT_SOURCE = Source.WEBSITE

ORDER_FIELDS = (
    "number",
    "status",
    "placed_at",
    "currency",
    "subtotal",
    "discount",
    "shipping",
    "tax",
    "total",
    "channel",
    "note",
)
AMOUNT_FIELDS = ("subtotal", "discount", "shipping", "tax", "total")
LINE_FIELDS = ("sku", "name", "quantity", "unit_price", "total", "product_id")

MSG_NEGATIVE = _("The amount cannot be negative.")
MSG_WHOLE = _("Enter a whole number of Rials.")
MSG_TOTAL = _(
    "The total must be the subtotal less the discount plus shipping and tax (%(expected)s)."
)
MSG_LINES_SUM = _("The lines add up to %(sum)s, not the subtotal.")
MSG_QUANTITY = _("The quantity must be at least 1.")
MSG_LINE_NAME = _("Give the product's name or SKU.")
MSG_AWARE = _("Give the time with its time zone.")
MSG_PLACED_RANGE = _("Enter a date between the years 1900 and 2999.")
MSG_REFUNDED_MORE = _("The order already has refunds of %(refunded)s; the total cannot be less.")
MSG_NOT_REFUNDABLE = _("Only a paid order can be refunded.")
MSG_REFUND_TOO_LARGE = _("Refunds cannot exceed the amount paid: %(left)s can still be refunded.")
MSG_REFUND_POSITIVE = _("The amount must be more than zero.")
MSG_NO_CUSTOMER = _("Give the customer's email or mobile number.")
MSG_CANNOT_CANCEL = _("A refunded order cannot be cancelled; it is already settled.")


@dataclass(frozen=True)
class UpsertResult:
    """What :func:`order_upsert` did: ``outcome`` is ``created``, ``updated``,
    ``unchanged`` or ``stale`` (an older version than the one stored: ignored)."""

    order: Order
    outcome: str


def _check_write(actor: User | None) -> None:
    # Shops, imports and the demo write without a person (actor None); people need the right.
    if actor is not None:
        require_permission(actor, "write", "orders")


def _amount(value: Any, field: str, errors: dict[str, list[ValidationError]]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.setdefault(field, []).append(ValidationError(MSG_WHOLE, code="int_type"))
        return 0
    if value < 0:
        errors.setdefault(field, []).append(ValidationError(MSG_NEGATIVE, code="negative"))
    elif value > MAX_RIALS:
        errors.setdefault(field, []).append(ValidationError(_("The amount is too large.")))
    return value


def _clean_lines(
    lines: Sequence[Mapping[str, Any]], errors: dict[str, list[ValidationError]]
) -> list[OrderLine]:
    """The lines as unsaved ``OrderLine``s (product matched by id, else SKU = product code),
    with errors under ``lines.<index>.<field>``."""
    skus = {str(line.get("sku") or "").strip() for line in lines} - {""}
    products_by_code = {product.code: product for product in Product.objects.filter(code__in=skus)}
    product_ids = {line.get("product_id") for line in lines} - {None}
    products_by_id = Product.objects.in_bulk(list(product_ids))
    cleaned: list[OrderLine] = []
    for index, line in enumerate(lines):
        where = f"lines.{index}"
        sku = str(line.get("sku") or "").strip()[:100]
        name = clean_persian(str(line.get("name") or ""))[:300] or sku
        if not name:
            errors.setdefault(f"{where}.name", []).append(
                ValidationError(MSG_LINE_NAME, code="required")
            )
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            errors.setdefault(f"{where}.quantity", []).append(
                ValidationError(MSG_QUANTITY, code="min_value")
            )
            quantity = 1
        unit_price = _amount(line.get("unit_price"), f"{where}.unit_price", errors)
        total = line.get("total")
        total = quantity * unit_price if total is None else _amount(total, f"{where}.total", errors)
        product = None
        if line.get("product_id") is not None:
            product = products_by_id.get(line["product_id"])
            if product is None:
                errors.setdefault(f"{where}.product_id", []).append(
                    ValidationError(_("No such record."), code="does_not_exist")
                )
        elif sku:
            product = products_by_code.get(sku)
        cleaned.append(
            OrderLine(
                position=index,
                product=product,
                sku=sku,
                name=name,
                quantity=quantity,
                unit_price=unit_price,
                total=total,
            )
        )
    return cleaned


def _clean_order(
    values: Mapping[str, Any], lines: Sequence[Mapping[str, Any]] | None, refunded_total: int
) -> tuple[dict[str, Any], list[OrderLine] | None]:
    """Check an order's values and lines together; ``ValidationError`` keyed by field."""
    errors: dict[str, list[ValidationError]] = {}
    data = {name: values[name] for name in ORDER_FIELDS if name in values}
    for name in AMOUNT_FIELDS:
        data[name] = _amount(values.get(name, 0), name, errors)
    status = data.get("status", OrderStatus.PENDING)
    if status not in OrderStatus.values:
        errors["status"] = [
            ValidationError(_("Choose one of the allowed values."), code="invalid_choice")
        ]
    currency = data.get("currency", OrderCurrency.IRR)
    if currency not in OrderCurrency.values:
        errors["currency"] = [
            ValidationError(_("Choose one of the allowed values."), code="invalid_choice")
        ]
    placed_at = data.get("placed_at")
    if not isinstance(placed_at, datetime.datetime):
        errors["placed_at"] = [ValidationError(_("This field is required."), code="required")]
    elif timezone.is_naive(placed_at):
        errors["placed_at"] = [ValidationError(MSG_AWARE, code="naive")]
    elif not EARLIEST_PLACED_AT <= placed_at < LATEST_PLACED_AT:
        errors["placed_at"] = [ValidationError(MSG_PLACED_RANGE, code="out_of_range")]
    else:
        # Stored and compared in UTC: the same instant in another zone is no change.
        data["placed_at"] = placed_at.astimezone(datetime.UTC)
    cleaned_lines = None if lines is None else _clean_lines(lines, errors)
    if not errors:
        expected = data["subtotal"] - data["discount"] + data["shipping"] + data["tax"]
        if data["total"] != expected:
            errors["total"] = [
                ValidationError(MSG_TOTAL % {"expected": expected}, code="total_mismatch")
            ]
        if cleaned_lines:
            line_sum = sum(line.total for line in cleaned_lines)
            if line_sum != data["subtotal"]:
                errors["subtotal"] = [
                    ValidationError(MSG_LINES_SUM % {"sum": line_sum}, code="lines_mismatch")
                ]
        if data["total"] < refunded_total:
            errors.setdefault("total", []).append(
                ValidationError(
                    MSG_REFUNDED_MORE % {"refunded": refunded_total}, code="below_refunded"
                )
            )
    if errors:
        raise ValidationError(errors)
    data["note"] = str(data.get("note") or "")
    data["number"] = str(data.get("number") or "")[:60]
    data["channel"] = str(data.get("channel") or "")[:30]
    return data, cleaned_lines


def _line_state(lines: Sequence[OrderLine]) -> list[list[Any]]:
    return [
        [line.product_id, line.sku, line.name, line.quantity, line.unit_price, line.total]
        for line in lines
    ]


def _order_state(order: Order) -> dict[str, Any]:
    return snapshot(order, ORDER_FIELDS)


def _purchase_payload(order: Order, backfill: bool) -> dict[str, Any]:
    product_ids = sorted(
        {pk for pk in order.lines.values_list("product_id", flat=True) if pk is not None}
    )
    return {
        "order": order.pk,
        "number": order.number,
        "source": order.source,
        "total": order.total,
        "net_total": order.total - order.refunded_total,
        "placed_at": order.placed_at,
        "product_ids": product_ids,
        "backfill": backfill,
    }


def _event(
    *,
    actor: User | None,
    verb: str,
    order: Order,
    payload: Mapping[str, Any],
    occurred_at: datetime.datetime | None = None,
) -> None:
    """Every order write ends here, inside its transaction: the change goes on the
    contact's timeline and the apps that derive figures from orders hear of it."""
    announce_orders_changed([order.contact_id])
    event_record(
        actor=actor,
        verb=verb,
        subject=order,
        contact=order.contact,
        summary=str(order),
        payload=payload,
        occurred_at=occurred_at,
    )


def order_upsert(
    *,
    actor: User | None,
    source: str,
    external_id: str,
    contact: Contact,
    values: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]] | None = None,
    source_modified_at: datetime.datetime | None = None,
    backfill: bool = False,
) -> UpsertResult:
    """Create or update the order ``external_id`` of ``source``.

    ``values`` holds :data:`ORDER_FIELDS` (amounts in Rials); ``lines`` (``sku``, ``name``,
    ``quantity``, ``unit_price``, ``total``, ``product_id``) replace the stored lines at
    once; ``None`` keeps them. Amounts are checked together: ``total = subtotal − discount
    + shipping + tax`` and the lines add up to the subtotal (``ValidationError`` by field,
    lines as ``lines.<i>.<field>``). Applying the same data again changes nothing and writes
    no event. With ``source_modified_at`` older than the stored one, nothing changes
    (outcome ``stale``). ``backfill`` (imports of history, the demo) dates the purchase
    event at ``placed_at`` and says so in its payload, so journeys can skip it.
    """
    _check_write(actor)
    source, external_id = source.strip()[:60], str(external_id).strip()[:100]
    errors: dict[str, list[ValidationError]] = {}
    if not source:
        errors["source"] = [ValidationError(_("This field is required."), code="required")]
    if not external_id:
        errors["external_id"] = [ValidationError(_("This field is required."), code="required")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        order = (
            Order.objects.select_for_update().filter(source=source, external_id=external_id).first()
        )
        if (
            order is not None
            and source_modified_at is not None
            and order.source_modified_at is not None
            and source_modified_at < order.source_modified_at
        ):
            return UpsertResult(order, "stale")
        refunded = order.refunded_total if order is not None else 0
        data, new_lines = _clean_order(values, lines, refunded)
        if order is None:
            return UpsertResult(
                _order_create(
                    actor=actor,
                    order=Order(source=source, external_id=external_id, contact=contact),
                    data=data,
                    lines=new_lines or [],
                    source_modified_at=source_modified_at,
                    backfill=backfill,
                ),
                "created",
            )
        return _order_update(
            actor=actor,
            order=order,
            contact=contact,
            data=data,
            lines=new_lines,
            source_modified_at=source_modified_at,
            backfill=backfill,
        )


def _order_create(
    *,
    actor: User | None,
    order: Order,
    data: Mapping[str, Any],
    lines: Sequence[OrderLine],
    source_modified_at: datetime.datetime | None,
    backfill: bool,
) -> Order:
    for name, value in data.items():
        setattr(order, name, value)
    order.source_modified_at = source_modified_at
    if order.is_purchase:
        order.purchased_at = timezone.now()
    order.full_clean(exclude=["contact"])
    order.save()
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    if order.is_purchase:
        _event(
            actor=actor,
            verb=VERB_PURCHASED,
            order=order,
            payload=_purchase_payload(order, backfill),
            occurred_at=order.placed_at if backfill else None,
        )
    else:
        _event(
            actor=actor,
            verb=VERB_CREATED,
            order=order,
            payload={"order": order.pk, "status": order.status, "total": order.total},
            occurred_at=order.placed_at if backfill else None,
        )
    return order


def _order_update(
    *,
    actor: User | None,
    order: Order,
    contact: Contact,
    data: Mapping[str, Any],
    lines: Sequence[OrderLine] | None,
    source_modified_at: datetime.datetime | None,
    backfill: bool,
) -> UpsertResult:
    before = _order_state(order)
    old_lines = list(order.lines.all())
    lines_changed = lines is not None and _line_state(lines) != _line_state(old_lines)
    for name, value in data.items():
        setattr(order, name, value)
    # A contact chosen again (the shop's customer matched differently) does not move an
    # order: it was placed by the contact it is on, and merges move it when needed.
    changes = field_changes(before, _order_state(order))
    if source_modified_at is not None:
        order.source_modified_at = source_modified_at
    if not changes and not lines_changed:
        if source_modified_at is not None:
            Order.objects.filter(pk=order.pk).update(source_modified_at=source_modified_at)
        return UpsertResult(order, "unchanged")
    becomes_purchase = order.is_purchase and order.purchased_at is None
    if becomes_purchase:
        order.purchased_at = timezone.now()
    order.full_clean(exclude=["contact"])
    order.save()
    if lines_changed and lines is not None:
        OrderLine.objects.filter(order=order).delete()
        for line in lines:
            line.order = order
        OrderLine.objects.bulk_create(lines)
        changes["lines"] = [len(old_lines), len(lines)]
    if becomes_purchase:
        verb, payload = VERB_PURCHASED, _purchase_payload(order, backfill)
        payload["changes"] = changes
    elif "status" in changes and order.status == OrderStatus.CANCELLED:
        verb, payload = VERB_CANCELLED, {"order": order.pk, "changes": changes}
    elif "status" in changes:
        verb, payload = VERB_STATUS_CHANGED, {"order": order.pk, "changes": changes}
    else:
        verb, payload = VERB_UPDATED, {"order": order.pk, "changes": changes}
    _event(actor=actor, verb=verb, order=order, payload=payload)
    return UpsertResult(order, "updated")


def order_cancel(*, actor: User | None, order: Order, reason: str = "") -> Order:
    """Cancel an order (a shop's or a person's decision); cancelling it again changes
    nothing. A refunded order is settled and cannot be cancelled: record refunds instead."""
    _check_write(actor)
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("contact").get(pk=order.pk)
        if order.status == OrderStatus.CANCELLED:
            return order
        if order.refunded_total > 0:
            raise ValidationError({"status": [ValidationError(MSG_CANNOT_CANCEL, code="refunded")]})
        previous = order.status
        order.status = OrderStatus.CANCELLED
        order.save(update_fields=["status", "updated_at"])
        _event(
            actor=actor,
            verb=VERB_CANCELLED,
            order=order,
            payload={
                "order": order.pk,
                "changes": {"status": [previous, order.status]},
                "reason": clean_persian(reason)[:300],
            },
        )
    return order


def refund_record(
    *,
    actor: User | None,
    order: Order,
    amount: int,
    reason: str = "",
    refunded_at: datetime.datetime | None = None,
    external_id: str = "",
) -> tuple[Refund, bool]:
    """Record money given back on a paid order; returns ``(refund, created)``.

    With an ``external_id`` already recorded on the order, the first refund is returned and
    nothing changes (a shop sends its refunds again with each update). Refunds cannot exceed
    the total; the order becomes ``refunded`` when they reach it, ``partially_refunded``
    before. One ``order.refunded`` event."""
    _check_write(actor)
    external_id = str(external_id or "").strip()[:100]
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("contact").get(pk=order.pk)
        if external_id:
            existing = Refund.objects.filter(order=order, external_id=external_id).first()
            if existing is not None:
                return existing, False
        errors: dict[str, list[ValidationError]] = {}
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            errors["amount"] = [ValidationError(MSG_REFUND_POSITIVE, code="min_value")]
        elif order.status not in REFUNDABLE_STATUSES:
            errors["order"] = [ValidationError(MSG_NOT_REFUNDABLE, code="not_paid")]
        elif amount > order.refundable_amount:
            errors["amount"] = [
                ValidationError(
                    MSG_REFUND_TOO_LARGE % {"left": order.refundable_amount}, code="too_large"
                )
            ]
        if refunded_at is not None and timezone.is_naive(refunded_at):
            errors["refunded_at"] = [ValidationError(MSG_AWARE, code="naive")]
        if errors:
            raise ValidationError(errors)
        refund = Refund(
            order=order,
            amount=amount,
            reason=clean_persian(reason)[:300],
            refunded_at=refunded_at or timezone.now(),
            external_id=external_id,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        refund.full_clean()
        refund.save()
        previous = order.status
        order.refunded_total += amount
        order.status = (
            OrderStatus.REFUNDED
            if order.refunded_total >= order.total
            else OrderStatus.PARTIALLY_REFUNDED
        )
        order.save(update_fields=["refunded_total", "status", "updated_at"])
        _event(
            actor=actor,
            verb=VERB_REFUNDED,
            order=order,
            payload={
                "order": order.pk,
                "refund": refund.pk,
                "amount": amount,
                "refunded_total": order.refunded_total,
                "changes": {"status": [previous, order.status]} if previous != order.status else {},
            },
        )
    return refund, True


def customer_contact(
    *,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    owner: User | None = None,
) -> Contact:
    """The contact a shop's customer is: the one with this (normalized) email, else this
    mobile number, else a new contact (owned by ``owner``, source: website). Values that do
    not normalize are ignored; with neither, ``ValidationError`` on ``email``."""
    try:
        email = normalize_email(email) if email and email.strip() else ""
    except ValidationError:
        email = ""
    try:
        phone = normalize_phone(phone) if phone and phone.strip() else ""
    except ValidationError:
        phone = ""
    if not email and not phone:
        raise ValidationError({"email": [ValidationError(MSG_NO_CUSTOMER, code="required")]})
    contact = (matching_contact(phone="", email=email) if email else None) or (
        matching_contact(phone=phone, email="") if phone else None
    )
    if contact is not None:
        return contact
    first, last = clean_persian(first_name)[:100], clean_persian(last_name)[:100]
    if not first and not last:
        # A contact needs a name; the address it wrote from stands in until someone edits it.
        last = (email.partition("@")[0] or phone)[:100]
    return contact_create(
        actor=None,
        values={
            "first_name": first,
            "last_name": last,
            "emails": [email] if email else [],
            "phones": [phone] if phone else [],
            "source": ESHOP_CONTACT_SOURCE,
            "owner": owner,
        },
    )


__all__ = [
    "ESHOP_CONTACT_SOURCE",
    "PURCHASE_STATUSES",
    "VERB_CANCELLED",
    "VERB_PURCHASED",
    "VERB_REFUNDED",
    "UpsertResult",
    "customer_contact",
    "order_cancel",
    "order_upsert",
    "refund_record",
]
