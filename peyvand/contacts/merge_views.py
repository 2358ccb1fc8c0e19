"""Duplicate review queue, the merge page and undo."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.common.jalali import format_date

from .duplicates import Reason
from .merging import MERGE_FIELDS, contact_merge_undo, contacts_merge, duplicate_dismiss
from .models import Contact, ContactMerge, DuplicateCandidate, DuplicateStatus
from .selectors import contacts_visible_to

QUEUE_SIZE = 100


def reasons_of(candidate: DuplicateCandidate) -> list[str]:
    return [
        Reason(code=item.get("code", ""), similarity=item.get("similarity")).text()
        for item in candidate.reasons
    ]


@login_required
def duplicate_queue(request: AuthenticatedRequest) -> HttpResponse:
    """Open pairs where the user may see both contacts, most likely first."""
    require_permission(request.user, "read", "contacts")
    visible = contacts_visible_to(request.user).values("pk")
    candidates = list(
        DuplicateCandidate.objects.filter(
            status=DuplicateStatus.OPEN, first__in=visible, second__in=visible
        )
        .select_related("first", "second")
        .prefetch_related("first__phones", "second__phones")
        .order_by("-score", "id")[:QUEUE_SIZE]
    )
    rows = [(candidate, reasons_of(candidate)) for candidate in candidates]
    return render(
        request,
        "contacts/duplicate_queue.html",
        {"rows": rows, "can_merge": has_permission(request.user, "delete", "contacts")},
    )


@login_required
@require_POST
def duplicate_scan_now(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "delete", "contacts")
    from .tasks import scan_duplicates

    transaction.on_commit(lambda: scan_duplicates.enqueue())
    messages.info(request, _("The scan has started; refresh this page in a minute."))
    return redirect("contacts:duplicates")


@login_required
@require_POST
def duplicate_dismiss_view(request: AuthenticatedRequest, candidate_id: int) -> HttpResponse:
    visible = contacts_visible_to(request.user).values("pk")
    candidate = DuplicateCandidate.objects.filter(
        pk=candidate_id, first__in=visible, second__in=visible
    ).first()
    if candidate is None:
        raise Http404
    duplicate_dismiss(actor=request.user, candidate=candidate)
    messages.success(request, _("Marked as different people."))
    return redirect("contacts:duplicates")


_MAX_ID = 2**63 - 1  # a larger number is no id (and SQLite cannot even compare it)


def _ids(raw: str) -> list[int]:
    # Each id once: "5,5" is one contact, not two.
    ids = (int(part) for part in raw.split(",") if part.strip().isdecimal())
    return list(dict.fromkeys(pk for pk in ids if pk <= _MAX_ID))[:5]


@login_required
def merge_contacts(request: AuthenticatedRequest) -> HttpResponse:
    """Compare two or more contacts field by field and merge them into the first."""
    require_permission(request.user, "delete", "contacts")
    ids = _ids(request.GET.get("ids", "") or request.POST.get("ids", ""))
    found = {
        contact.pk: contact
        for contact in contacts_visible_to(request.user)
        .filter(pk__in=ids)
        .select_related("owner", "company")
        .prefetch_related("phones", "emails", "tags")
    }
    if len(ids) < 2 or len(found) != len(set(ids)):
        raise Http404
    survivor = str(request.POST.get("survivor", ids[0]))
    if not survivor.isdecimal() or int(survivor) not in found:
        raise Http404
    survivor_id = int(survivor)
    contacts = [found[survivor_id], *(found[pk] for pk in ids if pk != survivor_id)]
    if request.method == "POST":
        choices = {
            field: int(value)
            for field in MERGE_FIELDS
            if (value := request.POST.get(f"pick_{field}", "")).isdecimal()
        }
        try:
            merge = contacts_merge(
                actor=request.user, survivor=contacts[0], others=contacts[1:], choices=choices
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Contacts merged. You can undo this from the timeline."))
            return redirect("contacts:detail", merge.survivor_id)
    from .merging import merge_choices

    picks = merge_choices(contacts)
    rows: list[dict[str, Any]] = []
    for field in MERGE_FIELDS:
        model_field = Contact._meta.get_field(field)
        values = []
        for contact in contacts:
            display = getattr(contact, f"get_{field}_display", None)
            value = display() if callable(display) else getattr(contact, field)
            if isinstance(value, datetime.date):
                value = format_date(value)  # Jalali in Farsi, like every other page
            values.append((contact.pk, "" if value in (None, "") else str(value)))
        if len({value for _pk, value in values}) > 1:
            rows.append(
                {
                    "field": field,
                    "label": str(getattr(model_field, "verbose_name", field)),
                    "values": values,
                    "pick": picks[field],
                }
            )
    context = {"contacts": contacts, "rows": rows, "ids": ",".join(map(str, ids))}
    return render(request, "contacts/merge.html", context)


@login_required
@require_POST
def merge_undo(request: AuthenticatedRequest, merge_id: int) -> HttpResponse:
    merge = ContactMerge.objects.filter(pk=merge_id).first()
    if merge is None or not contacts_visible_to(request.user).filter(pk=merge.survivor_id).exists():
        raise Http404
    try:
        survivor = contact_merge_undo(actor=request.user, merge=merge)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("contacts:detail", merge.survivor_id)
    messages.success(request, _("The merge was undone."))
    return redirect("contacts:detail", survivor.pk)
