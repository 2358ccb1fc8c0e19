"""RFM: recency, frequency and monetary value of every customer's purchases, scored 1–5 and
mapped to the standard named segments.

Over a window (the last ``PEYVAND_RFM_WINDOW_DAYS`` days, 365 by default) each customer with
at least one purchase (``Order.objects.purchases()``) gets:

* R from the time of their last purchase, F from their number of purchases, M from their net
  spend (total − refunds);
* each scored 1–5 by quintiles among all those customers: ``1 + ⌊5 · (rank − 1) / (n − 1)⌋``
  (capped at 5; the percent rank in fifths) where tied values share the lowest rank: all
  one-time buyers get the same F (1 when they are the most common count), so a tie is never
  split at random as ``NTILE`` would;
* a segment from R and FM = ⌈(F + M) / 2⌉ on the grid below (rows R 5→1, columns FM 1→5),
  the common 10-segment RFM map with its lowest cell (R 1, FM 1) split off as *Lost*::

      R5  new                 potential  potential  champions  champions
      R4  promising           potential  potential  loyal      loyal
      R3  about to sleep      about…     need att.  loyal      loyal
      R2  hibernating         hibern.    at risk    at risk    can't lose
      R1  lost                hibern.    at risk    at risk    can't lose

Everything runs in the database (SQLite and PostgreSQL alike), so a million customers never
pass through Python: one ``CREATE TEMPORARY TABLE … AS SELECT`` with window functions scores
every customer, reading the window's whole Jalali months from the purchase-month rollup (one
row per customer and month, see :mod:`peyvand.intelligence.purchase_months`) and only the
partial month at its start from the orders (the one it ends in too, when something was
bought in it after ``as_of``). Then customers who no longer bought in the window lose their
``CustomerRfm`` row, and the scores are upserted, rewriting only the rows that change (the
previous segment is kept for the movement); the ``RfmRun`` records the count per segment and
the movement matrix.
"""

from __future__ import annotations

import datetime
import time
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from peyvand.commerce.models import PURCHASE_STATUSES, Order

from .models import CustomerRfm, PurchaseMonth, RfmRun, RfmSegment
from .purchase_months import month_start, whole_months

# (segment, recency scores, FM scores): every one of the 25 cells exactly once.
SEGMENT_GRID: tuple[tuple[RfmSegment, tuple[int, ...], tuple[int, ...]], ...] = (
    (RfmSegment.CHAMPIONS, (5,), (4, 5)),
    (RfmSegment.LOYAL, (3, 4), (4, 5)),
    (RfmSegment.POTENTIAL_LOYALIST, (4, 5), (2, 3)),
    (RfmSegment.NEW, (5,), (1,)),
    (RfmSegment.PROMISING, (4,), (1,)),
    (RfmSegment.NEED_ATTENTION, (3,), (3,)),
    (RfmSegment.ABOUT_TO_SLEEP, (3,), (1, 2)),
    (RfmSegment.AT_RISK, (1, 2), (3, 4)),
    (RfmSegment.CANNOT_LOSE, (1, 2), (5,)),
    (RfmSegment.HIBERNATING, (2,), (1, 2)),
    (RfmSegment.HIBERNATING, (1,), (2,)),
    (RfmSegment.LOST, (1,), (1,)),
)


def frequency_monetary(frequency_score: int, monetary_score: int) -> int:
    """FM: the mean of F and M, halves rounded up."""
    return (frequency_score + monetary_score + 1) // 2


def segment_for(recency_score: int, frequency_score: int, monetary_score: int) -> RfmSegment:
    """The segment of a customer's three scores (each 1–5)."""
    fm = frequency_monetary(frequency_score, monetary_score)
    for segment, recencies, fms in SEGMENT_GRID:
        if recency_score in recencies and fm in fms:
            return segment
    raise ValueError(f"scores out of range: {recency_score}{frequency_score}{monetary_score}")


