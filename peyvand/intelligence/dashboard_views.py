"""The insights dashboard (``/insights/``), each chart's CSV, and pinning charts to the home
page. Administrators, managers and marketing; every figure over the viewer's own records."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.models import Team
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.contacts.models import Source
from peyvand.service.report_views import csv_download

from .dashboard import (
    CHARTS,
    KpiData,
    chart_pin,
    chart_unpin,
    charts_for,
    may_view_insights,
    parse_filters,
    pinned_keys,
    render_charts,
)


def _require_insights(request: AuthenticatedRequest) -> None:
    if not may_view_insights(request.user):
        raise PermissionDenied(_("You do not have permission to do this."))


@login_required
def insights_page(request: AuthenticatedRequest) -> HttpResponse:
    """KPI tiles and charts for a range of Jalali months, a team and a source."""
    _require_insights(request)
    filters, errors = parse_filters(request.GET)
    kpis = KpiData(request.user, filters)
    charts = render_charts(kpis, charts_for(request.user), set(pinned_keys(request.user)))
    context = {
        "charts": charts,
        "filters": filters,
        "errors": errors,
        "teams": Team.objects.order_by("name"),
        "sources": Source.choices,
        "query": request.GET.urlencode(),
        "can_pin": True,
    }
    return render(request, "intelligence/insights.html", context)


@login_required
def chart_csv(request: AuthenticatedRequest, chart_key: str) -> StreamingHttpResponse:
    """One chart's figures as CSV, with the page's filters."""
    _require_insights(request)
    spec = CHARTS.get(chart_key)
    if spec is None or not spec.allowed(request.user):
        raise Http404
    filters, _errors = parse_filters(request.GET)
    chart = spec.build(KpiData(request.user, filters))
    rows = chart.csv if chart is not None else [[_("Not computed yet")]]
    period = filters.period
    name = f"{chart_key}-{period.first.code()}-{period.last.code()}".replace("/", "-")
    return csv_download(f"{name}.csv", rows)


@login_required
@require_POST
def chart_pin_toggle(request: AuthenticatedRequest) -> HttpResponse:
    """Pin (``action=pin``) or unpin (``action=unpin``) ``chart`` on the user's own home
    page, then go back to ``next`` (a local address) or the dashboard."""
    _require_insights(request)
    chart_key = request.POST.get("chart", "")
    if request.POST.get("action") == "unpin":
        chart_unpin(user=request.user, chart_key=chart_key)
    else:
        try:
            chart_pin(user=request.user, chart_key=chart_key)
        except ValidationError as error:
            return HttpResponseBadRequest(" ".join(error.messages))
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("intelligence:insights")
