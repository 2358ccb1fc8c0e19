"""REST endpoints of orders: ``/api/v1/orders`` (list with filters and keyset pages, read),
``PUT /api/v1/orders/by-source/{source}/{external_id}`` (create or update by the source's
id), cancel, and refunds. Orders are looked up among those the caller may see (404
otherwise); amounts are integer Rials whatever the order's currency."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.api.common import PageOut, cursor_page
from peyvand.contacts.selectors import contacts_visible_to

from .models import Order, OrderLine, Refund
from .selectors import ORDER_ORDERING, orders_filtered, orders_visible_to
from .services import customer_contact, order_cancel, order_upsert, refund_record

router = Router(tags=["commerce"])

StatusName = Literal["pending", "paid", "completed", "cancelled", "refunded", "partially_refunded"]


class LineOut(Schema):
    id: int
    product_id: int | None
    sku: str
    name: str
    quantity: int
    unit_price: int
    total: int


class RefundOut(Schema):
    id: int
    amount: int
    reason: str
    refunded_at: datetime.datetime
    external_id: str


class OrderOut(Schema):
    id: int
    contact_id: int
    source: str
    external_id: str
    number: str
    status: str
    placed_at: datetime.datetime
    currency: str
    subtotal: int
    discount: int
    shipping: int
    tax: int
    total: int
    refunded_total: int
    net_total: int
    channel: str
    note: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


class OrderDetailOut(OrderOut):
    lines: list[LineOut]
    refunds: list[RefundOut]

    @staticmethod
    def resolve_lines(obj: Order) -> list[OrderLine]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_refunds(obj: Order) -> list[Refund]:
        return list(obj.refunds.all())


class OrderFilters(Schema):
    contact: int | None = None
    status: str = ""
    source: str = ""
    placed_from: datetime.date | None = None
    placed_to: datetime.date | None = None
    cursor: str | None = None
    limit: int = 50


class CustomerIn(Schema):
    """Who placed the order, when the caller does not know our contact id: found by email,
    then mobile, else created."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)


class LineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    product_id: int | None = None
    sku: str = Field("", max_length=100)
    name: str = Field("", max_length=300)
    quantity: int = Field(..., ge=1)
    unit_price: int = Field(..., ge=0)
    total: int | None = Field(None, ge=0, description="quantity × unit_price when left out")


class OrderIn(Schema):
    """An order as the source has it (amounts in Rials). Give ``contact_id`` or
    ``customer``."""

    model_config = ConfigDict(extra="forbid")

    contact_id: int | None = None
    customer: CustomerIn | None = None
    number: str = Field("", max_length=60)
    status: StatusName = "pending"
    placed_at: datetime.datetime
    currency: Literal["IRR", "IRT"] = "IRR"
    subtotal: int = Field(..., ge=0)
    discount: int = Field(0, ge=0)
    shipping: int = Field(0, ge=0)
    tax: int = Field(0, ge=0)
    total: int = Field(..., ge=0)
    channel: str = Field("", max_length=30)
    note: str = Field("", max_length=5000)
    lines: list[LineIn] = []


class RefundIn(Schema):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(..., ge=1)
    reason: str = Field("", max_length=300)
    refunded_at: datetime.datetime | None = None
    external_id: str = Field("", max_length=100)


class CancelIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=300)


def _detail(request: AuthenticatedRequest, order_id: int) -> Order:
    return (
        orders_visible_to(request.user)
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("position", "id")),
            "refunds",
        )
        .get(pk=order_id)
    )


