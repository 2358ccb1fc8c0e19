"""Duplicate review queue, the merge page and undo."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.models import User
from peyvand.accounts.permissions import Area, has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.common.jalali import format_date

from .company_merging import (
    COMPANY_MERGE_FIELDS,
    companies_merge,
    company_merge_choices,
    company_merge_undo,
)
from .duplicates import Reason
from .merging import (
    MERGE_FIELDS,
    contact_merge_undo,
    contacts_merge,
    duplicate_dismiss,
    merge_choices,
)
from .models import (
    CompanyDuplicateCandidate,
    CompanyMerge,
    ContactMerge,
    DuplicateCandidate,
    DuplicateStatus,
    QueuedPair,
)
from .selectors import companies_visible_to, contacts_visible_to

QUEUE_SIZE = 100


@dataclass(frozen=True)
class _Kind:
    """What differs between the contact and the company queue, merge page and undo."""

    area: Area
    candidates: type[DuplicateCandidate] | type[CompanyDuplicateCandidate]
    visible: Callable[[User], QuerySet[Any]]
    detail: str  # URL name of a record's page
    merge_url: str
    dismiss_url: str
    prefetch: tuple[str, ...]
    merges: type[ContactMerge] | type[CompanyMerge]
    undo: Callable[..., Any]  # the undo service: (*, actor, merge) -> the survivor
    merge: Callable[..., Any]  # the merge service: (*, actor, survivor, others, choices)


KINDS = {
    "contacts": _Kind(
        area="contacts",
        candidates=DuplicateCandidate,
        visible=contacts_visible_to,
        detail="contacts:detail",
        merge_url="contacts:merge",
        dismiss_url="contacts:duplicate_dismiss",
        prefetch=("first__phones", "second__phones"),
        merges=ContactMerge,
        undo=contact_merge_undo,
        merge=contacts_merge,
    ),
    "companies": _Kind(
        area="companies",
        candidates=CompanyDuplicateCandidate,
        visible=companies_visible_to,
        detail="contacts:company_detail",
        merge_url="contacts:company_merge",
        dismiss_url="contacts:company_duplicate_dismiss",
        prefetch=(),
        merges=CompanyMerge,
        undo=company_merge_undo,
        merge=companies_merge,
    ),
}


def reasons_of(candidate: QueuedPair) -> list[str]:
    return [
        Reason(code=item.get("code", ""), similarity=item.get("similarity")).text()
        for item in candidate.reasons
    ]


@login_required
def duplicate_queue(request: AuthenticatedRequest) -> HttpResponse:
    """Open pairs (of contacts, or of companies with ``?kind=companies``) where the user may
    see both records, most likely first."""
    name = "companies" if request.GET.get("kind") == "companies" else "contacts"
    kind = KINDS[name]
    require_permission(request.user, "read", kind.area)
    visible = kind.visible(request.user).values("pk")
    candidates = list(
        kind.candidates._default_manager.filter(
            status=DuplicateStatus.OPEN, first__in=visible, second__in=visible
        )
        .select_related("first", "second")
        .prefetch_related(*kind.prefetch)
        .order_by("-score", "id")[:QUEUE_SIZE]
    )
    rows = [
        (candidate, (candidate.first, candidate.second), reasons_of(candidate))  # type: ignore[attr-defined]
        for candidate in candidates
    ]
    context = {
        "rows": rows,
        "kind": name,
        "detail_url": kind.detail,
        "merge_url": kind.merge_url,
        "dismiss_url": kind.dismiss_url,
        "can_merge": has_permission(request.user, "delete", kind.area),
        # "Scan now" scans both kinds: whoever may merge either may start it.
        "can_scan": any(
            has_permission(request.user, "delete", other.area) for other in KINDS.values()
        ),
    }
    return render(request, "contacts/duplicate_queue.html", context)


@login_required
@require_POST
def duplicate_scan_now(request: AuthenticatedRequest) -> HttpResponse:
    if not any(has_permission(request.user, "delete", kind.area) for kind in KINDS.values()):
        raise PermissionDenied
    from .tasks import scan_duplicates

    transaction.on_commit(lambda: scan_duplicates.enqueue())
    messages.info(request, _("The scan has started; refresh this page in a minute."))
    if request.POST.get("kind") == "companies":
        return redirect(_companies_queue())
    return redirect("contacts:duplicates")


def _companies_queue() -> str:
    return reverse("contacts:duplicates") + "?kind=companies"


@login_required
@require_POST
def duplicate_dismiss_view(
    request: AuthenticatedRequest, candidate_id: int, kind: str = "contacts"
) -> HttpResponse:
    spec = KINDS[kind]
    visible = spec.visible(request.user).values("pk")
    candidate = spec.candidates._default_manager.filter(
        pk=candidate_id, first__in=visible, second__in=visible
    ).first()
    if candidate is None:
        raise Http404
    duplicate_dismiss(actor=request.user, candidate=candidate)
    if kind == "companies":
        messages.success(request, _("Marked as different companies."))
        return redirect(_companies_queue())
    messages.success(request, _("Marked as different people."))
    return redirect("contacts:duplicates")


_MAX_ID = 2**63 - 1  # a larger number is no id (and SQLite cannot even compare it)


def _ids(raw: str) -> list[int]:
    # Each id once: "5,5" is one record, not two.
    ids = (int(part) for part in raw.split(",") if part.strip().isdecimal())
    return list(dict.fromkeys(pk for pk in ids if pk <= _MAX_ID))[:5]


def _merge_records(
    request: AuthenticatedRequest, queryset: QuerySet[Any]
) -> tuple[list[int], list[Any]]:
    """The records named by ``ids`` (all visible, at least two), survivor first; 404 else."""
    ids = _ids(request.GET.get("ids", "") or request.POST.get("ids", ""))
    found = {record.pk: record for record in queryset.filter(pk__in=ids)}
    if len(ids) < 2 or len(found) != len(set(ids)):
        raise Http404
    survivor = str(request.POST.get("survivor", ids[0]))
    if not survivor.isdecimal() or int(survivor) not in found:
        raise Http404
    survivor_id = int(survivor)
    return ids, [found[survivor_id], *(found[pk] for pk in ids if pk != survivor_id)]


def _posted_choices(request: AuthenticatedRequest, fields: Sequence[str]) -> dict[str, int]:
    return {
        field: int(value)
        for field in fields
        if (value := request.POST.get(f"pick_{field}", "")).isdecimal()
    }


def _differing_rows(
    records: Sequence[Any], fields: Sequence[str], picks: Mapping[str, int]
) -> list[dict[str, Any]]:
    """One row per field whose values differ: its label, each record's value, the pick."""
    rows: list[dict[str, Any]] = []
    for field in fields:
        model_field = type(records[0])._meta.get_field(field)
        values = []
        for record in records:
            display = getattr(record, f"get_{field}_display", None)
            value = display() if callable(display) else getattr(record, field)
            if isinstance(value, datetime.date):
                value = format_date(value)  # Jalali in Farsi, like every other page
            if isinstance(value, bool):
                value = _("Yes") if value else _("No")
            values.append((record.pk, "" if value in (None, "") else str(value)))
        if len({value for _pk, value in values}) > 1:
            rows.append(
                {
                    "field": field,
                    "label": str(getattr(model_field, "verbose_name", field)),
                    "values": values,
                    "pick": picks[field],
                }
            )
    return rows


