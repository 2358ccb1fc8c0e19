"""The purchase-month rollup: each customer's purchases grouped by Jalali month
(:class:`PurchaseMonth`), so the customer KPIs and RFM read one row per customer and month
instead of every order.

A row holds the month's purchase count, net total and last purchase time, plus where the
month stands in the customer's whole history: their first purchase month ever and their next
purchase month after this one. Those two are what the retention and churn flows need (a
``LEAD``/``MIN`` over every order before), so the flows become one plain ``GROUP BY`` over
the rows of the months asked for.

The rows are derived data and are kept in step with the orders:

* every order write (``peyvand.commerce.services``: create, update, cancel, refund, and so
  imports, webhooks and the demo) sends ``commerce.signals.orders_changed`` inside its
  transaction, and :func:`purchase_months_refresh` recomputes that customer's rows there;
* a contact merge and its undo recompute the contacts whose orders moved (a merge part);
* :func:`purchase_months_rebuild` (``peyvand purchase_months rebuild``, the migration that
  made the table, and data loaded behind the services' back such as the benchmarks)
  recomputes every row in one statement.

A refresh recomputes all of a customer's rows from their orders (never adds to them), holding
the customer's contact row (``FOR NO KEY UPDATE``), so two writers of the same customer's
orders cannot leave a sum that misses one of them; the rebuild locks the table against
refreshes while it runs. The rows' contact has no foreign-key constraint in the database
(like the recommendations table): its checks at commit would wait on contact locks and let a
refund and an order write of one customer deadlock.
Months are those of ``TIME_ZONE`` (Tehran): after changing it, rebuild.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Count, F, Max, Min, Sum
from django.db.models.functions import TruncDate

from peyvand.commerce.models import EARLIEST_PLACED_AT, LATEST_PLACED_AT, Order
from peyvand.common.jalali import JalaliMonth
from peyvand.contacts.models import Contact

from .kpis.common import MonthIndex, month_starts
from .purchase_month_models import PurchaseMonth


def month_number_at(instant: datetime.datetime) -> int:
    """The number (:meth:`JalaliMonth.number`) of the Jalali month ``instant`` falls in, in
    the site's time zone."""
    local = instant.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    return JalaliMonth.of(local).number()


def month_start(number: int) -> datetime.datetime:
    """Local midnight at the start of month ``number`` (an aware time)."""
    return month_starts(JalaliMonth.from_number(number), 0)[0]


def whole_months(
    start: datetime.datetime, end: datetime.datetime
) -> tuple[int, int, list[tuple[datetime.datetime, datetime.datetime]]]:
    """Split ``[start, end)`` into the whole months inside it, as numbers ``first`` to
    ``stop`` (excluded; the rollup's rows answer for them), and the one or two partial
    stretches at its ends (the orders answer for those)."""
    first = month_number_at(start)
    if month_start(first) < start:
        first += 1
    stop = month_number_at(end)
    if stop <= first:
        return first, first, [(start, end)]
    return first, stop, [(start, month_start(first)), (month_start(stop), end)]


def purchase_months_refresh(contact_ids: Iterable[int]) -> int:
    """Recompute the rows of these contacts from their purchases now (inside the caller's
    transaction when there is one); returns how many rows they have now."""
    ids = sorted({int(contact_id) for contact_id in contact_ids})
    if not ids:
        return 0
    return _recompute(ids)


def purchase_months_rebuild() -> int:
    """Recompute every row from every purchase; returns the number of rows."""
    return _recompute(None)


def _recompute(ids: list[int] | None) -> int:
    database = router.db_for_write(PurchaseMonth)
    connection = connections[database]
    # Dates outside these the order services refuse (and the Jalali calendar lacks).
    purchases = (
        Order.objects.using(database)
        .purchases()
        .filter(placed_at__gte=EARLIEST_PLACED_AT, placed_at__lt=LATEST_PLACED_AT)
        .order_by()
    )
    rows = PurchaseMonth.objects.using(database)
    if ids is not None:
        purchases = purchases.filter(contact_id__in=ids)
        rows = rows.filter(contact_id__in=ids)
    table = connection.ops.quote_name(PurchaseMonth._meta.db_table)
    with transaction.atomic(using=database), connection.cursor() as cursor:
        if ids is not None:
            # One refresh of a customer at a time: each locks the customers' rows (in id
            # order; FOR NO KEY UPDATE, so order inserts' key checks do not wait), and a
            # contact merge, which locks them itself, goes through.
            list(
                Contact.objects.using(database)
                .filter(pk__in=ids)
                .order_by("pk")
                .select_for_update(no_key=True)
                .values_list("pk", flat=True)
            )
        elif connection.vendor == "postgresql":
            # Refreshes wait for the rebuild (and it for those already under way).
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        if ids is None and connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {table}")
        else:
            rows.delete()
        span = purchases.aggregate(first=Min("placed_at"), last=Max("placed_at"))
        if span["first"] is None:
            return 0
        first = month_number_at(span["first"])
        count = month_number_at(span["last"]) - first + 1
        # Month i (1…count) of these edges is month number first + i − 1.
        edges = month_starts(JalaliMonth.from_number(first), count)
        by_day = purchases.annotate(
            cid=F("contact_id"),
            m=MonthIndex("placed_at", edges),
            day=TruncDate("placed_at", tzinfo=ZoneInfo(settings.TIME_ZONE)),
        ).values("cid", "m", "day")
        by_day = by_day.annotate(
            n=Count("id"),
            amount=Sum("net_total"),
            first_at=Min("placed_at"),
            last_at=Max("placed_at"),
        )
        by_day_sql, params = by_day.query.get_compiler(using=database).as_sql()
        offset = first - 1
        cursor.execute(
            f"""
            INSERT INTO {table}
                (contact_id, month, orders, net_total, first_at, last_at, days, first_day_net,
                 first_month, next_month)
            SELECT cid, m + {offset}, n, amount, first_at, last_at, days, first_day_net,
                   MIN(m) OVER (PARTITION BY cid) + {offset},
                   LEAD(m) OVER (PARTITION BY cid ORDER BY m) + {offset}
            FROM (
                SELECT cid, m, SUM(n) AS n, SUM(amount) AS amount, MIN(first_at) AS first_at,
                       MAX(last_at) AS last_at, COUNT(*) AS days,
                       SUM(CASE WHEN day_number = 1 THEN amount ELSE 0 END) AS first_day_net
                FROM (
                    SELECT cid, m, n, amount, first_at, last_at,
                           ROW_NUMBER() OVER (PARTITION BY cid, m ORDER BY day) AS day_number
                    FROM ({by_day_sql}) AS by_day
                ) AS numbered
                GROUP BY cid, m
            ) AS grouped
            """,
            params,
        )
        return int(cursor.rowcount)


def orders_changed_receiver(sender: object, contact_ids: Iterable[int], **kwargs: object) -> None:
    """``commerce.signals.orders_changed``: bring those customers' rows up to date."""
    purchase_months_refresh(contact_ids)
