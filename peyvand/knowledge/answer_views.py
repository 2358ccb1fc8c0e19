"""The buttons of generated answer drafts on the agent's ticket page
(``knowledge/_answer_draft.html`` there): draft an answer, approve it (as edited) or
discard it. The ticket comes from ``tickets_visible_to``, so a ticket the user cannot see is
a 404. Each action goes back to ``next`` when it is an address on this site, else to the
ticket page. Drafting asks a paid outside service, so it is limited per agent
(``PEYVAND_KB_DRAFTS_PER_AGENT`` in ``PEYVAND_KB_DRAFT_WINDOW_SECONDS``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.accounts.throttle import attempt_allowed
from peyvand.service.models import Ticket
from peyvand.service.selectors import ticket_visible_or_404
from peyvand.web.form_errors import flash_service_errors

from .answers import answer_draft_approve, answer_draft_create, answer_draft_discard
from .models import AnswerDraft


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
    return redirect(reverse("service:ticket_detail", args=[ticket.pk]))


def _draft_allowed(request: AuthenticatedRequest) -> bool:
    return attempt_allowed(
        "kb-draft",
        str(request.user.pk),
        limit=settings.PEYVAND_KB_DRAFTS_PER_AGENT,
        window=settings.PEYVAND_KB_DRAFT_WINDOW_SECONDS,
    )


@login_required
@require_POST
def answer_draft_create_view(request: AuthenticatedRequest, ticket_id: int) -> HttpResponse:
    require_permission(request.user, "write", "tickets")
    ticket = ticket_visible_or_404(request.user, ticket_id)
    if not _draft_allowed(request):
        messages.error(
            request, _("You have asked for many drafts in a short time. Try again later.")
        )
        return _back(request, ticket)
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
