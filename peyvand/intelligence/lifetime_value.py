"""Every customer's lifetime value, P(alive) and expected purchases, kept in the database.

``clv_compute`` reads each customer's purchase history as the CLV models need it, fits
BG/NBD and Gamma-Gamma on all customers (``peyvand.intelligence.clv``) and stores one
``CustomerValue`` per customer, replacing the previous run's in one transaction.

The per-customer summary is built by the database, so orders never pass through Python:
purchases (``Order.objects.purchases()``, net of refunds) are grouped by customer and
*local* calendar day (Tehran time: "the same day" is a local notion, and several orders on
one day count as one purchase, as in the models' papers), numbered by day, and reduced to
one row per customer: purchase days, first and last day, total and first-day spend. The
purchase-month rollup (:mod:`peyvand.intelligence.purchase_months`) keeps that reduction per
month, so a run as of now adds up its rows instead of every order. From
those, in NumPy: frequency x = days − 1, recency t_x = last − first, age T = as-of day −
first (in weeks), and the mean repeat spend (total − first day) / x.
"""

from __future__ import annotations

import datetime
import logging
import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Max, Min, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from peyvand.commerce.models import Order
from peyvand.common.bulk import insert_rows

from .clv import CustomerSummary, fit_models, score
from .models import ClvRun, CustomerValue, PurchaseMonth

logger = logging.getLogger(__name__)

TIME_UNIT_DAYS = 7.0
HORIZONS_DAYS = (30, 90, 365)
# Below these the fit says little; the run records why it did not score.
MIN_CUSTOMERS = 20
MIN_REPEAT_CUSTOMERS = 5
WRITE_CHUNK = 20_000
# The four BG/NBD and three Gamma-Gamma parameters describe the population; a random sample
# of this many customers pins them to well under 1 % (their standard errors shrink as
# 1/sqrt(n)), so a million-customer shop fits in the time of a 200k one. Everyone is scored.
FIT_SAMPLE = 200_000


@dataclass(frozen=True)
class SummaryRows:
    """The database's per-customer reduction, one array per column, sorted by contact."""

    contact_ids: np.ndarray[Any, Any]
    purchase_days: np.ndarray[Any, Any]
    first_day: np.ndarray[Any, Any]
    last_day: np.ndarray[Any, Any]
    total_spend: np.ndarray[Any, Any]
    first_day_spend: np.ndarray[Any, Any]


def purchase_summary_rows(as_of: datetime.datetime) -> SummaryRows:
    """Reduce every purchase placed up to ``as_of`` to one row per customer (see the module
    docstring), in one query: over the purchase-month rollup, which already holds each
    month's purchase days and the spend of its first day, when nothing was bought after
    ``as_of`` (a run as of now); over the orders otherwise."""
    if Order.objects.purchases().filter(placed_at__gt=as_of).exists():
        return _summary_from_orders(as_of)
    return _summary_from_rollup()


def _summary_from_rollup() -> SummaryRows:
    zone = ZoneInfo(settings.TIME_ZONE)
    rows = (
        PurchaseMonth.objects.values("contact_id")
        .annotate(
            days=Sum("days"),
            first=TruncDate(Min("first_at"), tzinfo=zone),
            last=TruncDate(Max("last_at"), tzinfo=zone),
            total=Sum("net_total"),
            first_spend=Sum(
                Case(When(month=F("first_month"), then=F("first_day_net")), default=Value(0))
            ),
        )
        .order_by("contact_id")
        .values_list("contact_id", "days", "first", "last", "total", "first_spend")
    )
    return _summary_arrays(list(rows))


