"""Benchmark: RFM and the KPIs of the insights dashboard at scale (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peyvand_bench \
        .venv/bin/python bench/intelligence.py --customers 1000000

Makes N customers and ``--orders-per-customer`` (10) times as many orders in the database
itself (``INSERT … SELECT`` over ``generate_series``: no rows pass through Python), spread
over the last three years with a skew (a few customers buy often, most rarely; 5 % of the
orders are cancelled or pending), then times

- the baseline: one plain ``GROUP BY contact_id`` over all purchases (count, sum, last
  time), the least any per-customer figure must cost;
- ``rfm_compute()`` (scores, segments, upsert of every customer's RFM row);
- the customer flows of the last 12 Jalali months (retention, churn, repeat purchases,
  new and reactivated customers, cohorts; one statement), for an administrator;
- every chart of the insights dashboard for an administrator (all the KPIs);
- lifetime value: the per-customer purchase summary in SQL, the BG/NBD + Gamma-Gamma fit,
  scoring every customer (with the 10–90 % band), and ``clv_compute()`` as the daily job
  runs it (all of these, plus storing one row per customer);
- churn: the features of every customer as of now (grouped queries over orders, refunds,
  events, tickets and surveys) and ``churn_compute()`` as the daily job runs it (features
  at three dates, two fits, scoring and reasons for everyone, storing),

and prints seconds for each, the ratio to the baseline, and the sizes of the tables.
Data is kept between runs (``--fresh`` rebuilds it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")

SOURCES = ("website", "instagram", "telegram", "search", "referral", "advertising", "")


def _constant_columns(model: Any, skip: set[str]) -> tuple[list[str], list[Any]]:
    """Every concrete column of ``model`` but the primary key, generated ones and ``skip``,
    with the value an unsaved instance would store (its defaults)."""
    from django.db import connection, models

    instance = model()
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or isinstance(field, models.GeneratedField):
            continue
        if field.column in skip:
            continue
        value = field.get_db_prep_save(getattr(instance, field.attname), connection)
        if value is None and not field.null:
            value = "" if isinstance(field, models.CharField | models.TextField) else None
        columns.append(field.column)
        values.append(value)
    return columns, values


def build(customers: int, per_customer: int) -> None:
    """Customers and orders made by the database."""
    from django.db import connection

    from peyvand.commerce.models import Order
    from peyvand.contacts.models import Contact
    from peyvand.intelligence.purchase_months import purchase_months_rebuild

    quote = connection.ops.quote_name
    varying = {
        "first_name",
        "last_name",
        "source",
        "search_text",
        "name_key",
        "lifecycle_stage",
        "created_at",
        "updated_at",
    }
    columns, values = _constant_columns(Contact, varying)
    sources = "ARRAY[" + ", ".join(f"'{source}'" for source in SOURCES) + "]"
    placeholders = ", ".join("%s" for _value in values)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            f"""
            INSERT INTO {quote(Contact._meta.db_table)}
                ({", ".join(quote(column) for column in columns)}, first_name, last_name,
                 source, search_text, name_key, lifecycle_stage, created_at, updated_at)
            SELECT {placeholders}, 'مشتری', 'شماره ' || g, ({sources})[1 + g %% 7],
                   'مشتری ' || g, 'مشتری ' || g, 'customer', now(), now()
            FROM generate_series(1, %s) AS g
            """,
            [*values, customers],
        )
        print(f"  {customers:,} customers in {time.perf_counter() - started:.1f}s")
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {quote(Contact._meta.db_table)}")
        first_id, last_id = cursor.fetchone()
        span = last_id - first_id + 1
        varying = {
            "contact_id",
            "source",
            "external_id",
            "number",
            "status",
            "placed_at",
            "subtotal",
            "total",
            "created_at",
            "updated_at",
            "purchased_at",
        }
        columns, values = _constant_columns(Order, varying)
        placeholders = ", ".join("%s" for _value in values)
        started = time.perf_counter()
        orders = customers * per_customer
        # random()² skews buying towards the first customers (a long tail buys once or
        # never). Each customer is active in a window of their own, as real ones are: they
        # start at a point of the last three years (u1, from a hash of their id) and stay an
        # exponential time with a mean of a year (u2), cut off at now; their orders are
        # uniform in that window. Amounts from 100,000 to 50 M Rials.
        cursor.execute(
            f"""
            INSERT INTO {quote(Order._meta.db_table)}
                ({", ".join(quote(column) for column in columns)}, contact_id, source,
                 external_id, number, status, placed_at, subtotal, total, created_at,
                 updated_at, purchased_at)
            SELECT {placeholders}, c, 'bench', g::text, g::text,
                   CASE WHEN g %% 20 = 0 THEN 'cancelled' WHEN g %% 20 = 1 THEN 'pending'
                        WHEN g %% 50 = 2 THEN 'partially_refunded' ELSE 'completed' END,
                   now() - (start_days - random() * LEAST(start_days, life_days))
                           * interval '1 day',
                   t, t, now(), now(), now()
            FROM (
                SELECT g, c, t, 1095 * u1 AS start_days, -365 * ln(u2) AS life_days
                FROM (
                    SELECT g, c, t,
                           ((c * 2654435761) %% 1000003 + 1) / 1000004.0 AS u1,
                           ((c * 40503) %% 999983 + 1) / 999984.0 AS u2
                    FROM (
                        SELECT g, %s + floor(%s * random() ^ 2)::bigint AS c,
                               (100000 + floor(random() * 49900000))::bigint AS t
                        FROM generate_series(1, %s) AS g
                    ) AS drawn
                ) AS hashed
            ) AS numbers
            """,
            [*values, first_id, span, orders],
        )
        print(f"  {orders:,} orders in {time.perf_counter() - started:.1f}s")
    # The orders went in behind the services' back: the rollup is made in one statement, as
    # the migration that created it does for existing orders.
    started = time.perf_counter()
    rows = purchase_months_rebuild()
    print(f"  purchase-month rollup ({rows:,} rows) in {time.perf_counter() - started:.1f}s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(name: str, run: Callable[[], Any], baseline: float | None = None) -> float:
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    ratio = f"   x{seconds / baseline:.1f} the baseline" if baseline else ""
    extra = f"   ({result})" if isinstance(result, str) else ""
    print(f"  {name:<46} {seconds:8.2f} s{ratio}{extra}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders-per-customer", type=int, default=10)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument(
        "--parts",
        default="kpis,clv,churn",
        help="which parts to time, of kpis, clv, churn (comma-separated; default all)",
    )
    args = parser.parse_args()

    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (the benchmark is about PostgreSQL).")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from peyvand.accounts.models import Role, User
    from peyvand.commerce.models import PURCHASE_STATUSES, Order
    from peyvand.contacts.models import Contact

    call_command("migrate", interactive=False, verbosity=0)
    if args.fresh:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE intelligence_customerrfm, intelligence_rfmrun, "
                "intelligence_customervalue, intelligence_clvrun, intelligence_customerchurn, "
                "intelligence_churnrun, intelligence_purchasemonth, commerce_order, "
                "contacts_contact CASCADE"
            )
    if not Order.objects.filter(source="bench").exists():
        print("making data:")
        build(args.customers, args.orders_per_customer)
    admin, _created = User.objects.get_or_create(
        username="bench-admin", defaults={"role": Role.ADMIN, "language": "fa"}
    )

    contacts = Contact.objects.count()
    orders = Order.objects.count()
    print(f"\ncustomers: {contacts:,}   orders: {orders:,}")
    print("seconds (PostgreSQL, this machine):")
    statuses = ", ".join(f"'{status}'" for status in PURCHASE_STATUSES)

    def baseline_query() -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM (SELECT contact_id, COUNT(*), SUM(net_total), "
                f"MAX(placed_at) FROM commerce_order WHERE status IN ({statuses}) "
                "GROUP BY contact_id) AS per_contact"
            )
            return f"{cursor.fetchone()[0]:,} customers"

    wanted = set(args.parts.split(","))
    baseline = timed("baseline: GROUP BY contact over purchases", baseline_query)
    if "kpis" in wanted:
        kpis(admin, baseline)
    if "clv" in wanted:
        lifetime_value(baseline)
    if "churn" in wanted:
        churn(baseline)
    sizes()


def kpis(admin: Any, baseline: float) -> None:
    """RFM and every chart of the dashboard, as a manager opens it."""
    # The dashboard imports its lifetime-value and churn charts on first use (scikit-learn
    # and SciPy: seconds); a running server has done so at its first request.
    import peyvand.intelligence.churn.dashboard
    import peyvand.intelligence.clv.dashboard  # noqa: F401
    from peyvand.intelligence.dashboard import CHARTS, KpiData, parse_filters
    from peyvand.intelligence.kpis import MonthRange, customer_flows, retention_rate
    from peyvand.intelligence.rfm import rfm_compute

    total = 0.0
    total += timed(
        "RFM (rfm_compute)",
        lambda: f"{rfm_compute().customers:,} scored",
        baseline,
    )
    period = MonthRange.recent(12)
    filters, _errors = parse_filters(
        {"start": period.first.code(), "end": period.last.code()}  # type: ignore[arg-type]
    )

    def flows() -> str:
        result = customer_flows(KpiData(admin, filters).buyers, period)
        last = result.months[-1]
        rate = retention_rate(last)
        return (
            f"last month: active {last.active_start:,}, retention "
            f"{100 * (rate or 0):.1f} %, new {last.new:,}"
        )

    # Part of the dashboard below, shown on its own: the figures most charts draw.
    timed("customer flows, 12 months (admin scope)", flows, baseline)

    def dashboard() -> str:
        kpis = KpiData(admin, filters)
        built = [spec.build(kpis) for spec in CHARTS.values()]
        return f"{len(built)} charts"

    total += timed("every dashboard chart, 12 months (admin)", dashboard, baseline)
    print(f"  {'RFM + KPIs':<46} {total:8.2f} s   x{total / baseline:.1f} the baseline")


def lifetime_value(baseline: float) -> None:
    """The parts one by one, then the product's whole daily run."""
    from django.utils import timezone

    from peyvand.intelligence.clv import fit_models, score
    from peyvand.intelligence.lifetime_value import (
        clv_compute,
        customer_summary,
        purchase_summary_rows,
    )

    parts: dict[str, Any] = {}

    def summary_rows() -> str:
        parts["rows"] = purchase_summary_rows(timezone.now())
        return f"{len(parts['rows'].contact_ids):,} customers"

    def fit() -> str:
        parts["summary"] = customer_summary(parts["rows"], timezone.localdate())
        parts["models"] = fit_models(parts["summary"])
        model = parts["models"].bgnbd
        return f"r {model.r:.3f}, alpha {model.alpha:.3f}, a {model.a:.3f}, b {model.b:.3f}"

    def scoring() -> str:
        scores = score(parts["summary"], parts["models"])
        return f"mean P(alive) {scores.probability_alive.mean():.3f}"

    timed("CLV: per-customer summary in SQL", summary_rows, baseline)
    timed("CLV: BG/NBD + Gamma-Gamma fit", fit, baseline)
    timed("CLV: score every customer (with the band)", scoring, baseline)
    timed(
        "CLV fit + scoring + storing (clv_compute)",
        lambda: f"{clv_compute().customers:,} customers stored",
        baseline,
    )