@login_required
def merge_contacts(request: AuthenticatedRequest) -> HttpResponse:
    """Compare two or more contacts field by field and merge them into the first."""
    require_permission(request.user, "delete", "contacts")
    ids, contacts = _merge_records(
        request,
        contacts_visible_to(request.user)
        .select_related("owner", "company")
        .prefetch_related("phones", "emails", "tags"),
    )
    if request.method == "POST":
        try:
            merge = contacts_merge(
                actor=request.user,
                survivor=contacts[0],
                others=contacts[1:],
                choices=_posted_choices(request, MERGE_FIELDS),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Contacts merged. You can undo this from the timeline."))
            return redirect("contacts:detail", merge.survivor_id)
    context = {
        "contacts": contacts,
        "rows": _differing_rows(contacts, MERGE_FIELDS, merge_choices(contacts)),
        "ids": ",".join(map(str, ids)),
    }
    return render(request, "contacts/merge.html", context)


@login_required
def merge_companies(request: AuthenticatedRequest) -> HttpResponse:
    """Compare two or more companies field by field and merge them into the chosen one."""
    require_permission(request.user, "delete", "companies")
    ids, companies = _merge_records(
        request,
        companies_visible_to(request.user)
        .select_related("owner", "account_team")
        .prefetch_related("tags"),
    )
    if request.method == "POST":
        try:
            merge = companies_merge(
                actor=request.user,
                survivor=companies[0],
                others=companies[1:],
                choices=_posted_choices(request, COMPANY_MERGE_FIELDS),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Companies merged. You can undo this on the company page."))
            return redirect("contacts:company_detail", merge.survivor_id)
    context = {
        "companies": companies,
        "rows": _differing_rows(companies, COMPANY_MERGE_FIELDS, company_merge_choices(companies)),
        "ids": ",".join(map(str, ids)),
    }
    return render(request, "contacts/company_merge.html", context)


@login_required
@require_POST
def merge_undo(
    request: AuthenticatedRequest, merge_id: int, kind: str = "contacts"
) -> HttpResponse:
    """Undo a merge of contacts (or of companies, ``kind="companies"``) whose survivor the
    user may see; back to the survivor's page."""
    spec = KINDS[kind]
    merge = spec.merges.objects.filter(pk=merge_id).first()
    if merge is None or not spec.visible(request.user).filter(pk=merge.survivor_id).exists():
        raise Http404
    try:
        survivor = spec.undo(actor=request.user, merge=merge)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(spec.detail, merge.survivor_id)
    messages.success(request, _("The merge was undone."))
    return redirect(spec.detail, survivor.pk)