def _segment_case_sql() -> str:
    """The grid as one SQL ``CASE`` over columns ``r`` and ``fm`` (from SEGMENT_GRID, so the
    database and :func:`segment_for` cannot disagree)."""
    whens = []
    for segment, recencies, fms in SEGMENT_GRID:
        r_list = ", ".join(str(value) for value in recencies)
        fm_list = ", ".join(str(value) for value in fms)
        whens.append(f"WHEN r IN ({r_list}) AND fm IN ({fm_list}) THEN '{segment.value}'")
    return "CASE " + " ".join(whens) + " END"


def _score_sql(order_by: str) -> str:
    """1–5 from the rank of ``order_by`` among all customers (ties share the lowest rank), in
    integer arithmetic: a float cast truncates on SQLite but rounds on PostgreSQL."""
    rank = f"RANK() OVER (ORDER BY {order_by})"
    raw = f"COALESCE(1 + (5 * ({rank} - 1)) / NULLIF(COUNT(*) OVER () - 1, 0), 1)"
    return f"CASE WHEN {raw} > 5 THEN 5 ELSE {raw} END"


# Sorting and hashing a million customers wants more than PostgreSQL's default 4 MB of work
# memory; the run's transaction alone gets more (SET LOCAL).
WORK_MEMORY = "256MB"
# The scores of one run, made in the run's transaction and dropped at its end.
SCORES = "peyvand_rfm_scores"
_SCORE_COLUMNS = (
    "last_purchase_at",
    "frequency",
    "monetary",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "segment",
)


def _scores_sql() -> str:
    """Every customer's window figures, scores and segment (parameters from
    :func:`_window_params`)."""
    quote = connection.ops.quote_name
    orders = quote(Order._meta.db_table)
    rollup = quote(PurchaseMonth._meta.db_table)
    statuses = ", ".join("%s" for _status in PURCHASE_STATUSES)
    return f"""
        SELECT contact_id, last_at AS last_purchase_at, frequency, monetary,
               r AS recency_score, f AS frequency_score, m AS monetary_score,
               {_segment_case_sql()} AS segment
        FROM (
            SELECT contact_id, last_at, frequency, monetary, r, f, m,
                   (f + m + 1) / 2 AS fm
            FROM (
                SELECT contact_id, last_at, frequency, monetary,
                       {_score_sql("last_at")} AS r,
                       {_score_sql("frequency")} AS f,
                       {_score_sql("monetary")} AS m
                FROM (
                    SELECT contact_id, MAX(last_at) AS last_at, SUM(n) AS frequency,
                           SUM(amount) AS monetary
                    FROM (
                        SELECT contact_id, last_at, orders AS n, net_total AS amount
                        FROM {rollup}
                        WHERE month >= %s AND month < %s
                        UNION ALL
                        SELECT contact_id, placed_at, 1, net_total
                        FROM {orders}
                        WHERE status IN ({statuses})
                          AND ((placed_at >= %s AND placed_at < %s)
                               OR (placed_at >= %s AND placed_at < %s))
                    ) AS parts
                    GROUP BY contact_id
                ) AS base
            ) AS scored
        ) AS graded
    """


def _upsert_sql() -> str:
    """Write the run's scores over the stored ones, touching only the rows that change: a
    customer whose figures and segment stay as they were, and whose previous segment already
    is that segment, keeps their row as it is (most of them, day to day)."""
    table = connection.ops.quote_name(CustomerRfm._meta.db_table)
    columns = ", ".join(_SCORE_COLUMNS)
    changed = " OR ".join(f"{table}.{column} <> excluded.{column}" for column in _SCORE_COLUMNS)
    updates = ", ".join(f"{column} = excluded.{column}" for column in _SCORE_COLUMNS)
    return f"""
        INSERT INTO {table} (contact_id, {columns}, previous_segment)
        SELECT contact_id, {columns}, NULL FROM {SCORES} WHERE 1 = 1
        ON CONFLICT (contact_id) DO UPDATE SET
            previous_segment = {table}.segment, {updates}
        WHERE {changed}
           OR {table}.previous_segment IS NULL
           OR {table}.previous_segment <> {table}.segment
    """


