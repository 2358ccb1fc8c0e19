"""``peyvand purchase_months rebuild``: recompute the purchase-month rollup from every order
(after orders were loaded straight into the database, or ``TIME_ZONE`` changed)."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from peyvand.intelligence.purchase_months import purchase_months_rebuild


class Command(BaseCommand):
    help = "Rebuild the per-customer, per-month purchase rollup from the orders."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rebuild", help="Recompute every row from every purchase, in one go.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        rows = purchase_months_rebuild()
        self.stdout.write(f"{rows} rows in {time.perf_counter() - started:.1f} s")