def _summary_from_orders(as_of: datetime.datetime) -> SummaryRows:
    days = (
        Order.objects.purchases()
        .filter(placed_at__lte=as_of)
        .annotate(day=TruncDate("placed_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        .values("contact_id", "day")
        .annotate(amount=Sum("net_total"))
        .order_by()
    )
    inner, params = days.query.sql_with_params()
    sql = f"""
        SELECT contact_id, COUNT(*), MIN(day), MAX(day), SUM(amount),
               SUM(CASE WHEN day_number = 1 THEN amount ELSE 0 END)
        FROM (
            SELECT contact_id, day, amount,
                   ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY day) AS day_number
            FROM ({inner}) AS purchase_days
        ) AS numbered
        GROUP BY contact_id
        ORDER BY contact_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _summary_arrays(cursor.fetchall())


def _summary_arrays(rows: list[tuple[Any, ...]]) -> SummaryRows:
    if not rows:
        empty_int = np.zeros(0, dtype=np.int64)
        empty_day = np.zeros(0, dtype="datetime64[D]")
        return SummaryRows(empty_int, empty_int, empty_day, empty_day, empty_int, empty_int)
    contact_ids, purchase_days, first, last, total, first_spend = zip(*rows, strict=True)
    return SummaryRows(
        contact_ids=np.asarray(contact_ids, dtype=np.int64),
        purchase_days=np.asarray(purchase_days, dtype=np.int64),
        # Dates on PostgreSQL, ISO text on SQLite: NumPy reads both.
        first_day=np.asarray([str(day) for day in first], dtype="datetime64[D]"),
        last_day=np.asarray([str(day) for day in last], dtype="datetime64[D]"),
        total_spend=np.asarray(total, dtype=np.float64),
        first_day_spend=np.asarray(first_spend, dtype=np.float64),
    )


def customer_summary(rows: SummaryRows, as_of_day: datetime.date) -> CustomerSummary:
    """The models' inputs (in weeks) from the database's per-customer rows."""
    end = np.datetime64(as_of_day, "D")
    frequency = (rows.purchase_days - 1).astype(np.float64)
    recency = (rows.last_day - rows.first_day).astype(np.float64) / TIME_UNIT_DAYS
    age = (end - rows.first_day).astype(np.float64) / TIME_UNIT_DAYS
    repeat_spend = rows.total_spend - rows.first_day_spend
    monetary = np.divide(repeat_spend, frequency, out=np.zeros(len(frequency)), where=frequency > 0)
    return CustomerSummary(
        customer_ids=rows.contact_ids,
        frequency=frequency,
        recency=recency,
        age=age,
        monetary_value=monetary,
        time_unit_days=TIME_UNIT_DAYS,
    )


def clv_compute(
    *,
    as_of: datetime.datetime | None = None,
    horizon_days: int | None = None,
    annual_discount_rate: float | None = None,
) -> ClvRun:
    """Fit the models on every customer's purchases up to ``as_of`` (default now), score
    them all and replace the stored values; returns the run (with ``message`` set and the
    old values kept when there is too little history to fit)."""
    as_of = as_of or timezone.now()
    horizon_days = horizon_days or settings.PEYVAND_CLV_HORIZON_DAYS
    rate = (
        settings.PEYVAND_CLV_ANNUAL_DISCOUNT_RATE
        if annual_discount_rate is None
        else annual_discount_rate
    )
    began = time.perf_counter()
    run = ClvRun(as_of=as_of, horizon_days=horizon_days, annual_discount_rate=rate)
    summary = customer_summary(purchase_summary_rows(as_of), timezone.localdate(as_of))
    run.customers = len(summary)
    run.repeat_customers = int(np.count_nonzero(summary.frequency > 0))
    if run.customers < MIN_CUSTOMERS or run.repeat_customers < MIN_REPEAT_CUSTOMERS:
        run.message = (
            f"Too little history to fit: {run.customers} customers, "
            f"{run.repeat_customers} with a repeat purchase (at least {MIN_CUSTOMERS} and "
            f"{MIN_REPEAT_CUSTOMERS} are needed)."
        )
        return _finish(run, began)
    try:
        models = fit_models(fitting_sample(summary, FIT_SAMPLE))
    except (ValueError, ArithmeticError) as error:
        logger.warning("CLV fit failed: %s", error)
        run.message = f"The models could not be fitted: {error}"[:300]
        return _finish(run, began)
    scores = score(
        summary,
        models,
        horizons_days=HORIZONS_DAYS,
        clv_horizon_days=horizon_days,
        annual_discount_rate=rate,
    )
    bgnbd, spend_model = models.bgnbd, models.gamma_gamma
    run.parameters = {
        "bgnbd": {
            "r": bgnbd.r,
            "alpha": bgnbd.alpha,
            "a": bgnbd.a,
            "b": bgnbd.b,
            "log_likelihood": bgnbd.log_likelihood,
        },
        "gamma_gamma": (
            {"p": spend_model.p, "q": spend_model.q, "gamma": spend_model.gamma}
            if spend_model
            else None
        ),
        "time_unit_days": TIME_UNIT_DAYS,
        "fitted_customers": min(len(summary), FIT_SAMPLE),
    }
    with transaction.atomic():
        # One run at a time: a second one waits here, then replaces the first's values.
        list(ClvRun.objects.select_for_update().order_by("-id")[:1])
        _finish(run, began)
        CustomerValue.objects.all().delete()
        for start in range(0, len(summary), WRITE_CHUNK):
            insert_rows(
                CustomerValue,
                _value_rows(run.pk, summary, scores, slice(start, start + WRITE_CHUNK)),
                need_ids=False,
            )
        run.seconds = round(time.perf_counter() - began, 3)
        run.save(update_fields=["seconds"])
    return run


def fitting_sample(summary: CustomerSummary, size: int, seed: int = 0) -> CustomerSummary:
    """``summary`` itself when it has at most ``size`` customers, else a seeded random
    sample of ``size`` of them (the same customers on every run with the same data)."""
    if len(summary) <= size:
        return summary
    chosen = np.sort(np.random.default_rng(seed).choice(len(summary), size=size, replace=False))
    return CustomerSummary(
        customer_ids=summary.customer_ids[chosen],
        frequency=summary.frequency[chosen],
        recency=summary.recency[chosen],
        age=summary.age[chosen],
        monetary_value=summary.monetary_value[chosen],
        time_unit_days=summary.time_unit_days,
    )


def _finish(run: ClvRun, began: float) -> ClvRun:
    run.seconds = round(time.perf_counter() - began, 3)
    run.save()
    return run


def _money(values: np.ndarray[Any, Any]) -> list[int | None]:
    return [None if np.isnan(value) else round(float(value)) for value in values]


def _value_rows(
    run_id: int, summary: CustomerSummary, scores: Any, part: slice
) -> list[dict[str, Any]]:
    expected = scores.expected_purchases[part]
    columns = zip(
        summary.customer_ids[part].tolist(),
        summary.frequency[part].astype(np.int64).tolist(),
        expected[:, 0].tolist(),
        expected[:, 1].tolist(),
        expected[:, 2].tolist(),
        scores.probability_alive[part].tolist(),
        _money(scores.expected_spend[part]),
        _money(scores.clv[part]),
        _money(scores.clv_low[part]),
        _money(scores.clv_high[part]),
        strict=True,
    )
    return [
        {
            "contact_id": contact_id,
            "run_id": run_id,
            "repeat_purchases": repeats,
            "expected_purchases_30": round(in_30, 4),
            "expected_purchases_90": round(in_90, 4),
            "expected_purchases_365": round(in_365, 4),
            "probability_alive": round(alive, 4),
            "expected_spend": spend,
            "clv": clv,
            "clv_low": low,
            "clv_high": high,
        }
        for contact_id, repeats, in_30, in_90, in_365, alive, spend, clv, low, high in columns
    ]


def clv_compute_job() -> None:
    """The daily periodic job: refit and rescore as of now."""
    run = clv_compute()
    if run.message:
        logger.info("CLV run %s: %s", run.pk, run.message)
