"""Reads of customer intelligence, scoped to the customers the user may see."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.accounts.permissions import has_permission
from peyvand.contacts.models import Contact
from peyvand.contacts.selectors import contacts_visible_to, is_every_live_contact
from peyvand.sales.models import Product

from .models import CustomerRfm, ProductRecommendation, RecommendationRun, RfmRun, RfmSegment
from .product_recommendations import latest_run, popular_products
from .rfm import SEGMENT_GRID, frequency_monetary

MOVEMENT_ROWS = 15
_Row = TypeVar("_Row", bound=models.Model)


def rows_of(rows: QuerySet[_Row], contacts: QuerySet[Contact]) -> QuerySet[_Row]:
    """The per-customer rows (RFM, lifetime value, churn risk …) of ``contacts``. Such rows
    exist only for contacts not merged away (a merge drops the merged contacts' rows, see
    :mod:`peyvand.intelligence.contact_merging`), so for a viewer who sees every live contact
    no join to the contacts is needed: a million rows are read once instead of joined."""
    if is_every_live_contact(contacts):
        return rows
    return rows.filter(contact__in=contacts.values("pk"))


def rfm_visible_to(user: User) -> QuerySet[CustomerRfm]:
    """The RFM rows of the contacts ``user`` may see (fails closed with the contacts)."""
    return rows_of(CustomerRfm.objects.all(), contacts_visible_to(user))


@dataclass(frozen=True)
class SegmentRow:
    segment: RfmSegment
    customers: int
    share_percent: float
    average_purchases: float
    average_spend: int  # Rials
    total_spend: int  # Rials


@dataclass
class RfmOverview:
    """What the RFM page shows: the latest run, the grid of R × FM counts, one row per
    segment and the movement since the previous run (all over the user's customers)."""

    run: RfmRun | None
    customers: int = 0
    # (R from 5 down to 1, [(customers, segment) for FM 1 to 5])
    grid: list[tuple[int, list[tuple[int, RfmSegment]]]] = field(default_factory=list)
    segments: list[SegmentRow] = field(default_factory=list)
    # (from segment or None for "no purchase in the previous window", to segment, customers)
    movement: list[tuple[RfmSegment | None, RfmSegment, int]] = field(default_factory=list)


def _segment_of_cell(recency: int, fm: int) -> RfmSegment:
    for segment, recencies, fms in SEGMENT_GRID:
        if recency in recencies and fm in fms:
            return segment
    raise ValueError((recency, fm))


def rfm_overview(user: User) -> RfmOverview:
    """The RFM page's figures in two queries: the latest run, and the user's customers
    counted once per (scores, segment, previous segment), from which the grid, the segment
    rows and the movement are added up (at most a few thousand groups)."""
    run = RfmRun.objects.order_by("-as_of", "-id").first()
    overview = RfmOverview(run=run)
    groups = (
        rfm_visible_to(user)
        .order_by()
        .values_list(
            "recency_score", "frequency_score", "monetary_score", "segment", "previous_segment"
        )
        .annotate(count=Count("pk"), purchases=Sum("frequency"), spend=Sum("monetary"))
    )
    cells: dict[tuple[int, int], int] = defaultdict(int)
    per_segment: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    moves: dict[tuple[str | None, str], int] = defaultdict(int)
    for recency, frequency, monetary, segment, previous, count, purchases, spend in groups:
        cells[(recency, frequency_monetary(frequency, monetary))] += count
        totals = per_segment[segment]
        totals[0] += count
        totals[1] += int(purchases)
        totals[2] += int(spend)
        if previous != segment:
            moves[(previous or None, segment)] += count
    overview.grid = [
        (
            recency,
            [(cells.get((recency, fm), 0), _segment_of_cell(recency, fm)) for fm in range(1, 6)],
        )
        for recency in range(5, 0, -1)
    ]
    overview.customers = sum(totals[0] for totals in per_segment.values())
    for segment in RfmSegment:
        customers, purchases, spend = per_segment.get(segment.value, (0, 0, 0))
        overview.segments.append(
            SegmentRow(
                segment=segment,
                customers=customers,
                share_percent=round(100 * customers / overview.customers, 1)
                if overview.customers
                else 0.0,
                average_purchases=round(purchases / customers, 2) if customers else 0.0,
                average_spend=round(spend / customers) if customers else 0,
                total_spend=spend,
            )
        )
    ranked = sorted(moves.items(), key=lambda item: (-item[1], item[0][0] or "", item[0][1]))
    overview.movement = [
        (RfmSegment(previous) if previous else None, RfmSegment(segment), count)
        for (previous, segment), count in ranked[:MOVEMENT_ROWS]
    ]
    return overview


def contact_intelligence(user: User, contact: Contact) -> dict[str, Any]:
    """What the contact 360 page shows of a contact the user may see: the RFM segment, the
    predicted lifetime value with its band, P(alive), expected purchases and the churn risk
    with its reasons in words. These figures reveal what the customer spent, so they follow
    the orders permission."""
    if not has_permission(user, "read", "orders"):
        return {"can_read": False}
    from .churn.phrases import reasons_text
    from .dashboard import display_value

    # One query for every stored score of the contact (reverse one-to-ones).
    scored = Contact.objects.select_related("rfm", "lifetime_value__run", "churn__run").get(
        pk=contact.pk
    )
    rfm = _stored(scored, "rfm")
    value = _stored(scored, "lifetime_value")
    churn = _stored(scored, "churn")
    figures: dict[str, Any] = {"can_read": True, "rfm": rfm, "value": value, "churn": churn}
    if churn is not None:
        figures["churn_percent"] = round(100 * churn.probability)
        figures["churn_text"] = display_value(100 * churn.probability, "percent")
        figures["churn_reasons"] = reasons_text(churn.reasons)
    if value is not None:
        figures["alive_percent"] = round(100 * value.probability_alive)
        # BG/NBD lets a customer drop out only after a repeat purchase, so a one-time buyer
        # is "alive" with probability 1 whatever the time since: not worth a 100 % badge
        # next to a high churn risk.
        figures["alive_text"] = (
            display_value(100 * value.probability_alive, "percent")
            if value.repeat_purchases
            else _("Not known yet: no repeat purchase")
        )
        figures["expected"] = [
            (30, f"{value.expected_purchases_30:.1f}"),
            (90, f"{value.expected_purchases_90:.1f}"),
            (365, f"{value.expected_purchases_365:.1f}"),
        ]
    return figures


def _stored(contact: Contact, relation: str) -> Any:
    """The contact's related score row, or ``None`` when it was not computed."""
    try:
        return getattr(contact, relation)
    except ObjectDoesNotExist:
        return None


@dataclass(frozen=True)
class NextProduct:
    """One recommended product of a contact, best first (``rank`` 1)."""

    product: Product
    rank: int
    score: float
    is_popular: bool


@dataclass
class ContactRecommendations:
    """A contact's next best products: their own (co-purchase, filled by popularity) or,
    for a contact who never bought, the best sellers (``is_popular_only``)."""

    can_read: bool
    products: list[NextProduct] = field(default_factory=list)
    run: RecommendationRun | None = None
    is_popular_only: bool = False


def contact_recommendations(user: User, contact: Contact) -> ContactRecommendations:
    """The next best products of ``contact`` as the 360 page and the API show them. They
    reveal what the customer bought, so they follow the orders permission, and only a
    contact the user may see has rows of their own (a hidden one gets the best sellers at
    most). Products no longer sold are left out. One query when the contact has rows, else
    two or three (the latest run, its popular products)."""
    if not has_permission(user, "read", "orders"):
        return ContactRecommendations(can_read=False)
    rows = list(
        ProductRecommendation.objects.filter(
            contact=contact,
            contact__in=contacts_visible_to(user).values("pk"),
            product__is_active=True,
        )
        .select_related("product", "run")
        .order_by("rank")
    )
    if rows:
        return ContactRecommendations(
            can_read=True,
            products=[
                NextProduct(row.product, position, row.score, row.is_popular)
                for position, row in enumerate(rows, start=1)
            ],
            run=rows[0].run,
        )
    run = latest_run()
    popular = popular_products(run) if run else []
    return ContactRecommendations(
        can_read=True,
        products=[
            NextProduct(product, position, 0.0, True)
            for position, product in enumerate(popular, start=1)
        ],
        run=run,
        is_popular_only=True,
    )
