"""``peyvand outbox deliver [--once]``: send due outbox messages (once, or until stopped)."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from peyvand.messaging.worker import outbox_deliver


class Command(BaseCommand):
    help = "Send the outbox's due messages."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        deliver = sub.add_parser("deliver", help="Send due messages.")
        deliver.add_argument("--once", action="store_true", help="one pass, then exit")
        deliver.add_argument("--limit", type=int, default=1000, help="messages per pass")
        deliver.add_argument("--idle", type=float, default=2.0, help="seconds between passes")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            result = outbox_deliver(limit=max(1, options["limit"]))
            if options["once"]:
                self.stdout.write(str(result))
                return
            close_old_connections()
            if not result.handled:
                time.sleep(options["idle"])
