"""The dashboard, global search and notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from peyvand.accounts.models import Notification
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.contacts.models import LifecycleStage
from peyvand.contacts.selectors import (
    companies_visible_to,
    contacts_visible_to,
    global_search,
)
from peyvand.intelligence.dashboard import home_charts
from peyvand.timeline.selectors import my_day, recent_events


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    contacts = contacts_visible_to(request.user)
    stage_counts = {
        row["lifecycle_stage"]: row["total"]
        for row in contacts.order_by().values("lifecycle_stage").annotate(total=Count("id"))
    }
    stages = [
        {"value": value, "label": label, "count": stage_counts.get(value, 0)}
        for value, label in LifecycleStage.choices
    ]
    context = {
        "contact_total": sum(stage_counts.values()),
        "company_total": companies_visible_to(request.user).count(),
        "stages": stages,
        "day": my_day(request.user),
        "events": recent_events(request.user),
        # Charts the user pinned from the insights dashboard (none: no extra query but one).
        "pinned_charts": home_charts(request.user),
    }
    return render(request, "web/dashboard.html", context)


@login_required
def search(request: AuthenticatedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    results = global_search(request.user, query, limit=8 if request.GET.get("partial") else 50)
    template = (
        "web/search_results_partial.html" if request.GET.get("partial") else "web/search.html"
    )
    return render(request, template, {"query": query, **results})


@login_required
def notifications(request: AuthenticatedRequest) -> HttpResponse:
    items = Notification.objects.filter(user=request.user).order_by("-created_at", "-id")[:100]
    return render(request, "web/notifications.html", {"notifications": items})


@login_required
def notification_bell(request: AuthenticatedRequest) -> HttpResponse:
    """The header bell alone, polled by htmx so a due reminder shows without a reload."""
    return render(request, "web/_notification_bell.html")


@login_required
@require_POST
def notification_open(request: AuthenticatedRequest, notification_id: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=notification_id, user=request.user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("web:notifications")


@login_required
@require_POST
def notifications_mark_read(request: AuthenticatedRequest) -> HttpResponse:
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("web:notifications")
