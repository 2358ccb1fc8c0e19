"""``peyvand import orders FILE [--source S] [--dry-run]``: the order kind of the ``import``
command (which lives with the contact imports)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from peyvand.accounts.models import User
from peyvand.contacts.importing.readers import ImportFileError

from .importing import orders_import_file


def import_orders(command: BaseCommand, options: dict[str, Any], actor: User) -> None:
    """Import the orders of ``options["file"]``; rejected rows go to ``FILE.rejects.csv``."""
    if not options.get("file"):
        raise CommandError("Give the file to import.")
    path = Path(options["file"])
    if not path.exists():
        raise CommandError(f"No such file: {path}")
    owner = command._user(options["owner"]) if options.get("owner") else actor  # type: ignore[attr-defined]
    started = time.monotonic()
    try:
        result = orders_import_file(
            path=path,
            source=options.get("source") or "import",
            actor=actor,
            dry_run=bool(options.get("dry_run")),
            owner=owner,
        )
    except ImportFileError as error:
        raise CommandError(str(error)) from error
    except ValidationError as error:
        raise CommandError("; ".join(error.messages)) from error
    verb = "would create" if result.dry_run else "created"
    command.stdout.write(
        f"{'preview' if result.dry_run else 'done'}: {result.rows:,} rows, {verb} "
        f"{result.created:,} orders, updated {result.updated:,}, unchanged "
        f"{result.unchanged:,}, rejected {len(result.rejected):,} rows "
        f"in {time.monotonic() - started:.1f}s"
    )
    if result.rejected:
        rejects = path.with_name(f"{path.stem}.rejects.csv")
        rejects.write_text(result.rejects_csv(), encoding="utf-8-sig")
        command.stdout.write(f"rejects: {rejects}")
