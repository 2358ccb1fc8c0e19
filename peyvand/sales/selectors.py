"""Reads of leads, deals and pipelines, always scoped to what the user may see."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, QuerySet, Sum
from django.db.models.functions import Coalesce

from peyvand.accounts.models import ObjectType
from peyvand.accounts.visibility import scope_by_owner
from peyvand.contacts.selectors import apply_search, normalize_city

from .models import OPEN_LEAD_STATUSES, Deal, DealStageChange, DealStatus, Lead, Pipeline, Stage

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from peyvand.accounts.models import User

DEAL_SORTS: dict[str, list[str]] = {
    "newest": ["-id"],
    "oldest": ["id"],
    "close": ["expected_close_date", "id"],
    "amount": ["-amount", "-id"],
}
LEAD_SORTS: dict[str, list[str]] = {
    "newest": ["-id"],
    "oldest": ["id"],
    "score": ["-score", "-id"],
}


def deals_visible_to(user: User | AnonymousUser | None) -> QuerySet[Deal]:
    """Every deal ``user`` may see: by owner and visibility level, plus the deals of key
    accounts whose account team the user is in."""
    return scope_by_owner(
        Deal.objects.all(), user, ObjectType.DEAL, account_team_field="company__account_team"
    )


def leads_visible_to(user: User | AnonymousUser | None) -> QuerySet[Lead]:
    """Every lead ``user`` may see; unassigned leads are visible to managers (to hand out)."""
    return scope_by_owner(Lead.objects.all(), user, ObjectType.LEAD)


def pipelines_active() -> QuerySet[Pipeline]:
    return Pipeline.objects.filter(is_active=True).order_by("position", "id")


def pipeline_default() -> Pipeline | None:
    """The pipeline new deals go to when none is chosen."""
    pipelines = pipelines_active()
    return pipelines.filter(is_default=True).first() or pipelines.first()


def deals_filtered(user: User | AnonymousUser | None, filters: Mapping[str, str]) -> QuerySet[Deal]:
    """Visible deals narrowed by the list and board filters (unknown values match nothing)."""
    deals = deals_visible_to(user)
    if filters.get("q"):
        deals = apply_search(deals, filters["q"])
    if filters.get("pipeline"):
        deals = deals.filter(pipeline_id=_int(filters["pipeline"]))
    if filters.get("stage"):
        deals = deals.filter(stage_id=_int(filters["stage"]))
    if filters.get("status"):
        deals = deals.filter(status=filters["status"])
    owner = filters.get("owner")
    if owner == "none":
        deals = deals.filter(owner__isnull=True)
    elif owner:
        deals = deals.filter(owner_id=_int(owner))
    if filters.get("company"):
        deals = deals.filter(company_id=_int(filters["company"]))
    if filters.get("contact"):
        deals = deals.filter(contact_id=_int(filters["contact"]))
    if filters.get("close_from"):
        deals = deals.filter(expected_close_date__gte=filters["close_from"])
    if filters.get("close_to"):
        deals = deals.filter(expected_close_date__lte=filters["close_to"])
    if filters.get("sort") == "close":
        # Sorting by close date lists the deals that have one (keyset paging needs a value).
        deals = deals.filter(expected_close_date__isnull=False)
    return deals


def leads_filtered(user: User | AnonymousUser | None, filters: Mapping[str, str]) -> QuerySet[Lead]:
    leads = leads_visible_to(user)
    if filters.get("q"):
        leads = apply_search(leads, filters["q"])
    status = filters.get("status")
    if status == "open":
        leads = leads.filter(status__in=OPEN_LEAD_STATUSES)
    elif status and status != "all":
        leads = leads.filter(status=status)
    owner = filters.get("owner")
    if owner == "none":
        leads = leads.filter(owner__isnull=True)
    elif owner:
        leads = leads.filter(owner_id=_int(owner))
    if filters.get("source"):
        leads = leads.filter(source=filters["source"])
    if filters.get("form"):
        leads = leads.filter(web_form_id=_int(filters["form"]))
    if filters.get("city"):
        leads = leads.filter(city=normalize_city(filters["city"]))
    return leads


def _int(value: str) -> int:
    """A filter id; junk becomes 0, which matches no row."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@dataclass
class BoardColumn:
    """One stage on the board: its first cards, how many deals it holds and their totals."""

    stage: Stage
    deals: list[Deal]
    count: int
    total: int
    weighted: int


def board_columns(
    pipeline: Pipeline, deals: QuerySet[Deal], *, per_column: int = 50
) -> list[BoardColumn]:
    """The board of ``pipeline``: per stage its first cards, the count and the totals.

    Closed stages show only deals closed in them; every column counts all its deals, while
    showing at most ``per_column`` cards (the list view pages through the rest). An open
    column's weighted total is the sum of its deals' weighted amounts."""
    in_pipeline = deals.filter(pipeline=pipeline)
    # Each deal weighted by its own probability (else its stage's), rounded half up to a
    # Rial as Deal.weighted_amount does: (2·amount·p + 100) div 200 on integers.
    probability = Coalesce("probability", "stage__probability")
    weighted = ExpressionWrapper(
        (F("amount") * probability * 2 + 100) / 200, output_field=BigIntegerField()
    )
    totals = {
        row["stage_id"]: row
        for row in in_pipeline.values("stage_id").annotate(
            count=Count("id"), total=Sum("amount"), weighted=Sum(weighted)
        )
    }
    columns: list[BoardColumn] = []
    for stage in Stage.objects.filter(pipeline=pipeline).order_by("position", "id"):
        cards = list(
            in_pipeline.filter(stage=stage)
            .select_related("owner", "contact", "company", "stage")
            .order_by("board_position", "-id")[:per_column]
        )
        figures = totals.get(stage.pk, {})
        total = int(figures.get("total") or 0)
        columns.append(
            BoardColumn(
                stage=stage,
                deals=cards,
                count=int(figures.get("count") or 0),
                total=total,
                weighted=int(figures.get("weighted") or 0),
            )
        )
    return columns


def open_deal_counts(user_ids: list[int]) -> dict[int, int]:
    """Open deals per owner (the load that assignment by load balances)."""
    rows = (
        Deal.objects.filter(owner_id__in=user_ids, status=DealStatus.OPEN)
        .values("owner_id")
        .annotate(count=Count("id"))
    )
    counts = dict.fromkeys(user_ids, 0)
    for row in rows:
        counts[row["owner_id"]] = row["count"]
    return counts


def deal_for_display(user: User | AnonymousUser | None, deal_id: int) -> Deal:
    """A visible deal with what its page shows; ``Deal.DoesNotExist`` otherwise."""
    return (
        deals_visible_to(user)
        .select_related("pipeline", "stage", "owner", "contact", "company", "created_by")
        .prefetch_related("other_contacts")
        .get(pk=deal_id)
    )


def stage_history(deal: Deal) -> QuerySet[DealStageChange]:
    """Each stay of the deal in a stage, oldest first."""
    return deal.stage_changes.select_related("changed_by").order_by("entered_at", "id")
