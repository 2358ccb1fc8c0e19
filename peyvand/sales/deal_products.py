"""The products on a deal: what the customer is buying, before a quote is written.

While a deal has products its amount is their total after discounts and before VAT (the
quote adds VAT); a new quote for the deal starts with these lines. Products are priced in
Rials, so a deal in another currency cannot have them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.common.persian import to_persian_digits

from .deals import deal_event
from .models import Currency, Deal, DealProduct
from .quotes import build_lines, line_rows
from .service_helpers import check_permission, error

if TYPE_CHECKING:
    from peyvand.accounts.models import User


def _summary(line: DealProduct) -> str:
    """«لپ‌تاپ × ۲» as the timeline shows a line."""
    quantity = format(line.quantity.normalize(), "f")
    return f"{line.description} × {to_persian_digits(quantity)}"


def deal_products_set(*, actor: User | None, deal: Deal, rows: Sequence[Mapping[str, Any]]) -> Deal:
    """Replace the deal's products with ``rows`` (the quote line fields: ``product``,
    ``description``, ``quantity``, ``unit_price``, ``discount_percent`` …; an empty list
    removes them). The deal's amount becomes the lines' total; one ``deal.updated`` event
    records both. Errors are keyed ``lines.<index>.<field>``; nothing is saved then."""
    check_permission(actor, "write", "deals")
    with transaction.atomic():
        deal = (
            Deal.objects.select_for_update(of=("self",))
            .select_related("contact", "company")
            .get(pk=deal.pk)
        )
        if rows and deal.currency != Currency.IRR:
            raise error(
                "lines",
                _("Products are priced in Rials: set the deal's currency to Rial first."),
                "currency",
            )
        built = build_lines(rows, Decimal(0), DealProduct)
        before = [_summary(line) for line in deal.line_items.all()]
        deal.line_items.all().delete()
        for line in built:
            line.deal = deal
        DealProduct.objects.bulk_create(built)
        after = [_summary(line) for line in built]
        changes: dict[str, list[Any]] = {}
        if before != after:
            changes["products"] = ["، ".join(before), "، ".join(after)]
        total = sum(line.total for line in built)
        if built and total != deal.amount:
            changes["amount"] = [deal.amount, total]
            deal.amount = total
            deal.save(update_fields=["amount", "updated_at"])
        if changes:
            deal_event(
                actor=actor,
                deal=deal,
                verb="deal.updated",
                summary=deal.title,
                payload={"changes": changes},
            )
    return deal


def deal_product_rows(deal: Deal) -> list[dict[str, Any]]:
    """The deal's products as line rows (to start a quote with, or to edit)."""
    return line_rows(deal.line_items.select_related("product"))
