"""``peyvand seed --contacts N``: realistic Persian demo data."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from peyvand.contacts.demo_data import seed_demo_data


class Command(BaseCommand):
    help = "Create realistic Persian demo contacts, companies, notes and tasks."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--contacts", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1403)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        report = seed_demo_data(contacts=options["contacts"], seed=options["seed"])
        self.stdout.write(
            f"{report.contacts} contacts, {report.companies} companies, "
            f"{report.activities} activities, {report.tasks} tasks, {report.deals} deals, "
            f"{report.leads} leads, {report.tickets} tickets "
            f"in {time.perf_counter() - started:.1f}s"
        )
