"""Commerce: the orders customers placed (in online shops, over the API, from imports), their
lines and refunds, and the shops that post their orders to us.

Everything here is shaped for aggregates in SQL (recency, frequency, monetary value, lifetime
value): one row per order with its contact, an aware UTC ``placed_at``, a status, integer
Rial amounts and a stored ``net_total`` (total − refunded), indexed by contact and time.
Which statuses count as a purchase is said once, in :data:`PURCHASE_STATUSES`, and used
through ``Order.objects.purchases()``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending payment")
    PAID = "paid", _("Paid")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")


# The one definition of "a purchase" for every report and model: the customer paid and kept
# at least part of it. Pending orders are not paid yet; cancelled and fully refunded ones
# brought no money.
PURCHASE_STATUSES: tuple[str, ...] = (
    OrderStatus.PAID,
    OrderStatus.COMPLETED,
    OrderStatus.PARTIALLY_REFUNDED,
)
# When an order can have been placed: a wider range is a typing mistake (a year 0024 for
# 2024), and the Jalali calendar the reports group by is only defined for part of it.
EARLIEST_PLACED_AT = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
LATEST_PLACED_AT = datetime.datetime(3000, 1, 1, tzinfo=datetime.UTC)
# Statuses in which money was received, so a refund may be recorded.
REFUNDABLE_STATUSES: tuple[str, ...] = (*PURCHASE_STATUSES, OrderStatus.REFUNDED)


class OrderCurrency(models.TextChoices):
    """The currency the shop priced the order in; stored amounts are always Rials."""

    IRR = "IRR", _("Rial")
    IRT = "IRT", _("Toman")


class OrderQuerySet(models.QuerySet["Order"]):
    """Reads of orders that analytics share."""

    def purchases(self) -> OrderQuerySet:
        """Orders that count as purchases (paid, completed, partially refunded)."""
        return self.filter(status__in=PURCHASE_STATUSES)

    def purchase_summary(self) -> dict[str, Any]:
        """Over these orders' purchases, in one query: ``count``, ``net_total`` (Rials,
        total − refunded), ``first_at`` and ``last_at`` (``None`` when there is none)."""
        return self.purchases().aggregate(
            count=Count("id"),
            net_total=Coalesce(Sum("net_total"), 0),
            first_at=Min("placed_at"),
            last_at=Max("placed_at"),
        )

    def per_contact(self) -> models.QuerySet[Any, dict[str, Any]]:
        """One row per contact over these orders' purchases: ``contact_id``, ``orders``,
        ``net_total``, ``first_at``, ``last_at``: the input of RFM and lifetime value."""
        return (
            self.purchases()
            .order_by()
            .values("contact_id")
            .annotate(
                orders=Count("id"),
                net_total=Sum("net_total"),
                first_at=Min("placed_at"),
                last_at=Max("placed_at"),
            )
        )


OrderManager = models.Manager.from_queryset(OrderQuerySet)


class Order(models.Model):
    """One order a contact placed: where it came from (``source`` + ``external_id``, unique
    together so ingestion is idempotent), when, its status and its amounts in Rials.

    ``total = subtotal − discount + shipping + tax``; ``refunded_total`` is the sum of its
    refunds and ``net_total`` (computed by the database) is what the customer kept paying.
    """

    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("contact"),
    )
    # "woocommerce:<shop slug>", "api", "import" or "import:<name>".
    source = models.CharField(_("source"), max_length=60)
    external_id = models.CharField(_("id at the source"), max_length=100)
    number = models.CharField(_("order number"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    placed_at = models.DateTimeField(_("placed at"))
    currency = models.CharField(
        _("currency"), max_length=3, choices=OrderCurrency.choices, default=OrderCurrency.IRR
    )
    subtotal = models.BigIntegerField(_("subtotal (Rials)"), default=0)
    discount = models.BigIntegerField(_("discount (Rials)"), default=0)
    shipping = models.BigIntegerField(_("shipping (Rials)"), default=0)
    tax = models.BigIntegerField(_("tax (Rials)"), default=0)
    total = models.BigIntegerField(_("total (Rials)"), default=0)
    refunded_total = models.BigIntegerField(_("refunded (Rials)"), default=0, editable=False)
    net_total = models.GeneratedField(
        expression=F("total") - F("refunded_total"),
        output_field=models.BigIntegerField(),
        db_persist=True,
        verbose_name=_("net (Rials)"),
    )
    channel = models.CharField(_("channel"), max_length=30, blank=True)
    note = models.TextField(_("note"), blank=True)
    # When the order first became a purchase (and the purchase event was written): it is
    # written once, so a purchase is never announced twice.
    purchased_at = models.DateTimeField(_("purchase recorded at"), null=True, editable=False)
    # The source's own last-modified time: an older update arriving late is ignored.
    source_modified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrderManager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="order_source_id"),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0)
                & Q(discount__gte=0)
                & Q(shipping__gte=0)
                & Q(tax__gte=0)
                & Q(total__gte=0)
                & Q(refunded_total__gte=0)
                & Q(refunded_total__lte=F("total")),
                name="order_amounts_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["contact", "placed_at"], name="order_contact_placed"),
            models.Index(fields=["placed_at", "id"], name="order_placed"),
            models.Index(fields=["status", "placed_at"], name="order_status_placed"),
        ]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return f"#{self.number or self.external_id}"

    @property
    def is_purchase(self) -> bool:
        return self.status in PURCHASE_STATUSES

    @property
    def refundable_amount(self) -> int:
        """What may still be refunded: the total less the refunds so far."""
        return self.total - self.refunded_total


class OrderLine(models.Model):
    """One product line of an order. ``product`` links our catalogue when the SKU matches a
    product code (kept when the product is removed: the SKU and name stay)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey(
        "sales.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="order_lines",
        verbose_name=_("product"),
    )
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.BigIntegerField(_("unit price (Rials)"), validators=[MinValueValidator(0)])
    total = models.BigIntegerField(_("line total (Rials)"), validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["order", "position", "id"]
        indexes = [models.Index(fields=["product", "order"], name="order_line_product")]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class Refund(models.Model):
    """Money given back on an order. Append-only: a refund is never changed or removed; the
    order's ``refunded_total`` is the sum of its refunds."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField(_("amount (Rials)"), validators=[MinValueValidator(1)])
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"))
    # The source's id of the refund: recording it again returns the first one.
    external_id = models.CharField(_("id at the source"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["refunded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "external_id"],
                condition=~Q(external_id=""),
                name="refund_order_external_id",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self) -> str:
        return f"{self.order} −{self.amount}"


class ShopConnection(models.Model):
    """An online shop (WooCommerce) that posts its orders to
    ``/commerce/webhooks/woocommerce/<slug>/``, signed with ``secret``.

    The secret is stored as given (it must be, to check an HMAC signature) and shown only in
    the admin, to administrators; rotate it in the shop and here together."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    secret = models.CharField(_("webhook secret"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    # Contacts the shop's customers become are owned by this user (so they are not hidden
    # from everyone but managers).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner of new contacts"),
    )
    last_delivery_at = models.DateTimeField(_("last delivery"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("shop connection")
        verbose_name_plural = _("shop connections")

    def __str__(self) -> str:
        return self.name

    @property
    def order_source(self) -> str:
        return f"woocommerce:{self.slug}"


class WebhookDelivery(models.Model):
    """One webhook delivery a shop sent, kept so the same delivery twice is handled once."""

    shop = models.ForeignKey(ShopConnection, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.CharField(max_length=100)
    topic = models.CharField(max_length=60)
    outcome = models.CharField(max_length=20)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "delivery_id"], name="webhook_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}:{self.delivery_id}"