@router.get("/orders", response=PageOut[OrderOut], summary="List orders")
def list_orders(request: AuthenticatedRequest, filters: Query[OrderFilters]) -> dict[str, Any]:
    """Visible orders, newest placed first. ``status`` is a status or ``purchase`` (paid,
    completed or partially refunded); ``placed_from``/``placed_to`` are local days,
    included."""
    require_permission(request.user, "read", "orders")
    page = cursor_page(
        orders_filtered(request.user, filters.dict()),
        ordering=ORDER_ORDERING,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/orders/{order_id}", response=OrderDetailOut, summary="Get an order")
def get_order(request: AuthenticatedRequest, order_id: int) -> Order:
    require_permission(request.user, "read", "orders")
    return _detail(request, order_id)


def _contact_for(request: AuthenticatedRequest, payload: OrderIn) -> Any:
    if payload.contact_id is not None:
        contact = contacts_visible_to(request.user).filter(pk=payload.contact_id).first()
        if contact is None:
            raise ValidationError(
                {"contact_id": [ValidationError(_("No such record."), code="does_not_exist")]}
            )
        return contact
    if payload.customer is None:
        raise ValidationError(
            {"contact_id": [ValidationError(_("Give contact_id or customer."), code="required")]}
        )
    try:
        return customer_contact(**payload.customer.dict(), owner=request.user)
    except ValidationError as error:
        raise ValidationError(
            {f"customer.{field}": errors for field, errors in error.error_dict.items()}
        ) from error


@router.put(
    "/orders/by-source/{source}/{external_id}",
    response={200: OrderDetailOut, 201: OrderDetailOut},
    summary="Create or update an order by its source's id",
)
def put_order(
    request: AuthenticatedRequest, source: str, external_id: str, payload: OrderIn
) -> Status[Order]:
    """Idempotent: the same body again changes nothing (200). The lines replace the stored
    ones. 201 when the order was created. An existing order keeps its contact (merges move
    orders between contacts); ``contact_id``/``customer`` choose it for a new one."""
    require_permission(request.user, "write", "orders")
    existing = Order.objects.filter(source=source, external_id=external_id).first()
    if existing is not None and not orders_visible_to(request.user).filter(pk=existing.pk).exists():
        # Someone else's customer: neither change it nor say that it exists.
        raise Order.DoesNotExist
    contact = existing.contact if existing is not None else _contact_for(request, payload)
    data = payload.dict(exclude={"contact_id", "customer", "lines"})
    result = order_upsert(
        actor=request.user,
        source=source,
        external_id=external_id,
        contact=contact,
        values=data,
        lines=[line.dict() for line in payload.lines],
    )
    code = 201 if result.outcome == "created" else 200
    if not orders_visible_to(request.user).filter(pk=result.order.pk).exists():
        # The customer matched a contact the caller may not see: the order is theirs all the
        # same, and the caller gets back what it sent.
        return Status(
            code, Order.objects.prefetch_related("lines", "refunds").get(pk=result.order.pk)
        )
    return Status(code, _detail(request, result.order.pk))


@router.post("/orders/{order_id}/cancel", response=OrderDetailOut, summary="Cancel an order")
def cancel_order(request: AuthenticatedRequest, order_id: int, payload: CancelIn) -> Order:
    require_permission(request.user, "write", "orders")
    order_cancel(actor=request.user, order=_detail(request, order_id), reason=payload.reason)
    return _detail(request, order_id)


@router.get("/orders/{order_id}/refunds", response=list[RefundOut], summary="An order's refunds")
def list_refunds(request: AuthenticatedRequest, order_id: int) -> list[Refund]:
    require_permission(request.user, "read", "orders")
    return list(_detail(request, order_id).refunds.all())


@router.post(
    "/orders/{order_id}/refunds",
    response={200: RefundOut, 201: RefundOut},
    summary="Record a refund",
)
def create_refund(
    request: AuthenticatedRequest, order_id: int, payload: RefundIn
) -> Status[Refund]:
    """With an ``external_id`` already recorded, the first refund is returned (200)."""
    require_permission(request.user, "write", "orders")
    refund, created = refund_record(
        actor=request.user, order=_detail(request, order_id), **payload.dict()
    )
    return Status(201 if created else 200, refund)
