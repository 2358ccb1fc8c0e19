"""Every customer's next best products, kept in the database.

``recommendations_compute`` asks the database for one row per (customer, product) they
bought, with the time of the latest purchase (purchases only: ``PURCHASE_STATUSES``, so
cancelled, pending and fully refunded orders say nothing; lines without a catalogue product
are left out), fits item-to-item co-purchase similarity on them
(``peyvand.intelligence.recommendations.similarity``), recommends the top
``RECOMMENDATIONS_PER_CUSTOMER`` active products to every customer and replaces the stored
``ProductRecommendation`` rows in one transaction. Products the customer already bought are
not recommended (see the similarity module on why).

Contacts who never bought anything have no rows; they get the run's popular products
(``RecommendationRun.popular_product_ids``) wherever recommendations are shown or used.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Iterable
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from peyvand.commerce.models import PURCHASE_STATUSES, Order, OrderLine
from peyvand.common.bulk import insert_rows
from peyvand.sales.models import Product

from .models import ProductRecommendation, RecommendationRun
from .recommendations.evaluation import PurchaseLines, SplitEvaluation, evaluate_time_split
from .recommendations.similarity import (
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_NEIGHBOURS,
    DEFAULT_SHRINKAGE,
    PurchaseHistory,
    Recommendations,
    fit_item_similarity,
    recommend,
)

logger = logging.getLogger(__name__)

RECOMMENDATIONS_PER_CUSTOMER = 10
WRITE_CHUNK = 50_000
SECONDS_PER_DAY = 86_400.0


def _epoch_sql(column: str) -> str:
    """Seconds since 1970 of a stored time (SQLite keeps UTC text, PostgreSQL a timestamp)."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})"
    return f"CAST(strftime('%%s', {column}) AS REAL)"


def purchase_history(as_of: datetime.datetime) -> PurchaseHistory:
    """One entry per (customer, catalogue product) they bought up to ``as_of``, with the
    age in days of the latest purchase, in one query (no order passes through Python)."""
    quote = connection.ops.quote_name
    statuses = ", ".join("%s" for _status in PURCHASE_STATUSES)
    sql = f"""
        SELECT o.contact_id, l.product_id, {_epoch_sql("MAX(o.placed_at)")}
        FROM {quote(OrderLine._meta.db_table)} AS l
        JOIN {quote(Order._meta.db_table)} AS o ON o.id = l.order_id
        WHERE l.product_id IS NOT NULL AND o.status IN ({statuses}) AND o.placed_at <= %s
        GROUP BY o.contact_id, l.product_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*PURCHASE_STATUSES, connection.ops.adapt_datetimefield_value(as_of)])
        rows = cursor.fetchall()
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return PurchaseHistory(empty, empty, np.zeros(0))
    table = np.array(rows, dtype=np.float64)
    ages = (as_of.timestamp() - table[:, 2]) / SECONDS_PER_DAY
    return PurchaseHistory.from_lines(
        table[:, 0].astype(np.int64), table[:, 1].astype(np.int64), ages
    )


def purchase_lines(until: datetime.datetime) -> PurchaseLines:
    """Every purchase line of a catalogue product placed up to ``until``: customer, product
    and the time in days since 1970 (for evaluating on a time split), in one query."""
    quote = connection.ops.quote_name
    statuses = ", ".join("%s" for _status in PURCHASE_STATUSES)
    sql = f"""
        SELECT o.contact_id, l.product_id, {_epoch_sql("o.placed_at")}
        FROM {quote(OrderLine._meta.db_table)} AS l
        JOIN {quote(Order._meta.db_table)} AS o ON o.id = l.order_id
        WHERE l.product_id IS NOT NULL AND o.status IN ({statuses}) AND o.placed_at <= %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*PURCHASE_STATUSES, connection.ops.adapt_datetimefield_value(until)])
        rows = cursor.fetchall()
    table = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return PurchaseLines(
        customer_ids=table[:, 0].astype(np.int64),
        product_ids=table[:, 1].astype(np.int64),
        days=table[:, 2] / SECONDS_PER_DAY,
    )


def recommendations_evaluate(
    *, test_days: float = 90.0, as_of: datetime.datetime | None = None, k: int = 10
) -> SplitEvaluation:
    """Hit-rate@``k`` of item-to-item and of popularity on this shop's own orders: trained
    on the purchases before ``as_of − test_days``, tested on the ``test_days`` after (see
    ``recommendations.evaluation``). Reads only; stores nothing."""
    as_of = as_of or timezone.now()
    cutoff = as_of - datetime.timedelta(days=test_days)
    return evaluate_time_split(purchase_lines(as_of), cutoff.timestamp() / SECONDS_PER_DAY, k=k)


