"""Reads of orders, scoped to what the user may see: an order is visible when its contact is
(and the user may read orders). Fails closed."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings

from peyvand.accounts.permissions import has_permission
from peyvand.contacts.selectors import contacts_visible_to

from .models import Order, OrderQuerySet, OrderStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from peyvand.accounts.models import User
    from peyvand.contacts.models import Contact

# Newest first; ``id`` breaks ties so keyset pages are stable.
ORDER_ORDERING = ["-placed_at", "-id"]


def may_read_orders(user: User | AnonymousUser | None) -> bool:
    """Whether ``user`` may see orders at all (then those of the contacts they may see;
    figures derived from orders, like the purchase-month rollup, scope the same way)."""
    return has_permission(user, "read", "orders")


def orders_visible_to(user: User | AnonymousUser | None) -> OrderQuerySet:
    """Every order ``user`` may see: those of the contacts they may see."""
    if not may_read_orders(user):
        return Order.objects.none()
    return Order.objects.filter(contact__in=contacts_visible_to(user))


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of ``day`` in the site's zone (a "day" is a local day), as an aware time."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def orders_filtered(user: User | AnonymousUser | None, filters: Mapping[str, Any]) -> OrderQuerySet:
    """Visible orders narrowed by ``contact`` (id), ``status`` (one of the statuses or
    ``purchase``), ``source``, ``placed_from`` and ``placed_to`` (dates, both included, local
    days)."""
    queryset = orders_visible_to(user)
    contact = str(filters.get("contact") or "")
    if contact.isdigit():
        queryset = queryset.filter(contact_id=int(contact))
    status = str(filters.get("status") or "")
    if status == "purchase":
        queryset = queryset.purchases()
    elif status in OrderStatus.values:
        queryset = queryset.filter(status=status)
    source = str(filters.get("source") or "").strip()
    if source:
        queryset = queryset.filter(source=source)
    placed_from = filters.get("placed_from")
    if isinstance(placed_from, datetime.date):
        queryset = queryset.filter(placed_at__gte=_day_start(placed_from))
    placed_to = filters.get("placed_to")
    if isinstance(placed_to, datetime.date):
        queryset = queryset.filter(placed_at__lt=_day_start(placed_to + datetime.timedelta(days=1)))
    return queryset


def contact_purchases(user: User | AnonymousUser | None, contact: Contact) -> dict[str, Any]:
    """What the contact 360 page shows of a contact the user may see (the caller found it
    through ``contacts_visible_to``, so its orders are visible too): the newest orders and
    the purchase summary (count, net total, first and last purchase), two queries. Empty
    when the user may not read orders."""
    if not has_permission(user, "read", "orders"):
        return {"orders": [], "summary": {}, "can_read": False}
    orders = Order.objects.filter(contact=contact)
    return {
        "orders": list(orders.order_by(*ORDER_ORDERING)[:5]),
        "summary": orders.purchase_summary(),
        "can_read": True,
    }
