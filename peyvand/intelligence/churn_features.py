"""The churn model's view of every customer as of a date, and who churned after it.

A *customer as of T* has at least one purchase (``Order.objects.purchases()``) placed up to
T. Their features, each one grouped query in the database (``GROUP BY contact``, so a
million customers come back as a million rows and no order passes through Python), aligned
by contact id in NumPy:

* purchases: days since the last one, tenure (days since the first), the average gap
  between purchases, purchases and net spend in the last 30, 90 and 365 days and in all,
  and the spend trend: the last 90 days' spend against the 90 before, in percent;
* RFM scores (1–5) over ``PEYVAND_RFM_WINDOW_DAYS`` as of T, quintiles as in ``rfm.py``;
* refunds and cancelled or refunded orders in the last 365 days;
* the customer's own events in the last 90 days (our messages and journey steps are not
  theirs), open tickets at T and tickets opened in the last 90 days;
* the last survey answer up to T on a 0–100 scale (CSAT 1–5 → 0–100, NPS 0–10 → 0–100).

Unknown values (no gap with one purchase, no spend before the last quarter, no survey, no
purchase in the RFM window) are ``NaN``: the trees give missing values their own branch.

The label of a customer as of T is 1 (churned) when they make no purchase in (T, T + H].
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count, F, Max, Min, Q, Sum, Window
from django.db.models.functions import RowNumber
from numpy.typing import NDArray

from peyvand.commerce.models import Order, OrderStatus, Refund
from peyvand.feedback.models import Survey, SurveyKind
from peyvand.service.models import Ticket, TicketStatus
from peyvand.timeline.models import Event

from .churn import FeatureTable

DAY_SECONDS = 86_400.0
WINDOWS_DAYS = (30, 90, 365)
RECENT_DAYS = 90
# Our own sends and journey bookkeeping are not the customer doing something (as for the
# journeys' inactivity trigger).
NOT_CUSTOMER_ACTIVITY = ("message.", "journey.")
SOLVED_TICKET_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
FEATURES = (
    "days_since_last_purchase",
    "tenure_days",
    "average_gap_days",
    *(f"purchases_{days}" for days in WINDOWS_DAYS),
    *(f"spend_{days}" for days in WINDOWS_DAYS),
    "purchases_total",
    "spend_total",
    "spend_trend_percent",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "refunds_365",
    "cancellations_365",
    "events_90",
    "open_tickets",
    "tickets_90",
    "last_survey_score",
)


def _days(value: int) -> datetime.timedelta:
    return datetime.timedelta(days=value)


def _aligned(
    contact_ids: NDArray[np.int64], rows: Iterable[Sequence[Any]], width: int
) -> NDArray[np.float64]:
    """``rows`` of (contact id, value…) as a (customers × width) array in the order of
    ``contact_ids`` (sorted); customers without a row get 0, rows of others are dropped."""
    found = np.zeros((len(contact_ids), width))
    listed = list(rows)
    if not listed or not len(contact_ids):
        return found
    ids = np.fromiter((row[0] for row in listed), dtype=np.int64, count=len(listed))
    values = np.array(
        [[np.nan if value is None else float(value) for value in row[1:]] for row in listed],
        dtype=np.float64,
    ).reshape(len(listed), width)
    positions = np.searchsorted(contact_ids, ids).clip(max=len(contact_ids) - 1)
    matched = contact_ids[positions] == ids
    found[positions[matched]] = values[matched]
    return found


def quintile_scores(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """1–5 from each value's rank (ties share the lowest rank), as ``rfm.py`` scores:
    ``1 + ⌊5 · (rank − 1) / (n − 1)⌋`` capped at 5; 1 for a lone customer."""
    count = len(values)
    if count < 2:
        return np.ones(count)
    rank = np.searchsorted(np.sort(values), values, side="left") + 1
    return np.minimum(5, 1 + (5 * (rank - 1)) // (count - 1)).astype(np.float64)


def _purchase_columns(as_of: datetime.datetime) -> tuple[NDArray[np.int64], dict[str, Any]]:
    window = settings.PEYVAND_RFM_WINDOW_DAYS
    recent = {
        f"{kind}_{days}": (Count if kind == "purchases" else Sum)(
            "id" if kind == "purchases" else "net_total",
            filter=Q(placed_at__gt=as_of - _days(days)),
        )
        for days in WINDOWS_DAYS
        for kind in ("purchases", "spend")
    }
    rows = list(
        Order.objects.purchases()
        .filter(placed_at__lte=as_of)
        .order_by()
        .values("contact_id")
        .annotate(
            purchases_total=Count("id"),
            spend_total=Sum("net_total"),
            first_at=Min("placed_at"),
            last_at=Max("placed_at"),
            spend_previous_90=Sum(
                "net_total",
                filter=Q(placed_at__gt=as_of - _days(2 * RECENT_DAYS))
                & Q(placed_at__lte=as_of - _days(RECENT_DAYS)),
            ),
            purchases_window=Count("id", filter=Q(placed_at__gt=as_of - _days(window))),
            spend_window=Sum("net_total", filter=Q(placed_at__gt=as_of - _days(window))),
            **recent,
        )
        .order_by("contact_id")
        .values_list(
            "contact_id",
            "purchases_total",
            "spend_total",
            "first_at",
            "last_at",
            "spend_previous_90",
            "purchases_window",
            "spend_window",
            *recent,
        )
    )
    if not rows:
        return np.zeros(0, dtype=np.int64), {}
    columns = list(zip(*rows, strict=True))
    names = ["contact_id", "purchases_total", "spend_total", "first_at", "last_at"]
    names += ["spend_previous_90", "purchases_window", "spend_window", *recent]
    raw = dict(zip(names, columns, strict=True))
    end = as_of.timestamp()
    numbers = {
        name: np.array([0.0 if value is None else float(value) for value in raw[name]])
        for name in names
        if name not in ("contact_id", "first_at", "last_at")
    }
    numbers["since_first"] = np.array([(end - moment.timestamp()) for moment in raw["first_at"]])
    numbers["since_last"] = np.array([(end - moment.timestamp()) for moment in raw["last_at"]])
    return np.asarray(raw["contact_id"], dtype=np.int64), numbers


def churn_features(as_of: datetime.datetime) -> tuple[NDArray[np.int64], FeatureTable]:
    """(contact ids sorted, their features as of ``as_of``) for every customer as of then."""
    contact_ids, purchases = _purchase_columns(as_of)
    if not len(contact_ids):
        return contact_ids, FeatureTable(
            numeric={name: np.zeros(0) for name in FEATURES}, categorical={}
        )
    since_last = purchases["since_last"] / DAY_SECONDS
    tenure = purchases["since_first"] / DAY_SECONDS
    count = purchases["purchases_total"]
    columns: dict[str, NDArray[np.float64]] = {
        "days_since_last_purchase": np.floor(since_last),
        "tenure_days": np.floor(tenure),
        "average_gap_days": np.where(
            count > 1, (tenure - since_last) / np.maximum(count - 1, 1), np.nan
        ),
    }
    for days in WINDOWS_DAYS:
        columns[f"purchases_{days}"] = purchases[f"purchases_{days}"]
    for days in WINDOWS_DAYS:
        columns[f"spend_{days}"] = purchases[f"spend_{days}"]
    columns["purchases_total"] = count
    columns["spend_total"] = purchases["spend_total"]
    previous = purchases["spend_previous_90"]
    columns["spend_trend_percent"] = np.where(
        previous > 0,
        100 * (purchases["spend_90"] - previous) / np.where(previous > 0, previous, 1),
        np.nan,
    )
    columns.update(_rfm_scores(purchases, since_last))
    columns.update(_service_columns(contact_ids, as_of))
    return contact_ids, FeatureTable(numeric=columns, categorical={})


def _rfm_scores(
    purchases: dict[str, NDArray[np.float64]], since_last: NDArray[np.float64]
) -> dict[str, NDArray[np.float64]]:
    scored = purchases["purchases_window"] > 0
    scores = {
        name: np.full(len(scored), np.nan)
        for name in ("recency_score", "frequency_score", "monetary_score")
    }
    scores["recency_score"][scored] = quintile_scores(-since_last[scored])
    scores["frequency_score"][scored] = quintile_scores(purchases["purchases_window"][scored])
    scores["monetary_score"][scored] = quintile_scores(purchases["spend_window"][scored])
    return scores


def _service_columns(
    contact_ids: NDArray[np.int64], as_of: datetime.datetime
) -> dict[str, NDArray[np.float64]]:
    year_ago, recent = as_of - _days(365), as_of - _days(RECENT_DAYS)
    refunds = _aligned(
        contact_ids,
        Refund.objects.filter(refunded_at__gt=year_ago, refunded_at__lte=as_of)
        .order_by()
        .values("order__contact_id")
        .annotate(count=Count("id"))
        .values_list("order__contact_id", "count"),
        1,
    )
    cancellations = _aligned(
        contact_ids,
        Order.objects.filter(
            status__in=(OrderStatus.CANCELLED, OrderStatus.REFUNDED),
            placed_at__gt=year_ago,
            placed_at__lte=as_of,
        )
        .order_by()
        .values("contact_id")
        .annotate(count=Count("id"))
        .values_list("contact_id", "count"),
        1,
    )
    own_events = Event.objects.filter(
        contact__isnull=False, occurred_at__gt=recent, occurred_at__lte=as_of
    )
    for prefix in NOT_CUSTOMER_ACTIVITY:
        own_events = own_events.exclude(verb__startswith=prefix)
    events = _aligned(
        contact_ids,
        own_events.order_by()
        .values("contact_id")
        .annotate(count=Count("id"))
        .values_list("contact_id", "count"),
        1,
    )
    is_open_then = Q(resolved_at__gt=as_of) | (
        Q(resolved_at__isnull=True) & ~Q(status__in=SOLVED_TICKET_STATUSES)
    )
    tickets = _aligned(
        contact_ids,
        Ticket.objects.filter(contact__isnull=False, created_at__lte=as_of)
        .order_by()
        .values("contact_id")
        .annotate(
            open=Count("id", filter=is_open_then),
            recent=Count("id", filter=Q(created_at__gt=recent)),
        )
        .values_list("contact_id", "open", "recent"),
        2,
    )
    return {
        "refunds_365": refunds[:, 0],
        "cancellations_365": cancellations[:, 0],
        "events_90": events[:, 0],
        "open_tickets": tickets[:, 0],
        "tickets_90": tickets[:, 1],
        "last_survey_score": _last_survey_scores(contact_ids, as_of),
    }


def _last_survey_scores(
    contact_ids: NDArray[np.int64], as_of: datetime.datetime
) -> NDArray[np.float64]:
    """Each customer's latest answered survey up to ``as_of`` on 0–100 (``NaN``: none)."""
    latest = (
        Survey.objects.filter(contact__isnull=False, score__isnull=False, answered_at__lte=as_of)
        .annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("contact_id")],
                order_by=[F("answered_at").desc(), F("id").desc()],
            )
        )
        .filter(newest=1)
        .values_list("contact_id", "kind", "score")
    )
    rows = [
        (contact_id, (score - 1) * 25 if kind == SurveyKind.CSAT else score * 10)
        for contact_id, kind, score in latest
        if score is not None
    ]
    scores = np.full(len(contact_ids), np.nan)
    if rows:
        aligned = _aligned(contact_ids, rows, 1)[:, 0]
        answered = np.isin(contact_ids, [contact_id for contact_id, _score in rows])
        scores[answered] = aligned[answered]
    return scores


def churned_after(
    contact_ids: NDArray[np.int64], as_of: datetime.datetime, horizon_days: int
) -> NDArray[np.int64]:
    """1 for each customer with no purchase in (as_of, as_of + horizon], else 0."""
    bought = (
        Order.objects.purchases()
        .filter(placed_at__gt=as_of, placed_at__lte=as_of + _days(horizon_days))
        .order_by()
        .values_list("contact_id", flat=True)
        .distinct()
    )
    returned = np.fromiter(bought, dtype=np.int64)
    return (~np.isin(contact_ids, returned)).astype(np.int64)
