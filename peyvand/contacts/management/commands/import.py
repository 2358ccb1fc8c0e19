# ruff: noqa: N999 - the command is `peyvand import`, so the module is named import.py
"""``peyvand import contacts|companies|leads FILE [--mapping M] [--dry-run]`` with a progress
bar; ``peyvand import orders FILE [--source S] [--dry-run]`` imports orders (see
``peyvand.commerce.importing``).

Runs in this process (not through the worker). ``--resume JOB`` continues an import that
was interrupted; running the same file again creates no duplicates (rows matching existing
contacts follow ``--policy``).
"""

from __future__ import annotations

import json
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from peyvand.accounts.models import Role, User
from peyvand.contacts.importing.engine import runner_for
from peyvand.contacts.importing.services import (
    import_job_configure,
    import_job_create,
    import_job_start,
)
from peyvand.contacts.models import (
    DuplicatePolicy,
    ImportJob,
    ImportObjectType,
    ImportStatus,
    SavedImportMapping,
)

OBJECT_TYPES = {
    "contacts": ImportObjectType.CONTACT,
    "companies": ImportObjectType.COMPANY,
    "leads": ImportObjectType.LEAD,
}


class Command(BaseCommand):
    help = "Import contacts, companies, leads or orders from a CSV, XLSX or vCard file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=[*OBJECT_TYPES, "orders"])
        parser.add_argument("file", nargs="?", help="CSV, XLSX or vCard file")
        parser.add_argument(
            "--mapping", help="a saved mapping's name, or a JSON file {header: field}"
        )
        parser.add_argument("--dry-run", action="store_true", help="preview only: write nothing")
        parser.add_argument(
            "--policy", choices=DuplicatePolicy.values, default=DuplicatePolicy.FILL_EMPTY
        )
        parser.add_argument("--user", help="who imports (default: the first administrator)")
        parser.add_argument(
            "--owner",
            help="owner of new records (default: the importer; for leads, the assignment rules)",
        )
        parser.add_argument("--tags", nargs="*", default=[], help="tags to add to every row")
        parser.add_argument("--resume", type=int, help="continue an interrupted import by id")
        parser.add_argument("--source", default="import", help="orders: the orders' source")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["kind"] == "orders":
            from peyvand.commerce.import_command import import_orders

            import_orders(self, options, self._user(options["user"]))
            return
        if options["resume"]:
            job = ImportJob.objects.filter(pk=options["resume"]).first()
            if job is None:
                raise CommandError(f"No import with id {options['resume']}")
            if job.status == ImportStatus.DONE:
                raise CommandError(f"Import {job.pk} has already finished.")
            # An interrupted run may have been killed while "running": treat it as failed so
            # the real import continues after its checkpoint. A preview's checkpoint is not
            # one (nothing was written), so a preview starts the real import from the top.
            job.status = ImportStatus.FAILED
            self._run(import_job_start(actor=None, job=job, dry_run=False, enqueue=False))
            return
        if not options["file"]:
            raise CommandError("Give the file to import (or --resume JOB).")
        actor = self._user(options["user"])
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open("rb") as handle:
                job = import_job_create(
                    actor=actor,
                    upload=File(handle),
                    original_name=path.name,
                    object_type=OBJECT_TYPES[options["kind"]],
                )
            mapping = self._mapping(options["mapping"], job)
            if options["owner"]:
                owner: User | None = self._user(options["owner"])
            else:
                owner = None if job.object_type == ImportObjectType.LEAD else actor
            job = import_job_configure(
                actor=actor,
                job=job,
                mapping=mapping,
                duplicate_policy=options["policy"],
                owner=owner,
                tags=options["tags"],
            )
            job = import_job_start(actor=actor, job=job, dry_run=options["dry_run"], enqueue=False)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"import {job.pk}: {job.original_name}")
        for header in job.headers:
            self.stdout.write(f"  {header} → {job.mapping.get(header) or '-'}")
        self._run(job)

    def _user(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
        else:
            user = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
            user = user or User.objects.filter(is_superuser=True).order_by("pk").first()
        if user is None:
            raise CommandError(f"No active user {username or '(administrator)'}")
        return user

    def _mapping(self, value: str | None, job: ImportJob) -> dict[str, str]:
        if not value:
            return dict(job.mapping)
        saved = SavedImportMapping.objects.filter(name=value).first()
        if saved is not None:
            return dict(saved.mapping)
        path = Path(value)
        if not path.exists():
            raise CommandError(f"No saved mapping or JSON file named {value!r}")
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise CommandError("The mapping file must be a JSON object {header: field}.")
        return {str(key): str(target) for key, target in loaded.items()}

    def _run(self, job: ImportJob) -> None:
        started = time.monotonic()

        def show(current: ImportJob) -> None:
            total = current.total_rows or 0
            done = current.rows_done
            width = 30
            filled = int(width * done / total) if total else width
            rate = done / max(time.monotonic() - started, 1e-6)
            sys.stderr.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} rows "
                f"{rate:,.0f}/s  new {current.created_count:,}  updated "
                f"{current.updated_count:,}  skipped {current.skipped_count:,}  rejected "
                f"{current.rejected_count:,}"
            )
            sys.stderr.flush()

        try:
            job = runner_for(job, progress=show).run()
        except Exception as error:
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.FAILED, error=str(error)[:2000]
            )
            raise CommandError(
                f"import {job.pk} stopped: {error}. Continue with --resume {job.pk}"
            ) from error
        sys.stderr.write("\n")
        verb = "would create" if job.is_dry_run else "created"
        self.stdout.write(
            f"{'preview' if job.is_dry_run else 'done'}: {job.rows_done:,} rows, "
            f"{verb} {job.created_count:,}, updated {job.updated_count:,}, skipped "
            f"{job.skipped_count:,}, rejected {job.rejected_count:,} "
            f"in {time.monotonic() - started:.1f}s"
        )
        if job.rejects_file:
            self.stdout.write(f"rejects: {job.rejects_file.path}")
