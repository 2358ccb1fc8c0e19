"""Background tasks of the contacts app (run by ``peyvand worker``)."""

from __future__ import annotations

import logging

from django_tasks import task

from .models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)


@task()
def run_import_job(job_id: int) -> str:
    """Run a queued import (or its preview); a crash marks it failed, ready to resume."""
    from .importing.engine import runner_for

    job = ImportJob.objects.get(pk=job_id)
    if job.status not in {ImportStatus.QUEUED, ImportStatus.RUNNING}:
        return job.status
    try:
        runner_for(job).run()
    except Exception as error:
        logger.exception("import %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED, error=str(error)[:2000]
        )
        raise
    return job.status


@task()
def build_export(job_id: int) -> int:
    """Write a large export to a file for its owner, scoped to what the owner may see."""
    from pathlib import Path

    from django.conf import settings
    from django.utils import timezone

    from .exporting import write_export
    from .models import ExportJob
    from .selectors import companies_filtered, contacts_filtered

    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    if job.object_type == "contact":
        queryset: object = contacts_filtered(job.created_by, job.filters)
    else:
        queryset = companies_filtered(job.created_by, job.filters)
    if job.selected_ids:
        queryset = queryset.filter(pk__in=job.selected_ids)  # type: ignore[attr-defined]
    relative = f"exports/{job.object_type}s-{job.pk}.{job.file_format}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    ExportJob.objects.filter(pk=job_id).update(status=ImportStatus.RUNNING)
    try:
        count = write_export(
            object_type=job.object_type,
            file_format=job.file_format,
            queryset=queryset,  # type: ignore[arg-type]
            target=target,
        )
    except Exception as error:
        ExportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED, error=str(error)[:2000]
        )
        raise
    ExportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.DONE, file=relative, row_count=count, finished_at=timezone.now()
    )
    return count


@task()
def scan_duplicates() -> int:
    """Refresh the duplicate review queue (daily, and on demand from the queue page)."""
    from .merging import duplicates_scan

    return duplicates_scan()
