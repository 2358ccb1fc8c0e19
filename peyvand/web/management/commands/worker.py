"""``peyvand worker``: run background tasks and the periodic jobs (reminders, …)."""

from __future__ import annotations

import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from peyvand.web.scheduler import start_scheduler


class Command(BaseCommand):
    help = "Run the background worker: queued tasks plus periodic jobs."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        start_scheduler(stop)
        backend = str(settings.TASKS["default"]["BACKEND"])
        try:
            if backend.startswith("django_tasks_rq"):
                call_command("rqworker", "default")
            elif backend.startswith("django_tasks_db"):
                call_command("db_worker", interval=options["interval"], verbosity=0)
            else:
                stop.wait()
        finally:
            stop.set()
