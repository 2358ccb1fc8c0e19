"""Segment pages: the list, the rule builder (htmx rows, parameters and a live count), a
segment's page with a preview of its members, and a static list's add and remove."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.models import User
from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.common.pagination import keyset_page
from peyvand.contacts.models import LifecycleStage, Source, Tag
from peyvand.contacts.selectors import contacts_filtered
from peyvand.web.form_errors import add_service_errors, flash_service_errors

from .builder import (
    Builder,
    ConditionRow,
    GroupRow,
    from_rules,
    kind_choices,
    new_id,
    params_form,
    parse_post,
    place_errors,
)
from .forms import SegmentForm
from .models import Segment, SegmentKind
from .rules import clean_rules, rules_condition_count
from .selectors import (
    MEMBER_ORDERING,
    rules_members,
    sees_every_contact,
    segment_can_change,
    segment_count,
    segment_members,
    segments_visible_to,
)
from .services import (
    contacts_by_ids,
    segment_add_contacts,
    segment_create,
    segment_delete,
    segment_remove_contacts,
    segment_update,
)

PREVIEW_SIZE = 20
# The contacts list's filters, carried to "add to a static list".
CONTACT_FILTER_KEYS = ("q", "owner", "stage", "tag", "city", "province", "source", "company")


def _partial(template: str, context: dict[str, Any]) -> HttpResponse:
    """An htmx fragment, rendered without the page's context processors (no navigation or
    notification queries for a piece of a page)."""
    return HttpResponse(render_to_string(template, context))


def _visible_segment(request: AuthenticatedRequest, segment_id: int) -> Segment:
    segment = segments_visible_to(request.user).filter(pk=segment_id).first()
    if segment is None:
        raise Http404
    return segment


@login_required
def segment_list(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "marketing")
    segments = list(segments_visible_to(request.user).order_by("name", "id"))
    for segment in segments:
        segment.condition_count = rules_condition_count(segment.rules or {})  # type: ignore[attr-defined]
    return render(
        request,
        "marketing/segment_list.html",
        {
            "segments": segments,
            "can_write": has_permission(request.user, "write", "marketing"),
        },
    )


def _builder_context(
    request: AuthenticatedRequest, form: SegmentForm, builder: Builder, segment: Segment | None
) -> dict[str, Any]:
    return {
        "form": form,
        "builder": builder,
        "segment": segment,
        "kind_groups": kind_choices(),
        "is_static": (segment.kind if segment else form["kind"].value()) == SegmentKind.STATIC,
    }


def _save(request: AuthenticatedRequest, segment: Segment | None) -> HttpResponse:
    form = SegmentForm(request.POST, editing=segment is not None)
    raw_rules, builder, paths = parse_post(request.POST, request.user)
    if form.is_valid():
        values: dict[str, Any] = dict(form.cleaned_data)
        kind = segment.kind if segment is not None else values["kind"]
        if kind == SegmentKind.DYNAMIC:
            values["rules"] = raw_rules
        try:
            if segment is None:
                segment = segment_create(actor=request.user, values=values)
                messages.success(request, _("Segment created."))
            else:
                segment = segment_update(actor=request.user, segment=segment, values=values)
                messages.success(request, _("Segment saved."))
            return redirect("marketing:segment_detail", segment_id=segment.pk)
        except ValidationError as error:
            place_errors(error, builder, paths)
            add_service_errors(
                form,
                ValidationError(
                    {
                        key: value
                        for key, value in error.error_dict.items()
                        if not key.startswith("rules")
                    }
                ),
            )
    return render(
        request,
        "marketing/segment_form.html",
        _builder_context(request, form, builder, segment),
        status=422,
    )


@login_required
def segment_create_view(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "write", "marketing")
    if request.method == "POST":
        return _save(request, None)
    kind = SegmentKind.STATIC if request.GET.get("kind") == "static" else SegmentKind.DYNAMIC
    form = SegmentForm(initial={"kind": kind, "is_shared": True})
    builder = Builder(
        match="all", nodes=[ConditionRow(id=new_id("c"), parent="", kind="", form=None)]
    )
    return render(
        request, "marketing/segment_form.html", _builder_context(request, form, builder, None)
    )


@login_required
def segment_edit(request: AuthenticatedRequest, segment_id: int) -> HttpResponse:
    require_permission(request.user, "write", "marketing")
    segment = _visible_segment(request, segment_id)
    if not segment_can_change(request.user, segment):
        raise PermissionDenied
    if request.method == "POST":
        return _save(request, segment)
    form = SegmentForm(
        initial={
            "name": segment.name,
            "description": segment.description,
            "kind": segment.kind,
            "is_shared": segment.is_shared,
        },
        editing=True,
    )
    builder = from_rules(segment.rules or {}, request.user)
    return render(
        request, "marketing/segment_form.html", _builder_context(request, form, builder, segment)
    )


@login_required
def builder_row(request: AuthenticatedRequest) -> HttpResponse:
    """A new, empty condition row (in a group when ``parent`` is given)."""
    require_permission(request.user, "write", "marketing")
    parent = str(request.GET.get("parent", ""))[:20]
    row = ConditionRow(id=new_id("c"), parent=parent, kind="", form=None)
    return _partial("marketing/_condition_row.html", {"row": row, "kind_groups": kind_choices()})


@login_required
def builder_group(request: AuthenticatedRequest) -> HttpResponse:
    """A new group with one empty condition."""
    require_permission(request.user, "write", "marketing")
    group = GroupRow(id=new_id("g"), match="any")
    group.rows = [ConditionRow(id=new_id("c"), parent=group.id, kind="", form=None)]
    return _partial("marketing/_group.html", {"group": group, "kind_groups": kind_choices()})


@login_required
def builder_params(request: AuthenticatedRequest) -> HttpResponse:
    """The parameter inputs of the kind chosen in row ``prefix``."""
    require_permission(request.user, "write", "marketing")
    prefix = str(request.GET.get("prefix", ""))
    if not prefix.isalnum() or len(prefix) > 20:
        raise Http404
    kind = request.GET.get("kind", request.GET.get(f"{prefix}-kind", ""))
    form = params_form(str(kind), prefix, request.user)
    row = ConditionRow(id=prefix, parent="", kind="", form=form)
    return _partial("marketing/_params.html", {"row": row, "oob": True})


@login_required
@require_POST
def builder_count(request: AuthenticatedRequest) -> HttpResponse:
    """How many contacts the rules being edited hold, among those the user may see."""
    require_permission(request.user, "read", "marketing")
    raw_rules, _builder, _paths = parse_post(request.POST, request.user)
    try:
        rules = clean_rules(raw_rules, user=request.user)
    except ValidationError:
        return _partial("marketing/_live_count.html", {"incomplete": True})
    count = rules_members(rules, user=request.user).count()
    return _partial("marketing/_live_count.html", {"count": count})


@login_required
def segment_count_view(request: AuthenticatedRequest, segment_id: int) -> HttpResponse:
    require_permission(request.user, "read", "marketing")
    segment = _visible_segment(request, segment_id)
    count = segment_count(segment, user=request.user)
    return _partial("marketing/_live_count.html", {"count": count, "plain": True})


@login_required
def segment_detail(request: AuthenticatedRequest, segment_id: int) -> HttpResponse:
    require_permission(request.user, "read", "marketing")
    segment = _visible_segment(request, segment_id)
    members = segment_members(segment, user=request.user).select_related("owner", "company")
    try:
        page = keyset_page(
            members,
            ordering=MEMBER_ORDERING,
            cursor=request.GET.get("cursor") or None,
            limit=PREVIEW_SIZE,
        )
    except ValidationError:
        raise Http404 from None
    context = {
        "segment": segment,
        "members": page.items,
        "next_cursor": page.next_cursor,
        "count": segment_count(segment, user=request.user),
        "show_cache": sees_every_contact(request.user),
        "can_change": segment_can_change(request.user, segment),
        "builder": None if segment.is_static else from_rules(segment.rules or {}, request.user),
    }
    return render(request, "marketing/segment_detail.html", context)


@login_required
@require_POST
def segment_delete_view(request: AuthenticatedRequest, segment_id: int) -> HttpResponse:
    require_permission(request.user, "delete", "marketing")
    segment = _visible_segment(request, segment_id)
    segment_delete(actor=request.user, segment=segment)
    messages.success(request, _("Segment deleted."))
    return redirect("marketing:segment_list")


def _ids(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit()]


@login_required
@require_POST
def segment_remove_view(request: AuthenticatedRequest, segment_id: int) -> HttpResponse:
    require_permission(request.user, "write", "marketing")
    segment = _visible_segment(request, segment_id)
    try:
        contacts = contacts_by_ids(request.user, _ids(request.POST.getlist("selected")))
        removed = segment_remove_contacts(actor=request.user, segment=segment, contacts=contacts)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(
            request, _("%(count)s contacts removed from the list.") % {"count": removed}
        )
    return redirect("marketing:segment_detail", segment_id=segment.pk)


def _contact_filters(data: Any) -> dict[str, str]:
    return {
        key: str(data[key])
        for key in data
        if (key in CONTACT_FILTER_KEYS or key.startswith("cf_")) and data[key]
    }


@login_required
def add_contacts(request: AuthenticatedRequest) -> HttpResponse:
    """Add the contacts of a contacts-list filter (carried in the query string) to a static
    list the user may change."""
    require_permission(request.user, "write", "marketing")
    filters = _contact_filters(request.POST if request.method == "POST" else request.GET)
    lists = [
        segment
        for segment in segments_visible_to(request.user).filter(kind=SegmentKind.STATIC)
        if segment_can_change(request.user, segment)
    ]
    matching = contacts_filtered(request.user, filters)
    if request.method == "POST":
        chosen = next((item for item in lists if str(item.pk) == request.POST.get("segment")), None)
        if chosen is None:
            messages.error(request, _("Choose a static list."))
        else:
            added = segment_add_contacts(actor=request.user, segment=chosen, contacts=matching)
            messages.success(request, _("%(count)s contacts added to the list.") % {"count": added})
            return redirect("marketing:segment_detail", segment_id=chosen.pk)
    return render(
        request,
        "marketing/add_contacts.html",
        {
            "filters": filters,
            "filter_query": urlencode(filters),
            "match_count": matching.count(),
            "lists": lists,
            "selected": str(request.GET.get("segment", "")),
            "stages": LifecycleStage.choices,
            "sources": Source.choices,
            "tags": Tag.objects.all()[:200],
            "users": User.objects.filter(is_active=True),
        },
    )
