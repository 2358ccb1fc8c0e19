"""Creating, configuring and starting contact and company imports (behind the UI and CLI)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import ObjectType, User
from peyvand.accounts.permissions import Area, require_permission
from peyvand.accounts.visibility import owners_visible_to
from peyvand.contacts.models import (
    DuplicatePolicy,
    ImportJob,
    ImportObjectType,
    ImportStatus,
    SavedImportMapping,
)
from peyvand.timeline.events import event_record

from .mapping import guess_mapping, validate_mapping
from .readers import ImportFileError, open_source

if TYPE_CHECKING:
    from django.db.models import QuerySet

SUPPORTED_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".vcf": "vcf"}
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


def assignable_owners(actor: User, object_type: str = ImportObjectType.CONTACT) -> QuerySet[User]:
    """Users an import may hand its new records to: those whose records ``actor`` sees.

    Matching only ever looks at records the actor may see, so handing rows to someone
    invisible would let a second run create them again.
    """
    return owners_visible_to(actor, _VISIBILITY_TYPES[object_type])


_VISIBILITY_TYPES: dict[str, ObjectType] = {
    ImportObjectType.CONTACT: ObjectType.CONTACT,
    ImportObjectType.COMPANY: ObjectType.COMPANY,
    ImportObjectType.LEAD: ObjectType.LEAD,
}
_AREAS: dict[str, Area] = {
    ImportObjectType.CONTACT: "contacts",
    ImportObjectType.COMPANY: "companies",
    ImportObjectType.LEAD: "leads",
}


def import_area(object_type: str) -> Area:
    """The permission area an import of ``object_type`` needs write access to."""
    return _AREAS[object_type]


def _file_format(name: str) -> str:
    extension = Path(name).suffix.lower().replace(".vcard", ".vcf")
    file_format = SUPPORTED_EXTENSIONS.get(extension)
    if file_format is None:
        raise ValidationError(
            {"file": [_("Upload a CSV, XLSX or vCard (.vcf) file.")]}, code="invalid_format"
        )
    return file_format


def import_job_create(
    *,
    actor: User,
    upload: File[Any],
    original_name: str,
    object_type: str = ImportObjectType.CONTACT,
) -> ImportJob:
    """Store an uploaded file of contacts or companies, read its columns, guess the mapping."""
    if object_type not in ImportObjectType.values:
        raise ValidationError({"object_type": [_("Choose contacts, companies or leads.")]})
    require_permission(actor, "write", import_area(object_type))
    file_format = _file_format(original_name)
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": [_("The file is larger than 512 MB.")]})
    with transaction.atomic():
        job = ImportJob(
            original_name=Path(original_name).name[:255],
            file_format=file_format,
            object_type=object_type,
            created_by=actor,
            # New leads go to the assignment rules unless the importer picks an owner.
            owner=None if object_type == ImportObjectType.LEAD else actor,
        )
        job.file.save(Path(original_name).name, upload, save=False)
        try:
            source = open_source(Path(job.file.path), file_format=file_format)
        except ImportFileError as error:
            job.file.delete(save=False)
            raise ValidationError({"file": [str(error)]}) from error
        try:
            job.headers = list(source.headers)
            job.detected = dict(source.detected)
        finally:
            source.close()
        job.mapping = guess_mapping(job.headers, object_type)
        job.save()
        event_record(
            actor=actor,
            verb="import.created",
            subject=job,
            summary=job.original_name,
            payload={
                "format": file_format,
                "columns": len(job.headers),
                "object_type": object_type,
            },
        )
    return job


def import_job_configure(
    *,
    actor: User,
    job: ImportJob,
    mapping: Mapping[str, str],
    duplicate_policy: str,
    owner: User | None,
    tags: Sequence[str] = (),
    save_mapping_as: str = "",
) -> ImportJob:
    """Set the column mapping, the duplicate policy, the owner and tags of new records.

    A lead import may leave ``owner`` empty: each new lead is then given out by the
    assignment rules, as a lead from a web form is."""
    require_permission(actor, "write", import_area(job.object_type))
    errors: dict[str, list[str]] = {}
    problems = validate_mapping(mapping, job.headers, job.object_type)
    if problems:
        errors["mapping"] = [str(problem) for problem in problems]
    if duplicate_policy not in DuplicatePolicy.values:
        errors["duplicate_policy"] = [_("Choose what to do with existing contacts.")]
    owners = assignable_owners(actor, job.object_type)
    if owner is not None and not owners.filter(pk=owner.pk).exists():
        errors["owner"] = [_("You cannot hand contacts to this user.")]
    if job.status not in {ImportStatus.MAPPING, ImportStatus.PREVIEWED, ImportStatus.FAILED}:
        errors["status"] = [_("This import is already running or finished.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        job.mapping = {header: mapping.get(header, "") for header in job.headers}
        job.duplicate_policy = duplicate_policy
        job.owner = owner if job.object_type == ImportObjectType.LEAD else owner or actor
        job.tags = [tag for tag in tags if tag][:20]
        job.status = ImportStatus.MAPPING
        job.save()
        if save_mapping_as.strip():
            SavedImportMapping.objects.update_or_create(
                name=save_mapping_as.strip()[:100],
                defaults={"mapping": job.mapping, "created_by": actor},
            )
    return job


def import_job_start(
    *, actor: User | None, job: ImportJob, dry_run: bool, enqueue: bool = True
) -> ImportJob:
    """Queue a preview (dry run) or the real import; a failed real import resumes.

    ``enqueue=False`` leaves running it to the caller (the CLI runs it in its own process).
    """
    if actor is not None:
        require_permission(actor, "write", import_area(job.object_type))
    resuming = not dry_run and not job.is_dry_run and job.status == ImportStatus.FAILED
    if job.status in {ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.DONE}:
        raise ValidationError({"status": [_("This import is already running or finished.")]})
    with transaction.atomic():
        if not resuming:
            job.rows_done = 0
            job.created_count = job.updated_count = 0
            job.skipped_count = job.rejected_count = 0
            job.rejects_bytes = 0
        job.is_dry_run = dry_run
        job.status = ImportStatus.QUEUED
        job.error = ""
        job.save()
        event_record(
            actor=actor,
            verb="import.previewed" if dry_run else "import.started",
            subject=job,
            summary=job.original_name,
            payload={"policy": job.duplicate_policy, "resumed": resuming},
        )
        if enqueue:
            from peyvand.contacts.tasks import run_import_job

            transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return job


def saved_mappings() -> QuerySet[SavedImportMapping]:
    return SavedImportMapping.objects.all()
