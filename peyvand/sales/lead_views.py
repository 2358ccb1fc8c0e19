"""Pages for leads: the list, the lead page with its score reasons, qualify / disqualify, and
one-click conversion into contact, company and deal."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.models import User
from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.common.pagination import keyset_page
from peyvand.contacts.models import Source
from peyvand.contacts.selectors import contacts_visible_to
from peyvand.timeline.forms import ActivityForm
from peyvand.timeline.selectors import timeline_for_record
from peyvand.timeline.views import timeline_context
from peyvand.web.form_errors import add_service_errors, flash_service_errors
from peyvand.web.redirects import redirect_after_save

from .forms import LeadConvertForm, LeadForm, LeadStatusForm
from .leads import lead_convert, lead_create, lead_delete, lead_set_status, lead_update
from .models import Lead, LeadStatus
from .predictive import reason_labels
from .selectors import (
    LEAD_SORTS,
    deals_visible_to,
    leads_filtered,
    leads_visible_to,
    pipeline_default,
)

_FILTER_KEYS = ("q", "owner", "status", "source", "form", "city", "sort")


def _visible_lead(request: AuthenticatedRequest, lead_id: int) -> Lead:
    lead = (
        leads_visible_to(request.user)
        .select_related("owner", "contact", "deal", "web_form")
        .filter(pk=lead_id)
        .first()
    )
    if lead is None:
        raise Http404
    return lead


@login_required
def lead_list(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "leads")
    filters = {key: str(request.GET[key]) for key in _FILTER_KEYS if request.GET.get(key)}
    if "status" not in request.GET:
        filters["status"] = "open"
    sort = filters.get("sort", "newest")
    queryset = leads_filtered(request.user, filters).select_related("owner", "web_form")
    try:
        page = keyset_page(
            queryset,
            ordering=LEAD_SORTS.get(sort, LEAD_SORTS["newest"]),
            cursor=request.GET.get("cursor") or None,
            limit=50,
        )
    except ValidationError:
        raise Http404 from None
    context = {
        "leads": page.items,
        "next_cursor": page.next_cursor,
        "next_query": urlencode({**filters, "cursor": page.next_cursor or ""}),
        "filters": filters,
        "statuses": [("open", _("Open")), *LeadStatus.choices],
        "sources": Source.choices,
        "users": User.objects.filter(is_active=True),
        "sorts": [("newest", _("Newest")), ("oldest", _("Oldest")), ("score", _("Score"))],
        "can_write": has_permission(request.user, "write", "leads"),
    }
    return render(request, "sales/lead_list.html", context)


@login_required
def lead_detail(request: AuthenticatedRequest, lead_id: int) -> HttpResponse:
    require_permission(request.user, "read", "leads")
    lead = _visible_lead(request, lead_id)
    kind = request.GET.get("kind", "")
    events = timeline_for_record("lead", lead.pk, kinds=[kind] if kind else None)
    context = {
        "lead": lead,
        "status_form": LeadStatusForm(initial={"status": lead.status}),
        "convert_form": LeadConvertForm(
            initial={
                "pipeline": pipeline_default(),
                "create_deal": True,
                "deal_title": lead.company_name or lead.full_name,
                "amount": lead.estimated_amount,
            }
        ),
        "activity_form": ActivityForm(),
        "win_reasons": reason_labels(lead.win_reasons or []),
        "can_write": has_permission(request.user, "write", "leads"),
        "can_delete": has_permission(request.user, "delete", "leads"),
        "matched_contact_visible": lead.contact_id is not None
        and contacts_visible_to(request.user).filter(pk=lead.contact_id or 0).exists(),
        **timeline_context(request, events, request.path),
    }
    if request.headers.get("HX-Request"):
        return render(request, "timeline/_timeline.html", context)
    return render(request, "sales/lead_detail.html", context)


@login_required
def lead_create_view(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "write", "leads")
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lead = lead_create(actor=request.user, values=form.service_values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_save(request, lead)
    return render(request, "sales/lead_form.html", {"form": form, "record": None})


def _after_save(request: AuthenticatedRequest, lead: Lead) -> HttpResponse:
    visible = leads_visible_to(request.user)
    return redirect_after_save(request, visible, lead, "sales:lead_detail", "sales:lead_list")


@login_required
def lead_edit(request: AuthenticatedRequest, lead_id: int) -> HttpResponse:
    require_permission(request.user, "write", "leads")
    lead = _visible_lead(request, lead_id)
    form = LeadForm(request.POST or None, lead=lead)
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        if values.get("owner") is None and lead.owner is not None:
            values.pop("owner")  # the edit form's empty owner means "keep", not "unassign"
        try:
            lead = lead_update(actor=request.user, lead=lead, values=values)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_save(request, lead)
    return render(request, "sales/lead_form.html", {"form": form, "record": lead})


@login_required
@require_POST
def lead_status(request: AuthenticatedRequest, lead_id: int) -> HttpResponse:
    require_permission(request.user, "write", "leads")
    lead = _visible_lead(request, lead_id)
    form = LeadStatusForm(request.POST)
    if form.is_valid():
        try:
            lead_set_status(
                actor=request.user,
                lead=lead,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["status_reason"],
            )
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Status changed."))
    else:
        messages.error(request, _("Choose a valid status."))
    return redirect("sales:lead_detail", lead.pk)


@login_required
@require_POST
def lead_convert_view(request: AuthenticatedRequest, lead_id: int) -> HttpResponse:
    """Convert in one click: contact (the matched one when the lead is a returning
    customer), company and, when asked, a deal; then open the deal (or the contact)."""
    require_permission(request.user, "write", "leads")
    lead = _visible_lead(request, lead_id)
    form = LeadConvertForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return redirect("sales:lead_detail", lead.pk)
    create_deal = bool(form.cleaned_data.get("create_deal"))
    visible_contact = (
        contacts_visible_to(request.user).filter(pk=lead.contact_id).first()
        if lead.contact_id
        else None
    )
    try:
        contact, _company, deal = lead_convert(
            actor=request.user,
            lead=lead,
            contact=visible_contact,
            create_deal=create_deal,
            deal_values=form.deal_values() if create_deal else None,
        )
    except ValidationError as error:
        flash_service_errors(request, error)
        return redirect("sales:lead_detail", lead.pk)
    messages.success(request, _("Converted."))
    if deal is not None and deals_visible_to(request.user).filter(pk=deal.pk).exists():
        return redirect("sales:deal_detail", deal.pk)
    if contacts_visible_to(request.user).filter(pk=contact.pk).exists():
        return redirect("contacts:detail", contact.pk)
    # Linked to a customer someone else owns (no duplicate made): stay on the lead.
    return redirect("sales:lead_detail", lead.pk)


@login_required
@require_POST
def lead_delete_view(request: AuthenticatedRequest, lead_id: int) -> HttpResponse:
    require_permission(request.user, "delete", "leads")
    lead = _visible_lead(request, lead_id)
    lead_delete(actor=request.user, lead=lead)
    messages.success(request, _("Lead deleted."))
    return redirect("sales:lead_list")
