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


if __name__ == "__main__":
    main()
