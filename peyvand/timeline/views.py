"""Pages for tasks, and the handlers that log activities from a contact's or company's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.common.pagination import keyset_page
from peyvand.contacts.selectors import companies_visible_to, contacts_visible_to
from peyvand.web.form_errors import add_service_errors

from . import services
from .forms import ActivityForm, TaskForm
from .models import Event, Task, TaskStatus
from .selectors import TIMELINE_KINDS, my_day, tasks_visible_to, timeline_for_contact

TIMELINE_KIND_LABELS = [
    ("note", _("Notes")),
    ("call", _("Calls")),
    ("meeting", _("Meetings")),
    ("email", _("Emails")),
    ("sms", _("SMS")),
    ("task", _("Tasks")),
    ("record", _("Changes")),
]


def timeline_context(
    request: HttpRequest, events_queryset: QuerySet[Event], url: str
) -> dict[str, object]:
    """What ``timeline/_timeline.html`` needs: one page of events plus the filter."""
    kind = request.GET.get("kind", "")
    page = keyset_page(
        events_queryset,
        ordering=["-occurred_at", "-id"],
        cursor=request.GET.get("cursor") or None,
        limit=30,
    )
    return {
        "events": page.items,
        "next_cursor": page.next_cursor,
        "kind": kind if kind in TIMELINE_KINDS else "",
        "timeline_kinds": [(value, str(label)) for value, label in TIMELINE_KIND_LABELS],
        "timeline_url": url,
    }


@login_required
def contact_timeline(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    """The timeline fragment of a contact (htmx filter and paging)."""
    require_permission(request.user, "read", "timeline")
    contact = contacts_visible_to(request.user).filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    kind = request.GET.get("kind", "")
    events = timeline_for_contact(contact, kinds=[kind] if kind in TIMELINE_KINDS else None)
    context = timeline_context(request, events, request.path)
    return render(request, "timeline/_timeline.html", context)


def _activity_links(
    request: AuthenticatedRequest, record_type: str, record_id: int
) -> dict[str, object]:
    """The visible record an activity is logged on, plus the deal's or lead's contact and
    company; 404 for anything the user cannot see."""
    from peyvand.sales.selectors import deals_visible_to, leads_visible_to

    if record_type == "contact":
        contact = contacts_visible_to(request.user).filter(pk=record_id).first()
        if contact is None:
            raise Http404
        return {"contact": contact}
    if record_type == "company":
        company = companies_visible_to(request.user).filter(pk=record_id).first()
        if company is None:
            raise Http404
        return {"company": company}
    if record_type == "deal":
        deal = deals_visible_to(request.user).filter(pk=record_id).first()
        if deal is None:
            raise Http404
        return {"deal": deal, "contact": deal.contact, "company": deal.company}
    if record_type == "lead":
        lead = leads_visible_to(request.user).filter(pk=record_id).first()
        if lead is None:
            raise Http404
        return {"lead": lead, "contact": lead.contact}
    raise Http404


@login_required
@require_POST
def activity_create(
    request: AuthenticatedRequest, record_type: str, record_id: int
) -> HttpResponse:
    """Log an activity against a visible contact, company, deal or lead, then back to its
    page. An activity on a deal or lead also shows on its contact's and company's timelines."""
    require_permission(request.user, "write", "timeline")
    links = _activity_links(request, record_type, record_id)
    target = {
        "contact": "contacts:detail",
        "company": "contacts:company_detail",
        "deal": "sales:deal_detail",
        "lead": "sales:lead_detail",
    }[record_type]
    form = ActivityForm(request.POST)
    if form.is_valid():
        values = {**form.service_values(), **links}
        try:
            services.activity_log(actor=request.user, values=values)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved on the timeline."))
            return redirect(target, record_id)
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        text = " ".join(str(error) for error in errors)
        messages.error(request, f"{label}: {text}" if label else text)
    return redirect(target, record_id)


@login_required
def task_list(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "tasks")
    status = request.GET.get("status", "open")
    scope = request.GET.get("scope", "mine")
    tasks = tasks_visible_to(request.user).select_related("assignee", "contact", "company")
    if scope == "mine":
        tasks = tasks.filter(assignee=request.user)
    if status in TaskStatus.values:
        tasks = tasks.filter(status=status)
    page = keyset_page(tasks, ordering=["-id"], cursor=request.GET.get("cursor"), limit=50)
    context = {
        "tasks": page.items,
        "next_cursor": page.next_cursor,
        "status": status,
        "scope": scope,
        "day": my_day(request.user),
        "statuses": TaskStatus.choices,
    }
    return render(request, "timeline/task_list.html", context)


def _linked_record(request: AuthenticatedRequest) -> dict[str, object]:
    """The visible records a new task is about (``?contact=``, ``company``, ``deal``,
    ``lead``); a deal or lead also brings its contact and company. 404 when not visible."""
    values: dict[str, object] = {}
    for field in ("contact", "company", "deal", "lead"):
        record_id = request.GET.get(field) or request.POST.get(field)
        if record_id and record_id.isdigit():
            links = _activity_links(request, field, int(record_id))
            values.update({key: value for key, value in links.items() if value is not None})
    return values


@login_required
def task_create(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "write", "tasks")
    linked = _linked_record(request)
    form = TaskForm(request.POST or None, initial={"assignee": request.user})
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_create(
                actor=request.user,
                values={**form.service_values(), **linked},
            )
        except ValidationError as error:
            add_service_errors(
                form, error, {"due_at": "due_date", "remind_at": "remind_minutes_before"}
            )
        else:
            messages.success(request, _("Task created."))
            return redirect("timeline:task_detail", task.pk)
    return render(request, "timeline/task_form.html", {"form": form, "linked": linked})


def _visible_task(request: AuthenticatedRequest, task_id: int) -> Task:
    task = (
        tasks_visible_to(request.user)
        .select_related("assignee", "contact", "company", "created_by")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise Http404
    return task


@login_required
def task_detail(request: AuthenticatedRequest, task_id: int) -> HttpResponse:
    require_permission(request.user, "read", "tasks")
    task = _visible_task(request, task_id)
    return render(
        request,
        "timeline/task_detail.html",
        {"task": task, "can_write": has_permission(request.user, "write", "tasks")},
    )


@login_required
def task_edit(request: AuthenticatedRequest, task_id: int) -> HttpResponse:
    require_permission(request.user, "write", "tasks")
    task = _visible_task(request, task_id)
    form = TaskForm(request.POST or None, initial=TaskForm.initial_from(task))
    if request.method == "POST" and form.is_valid():
        try:
            services.task_update(actor=request.user, task=task, values=form.service_values())
        except ValidationError as error:
            add_service_errors(
                form, error, {"due_at": "due_date", "remind_at": "remind_minutes_before"}
            )
        else:
            messages.success(request, _("Task saved."))
            return redirect("timeline:task_detail", task.pk)
    return render(request, "timeline/task_form.html", {"form": form, "task": task})


@login_required
@require_POST
def task_complete(request: AuthenticatedRequest, task_id: int) -> HttpResponse:
    require_permission(request.user, "write", "tasks")
    task = _visible_task(request, task_id)
    services.task_complete(actor=request.user, task=task)
    messages.success(request, _("Task completed."))
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return redirect("timeline:task_detail", task.pk)


@login_required
@require_POST
def task_delete(request: AuthenticatedRequest, task_id: int) -> HttpResponse:
    if not has_permission(request.user, "delete", "tasks"):
        raise PermissionDenied
    task = _visible_task(request, task_id)
    services.task_delete(actor=request.user, task=task)
    messages.success(request, _("Task deleted."))
    return redirect("timeline:task_list")