def recommendations_compute(
    *,
    as_of: datetime.datetime | None = None,
    neighbours: int = DEFAULT_NEIGHBOURS,
    shrinkage: float = DEFAULT_SHRINKAGE,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> RecommendationRun:
    """Fit co-purchase similarity on every purchase up to ``as_of`` (default now), store
    each buyer's top products (replacing the previous run's) and return the run. With no
    purchase of a catalogue product at all the run says so and the old rows stay."""
    as_of = as_of or timezone.now()
    began = time.perf_counter()
    run = RecommendationRun(as_of=as_of)
    history = purchase_history(as_of)
    run.purchase_pairs = len(history)
    if not len(history):
        run.message = "No purchases of catalogue products yet."
        return _finish(run, began)
    model = fit_item_similarity(
        history, neighbours=neighbours, shrinkage=shrinkage, half_life_days=half_life_days
    )
    active = Product.objects.filter(is_active=True).values_list("pk", flat=True)
    result = recommend(
        model, history, k=RECOMMENDATIONS_PER_CUSTOMER, allowed_product_ids=list(active)
    )
    run.customers = len(result.customer_ids)
    run.products = len(model.product_ids)
    run.neighbour_pairs = model.neighbour_pairs
    run.parameters = {
        "neighbours": neighbours,
        "shrinkage": shrinkage,
        "half_life_days": half_life_days,
        "k": RECOMMENDATIONS_PER_CUSTOMER,
        "popular": result.popular_product_ids.tolist(),
    }
    with transaction.atomic():
        # One run at a time: a second one waits here, then replaces the first's rows.
        list(RecommendationRun.objects.select_for_update().order_by("-id")[:1])
        _finish(run, began)
        ProductRecommendation.objects.all().delete()
        for start in range(0, len(result.customer_ids), WRITE_CHUNK):
            _store(run.pk, result, slice(start, start + WRITE_CHUNK))
        run.seconds = round(time.perf_counter() - began, 3)
        run.save(update_fields=["seconds"])
    return run


def _finish(run: RecommendationRun, began: float) -> RecommendationRun:
    run.seconds = round(time.perf_counter() - began, 3)
    run.save()
    return run


def _columns(result: Recommendations, part: slice) -> tuple[list[Any], ...]:
    """(contact ids, product ids, ranks, scores, is_popular) of the stored rows of ``part``."""
    products = result.product_ids[part]
    customers = np.broadcast_to(result.customer_ids[part, np.newaxis], products.shape)
    ranks = np.broadcast_to(np.arange(1, products.shape[1] + 1), products.shape)
    present = products >= 0
    return (
        customers[present].tolist(),
        products[present].tolist(),
        ranks[present].tolist(),
        np.round(result.scores[part][present], 6).tolist(),
        result.is_popular[part][present].tolist(),
    )


def _store(run_id: int, result: Recommendations, part: slice) -> None:
    """Insert the rows of ``part``. On PostgreSQL as one ``COPY`` text block: every value is
    a plain number, so formatting a line per row is a third of the cost of ``insert_rows``'
    row-by-row path (a million rows in a few seconds)."""
    contacts, products, ranks, scores, popular = _columns(result, part)
    if connection.vendor != "postgresql":
        insert_rows(
            ProductRecommendation,
            [
                {
                    "contact_id": contact_id,
                    "run_id": run_id,
                    "product_id": product_id,
                    "rank": rank,
                    "score": score,
                    "is_popular": is_popular,
                }
                for contact_id, product_id, rank, score, is_popular in zip(
                    contacts, products, ranks, scores, popular, strict=True
                )
            ],
            need_ids=False,
        )
        return
    text = "".join(
        f"{contact_id}\t{run_id}\t{product_id}\t{rank}\t{score!r}\t{'t' if is_popular else 'f'}\n"
        for contact_id, product_id, rank, score, is_popular in zip(
            contacts, products, ranks, scores, popular, strict=True
        )
    )
    table = connection.ops.quote_name(ProductRecommendation._meta.db_table)
    columns = "contact_id, run_id, product_id, rank, score, is_popular"
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write(text)


def latest_run() -> RecommendationRun | None:
    return RecommendationRun.objects.order_by("-as_of", "-id").first()


def next_product_names(
    contact_ids: Iterable[int], *, fallback: str | None = None
) -> dict[int, str]:
    """The name of each contact's best next product, for message placeholders, in one query
    however many contacts: their first stored recommendation, else ``fallback`` (by default
    the most popular active product, :func:`popular_product_name`: two more queries, so
    callers working in batches look it up once and pass it)."""
    wanted = list(contact_ids)
    if not wanted:
        return {}
    names: dict[int, str] = dict(
        ProductRecommendation.objects.filter(contact_id__in=wanted, rank=1).values_list(
            "contact_id", "product__name"
        )
    )
    if len(names) < len(wanted):
        default = popular_product_name() if fallback is None else fallback
        for contact_id in wanted:
            names.setdefault(contact_id, default)
    return names


def popular_product_name() -> str:
    """The name of the latest run's most popular active product ("" when there is none)."""
    popular = popular_products(limit=1)
    return popular[0].name if popular else ""


def popular_products(
    run: RecommendationRun | None = None, *, limit: int = RECOMMENDATIONS_PER_CUSTOMER
) -> list[Product]:
    """The most popular products of ``run`` (default: the latest) that are still active,
    best first."""
    run = run or latest_run()
    if run is None or not run.popular_product_ids:
        return []
    ranked = run.popular_product_ids
    found = Product.objects.filter(pk__in=ranked, is_active=True).in_bulk()
    return [found[pk] for pk in ranked if pk in found][:limit]


def recommendations_compute_job() -> None:
    """The daily periodic job: recompute every customer's next best products as of now."""
    run = recommendations_compute()
    if run.message:
        logger.info("Recommendation run %s: %s", run.pk, run.message)
