"""The agent's side of the service desk: the ticket inbox, a ticket's page (thread,
reply or note with canned responses, status, complaint steps, merge and split), logging a
ticket by hand, and canned responses."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.models import Team, User
from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.common.pagination import keyset_page
from peyvand.contacts.selectors import contact_first_email, contacts_visible_to
from peyvand.sales.forms import picker_options
from peyvand.timeline.models import Event
from peyvand.web.form_errors import add_service_errors, flash_service_errors
from peyvand.web.redirects import redirect_after_save

from .attachments import attachment_response
from .canned import (
    canned_delete,
    canned_render,
    canned_save,
    canned_values,
    canned_visible_to,
)
from .forms import (
    CannedResponseForm,
    ComplaintStepForm,
    MergeForm,
    ReplyForm,
    SplitForm,
    StatusForm,
    TicketCreateForm,
    TicketEditForm,
)
from .merging import ticket_merge, ticket_split
from .models import (
    CannedResponse,
    ComplaintStep,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketPriority,
    TicketStatus,
)
from .selectors import (
    TICKET_SORTS,
    ticket_visible_or_404,
    tickets_filtered,
    tickets_visible_to,
)
from .tickets import (
    ticket_complaint_step,
    ticket_create,
    ticket_reply,
    ticket_set_status,
    ticket_update,
)

_FILTER_KEYS = ("view", "status", "priority", "category", "assignee", "team", "sla", "tag", "q")


@login_required
def ticket_inbox(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "tickets")
    filters = {key: str(request.GET[key]) for key in _FILTER_KEYS if request.GET.get(key)}
    sort = str(request.GET.get("sort") or "newest")
    queryset = (
        tickets_filtered(request.user, filters)
        .select_related("contact", "company", "assignee", "team", "category")
        .prefetch_related("tags")
    )
    try:
        page = keyset_page(
            queryset,
            ordering=TICKET_SORTS.get(sort, TICKET_SORTS["newest"]),
            cursor=request.GET.get("cursor") or None,
            limit=50,
        )
    except ValidationError:
        raise Http404 from None
    context = {
        "tickets": page.items,
        "next_cursor": page.next_cursor,
        "next_query": urlencode({**filters, "sort": sort, "cursor": page.next_cursor or ""}),
        "filters": filters,
        "sort": sort,
        "views": [
            ("", _("All I can see")),
            ("mine", _("Mine")),
            ("unassigned", _("Unassigned")),
            ("team", _("My teams")),
        ],
        "statuses": [("active", _("Not solved")), ("all", _("Any status")), *TicketStatus.choices],
        "priorities": TicketPriority.choices,
        "categories": TicketCategory.objects.filter(is_active=True),
        "users": User.objects.filter(is_active=True),
        "teams": Team.objects.all(),
        "sorts": [("newest", _("Newest")), ("oldest", _("Oldest")), ("updated", _("Updated"))],
        "can_write": has_permission(request.user, "write", "tickets"),
    }
    return render(request, "service/ticket_inbox.html", context)


@login_required
def ticket_create_view(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "write", "tickets")
    initial: dict[str, object] = {}
    contact_id = str(request.GET.get("contact", ""))
    if contact_id.isdigit():
        contact = contacts_visible_to(request.user).filter(pk=int(contact_id)).first()
        if contact is not None:
            initial = {"contact": contact, "company": contact.company}
            initial["requester_email"] = contact_first_email(contact)
    form = TicketCreateForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = ticket_create(
                actor=request.user,
                values=form.service_values(),
                body=data["body"],
                channel=data["channel"],
                requester_email=data.get("requester_email") or "",
                is_complaint=bool(data.get("is_complaint")),
                files=data.get("attachments") or [],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_save(request, ticket)
    return _ticket_form(request, form, None)


@login_required
def ticket_edit(request: AuthenticatedRequest, ticket_id: int) -> HttpResponse:
    require_permission(request.user, "write", "tickets")
    ticket = ticket_visible_or_404(request.user, ticket_id)
    form = TicketEditForm(request.POST or None, user=request.user, ticket=ticket)
    if request.method == "POST" and form.is_valid():
        try:
            ticket_update(actor=request.user, ticket=ticket, values=form.service_values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_save(request, ticket)
    return _ticket_form(request, form, ticket)


def _after_save(request: AuthenticatedRequest, ticket: Ticket) -> HttpResponse:
    """The ticket's page, or the inbox when the save handed it out of the user's sight."""
    visible = tickets_visible_to(request.user)
    return redirect_after_save(request, visible, ticket, "service:ticket_detail", "service:inbox")


def _ticket_form(
    request: AuthenticatedRequest, form: TicketCreateForm | TicketEditForm, ticket: Ticket | None
) -> HttpResponse:
    context = {"form": form, "record": ticket, **picker_options(request.user)}
    return render(request, "service/ticket_form.html", context)


def _canned_choices(request: AuthenticatedRequest, ticket: Ticket) -> list[dict[str, str]]:
    values = canned_values(ticket, request.user)
    return [
        {
            "id": str(canned.pk),
            "title": canned.title,
            "text": canned_render(canned, ticket, request.user, values),
        }
        for canned in canned_visible_to(request.user)
        if canned.category_id in (None, ticket.category_id)
    ]


@login_required
def ticket_detail(request: AuthenticatedRequest, ticket_id: int) -> HttpResponse:
    require_permission(request.user, "read", "tickets")
    ticket = ticket_visible_or_404(request.user, ticket_id)
    thread = list(
        ticket.messages.select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    history = (
        Event.objects.filter(subject_type="ticket", subject_id=ticket.pk)
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:50]
    )
    can_write = has_permission(request.user, "write", "tickets")
    context = {
        "ticket": ticket,
        "thread": thread,
        "history": history,
        "tags": list(ticket.tags.all()),
        "can_write": can_write and ticket.status != TicketStatus.CLOSED,
        "reply_form": ReplyForm(),
        "status_form": StatusForm(initial={"status": ticket.status}),
        "complaint_form": ComplaintStepForm(initial={"step": _next_step(ticket.complaint_step)}),
        "merge_form": MergeForm(),
        "split_form": SplitForm(ticket=ticket),
        "canned": _canned_choices(request, ticket) if can_write else [],
        "merged_tickets": list(ticket.merged_tickets.only("pk", "subject")),
        "split_tickets": list(ticket.split_tickets.only("pk", "subject")),
        "complaint_steps": ComplaintStep.choices,
    }
    return render(request, "service/ticket_detail.html", context)


def _next_step(current: str) -> str:
    steps = [value for value, _label in ComplaintStep.choices]
    if current not in steps:
        return steps[0]
    return steps[min(steps.index(current) + 1, len(steps) - 1)]


def _act(
    request: AuthenticatedRequest, ticket: Ticket, action: Callable[[], object], success: str = ""
) -> HttpResponse:
    """Run one service call from a button on the ticket's page and go back to it, with its
    errors (or ``success``) as messages."""
    try:
        action()
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        if success:
            messages.success(request, success)
    return redirect("service:ticket_detail", ticket.pk)


@login_required
@require_POST
def ticket_reply_view(request: AuthenticatedRequest, ticket_id: int) -> HttpResponse:
    require_permission(request.user, "write", "tickets")
    ticket = ticket_visible_or_404(request.user, ticket_id)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return redirect("service:ticket_detail", ticket.pk)
    data = form.cleaned_data
    try:
        ticket_reply(
            actor=request.user,
            ticket=ticket,
            body=data["body"],
            internal=data["internal"],
            files=data.get("attachments") or [],
        )
        if data.get("then_status"):
            ticket_set_status(actor=request.user, ticket=ticket, status=data["then_status"])
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("Note saved.") if data["internal"] else _("Reply sent."))
    return redirect("service:ticket_detail", ticket.pk)


@login_required
@require_POST
def ticket_status_view(request: AuthenticatedRequest, ticket_id: int) -> HttpResponse:
    require_permission(request.user, "write", "tickets")
    ticket = ticket_visible_or_404(request.user, ticket_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return redirect("service:ticket_detail", ticket.pk)
    status = form.cleaned_data["status"]
    return _act(
        request,
        ticket,
        lambda: ticket_set_status(actor=request.user, ticket=ticket, status=status),
        _("Saved."),
    )


@login_required
@require_POST
def ticket_take(request: AuthenticatedRequest, ticket_id: int) -> HttpResponse:
    """ "Assign to me": the agent takes a ticket from the queue."""
    require_permission(request.user, "write", "tickets")
    ticket = ticket_visible_or_404(request.user, ticket_id)
    return _act(
        request,
        ticket,
        lambda: ticket_update(actor=request.user, ticket=ticket, values={"assignee": request.user}),
    )


@login_required
@require_POST
def ticket_complaint_view(request: AuthenticatedRequest, ticket_id: int) -> HttpResponse:
    require_permission(request.user, "write", "tickets")
    ticket = ticket_visible_or_404(request.user, ticket_id)
    form = ComplaintStepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid complaint step."))
        return redirect("service:ticket_detail", ticket.pk)
    step, note = form.cleaned_data["step"], form.cleaned_data.get("note") or ""
    return _act(
        request,
        ticket,
        lambda: ticket_complaint_step(actor=request.user, ticket=ticket, step=step, note=note),
        _("Saved."),
    )


@login_required
@require_POST
def ticket_merge_view(request: AuthenticatedRequest, ticket_id: int) -> HttpResponse:
    require_permission(request.user, "write", "tickets")
    ticket = ticket_visible_or_404(request.user, ticket_id)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the number of the ticket to merge into."))
        return redirect("service:ticket_detail", ticket.pk)
    target = tickets_visible_to(request.user).filter(pk=form.cleaned_data["target"]).first()
    if target is None:
        messages.error(request, _("There is no ticket with that number that you can see."))
        return redirect("service:ticket_detail", ticket.pk)
    try:
        ticket_merge(actor=request.user, source=ticket, target=target)
    except ValidationError as error:
        flash_service_errors(request, error)
        return redirect("service:ticket_detail", ticket.pk)
    messages.success(request, _("Merged into %(ticket)s.") % {"ticket": target})
    return redirect("service:ticket_detail", target.pk)


@login_required
@require_POST
def ticket_split_view(request: AuthenticatedRequest, ticket_id: int) -> HttpResponse:
    require_permission(request.user, "write", "tickets")
    ticket = ticket_visible_or_404(request.user, ticket_id)
    form = SplitForm(request.POST, ticket=ticket)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return redirect("service:ticket_detail", ticket.pk)
    try:
        new = ticket_split(
            actor=request.user,
            ticket=ticket,
            message_ids=form.cleaned_data["messages"],
            subject=form.cleaned_data["subject"],
        )
    except ValidationError as error:
        flash_service_errors(request, error)
        return redirect("service:ticket_detail", ticket.pk)
    messages.success(request, _("Split into %(ticket)s.") % {"ticket": new})
    return redirect("service:ticket_detail", new.pk)


def _own_canned(request: AuthenticatedRequest, canned_id: int) -> CannedResponse:
    canned = canned_visible_to(request.user).filter(pk=canned_id).first()
    if canned is None:
        raise Http404
    return canned


@login_required
def canned_list(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "tickets")
    context = {
        "responses": canned_visible_to(request.user).select_related("owner"),
        "can_write": has_permission(request.user, "write", "tickets"),
    }
    return render(request, "service/canned_list.html", context)


@login_required
def canned_edit(request: AuthenticatedRequest, canned_id: int | None = None) -> HttpResponse:
    require_permission(request.user, "write", "tickets")
    canned = _own_canned(request, canned_id) if canned_id is not None else None
    form = CannedResponseForm(request.POST or None, canned=canned)
    if request.method == "POST" and form.is_valid():
        try:
            canned_save(actor=request.user, values=form.cleaned_data, canned=canned)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("service:canned_list")
    return render(request, "service/canned_form.html", {"form": form, "record": canned})


@login_required
@require_POST
def canned_delete_view(request: AuthenticatedRequest, canned_id: int) -> HttpResponse:
    require_permission(request.user, "write", "tickets")
    canned = _own_canned(request, canned_id)
    try:
        canned_delete(actor=request.user, canned=canned)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("Deleted."))
    return redirect("service:canned_list")


@login_required
def attachment_download(request: AuthenticatedRequest, attachment_id: int) -> FileResponse:
    """A ticket's file, only for someone who sees the ticket, always as a download (never
    rendered inline: a customer's HTML or SVG must not run in the agent's session)."""
    require_permission(request.user, "read", "tickets")
    attachment = (
        TicketAttachment.objects.filter(
            pk=attachment_id, ticket__in=tickets_visible_to(request.user)
        )
        .only("file", "name", "content_type")
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment_response(attachment)
