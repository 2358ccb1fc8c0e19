"""The staff's outbox page: messages filtered by status, channel and purpose, newest first,
and "send again" for uncertain or failed ones (an administrator's decision)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest

from .models import MessageChannel, MessageStatus, OutboxMessage
from .outbox import outbox_resend
from .selectors import outbox_filtered

PAGE_SIZE = 50


@login_required
def outbox_list(request: AuthenticatedRequest) -> HttpResponse:
    # The outbox holds every customer's messages: only those who manage settings see it.
    require_permission(request.user, "read", "settings")
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    filters = {
        "status": status if status in MessageStatus.values else "",
        "channel": channel if channel in MessageChannel.values else "",
        "purpose": request.GET.get("purpose", "").strip()[:120],
    }
    rows = outbox_filtered(filters).order_by("-id")
    before = request.GET.get("before", "")
    if before.isdigit():
        rows = rows.filter(id__lt=int(before))
    page = list(rows[: PAGE_SIZE + 1])
    next_before = page[PAGE_SIZE - 1].pk if len(page) > PAGE_SIZE else None
    return render(
        request,
        "messaging/outbox_list.html",
        {
            "messages_page": page[:PAGE_SIZE],
            "filters": filters,
            "statuses": MessageStatus.choices,
            "channels": MessageChannel.choices,
            "next_before": next_before,
            "next_query": urlencode({**filters, "before": next_before or ""}),
        },
    )


@login_required
@require_POST
def outbox_resend_view(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    require_permission(request.user, "write", "settings")
    message = get_object_or_404(OutboxMessage, pk=message_id)
    try:
        outbox_resend(actor=request.user, message=message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The message is queued to be sent again."))
    return redirect("messaging:outbox")
