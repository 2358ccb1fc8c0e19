"""Orders made through the services, as shops and imports make them."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from peyvand.commerce.models import Order
from peyvand.commerce.services import order_upsert
from peyvand.contacts.models import Contact

_ids = itertools.count(1)
PLACED = datetime.datetime(2026, 5, 1, 9, 30, tzinfo=datetime.UTC)


def order_values(**values: Any) -> dict[str, Any]:
    """An order of one line (2 × 150,000 Rials) with 20,000 discount, 30,000 shipping and
    27,000 tax: total 337,000 Rials."""
    defaults: dict[str, Any] = {
        "number": "",
        "status": "paid",
        "placed_at": PLACED,
        "currency": "IRR",
        "subtotal": 300_000,
        "discount": 20_000,
        "shipping": 30_000,
        "tax": 27_000,
        "total": 337_000,
    }
    defaults.update(values)
    return defaults


ONE_LINE = [{"sku": "MUG-1", "name": "ماگ", "quantity": 2, "unit_price": 150_000}]


def make_order(
    contact: Contact,
    *,
    source: str = "api",
    external_id: str | None = None,
    lines: list[dict[str, Any]] | None = None,
    **values: Any,
) -> Order:
    result = order_upsert(
        actor=None,
        source=source,
        external_id=external_id or f"E{next(_ids)}",
        contact=contact,
        values=order_values(**values),
        lines=ONE_LINE if lines is None else lines,
    )
    return result.order
