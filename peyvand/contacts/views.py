"""Pages for contacts and companies: lists with filters and bulk actions, 360 views, forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.models import User
from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.common.iran import CITIES
from peyvand.common.pagination import keyset_page
from peyvand.timeline.forms import ActivityForm
from peyvand.timeline.models import TaskStatus
from peyvand.timeline.selectors import timeline_for_company, timeline_for_contact
from peyvand.timeline.views import timeline_context
from peyvand.web.form_errors import add_service_errors, flash_service_errors
from peyvand.web.redirects import redirect_after_save

from . import services
from .exporting import company_rows, contact_rows, csv_chunks, vcard_chunks, xlsx_bytes
from .exports import export_job_start
from .forms import BulkActionForm, CompanyForm, ConsentForm, ContactForm, split_tags
from .merging import possible_company_duplicates, possible_duplicates
from .models import (
    Channel,
    Company,
    Contact,
    CustomField,
    DuplicateCandidate,
    DuplicateStatus,
    ExportFormat,
    ExportJob,
    LifecycleStage,
    Source,
    Tag,
)
from .selectors import (
    COMPANY_SORTS,
    CONTACT_SORTS,
    companies_filtered,
    companies_visible_to,
    contact_for_display,
    contacts_filtered,
    contacts_visible_to,
)

PAGE_SIZE = 50
_FILTER_KEYS = ("q", "owner", "stage", "tag", "city", "province", "source", "company", "sort")


def _filters(request: HttpRequest) -> dict[str, str]:
    return {
        str(key): str(value)
        for key, value in request.GET.items()
        if (key in _FILTER_KEYS or key.startswith("cf_")) and value
    }


def _querystring(filters: dict[str, str], **extra: str) -> str:
    from urllib.parse import urlencode

    return urlencode({**filters, **extra})


@login_required
def contact_list(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "contacts")
    filters = _filters(request)
    sort = filters.get("sort", "newest")
    queryset = (
        contacts_filtered(request.user, filters)
        .select_related("owner", "company")
        .prefetch_related("phones", "tags")
    )
    try:
        page = keyset_page(
            queryset,
            ordering=CONTACT_SORTS.get(sort, CONTACT_SORTS["newest"]),
            cursor=request.GET.get("cursor") or None,
            limit=PAGE_SIZE,
        )
    except ValidationError:
        raise Http404 from None
    context = {
        "contacts": page.items,
        "next_cursor": page.next_cursor,
        "next_query": _querystring(filters, cursor=page.next_cursor or ""),
        "filters": filters,
        "export_query": _querystring(filters),
        "stages": LifecycleStage.choices,
        "sources": Source.choices,
        "users": User.objects.filter(is_active=True),
        "tags": Tag.objects.all()[:200],
        "custom_filters": [
            (
                f"cf_{field.key}",
                field.label(request.LANGUAGE_CODE),
                filters.get(f"cf_{field.key}", ""),
            )
            for field in CustomField.objects.filter(object_type="contact", is_filterable=True)
        ],
        "sorts": [
            ("newest", _("Newest")),
            ("oldest", _("Oldest")),
            ("name", _("Name")),
            ("updated", _("Recently changed")),
        ],
        "can_write": has_permission(request.user, "write", "contacts"),
    }
    return render(request, "contacts/contact_list.html", context)


EXPORT_TYPES: dict[str, tuple[str, str]] = {
    ExportFormat.CSV: ("text/csv; charset=utf-8", "csv"),
    ExportFormat.XLSX: (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    ExportFormat.VCARD: ("text/vcard; charset=utf-8", "vcf"),
}


def _export(
    request: AuthenticatedRequest,
    *,
    object_type: str,
    queryset: QuerySet[Any],
    file_format: str,
    filters: dict[str, str],
    selected_ids: list[int] | None = None,
) -> HttpResponseBase:
    """Small exports stream now; large ones become a background job with a download link."""
    if file_format not in EXPORT_TYPES or (
        object_type == "company" and file_format == ExportFormat.VCARD
    ):
        raise Http404
    if queryset.count() > settings.PEYVAND_EXPORT_INLINE_LIMIT:
        job = export_job_start(
            actor=request.user,
            object_type=object_type,
            file_format=file_format,
            filters=filters,
            selected_ids=selected_ids or [],
        )
        messages.info(request, _("The export is being prepared; download it from this page."))
        return redirect("contacts:export_detail", job.pk)
    content_type, extension = EXPORT_TYPES[file_format]
    filename = f"{object_type}s.{extension}"
    rows = contact_rows(queryset) if object_type == "contact" else company_rows(queryset)
    response: HttpResponseBase
    if file_format == ExportFormat.XLSX:
        response = HttpResponse(xlsx_bytes(rows), content_type=content_type)
    elif file_format == ExportFormat.VCARD:
        response = StreamingHttpResponse(vcard_chunks(queryset), content_type=content_type)
    else:
        response = StreamingHttpResponse(csv_chunks(rows), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def contact_export(request: AuthenticatedRequest, file_format: str = "csv") -> HttpResponseBase:
    """The filtered list as CSV, XLSX or vCard (only what the user may see)."""
    require_permission(request.user, "read", "contacts")
    filters = _filters(request)
    return _export(
        request,
        object_type="contact",
        queryset=contacts_filtered(request.user, filters),
        file_format=request.GET.get("format", file_format),
        filters=filters,
    )


@login_required
def company_export(request: AuthenticatedRequest) -> HttpResponseBase:
    """The filtered company list as CSV or XLSX."""
    require_permission(request.user, "read", "companies")
    filters = _filters(request)
    return _export(
        request,
        object_type="company",
        queryset=companies_filtered(request.user, filters),
        file_format=request.GET.get("format", "csv"),
        filters=filters,
    )


@login_required
def export_detail(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job = ExportJob.objects.filter(pk=job_id, created_by=request.user).first()
    if job is None:
        raise Http404
    return render(request, "contacts/export_detail.html", {"job": job})


@login_required
def export_download(request: AuthenticatedRequest, job_id: int) -> FileResponse:
    job = ExportJob.objects.filter(pk=job_id, created_by=request.user).first()
    if job is None or not job.file:
        raise Http404
    content_type, extension = EXPORT_TYPES[job.file_format]
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=f"{job.object_type}s-{job.pk}.{extension}",
        content_type=content_type,
    )


@login_required
@require_POST
def contact_bulk(request: AuthenticatedRequest) -> HttpResponseBase:
    visible = contacts_visible_to(request.user)
    form = BulkActionForm(request.POST, visible=visible)
    back = request.POST.get("next", "")
    if not (back.startswith("/") and not back.startswith("//")):
        back = "/contacts/"
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return redirect(back)
    data = form.cleaned_data
    selected = list(data["selected"])
    if data["action"] == "export":
        require_permission(request.user, "read", "contacts")
        ids = [contact.pk for contact in selected]
        return _export(
            request,
            object_type="contact",
            queryset=visible.filter(pk__in=ids),
            file_format=request.POST.get("format", ExportFormat.CSV),
            filters={},
            selected_ids=ids,
        )
    require_permission(request.user, "write", "contacts")
    if data["action"] == "assign":
        count = services.contacts_bulk_update(
            actor=request.user,
            contacts=selected,
            values={"owner": data["owner"]},
        )
    elif data["action"] == "stage":
        count = services.contacts_bulk_update(
            actor=request.user,
            contacts=selected,
            values={"lifecycle_stage": data["stage"]},
        )
    else:
        count = services.contacts_bulk_tag(
            actor=request.user,
            contacts=selected,
            tag_names=split_tags(data["tags"]),
        )
    messages.success(request, _("%(count)s contacts updated.") % {"count": count})
    return redirect(back)


def _after_save(
    request: HttpRequest, visible: QuerySet[Any], record: Contact | Company, detail: str
) -> HttpResponse:
    fallback = "contacts:list" if isinstance(record, Contact) else "contacts:company_list"
    return redirect_after_save(request, visible, record, detail, fallback)


def _open_duplicates(
    request: AuthenticatedRequest, contact: Contact
) -> list[tuple[int, Contact, list[str]]]:
    """Open review-queue pairs involving this contact whose other side the user sees."""
    from .merge_views import reasons_of

    candidates = DuplicateCandidate.objects.filter(
        Q(first=contact) | Q(second=contact), status=DuplicateStatus.OPEN
    ).order_by("-score")[:5]
    by_other = {(c.second_id if c.first_id == contact.pk else c.first_id): c for c in candidates}
    if not by_other:
        return []
    others = contacts_visible_to(request.user).filter(pk__in=list(by_other)).in_bulk()
    return [
        (other_id, others[other_id], reasons_of(candidate))
        for other_id, candidate in by_other.items()
        if other_id in others
    ]


def _visible_contact(request: AuthenticatedRequest, contact_id: int) -> Contact:
    try:
        return contact_for_display(request.user, contact_id)
    except Contact.DoesNotExist:
        raise Http404 from None


def _deals_and_tickets(request: AuthenticatedRequest, contact: Contact) -> dict[str, Any]:
    """The contact's newest deals and tickets the user may see, for the 360 page (the sales
    and service apps sit above contacts, hence the imports here)."""
    from peyvand.sales.selectors import deals_visible_to
    from peyvand.service.selectors import tickets_visible_to

    deals = (
        deals_visible_to(request.user)
        .filter(Q(contact=contact) | Q(other_contacts=contact))
        .select_related("stage")
        .distinct()
        .order_by("-id")[:10]
    )
    tickets = tickets_visible_to(request.user).filter(contact=contact).order_by("-id")[:10]
    return {"contact_deals": list(deals), "contact_tickets": list(tickets)}


def _purchases(request: AuthenticatedRequest, contact: Contact) -> dict[str, Any]:
    """The contact's newest orders and purchase summary (commerce sits above contacts)."""
    from peyvand.commerce.selectors import contact_purchases

    return contact_purchases(request.user, contact)


