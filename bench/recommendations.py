"""Benchmark: next best products (item-to-item co-purchase) against popularity.

    .venv/bin/python bench/recommendations.py --customers 100000 --products 500

Makes synthetic baskets that behave like a shop's (no database needed):

- products sit in categories (20 per category), each category and each product within it
  with a long-tailed (Zipf) popularity;
- each product has a few complements in other categories (a phone and its case, a camera
  and its memory card), bought with it by the same customers;
- each customer prefers one or two categories and has two "anchor" products there; their
  order lines are drawn from a mix: a complement of an anchor (30 %), an anchor again
  (10 %), a product of a preferred category by popularity (40 %), any product by
  popularity (20 %);
- orders per customer are long-tailed (1 + negative binomial, mean about 4), 1 + Poisson(1.5)
  lines each, placed over a window of the customer's own within two years.

Then it splits at a cutoff (90 days before the end by default), fits on the lines before it
and prints hit-rate@10 of item-to-item and of the popularity baseline over the customers
who bought on both sides, their ratio, and the time to fit and to recommend to everyone.

With ``--database`` (``DATABASE_URL`` set to PostgreSQL) it also writes the customers,
products, orders and lines to the database (``COPY``; kept between runs, ``--fresh``
rebuilds them) and times, against a baseline measured in the same run (a plain ``SELECT``
of every purchase line with its customer and time, fetched), the history query of
``purchase_history`` and the whole stored run ``recommendations_compute()`` (read, fit,
recommend, replace every customer's top 10).

"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")

from peyvand.intelligence.recommendations.evaluation import (  # noqa: E402
    PurchaseLines,
    evaluate_time_split,
)

PER_CATEGORY = 20
COMPLEMENTS = 3
DAYS = 730


def zipf_weights(count: int, exponent: float) -> np.ndarray[Any, Any]:
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum()


def draw(cdf: np.ndarray[Any, Any], uniforms: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.minimum(np.searchsorted(cdf, uniforms), len(cdf) - 1)


def synthetic_lines(
    customers: int, products: int, seed: int = 0
) -> tuple[PurchaseLines, np.ndarray[Any, Any]]:
    """Purchase lines as described in the module docstring (days from 0 to ``DAYS``) and
    each line's order number."""
    rng = np.random.default_rng(seed)
    categories = max(1, products // PER_CATEGORY)
    per_category = products // categories
    products = categories * per_category
    # Product ids are shuffled so popularity does not follow the id.
    product_of = rng.permutation(products).reshape(categories, per_category)
    category_cdf = np.cumsum(zipf_weights(categories, 0.7))
    within_cdf = np.cumsum(zipf_weights(per_category, 1.0))
    product_cdf = np.cumsum(
        (zipf_weights(categories, 0.7)[:, np.newaxis] * zipf_weights(per_category, 1.0)).ravel()
    )
    complements = rng.integers(0, products, size=(products, COMPLEMENTS))

    preferred = draw(category_cdf, rng.random((customers, 2)))
    anchors = np.stack(
        [
            product_of[preferred[:, side], draw(within_cdf, rng.random(customers))]
            for side in (0, 1)
        ],
        axis=1,
    )
    orders_per_customer = 1 + rng.negative_binomial(1, 0.25, size=customers)
    order_customer = np.repeat(np.arange(customers), orders_per_customer)
    start = rng.uniform(0, DAYS, customers)
    life = np.minimum(rng.exponential(365, customers), DAYS - start)
    order_day = start[order_customer] + rng.random(len(order_customer)) * life[order_customer]
    lines_per_order = 1 + rng.poisson(1.5, size=len(order_customer))
    line_order = np.repeat(np.arange(len(order_customer)), lines_per_order)
    line_customer = order_customer[line_order]
    total = len(line_order)

    source = rng.random(total)
    anchor = anchors[line_customer, rng.integers(0, 2, total)]
    complement = complements[anchor, rng.integers(0, COMPLEMENTS, total)]
    category = preferred[line_customer, rng.integers(0, 2, total)]
    in_category = product_of[category, draw(within_cdf, rng.random(total))]
    flat = draw(product_cdf, rng.random(total))
    anywhere = product_of.ravel()[flat]
    product = np.select(
        [source < 0.3, source < 0.4, source < 0.8], [complement, anchor, in_category], anywhere
    )
    lines = PurchaseLines(
        customer_ids=line_customer.astype(np.int64),
        product_ids=product.astype(np.int64),
        days=order_day[line_order],
    )
    return lines, line_order


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--test-days", type=float, default=90.0)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--database", action="store_true", help="also time the stored run in DATABASE_URL"
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the database's data")
    args = parser.parse_args()

    started = time.perf_counter()
    lines, line_order = synthetic_lines(args.customers, args.products, args.seed)
    print(
        f"synthetic data: {args.customers:,} customers, {len(np.unique(lines.product_ids)):,} "
        f"products bought, {len(np.unique(line_order)):,} orders, {len(lines):,} lines "
        f"(made in {time.perf_counter() - started:.1f} s)"
    )
    cutoff = DAYS - args.test_days
    result = evaluate_time_split(lines, cutoff, k=args.k)
    print(
        f"time split: train before day {cutoff:g} of {DAYS} "
        f"({result.train_pairs:,} customer-product pairs), test the last {args.test_days:g} days"
    )
    print(f"hit-rate@{args.k} over {result.item_to_item.customers:,} customers:")
    print(
        f"  item-to-item co-purchase   {result.item_to_item.rate:7.3f}"
        f"   ({result.item_to_item.hits:,} hits)"
    )
    print(
        f"  popularity baseline        {result.popularity.rate:7.3f}"
        f"   ({result.popularity.hits:,} hits)"
    )
    print(f"  ratio                      {result.ratio:7.2f}")
    print(
        f"seconds: fit similarity {result.fit_seconds:.2f}, recommend top {args.k} to every "
        f"customer {result.recommend_seconds:.2f}"
    )

    if args.database:
        time_stored_run(lines, line_order, args.products, fresh=args.fresh)


SOURCE = "bench-recommendations"


def write_database(lines: PurchaseLines, line_order: np.ndarray[Any, Any], products: int) -> None:
    """Customers, products, orders and lines of the synthetic data, written with ``COPY``
    (orders placed ``DAYS - day`` days before now)."""
    import datetime

    from django.db import connection
    from django.utils import timezone

    from bench.intelligence import _constant_columns
    from peyvand.commerce.models import Order, OrderLine
    from peyvand.contacts.models import Contact
    from peyvand.sales.models import Product

    quote = connection.ops.quote_name
    customers = int(lines.customer_ids.max()) + 1
    now = timezone.now()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        Product.objects.bulk_create(
            [
                Product(code=f"RB{number}", name=f"کالای {number}", price=100_000)
                for number in range(products)
            ]
        )
        product_ids = np.array(
            sorted(
                Product.objects.filter(code__startswith="RB").values_list("code", "pk"),
                key=lambda pair: int(pair[0][2:]),
            )
        )[:, 1].astype(np.int64)
        columns, values = _constant_columns(
            Contact,
            {"first_name", "last_name", "search_text", "name_key", "created_at", "updated_at"},
        )
        placeholders = ", ".join("%s" for _value in values)
        cursor.execute(
            f"""
            INSERT INTO {quote(Contact._meta.db_table)}
                ({", ".join(quote(column) for column in columns)}, first_name, last_name,
                 search_text, name_key, created_at, updated_at)
            SELECT {placeholders}, 'خریدار', 'شماره ' || g, 'خریدار ' || g, 'خریدار ' || g,
                   now(), now()
            FROM generate_series(1, %s) AS g ORDER BY g
            """,
            [*values, customers],
        )
        cursor.execute(f"SELECT MAX(id) FROM {quote(Contact._meta.db_table)}")
        contact_base = int(cursor.fetchone()[0]) - customers + 1
        order_count = int(line_order.max()) + 1
        order_customer = np.zeros(order_count, dtype=np.int64)
        order_day = np.zeros(order_count)
        order_customer[line_order] = lines.customer_ids
        order_day[line_order] = lines.days
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quote(Order._meta.db_table)}")
        order_base = int(cursor.fetchone()[0]) + 1
        varying = {
            "contact_id",
            "source",
            "external_id",
            "status",
            "placed_at",
            "subtotal",
            "total",
            "created_at",
            "updated_at",
            "purchased_at",
        }
        columns, values = _constant_columns(Order, varying)
        names = ", ".join(quote(column) for column in ["id", *columns, *sorted(varying)])
        lines_per_order = np.bincount(line_order, minlength=order_count)
        with cursor.copy(f"COPY {quote(Order._meta.db_table)} ({names}) FROM STDIN") as copy:
            for number in range(order_count):
                placed = now - datetime.timedelta(days=float(DAYS - order_day[number]))
                amount = 100_000 * int(lines_per_order[number])
                by_name = {
                    "contact_id": contact_base + int(order_customer[number]),
                    "created_at": now,
                    "external_id": str(number),
                    "placed_at": placed,
                    "purchased_at": placed,
                    "source": SOURCE,
                    "status": "completed",
                    "subtotal": amount,
                    "total": amount,
                    "updated_at": now,
                }
                copy.write_row(
                    [order_base + number, *values, *(by_name[key] for key in sorted(varying))]
                )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
            [Order._meta.db_table, order_base + order_count],
        )
        line_columns = "order_id, position, product_id, sku, name, quantity, unit_price, total"
        with cursor.copy(
            f"COPY {quote(OrderLine._meta.db_table)} ({line_columns}) FROM STDIN"
        ) as copy:
            for order, product in zip(
                (order_base + line_order).tolist(),
                product_ids[lines.product_ids].tolist(),
                strict=True,
            ):
                copy.write_row([order, 0, product, "", "کالا", 1, 100_000, 100_000])
        cursor.execute("ANALYZE")
        print(
            f"  wrote {customers:,} customers, {order_count:,} orders, {len(lines):,} lines "
            f"in {time.perf_counter() - started:.1f} s"
        )


