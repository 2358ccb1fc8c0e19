"""``peyvand mail fetch``: poll the support mailbox now; ``peyvand mail receive FILE``:
handle one raw message (a saved ``.eml``), as if it had arrived."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from peyvand.integrations.config import imap_settings
from peyvand.integrations.imap import BATCH_SIZE, mailbox_poll
from peyvand.integrations.inbound_email import inbound_email_receive
from peyvand.integrations.models import InboundSource


class Command(BaseCommand):
    help = "Fetch the support mailbox's new mail, or handle one saved message."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        fetch = sub.add_parser("fetch", help="Poll the IMAP mailbox (PEYVAND_SUPPORT_IMAP_*).")
        fetch.add_argument("--batch", type=int, default=BATCH_SIZE, help="messages per FETCH")
        receive = sub.add_parser("receive", help="Handle a raw RFC 5322 message from a file.")
        receive.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "receive":
            path: Path = options["file"]
            if not path.is_file():
                raise CommandError(f"No such file: {path}")
            handled = inbound_email_receive(raw=path.read_bytes(), source=InboundSource.COMMAND)
            ticket = f" ticket #{handled.ticket.pk}" if handled.ticket is not None else ""
            again = " (seen before)" if handled.duplicate else ""
            self.stdout.write(f"{handled.outcome}{ticket}{again} {handled.reason}".rstrip())
            return
        config = imap_settings()
        if config is None:
            raise CommandError("No mailbox: set PEYVAND_SUPPORT_IMAP_HOST (and _USER, _PASSWORD).")
        result = mailbox_poll(config, batch_size=max(1, options["batch"]))
        counts = ", ".join(f"{name} {count}" for name, count in sorted(result.outcomes.items()))
        self.stdout.write(
            f"{config.mailbox_key}: {result.fetched} fetched"
            + (f" ({counts})" if counts else "")
            + (f", {result.duplicates} seen before" if result.duplicates else "")
        )
        if result.error:
            raise CommandError(result.error)
