"""Starting background exports (the write behind the export views)."""

from __future__ import annotations

from django.db import transaction

from peyvand.accounts.models import User
from peyvand.accounts.permissions import require_permission
from peyvand.timeline.events import event_record

from .models import ExportJob


def export_job_start(
    *,
    actor: User,
    object_type: str,
    file_format: str,
    filters: dict[str, str],
    selected_ids: list[int],
) -> ExportJob:
    """Queue a large export; the task re-applies the actor's visibility when it runs."""
    require_permission(actor, "read", "contacts" if object_type == "contact" else "companies")
    with transaction.atomic():
        job = ExportJob.objects.create(
            object_type=object_type,
            file_format=file_format,
            filters=filters,
            selected_ids=selected_ids,
            created_by=actor,
        )
        event_record(
            actor=actor,
            verb="export.started",
            subject=job,
            summary=f"{object_type} {file_format}",
            payload={"filters": filters, "selected": len(selected_ids)},
        )
        from .tasks import build_export

        transaction.on_commit(lambda: build_export.enqueue(job.pk))
    return job
