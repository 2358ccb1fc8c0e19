"""The insights dashboard's lifetime-value figures (the hooks ``intelligence.dashboard``
looks for): the average CLV tile and the CLV distribution chart, over the stored values of
the customers the user may see, narrowed by the dashboard's team and source filters.

The distribution's buckets are "nice" round amounts (1, 2 and 5 times a power of ten, in
Rials) spaced so that about ``BUCKETS`` of them cover the values, since CLV is heavy-tailed:
a few customers are worth a hundred times the median.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.intelligence.kpis.common import KpiFilters
from peyvand.intelligence.models import CustomerValue

BUCKETS = 8
_STEPS = (1, 2, 5)


def values_for(user: User, filters: KpiFilters) -> QuerySet[CustomerValue]:
    """The stored values of the contacts on the user's dashboard."""
    from peyvand.intelligence.dashboard import KpiData
    from peyvand.intelligence.selectors import rows_of

    contacts = KpiData(user, filters).contacts
    return rows_of(CustomerValue.objects.filter(clv__isnull=False), contacts)


def clv_average(user: User, filters: KpiFilters) -> int | None:
    """The mean predicted CLV (Rials), or ``None`` before the first run."""
    average = values_for(user, filters).aggregate(average=Avg("clv"))["average"]
    return None if average is None else round(average)


def nice_edges(largest: int, buckets: int = BUCKETS) -> list[int]:
    """Bucket edges from 0: round steps (1, 2, 5 × 10^k) so that about ``buckets`` of them
    reach past ``largest``."""
    if largest <= 0:
        return [0, 1]
    raw = largest / buckets
    power = 10 ** math.floor(math.log10(raw))
    step = next((factor * power for factor in _STEPS if factor * power >= raw), 10 * power)
    count = math.floor(largest / step) + 1
    return [step * index for index in range(count + 1)]


def clv_distribution(user: User, filters: KpiFilters) -> dict[str, Any] | None:
    """``{"labels": [...], "values": [customers per bucket]}`` or ``None`` before the first
    run; labels are the buckets' lower edges as money in the display unit."""
    from peyvand.intelligence.dashboard import display_value

    values = values_for(user, filters)
    # A handful of very valuable customers would stretch every bucket: the buckets reach
    # the 99th percentile and the last one is open-ended (three queries in all).
    skip = values.count() // 100
    cap = next(iter(values.order_by("-clv").values_list("clv", flat=True)[skip : skip + 1]), None)
    if cap is None:
        return None
    edges = nice_edges(max(int(cap), 1))
    counts = values.aggregate(
        **{
            f"b{index}": Count(
                "pk",
                filter=Q(clv__gte=low) & (Q(clv__lt=high) if index < len(edges) - 2 else Q()),
            )
            for index, (low, high) in enumerate(itertools.pairwise(edges))
        }
    )
    labels = [
        _("%(amount)s and more") % {"amount": display_value(low, "money")}
        if index == len(edges) - 2
        else display_value(low, "money")
        for index, low in enumerate(edges[:-1])
    ]
    return {"labels": labels, "values": [counts[f"b{index}"] for index in range(len(labels))]}
