"""``peyvand recommendations compute`` / ``peyvand recommendations evaluate [--test-days D]``:
recompute every customer's next best products now, or measure hit-rate@10 on this shop's
own orders (item-to-item against best sellers) without storing anything."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from peyvand.intelligence.product_recommendations import (
    recommendations_compute,
    recommendations_evaluate,
)


class Command(BaseCommand):
    help = "Compute or evaluate the next best products of every customer."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("compute", help="Recompute and store every customer's top 10 now.")
        evaluate = sub.add_parser("evaluate", help="Hit-rate@k on a time split of the orders.")
        evaluate.add_argument("--test-days", type=float, default=90.0, help="days tested")
        evaluate.add_argument("--k", type=int, default=10, help="products recommended")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "compute":
            run = recommendations_compute()
            self.stdout.write(
                run.message
                or f"{run.customers} customers, {run.products} products, {run.seconds:.1f} s"
            )
            return
        result = recommendations_evaluate(test_days=options["test_days"], k=options["k"])
        k = options["k"]
        self.stdout.write(
            f"hit-rate@{k} over {result.item_to_item.customers} customers who bought before "
            f"and after the cutoff: item-to-item {result.item_to_item.rate:.3f}, "
            f"popularity {result.popularity.rate:.3f}, ratio {result.ratio:.2f}"
        )