def _intelligence(request: AuthenticatedRequest, contact: Contact) -> dict[str, Any]:
    """RFM, lifetime value, churn risk and next best products (intelligence sits above)."""
    from peyvand.intelligence.selectors import contact_intelligence

    return contact_intelligence(request.user, contact)


def _recommendations(request: AuthenticatedRequest, contact: Contact) -> Any:
    """The contact's next best products (intelligence sits above contacts)."""
    from peyvand.intelligence.selectors import contact_recommendations

    return contact_recommendations(request.user, contact)


@login_required
def contact_detail(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    require_permission(request.user, "read", "contacts")
    contact = _visible_contact(request, contact_id)
    consents = {consent.channel: consent for consent in contact.consents.all()}
    context = {
        "contact": contact,
        "consent_rows": [(value, label, consents.get(value)) for value, label in Channel.choices],
        "custom_values": [
            (
                definition.label_en
                if request.LANGUAGE_CODE == "en" and definition.label_en
                else definition.label_fa,
                contact.custom_fields.get(definition.key),
            )
            for definition in CustomField.objects.filter(object_type="contact")
            if definition.key in contact.custom_fields
        ],
        "tasks": list(
            contact.tasks.filter(status=TaskStatus.OPEN)
            .select_related("assignee")
            .order_by("due_at")[:20]
        ),
        "activity_form": ActivityForm(),
        "consent_form": ConsentForm(),
        "merges": list(contact.merges.filter(undone_at__isnull=True)[:5]),
        "duplicates": _open_duplicates(request, contact),
        **_deals_and_tickets(request, contact),
        "purchases": _purchases(request, contact),
        "intelligence": _intelligence(request, contact),
        "recommendations": _recommendations(request, contact),
        "can_write": has_permission(request.user, "write", "contacts"),
        "can_delete": has_permission(request.user, "delete", "contacts"),
        **timeline_context(
            request,
            timeline_for_contact(contact),
            f"/tasks/timeline/contact/{contact.pk}/",
        ),
    }
    return render(request, "contacts/contact_detail.html", context)


@login_required
def contact_create(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "write", "contacts")
    form = ContactForm(request.POST or None, user=request.user, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        duplicates = _duplicates_unless_allowed(request, possible_duplicates, values)
        if duplicates:
            context = _form_context(request, form, None)
            return render(
                request, "contacts/contact_form.html", {**context, "duplicates": duplicates}
            )
        try:
            contact = services.contact_create(actor=request.user, values=values)
        except ValidationError as error:
            add_service_errors(form, error, {"company": "company_name"})
        else:
            return _after_save(
                request, contacts_visible_to(request.user), contact, "contacts:detail"
            )
    return render(request, "contacts/contact_form.html", _form_context(request, form, None))


def _duplicates_unless_allowed(
    request: AuthenticatedRequest,
    find: Callable[[User, dict[str, Any]], list[Any]],
    values: dict[str, Any],
) -> list[Any]:
    """The likely duplicates of a record about to be created, unless the user already chose
    to save it anyway (the warning's button)."""
    if request.POST.get("allow_duplicate"):
        return []
    return find(request.user, values)


def _form_context(request: AuthenticatedRequest, form: Any, record: Any) -> dict[str, Any]:
    return {
        "form": form,
        "record": record,
        "city_options": sorted({city for cities in CITIES.values() for city in cities}),
        "company_options": list(
            companies_visible_to(request.user).order_by("-id").values_list("name", flat=True)[:200]
        ),
    }


@login_required
def contact_edit(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    require_permission(request.user, "write", "contacts")
    contact = _visible_contact(request, contact_id)
    form = ContactForm(request.POST or None, user=request.user, contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(
                actor=request.user,
                contact=contact,
                values=form.service_values(),
            )
        except ValidationError as error:
            add_service_errors(form, error, {"company": "company_name"})
        else:
            return _after_save(
                request, contacts_visible_to(request.user), contact, "contacts:detail"
            )
    return render(request, "contacts/contact_form.html", _form_context(request, form, contact))


@login_required
@require_POST
def contact_delete(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    if not has_permission(request.user, "delete", "contacts"):
        raise PermissionDenied
    contact = _visible_contact(request, contact_id)
    try:
        services.contact_delete(actor=request.user, contact=contact)
    except ValidationError as error:
        flash_service_errors(request, error)
        return redirect("contacts:detail", contact_id=contact.pk)
    messages.success(request, _("Contact deleted."))
    return redirect("contacts:list")


@login_required
@require_POST
def contact_consent(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    require_permission(request.user, "write", "contacts")
    contact = _visible_contact(request, contact_id)
    form = ConsentForm(request.POST)
    if form.is_valid():
        services.contact_set_consent(
            actor=request.user,
            contact=contact,
            **form.cleaned_data,
        )
        messages.success(request, _("Consent recorded."))
    else:
        messages.error(request, _("Choose a channel, a status and how consent was given."))
    return redirect("contacts:detail", contact.pk)


@login_required
def company_autocomplete(request: AuthenticatedRequest) -> HttpResponse:
    """``<option>`` elements of visible companies matching ``q`` (for the contact form)."""
    from .selectors import apply_search

    query = request.GET.get("company_name", "") or request.GET.get("q", "")
    companies = apply_search(companies_visible_to(request.user), query).order_by("name")[:15]
    return render(request, "contacts/_company_options.html", {"companies": companies})


@login_required
def company_list(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "companies")
    filters = _filters(request)
    sort = filters.get("sort", "name")
    queryset = (
        companies_filtered(request.user, filters)
        .select_related("owner")
        .annotate(people_total=Count("people"))
    )
    try:
        page = keyset_page(
            queryset,
            ordering=COMPANY_SORTS.get(sort, COMPANY_SORTS["name"]),
            cursor=request.GET.get("cursor") or None,
            limit=PAGE_SIZE,
        )
    except ValidationError:
        raise Http404 from None
    context = {
        "companies": page.items,
        "next_cursor": page.next_cursor,
        "next_query": _querystring(filters, cursor=page.next_cursor or ""),
        "filters": filters,
        "export_query": _querystring(filters),
        "can_write": has_permission(request.user, "write", "companies"),
    }
    return render(request, "contacts/company_list.html", context)


def _visible_company(request: AuthenticatedRequest, company_id: int) -> Company:
    company = (
        companies_visible_to(request.user)
        .select_related("owner")
        .prefetch_related("tags")
        .filter(pk=company_id)
        .first()
    )
    if company is None:
        raise Http404
    return company


@login_required
def company_detail(request: AuthenticatedRequest, company_id: int) -> HttpResponse:
    require_permission(request.user, "read", "companies")
    company = _visible_company(request, company_id)
    context = {
        "company": company,
        "people": list(
            contacts_visible_to(request.user)
            .filter(company=company)
            .prefetch_related("phones")
            .order_by("last_name", "first_name")[:100]
        ),
        "tasks": list(company.tasks.filter(status=TaskStatus.OPEN).select_related("assignee")[:20]),
        "activity_form": ActivityForm(),
        "merges": list(company.merges.filter(undone_at__isnull=True)[:5]),
        "can_write": has_permission(request.user, "write", "companies"),
        "can_delete": has_permission(request.user, "delete", "companies"),
        **timeline_context(request, timeline_for_company(company), request.path),
    }
    if request.headers.get("HX-Request"):
        return render(request, "timeline/_timeline.html", context)
    return render(request, "contacts/company_detail.html", context)


@login_required
def company_create(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "write", "companies")
    form = CompanyForm(request.POST or None, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        duplicates = _duplicates_unless_allowed(request, possible_company_duplicates, values)
        if duplicates:
            context = _form_context(request, form, None)
            return render(
                request, "contacts/company_form.html", {**context, "duplicates": duplicates}
            )
        try:
            company = services.company_create(actor=request.user, values=values)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_save(
                request, companies_visible_to(request.user), company, "contacts:company_detail"
            )
    return render(request, "contacts/company_form.html", _form_context(request, form, None))


@login_required
def company_edit(request: AuthenticatedRequest, company_id: int) -> HttpResponse:
    require_permission(request.user, "write", "companies")
    company = _visible_company(request, company_id)
    form = CompanyForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_update(
                actor=request.user,
                company=company,
                values=form.service_values(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_save(
                request, companies_visible_to(request.user), company, "contacts:company_detail"
            )
    return render(request, "contacts/company_form.html", _form_context(request, form, company))


@login_required
@require_POST
def company_delete(request: AuthenticatedRequest, company_id: int) -> HttpResponse:
    if not has_permission(request.user, "delete", "companies"):
        raise PermissionDenied
    company = _visible_company(request, company_id)
    services.company_delete(actor=request.user, company=company)
    messages.success(request, _("Company deleted."))
    return redirect("contacts:company_list")