def churn(baseline: float) -> None:
    from django.utils import timezone

    from peyvand.intelligence.churn_features import churn_features
    from peyvand.intelligence.churn_risk import churn_compute

    def churn_features_now() -> str:
        contact_ids, table = churn_features(timezone.now())
        return f"{len(contact_ids):,} customers × {len(table.names)} features"

    def churn_run() -> str:
        run = churn_compute()
        return (
            f"{run.customers:,} stored; trained on {run.training_rows:,}, checked on "
            f"{run.validation_rows:,}: AUC {run.auc}, Brier {run.brier} {run.message}"
        )

    timed("churn: features as of now in SQL", churn_features_now, baseline)
    timed("churn: train, check, score, reasons (churn_compute)", churn_run, baseline)


def sizes() -> None:
    from django.db import connection

    print("sizes:")
    with connection.cursor() as cursor:
        for table in (
            "contacts_contact",
            "commerce_order",
            "intelligence_purchasemonth",
            "intelligence_customerrfm",
            "intelligence_customervalue",
            "intelligence_customerchurn",
        ):
            cursor.execute(
                "SELECT pg_size_pretty(pg_total_relation_size(%s)), "
                "pg_size_pretty(pg_relation_size(%s))",
                [table, table],
            )
            with_indexes, heap = cursor.fetchone()
            print(f"  {table:<28} {heap:>10} table, {with_indexes:>10} with indexes")


if __name__ == "__main__":
    main()
