"""Import pages: upload, column mapping, preview (dry run), progress and result."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from peyvand.accounts.models import Role, User
from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.web.form_errors import add_service_errors
from peyvand.web.forms import StyledForm

from .forms import split_tags
from .importing.mapping import target_fields
from .importing.services import (
    assignable_owners,
    import_area,
    import_job_configure,
    import_job_create,
    import_job_start,
    saved_mappings,
)
from .models import DuplicatePolicy, ImportJob, ImportObjectType, ImportStatus


class UploadForm(StyledForm):
    object_type = forms.ChoiceField(
        label=gettext_lazy("What are you importing?"),
        choices=ImportObjectType.choices,
        initial=ImportObjectType.CONTACT,
        required=False,  # older clients post only the file: contacts
    )
    file = forms.FileField(
        label=gettext_lazy("File (CSV, XLSX or vCard)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,.vcf,.vcard"}),
    )


class ImportSettingsForm(StyledForm):
    """The column mapping (one select per header) and what to do with duplicates."""

    duplicate_policy = forms.ChoiceField(
        label=gettext_lazy("When a contact already exists"), choices=DuplicatePolicy.choices
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner of new contacts"), queryset=User.objects.none()
    )
    tags = forms.CharField(label=gettext_lazy("Tags to add to every row"), required=False)
    save_mapping_as = forms.CharField(
        label=gettext_lazy("Save this mapping as"), required=False, max_length=100
    )

    def __init__(self, *args: Any, job: ImportJob, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        owners = assignable_owners(actor, job.object_type)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        if job.object_type == ImportObjectType.COMPANY:
            self.fields["duplicate_policy"].label = _("When a company already exists")
            self.fields["owner"].label = _("Owner of new companies")
        elif job.object_type == ImportObjectType.LEAD:
            self.fields["duplicate_policy"].label = _("When an open lead already exists")
            owner_field = self.fields["owner"]
            owner_field.label = _("Owner of new leads")
            owner_field.required = False
            owner_field.empty_label = _("— by the assignment rules —")  # type: ignore[attr-defined]
            del self.fields["tags"]  # leads have no tags
        fields = target_fields(job.object_type)
        choices = [("", _("— ignore —")), *((key, label) for key, label in fields.items())]
        for index, header in enumerate(job.headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=job.mapping.get(header, "")
            )
        self.style_fields()

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"column_{index}", "")
            for index, header in enumerate(self.job.headers)
        }

    def column_fields(self) -> list[Any]:
        return [self[f"column_{index}"] for index in range(len(self.job.headers))]


def _jobs_of(request: AuthenticatedRequest) -> Any:
    jobs = ImportJob.objects.select_related("created_by", "owner")
    if request.user.is_superuser or request.user.role == Role.ADMIN:
        return jobs
    return jobs.filter(created_by=request.user)


def _job(request: AuthenticatedRequest, job_id: int) -> ImportJob:
    job = _jobs_of(request).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def _require_some_import(user: User) -> None:
    """The import pages are for users who may write at least one importable kind."""
    if not any(has_permission(user, "write", import_area(kind)) for kind in ImportObjectType):
        raise PermissionDenied


@login_required
def import_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_some_import(request.user)
    wanted = request.GET.get("type", "")
    initial = {"object_type": wanted if wanted in ImportObjectType.values else "contact"}
    form = UploadForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(
                actor=request.user,
                upload=upload,
                original_name=upload.name,
                object_type=form.cleaned_data["object_type"] or ImportObjectType.CONTACT,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("contacts:import_detail", job.pk)
    jobs = _jobs_of(request)[:30]
    return render(request, "contacts/import_list.html", {"form": form, "jobs": jobs})


@login_required
def import_detail(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    require_permission(request.user, "write", import_area(job.object_type))
    is_lead = job.object_type == ImportObjectType.LEAD
    initial = {
        "duplicate_policy": job.duplicate_policy,
        "owner": job.owner_id if is_lead else job.owner_id or request.user.pk,
        "tags": "، ".join(job.tags),
    }
    saved_name = request.GET.get("mapping")
    if saved_name:
        saved = saved_mappings().filter(name=saved_name).first()
        if saved is not None:
            job.mapping = {header: saved.mapping.get(header, "") for header in job.headers}
    form = ImportSettingsForm(request.POST or None, job=job, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_configure(
                actor=request.user,
                job=job,
                mapping=form.mapping(),
                duplicate_policy=form.cleaned_data["duplicate_policy"],
                owner=form.cleaned_data["owner"],
                tags=split_tags(form.cleaned_data.get("tags", "")),
                save_mapping_as=form.cleaned_data["save_mapping_as"],
            )
            import_job_start(
                actor=request.user, job=job, dry_run=request.POST.get("action") != "import"
            )
        except ValidationError as error:
            # "mapping" (and "status") are not form fields: they show above the form, once.
            add_service_errors(form, error)
        else:
            return redirect("contacts:import_detail", job.pk)
    context = {
        "job": job,
        "form": form,
        "saved_mappings": saved_mappings(),
        "is_active": job.status in {ImportStatus.QUEUED, ImportStatus.RUNNING},
    }
    return render(request, "contacts/import_detail.html", context)


@login_required
def import_progress(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    """The progress fragment, polled by htmx while the import runs."""
    job = _job(request, job_id)
    response = render(request, "contacts/_import_progress.html", {"job": job})
    if job.status not in {ImportStatus.QUEUED, ImportStatus.RUNNING}:
        response["HX-Refresh"] = "true"  # reload the page to show the result
    return response


@login_required
@require_POST
def import_run(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    """Run the real import after a preview, or resume a failed one."""
    job = _job(request, job_id)
    require_permission(request.user, "write", import_area(job.object_type))
    try:
        import_job_start(actor=request.user, job=job, dry_run=False)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("contacts:import_detail", job.pk)


@login_required
def import_rejects(request: AuthenticatedRequest, job_id: int) -> FileResponse:
    job = _job(request, job_id)
    if not job.rejects_file:
        raise Http404
    return FileResponse(
        job.rejects_file.open("rb"),
        as_attachment=True,
        filename=f"rejects-{job.original_name.rsplit('.', 1)[0]}.csv",
        content_type="text/csv; charset=utf-8",
    )
