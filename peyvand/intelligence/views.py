"""Customer intelligence pages: the RFM overview (grid, segments, movement)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.models import Role
from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.service.report_views import csv_download

from .selectors import rfm_overview

# Who may start a recomputation by hand (it also runs daily).
RECOMPUTE_ROLES = (Role.ADMIN, Role.MANAGER)


@login_required
def rfm_page(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    """RFM over the customers the user may see."""
    require_permission(request.user, "read", "contacts")
    overview = rfm_overview(request.user)
    if request.GET.get("download") == "segments":
        header = [
            _("Segment"),
            _("Customers"),
            _("Share %"),
            _("Average purchases"),
            _("Average spend (Rials)"),
            _("Total spend (Rials)"),
        ]
        rows = [header] + [
            [
                str(row.segment.label),
                str(row.customers),
                str(row.share_percent),
                str(row.average_purchases),
                str(row.average_spend),
                str(row.total_spend),
            ]
            for row in overview.segments
        ]
        return csv_download("rfm-segments.csv", rows)
    context = {
        "overview": overview,
        "can_recompute": request.user.role in RECOMPUTE_ROLES,
        "chart": {
            "labels": [str(row.segment.label) for row in overview.segments],
            "customers": [row.customers for row in overview.segments],
        },
    }
    return render(request, "intelligence/rfm.html", context)


@login_required
@require_POST
def rfm_recompute(request: AuthenticatedRequest) -> HttpResponse:
    """Queue a recomputation now (admins and managers; it runs daily anyway)."""
    require_permission(request.user, "read", "contacts")
    if request.user.role not in RECOMPUTE_ROLES:
        raise PermissionDenied
    from .tasks import recompute_rfm

    transaction.on_commit(lambda: recompute_rfm.enqueue())
    messages.info(request, _("RFM is being recomputed; refresh this page in a minute."))
    return redirect("intelligence:rfm")
