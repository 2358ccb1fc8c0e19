"""The insights dashboard's churn-risk list (the hook ``intelligence.dashboard`` looks for):
the customers most likely to churn among those the user may see, narrowed by the dashboard's
team and source filters, with their lifetime value when it was predicted (for those who may
read orders) and their reasons in words."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from peyvand.accounts.models import User
from peyvand.accounts.permissions import has_permission
from peyvand.intelligence.kpis.common import KpiFilters
from peyvand.intelligence.models import ChurnRun, CustomerChurn

from .phrases import reasons_text

LIST_SIZE = 20


def churn_risk_list(user: User, filters: KpiFilters) -> list[dict[str, Any]] | None:
    """``[{"name", "url", "probability" (0–1), "percent", "clv" (Rials or None), "reasons"
    [text…]}…]`` most at risk first, or ``None`` before the first run that scored anyone
    (two queries at most)."""
    from peyvand.intelligence.dashboard import KpiData, display_value
    from peyvand.intelligence.selectors import rows_of

    contacts = KpiData(user, filters).contacts
    rows = list(
        rows_of(CustomerChurn.objects.all(), contacts)
        .select_related("contact", "contact__lifetime_value")
        .order_by("-probability", "contact_id")[:LIST_SIZE]
    )
    if not rows and not ChurnRun.objects.filter(customers__gt=0).exists():
        return None
    # Lifetime value tells what the customer spent: it follows the orders permission.
    shows_value = has_permission(user, "read", "orders")
    listed = []
    for row in rows:
        value = getattr(row.contact, "lifetime_value", None) if shows_value else None
        listed.append(
            {
                "name": row.contact.full_name,
                "url": reverse("contacts:detail", args=[row.contact_id]),
                "probability": row.probability,
                "percent": display_value(100 * row.probability, "percent"),
                "clv": value.clv if value is not None else None,
                "clv_text": display_value(value.clv, "money")
                if value is not None and value.clv is not None
                else "",
                "reasons": reasons_text(row.reasons),
            }
        )
    return listed
