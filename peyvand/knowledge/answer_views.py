"""Suggested articles and generated answer drafts for one ticket, under
``/kb/tickets/<id>/answer/``: draft an answer, approve it (as edited) or discard it. The
ticket comes from ``tickets_visible_to``, so a ticket the user cannot see is a 404. The
actions go back to ``next`` (the ticket page that holds ``knowledge/_answer_draft.html``)
when it is an address on this site."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.service.models import MessageKind, Ticket
from peyvand.service.selectors import ticket_visible_or_404
from peyvand.web.form_errors import flash_service_errors

from .answers import answer_draft_approve, answer_draft_create, answer_draft_discard
from .models import AnswerDraft, AnswerDraftStatus


def _pending_draft(ticket: Ticket, draft_id: int) -> AnswerDraft:
    draft = ticket.answer_drafts.filter(pk=draft_id).first()
    if draft is None:
        raise Http404
    return draft


def _back(request: AuthenticatedRequest, ticket: Ticket) -> HttpResponse:
    target = str(request.POST.get("next", ""))
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(reverse("knowledge:ticket_answer", args=[ticket.pk]))


@login_required
def ticket_answer(request: AuthenticatedRequest, ticket_id: int) -> HttpResponse:
    """The ticket's question, the suggested articles and the answer drafts."""
    require_permission(request.user, "read", "tickets")
    ticket = ticket_visible_or_404(request.user, ticket_id)
    context = {
        "ticket": ticket,
        "customer_messages": ticket.messages.filter(kind=MessageKind.CUSTOMER),
        "decided_drafts": ticket.answer_drafts.exclude(status=AnswerDraftStatus.PENDING)
        .select_related("decided_by")
        .order_by("-id")[:10],
    }
    return render(request, "knowledge/ticket_answer.html", context)


@login_required
@require_POST
def answer_draft_create_view(request: AuthenticatedRequest, ticket_id: int) -> HttpResponse:
    require_permission(request.user, "write", "tickets")
    ticket = ticket_visible_or_404(request.user, ticket_id)
    try:
        answer_draft_create(actor=request.user, ticket=ticket)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("A draft answer is ready. Read it before you send it."))
    return _back(request, ticket)


@login_required
@require_POST
def answer_draft_approve_view(
    request: AuthenticatedRequest, ticket_id: int, draft_id: int
) -> HttpResponse:
    require_permission(request.user, "write", "tickets")
    ticket = ticket_visible_or_404(request.user, ticket_id)
    draft = _pending_draft(ticket, draft_id)
    body = request.POST.get("body")
    try:
        answer_draft_approve(
            actor=request.user, draft=draft, body=None if body is None else str(body)
        )
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("The answer was sent to the customer."))
    return _back(request, ticket)


@login_required
@require_POST
def answer_draft_discard_view(
    request: AuthenticatedRequest, ticket_id: int, draft_id: int
) -> HttpResponse:
    require_permission(request.user, "write", "tickets")
    ticket = ticket_visible_or_404(request.user, ticket_id)
    draft = _pending_draft(ticket, draft_id)
    try:
        answer_draft_discard(actor=request.user, draft=draft)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("The draft was discarded."))
    return _back(request, ticket)
