"""The sales reports page: funnel, win rate, deal size, cycle length and leads by source,
filtered by a Jalali date range and owner, with charts."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.common.jalali import parse_date
from peyvand.contacts.models import Source

from .reports import DateRange, average_stage_days, deal_summary, funnel, leads_by_source
from .selectors import deals_visible_to, leads_visible_to, pipeline_default, pipelines_active


def _date(text: str, fallback: datetime.date) -> datetime.date:
    try:
        return parse_date(text) if text else fallback
    except ValidationError:
        return fallback


@login_required
def reports_page(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "deals")
    today = timezone.localdate()
    period = DateRange(
        start=_date(request.GET.get("start", ""), today - datetime.timedelta(days=90)),
        end=_date(request.GET.get("end", ""), today),
    )
    deals = deals_visible_to(request.user)
    leads = leads_visible_to(request.user)
    owner = request.GET.get("owner", "")
    if owner.isdigit():
        deals = deals.filter(owner_id=int(owner))
        leads = leads.filter(owner_id=int(owner))
    pipeline_id = request.GET.get("pipeline", "")
    pipeline = (
        pipelines_active().filter(pk=int(pipeline_id)).first() if pipeline_id.isdigit() else None
    ) or pipeline_default()
    steps = funnel(deals, pipeline, period) if pipeline else []
    sources = leads_by_source(leads, period)
    source_names = dict(Source.choices)
    stage_days = average_stage_days(deals, pipeline) if pipeline else []
    context = {
        "period": period,
        "owner": owner,
        "pipeline": pipeline,
        "pipelines": pipelines_active(),
        "users": User.objects.filter(is_active=True),
        "funnel": steps,
        "summary": deal_summary(deals, period),
        "sources": [(source_names.get(row.source, row.source or "—"), row) for row in sources],
        "stage_days": stage_days,
        "charts": {
            "funnel": {
                "labels": [step.stage for step in steps],
                "values": [step.reached for step in steps],
            },
            "sources": {
                "labels": [str(source_names.get(row.source, row.source or "—")) for row in sources],
                "values": [row.leads for row in sources],
            },
        },
    }
    return render(request, "sales/reports.html", context)
