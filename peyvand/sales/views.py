"""Pages for deals: the Kanban board per pipeline, the list, the deal 360 and its forms, and
the move endpoint the board's drag and drop (and keyboard) calls."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.models import User
from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.common.jalali import parse_date
from peyvand.common.pagination import keyset_page
from peyvand.contacts.selectors import companies_visible_to, contacts_visible_to
from peyvand.timeline.forms import ActivityForm
from peyvand.timeline.selectors import timeline_for_record
from peyvand.timeline.views import timeline_context
from peyvand.web.form_errors import (
    add_service_errors,
    flash_service_errors,
    service_error_messages,
)
from peyvand.web.redirects import redirect_after_save

from .deals import deal_create, deal_delete, deal_move_stage, deal_update
from .forms import DealForm, picker_options
from .models import Deal, DealStatus, Pipeline, Stage
from .selectors import (
    DEAL_SORTS,
    board_columns,
    deal_for_display,
    deals_filtered,
    deals_visible_to,
    pipeline_default,
    pipelines_active,
    stage_history,
)

_FILTER_KEYS = ("q", "owner", "status", "stage", "pipeline", "close_from", "close_to", "sort")


def _filters(request: AuthenticatedRequest) -> dict[str, str]:
    filters = {key: str(request.GET[key]).strip() for key in _FILTER_KEYS if request.GET.get(key)}
    for key in ("close_from", "close_to"):
        if key in filters:
            try:
                filters[key] = parse_date(filters[key]).isoformat()
            except (ValidationError, ValueError):
                del filters[key]
    return filters


def _pipeline_from(request: AuthenticatedRequest) -> Pipeline:
    pipeline_id = request.GET.get("pipeline") or ""
    pipeline = (
        pipelines_active().filter(pk=int(pipeline_id)).first()
        if pipeline_id.isdigit()
        else pipeline_default()
    )
    if pipeline is None:
        raise Http404
    return pipeline


@login_required
def deal_board(request: AuthenticatedRequest) -> HttpResponse:
    """The Kanban board of one pipeline: a column per stage with its totals."""
    require_permission(request.user, "read", "deals")
    pipeline = _pipeline_from(request)
    filters = _filters(request)
    filters.pop("pipeline", None)
    filters.pop("stage", None)
    deals = deals_filtered(request.user, filters)
    if "status" not in filters:
        # Closed columns show only recent wins and losses; the list has the rest.
        since = timezone.now() - datetime.timedelta(days=90)
        deals = deals.exclude(status__in=[DealStatus.WON, DealStatus.LOST], closed_at__lt=since)
    columns = board_columns(pipeline, deals)
    context = {
        "pipeline": pipeline,
        "pipelines": pipelines_active(),
        "columns": columns,
        "filters": filters,
        "users": User.objects.filter(is_active=True),
        "can_write": has_permission(request.user, "write", "deals"),
        "open_total": sum(column.total for column in columns if column.stage.kind == "open"),
        "weighted_total": sum(column.weighted for column in columns if column.stage.kind == "open"),
    }
    return render(request, "sales/deal_board.html", context)


@login_required
def deal_list(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "deals")
    filters = _filters(request)
    sort = filters.get("sort", "newest")
    queryset = deals_filtered(request.user, filters).select_related(
        "owner", "contact", "company", "stage", "pipeline"
    )
    try:
        page = keyset_page(
            queryset,
            ordering=DEAL_SORTS.get(sort, DEAL_SORTS["newest"]),
            cursor=request.GET.get("cursor") or None,
            limit=50,
        )
    except ValidationError:
        raise Http404 from None
    context = {
        "deals": page.items,
        "next_query": urlencode({**filters, "cursor": page.next_cursor or ""}),
        "next_cursor": page.next_cursor,
        "filters": filters,
        "pipelines": pipelines_active(),
        "statuses": DealStatus.choices,
        "users": User.objects.filter(is_active=True),
        "sorts": [
            ("newest", _("Newest")),
            ("oldest", _("Oldest")),
            ("close", _("Expected close date")),
            ("amount", _("Amount")),
        ],
        "can_write": has_permission(request.user, "write", "deals"),
    }
    return render(request, "sales/deal_list.html", context)


def _visible_deal(request: AuthenticatedRequest, deal_id: int) -> Deal:
    try:
        return deal_for_display(request.user, deal_id)
    except Deal.DoesNotExist:
        raise Http404 from None


@login_required
def deal_detail(request: AuthenticatedRequest, deal_id: int) -> HttpResponse:
    """The deal 360: details, stage history with time in each stage, tasks, timeline."""
    require_permission(request.user, "read", "deals")
    deal = _visible_deal(request, deal_id)
    now = timezone.now()
    history = [
        {"change": change, "days": change.duration(now).total_seconds() / 86400}
        for change in stage_history(deal)
    ]
    kind = request.GET.get("kind", "")
    events = timeline_for_record("deal", deal.pk, kinds=[kind] if kind else None)
    context = {
        "deal": deal,
        "history": history,
        "stages": deal.pipeline.stages.order_by("position", "id"),
        "tasks": deal.tasks.filter(status="open").order_by("due_at", "id")[:20],
        "leads": deal.leads.all()[:5],
        "quotes": deal.quotes.order_by("-id")[:10],
        "line_items": deal.line_items.all(),
        "activity_form": ActivityForm(),
        "can_write": has_permission(request.user, "write", "deals"),
        "can_delete": has_permission(request.user, "delete", "deals"),
        **timeline_context(request, events, request.path),
    }
    if request.headers.get("HX-Request"):
        return render(request, "timeline/_timeline.html", context)
    return render(request, "sales/deal_detail.html", context)


def _initial_for_new(request: AuthenticatedRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {"pipeline": pipeline_default()}
    contact_id = request.GET.get("contact", "")
    if contact_id.isdigit():
        contact = contacts_visible_to(request.user).filter(pk=int(contact_id)).first()
        if contact is not None:
            initial["contact"] = contact
            initial["company"] = contact.company
            initial["title"] = contact.full_name
    company_id = request.GET.get("company", "")
    if company_id.isdigit():
        company = companies_visible_to(request.user).filter(pk=int(company_id)).first()
        if company is not None:
            initial["company"] = company
            initial.setdefault("title", company.name)
    stage_id = request.GET.get("stage", "")
    if stage_id.isdigit():
        stage = Stage.objects.filter(pk=int(stage_id)).select_related("pipeline").first()
        if stage is not None:
            initial["stage"], initial["pipeline"] = stage, stage.pipeline
    return initial


@login_required
def deal_create_view(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "write", "deals")
    form = DealForm(request.POST or None, user=request.user, initial=_initial_for_new(request))
    if request.method == "POST" and form.is_valid():
        try:
            deal = deal_create(actor=request.user, values=form.service_values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_save(request, deal)
    context = {"form": form, "record": None, **picker_options(request.user)}
    return render(request, "sales/deal_form.html", context)


def _after_save(request: AuthenticatedRequest, deal: Deal) -> HttpResponse:
    visible = deals_visible_to(request.user)
    return redirect_after_save(request, visible, deal, "sales:deal_detail", "sales:deal_board")


@login_required
def deal_edit(request: AuthenticatedRequest, deal_id: int) -> HttpResponse:
    require_permission(request.user, "write", "deals")
    deal = _visible_deal(request, deal_id)
    form = DealForm(request.POST or None, user=request.user, deal=deal)
    if request.method == "POST" and form.is_valid():
        try:
            deal = deal_update(actor=request.user, deal=deal, values=form.service_values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_save(request, deal)
    context = {"form": form, "record": deal, **picker_options(request.user)}
    return render(request, "sales/deal_form.html", context)


@login_required
@require_POST
def deal_delete_view(request: AuthenticatedRequest, deal_id: int) -> HttpResponse:
    require_permission(request.user, "delete", "deals")
    deal = _visible_deal(request, deal_id)
    deal_delete(actor=request.user, deal=deal)
    messages.success(request, _("Deal deleted."))
    return redirect("sales:deal_board")


@login_required
@require_POST
def deal_move(request: AuthenticatedRequest, deal_id: int) -> HttpResponse:
    """Move a deal to another stage (and position). JSON for the board; a redirect back to
    the deal for the plain form on its page. Errors are 422 with the field and the reason."""
    require_permission(request.user, "write", "deals")
    deal = _visible_deal(request, deal_id)
    wants_json = "application/json" in request.headers.get("Accept", "")
    stage_id = request.POST.get("stage", "")
    stage = (
        Stage.objects.filter(pk=int(stage_id), pipeline_id=deal.pipeline_id).first()
        if stage_id.isdigit()
        else None
    )
    position_text = request.POST.get("position", "")
    position = int(position_text) if position_text.lstrip("-").isdigit() else None
    try:
        if stage is None:
            raise ValidationError(
                {"stage": [ValidationError(_("Choose a stage of this pipeline."), code="invalid")]}
            )
        deal = deal_move_stage(
            actor=request.user,
            deal=deal,
            stage=stage,
            close_reason=request.POST.get("close_reason", ""),
            position=position,
        )
    except ValidationError as error:
        if wants_json:
            return JsonResponse({"errors": service_error_messages(error)}, status=422)
        flash_service_errors(request, error)
        return redirect("sales:deal_detail", deal.pk)
    if wants_json:
        return JsonResponse(
            {"id": deal.pk, "stage": deal.stage_id, "status": deal.status},
        )
    messages.success(request, _("Moved to %(stage)s.") % {"stage": deal.stage.name})
    return redirect("sales:deal_detail", deal.pk)