def _window_params(start: datetime.datetime, end: datetime.datetime) -> list[Any]:
    """The parameters of the window in :func:`_scores_sql`: its whole months from the
    rollup, its partial ends from the orders. The month the window ends in comes from the
    rollup too when nothing was bought in it after ``end`` (the usual case: a run as of now),
    so only the partial month at the start is read from the orders."""
    first, stop, partial = whole_months(start, end)
    (low_start, low_end), *rest = partial
    high_start, high_end = rest[0] if rest else (end, end)
    if rest and not _bought_between(end, month_start(stop + 1)):
        stop, high_start = stop + 1, end
    return [
        first,
        stop,
        *PURCHASE_STATUSES,
        *(_db_time(value) for value in (low_start, low_end, high_start, high_end)),
    ]


def _bought_between(start: datetime.datetime, end: datetime.datetime) -> bool:
    return Order.objects.purchases().filter(placed_at__gte=start, placed_at__lt=end).exists()


def rfm_compute(
    *, as_of: datetime.datetime | None = None, window_days: int | None = None
) -> RfmRun:
    """Score every customer who bought in the window ending at ``as_of`` (default now) and
    record the run; customers with no purchase in the window lose their RFM row."""
    as_of = as_of or timezone.now()
    window_days = window_days or settings.PEYVAND_RFM_WINDOW_DAYS
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    start = as_of - datetime.timedelta(days=window_days)
    began = time.perf_counter()
    table = connection.ops.quote_name(CustomerRfm._meta.db_table)
    is_postgresql = connection.vendor == "postgresql"
    with transaction.atomic():
        # One run at a time: the second waits here and then scores on the first's results.
        list(RfmRun.objects.select_for_update().order_by("-id")[:1])
        run = RfmRun.objects.create(as_of=as_of, window_days=window_days)
        with connection.cursor() as cursor:
            if is_postgresql:
                # Sorting and hashing a million customers wants more than the default 4 MB.
                cursor.execute(f"SET LOCAL work_mem = '{WORK_MEMORY}'")
            cursor.execute(f"DROP TABLE IF EXISTS {SCORES}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {SCORES} AS {_scores_sql()}",
                _window_params(start, as_of),
            )
            if is_postgresql:
                cursor.execute(f"ANALYZE {SCORES}")
            else:
                cursor.execute(f"CREATE UNIQUE INDEX {SCORES}_contact ON {SCORES} (contact_id)")
            movement: dict[str, dict[str, int]] = defaultdict(dict)
            # Customers who no longer bought in the window: counted as leaving, then gone.
            cursor.execute(
                f"DELETE FROM {table} WHERE NOT EXISTS (SELECT 1 FROM {SCORES} AS scores "
                f"WHERE scores.contact_id = {table}.contact_id) RETURNING segment"
            )
            for (segment,) in cursor.fetchall():
                movement[segment][""] = movement[segment].get("", 0) + 1
            cursor.execute(_upsert_sql())
            cursor.execute(
                f"SELECT previous_segment, segment, COUNT(*) FROM {table} "
                "GROUP BY previous_segment, segment"
            )
            counts: dict[str, int] = defaultdict(int)
            for previous, segment, count in cursor.fetchall():
                movement[previous or ""][segment] = count
                counts[segment] += count
            cursor.execute(f"DROP TABLE {SCORES}")
        run.customers = sum(counts.values())
        run.segment_counts = {segment.value: counts.get(segment.value, 0) for segment in RfmSegment}
        run.movement = {source: dict(targets) for source, targets in movement.items()}
        run.seconds = round(time.perf_counter() - began, 3)
        run.save(update_fields=["customers", "segment_counts", "movement", "seconds"])
    return run


def _db_time(value: datetime.datetime) -> Any:
    """A datetime as the database compares stored ones (SQLite keeps text in UTC)."""
    return connection.ops.adapt_datetimefield_value(value)


def rfm_compute_job() -> None:
    """The daily periodic job: recompute RFM as of now."""
    rfm_compute()
