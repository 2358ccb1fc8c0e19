"""The satisfaction (CSAT/CES) report page, for anyone who reads tickets, over the surveys
of the tickets they may see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.service.report_views import csv_download, report_period
from peyvand.service.selectors import tickets_visible_to

from .reports import CsatRow, csat_csv_rows, csat_report, low_scores, surveys_for_tickets


@login_required
def csat_report_page(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    require_permission(request.user, "read", "tickets")
    period, errors = report_period(request)
    surveys = surveys_for_tickets(tickets_visible_to(request.user))
    report = csat_report(surveys, period)
    tables: dict[str, tuple[str, str, list[CsatRow]]] = {
        "month": (_("Month"), _("By month"), report.by_month),
        "agent": (_("Agent"), _("By agent"), report.by_agent),
        "team": (_("Team"), _("By team"), report.by_team),
    }
    download = request.GET.get("download", "")
    if download in tables:
        heading, _title, rows = tables[download]
        name = f"csat-{download}-{period.first.code()}-{period.last.code()}".replace("/", "-")
        return csv_download(f"{name}.csv", csat_csv_rows(rows, heading))
    context = {
        "period": period,
        "errors": errors,
        "report": report,
        "tables": [(key, heading, rows, title) for key, (heading, title, rows) in tables.items()],
        "low_scores": low_scores(surveys, period),
        "query": request.GET.urlencode(),
        "charts": {
            key: {
                "labels": [row.label for row in rows],
                "csat": [row.csat_percent for row in rows],
                "response": [row.response_percent for row in rows],
            }
            for key, (_heading, _title, rows) in tables.items()
        },
        "chart_names": {"csat": _("CSAT %"), "response": _("Response rate %")},
    }
    return render(request, "feedback/report.html", context)