def time_stored_run(
    lines: PurchaseLines, line_order: np.ndarray[Any, Any], products: int, *, fresh: bool
) -> None:
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database for --database.")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from peyvand.commerce.models import PURCHASE_STATUSES, Order
    from peyvand.intelligence.models import ProductRecommendation
    from peyvand.intelligence.product_recommendations import (
        purchase_history,
        recommendations_compute,
    )

    call_command("migrate", interactive=False, verbosity=0)
    if fresh:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE intelligence_productrecommendation, intelligence_recommendationrun, "
                "commerce_orderline, commerce_order, contacts_contact, sales_product CASCADE"
            )
    if not Order.objects.filter(source=SOURCE).exists():
        print("database:")
        write_database(lines, line_order, products)
    statuses = ", ".join(f"'{status}'" for status in PURCHASE_STATUSES)

    def baseline() -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT o.contact_id, l.product_id, o.placed_at FROM commerce_orderline AS l "
                "JOIN commerce_order AS o ON o.id = l.order_id "
                f"WHERE o.status IN ({statuses}) AND l.product_id IS NOT NULL"
            )
            return f"{len(cursor.fetchall()):,} lines"

    print("seconds (PostgreSQL, this machine):")
    base = timed("baseline: SELECT every purchase line", baseline)
    timed(
        "history: GROUP BY customer, product (SQL)",
        lambda: f"{len(purchase_history(timezone.now())):,} pairs",
        base,
    )

    def stored() -> str:
        run = recommendations_compute()
        return f"top 10 of {run.customers:,} customers stored"

    timed("recommendations_compute (read, fit, store)", stored, base)
    print(f"  rows stored: {ProductRecommendation.objects.count():,}")


def timed(name: str, run: Any, baseline: float | None = None) -> float:
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    ratio = f"   x{seconds / baseline:.1f} the baseline" if baseline else ""
    print(f"  {name:<44} {seconds:7.2f} s{ratio}   ({result})")
    return seconds


if __name__ == "__main__":
    main()
