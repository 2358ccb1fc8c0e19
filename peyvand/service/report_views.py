"""The SLA report page: % of first responses and resolutions on time per team, agent,
priority and Jalali month, for the tickets the viewer may see, with charts and a CSV of
each table."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.contacts.exporting import csv_chunks

from .reports import JalaliMonth, MonthRange, SlaRow, chart_series, sla_csv_rows, sla_report
from .selectors import tickets_visible_to


def report_period(request: HttpRequest) -> tuple[MonthRange, dict[str, list[str]]]:
    """The months chosen in the filter (``start``, ``end``: ``1405/01``); the last three
    months when none or an invalid one is given, with the reasons by field."""
    default = MonthRange.recent(3)
    errors: dict[str, list[str]] = {}
    months = {"start": default.first, "end": default.last}
    for name in months:
        text = request.GET.get(name, "").strip()
        if text:
            try:
                months[name] = JalaliMonth.parse(text)
            except ValidationError as error:
                errors[name] = list(error.messages)
    try:
        return MonthRange(months["start"], months["end"]), errors
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
        return default, errors


def csv_download(filename: str, rows: list[list[str]]) -> StreamingHttpResponse:
    """A CSV file (UTF-8 with a BOM for Excel) as an attachment."""
    response = StreamingHttpResponse(csv_chunks(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def sla_report_page(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    require_permission(request.user, "read", "tickets")
    period, errors = report_period(request)
    report = sla_report(tickets_visible_to(request.user), period)
    tables: dict[str, tuple[str, list[SlaRow]]] = {
        "team": (_("Team"), report.by_team),
        "agent": (_("Agent"), report.by_agent),
        "priority": (_("Priority"), report.by_priority),
        "month": (_("Month"), report.by_month),
    }
    download = request.GET.get("download", "")
    if download in tables:
        heading, rows = tables[download]
        name = f"sla-{download}-{period.first.code()}-{period.last.code()}".replace("/", "-")
        return csv_download(f"{name}.csv", sla_csv_rows(rows, heading))
    context = {
        "period": period,
        "errors": errors,
        "report": report,
        "tables": [
            (key, heading, rows, _table_title(key)) for key, (heading, rows) in tables.items()
        ],
        "query": request.GET.urlencode(),
        "charts": {key: chart_series(rows) for key, (_heading, rows) in tables.items()},
        "chart_names": {
            "response": _("First responses on time"),
            "resolution": _("Resolutions on time"),
        },
    }
    return render(request, "service/sla_report.html", context)


def _table_title(key: str) -> str:
    return {
        "team": _("By team"),
        "agent": _("By agent"),
        "priority": _("By priority"),
        "month": _("By month"),
    }[key]
