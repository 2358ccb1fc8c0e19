"""Journey pages: the list (with statistics and the ready templates), the builder, a
journey's page (flow, statistics, recent runs, activate / pause / archive), a run's history
and a contact's journeys."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.contacts.selectors import contacts_visible_to

from ..builder import ConditionRow, kind_choices, params_form
from ..journey_models import (
    EntryPolicy,
    Journey,
    JourneyRun,
    JourneyStatus,
    RunState,
    StepKind,
    TriggerKind,
)
from ..rules import clean_rules
from .builder import (
    StepCard,
    card_for,
    cards_from,
    entry_json,
    new_id,
    parse_post,
    place_errors,
    posted_condition,
    posted_trigger_params,
    trigger_params_form,
)
from .definition import RUN_CONDITIONS
from .library import TEMPLATES
from .selectors import contact_runs, journey_stats, journeys_visible_to, runs_visible_to
from .services import (
    journey_activate,
    journey_archive,
    journey_create,
    journey_from_template,
    journey_pause,
    journey_update,
)

RECENT_RUNS = 50


def _journey(request: AuthenticatedRequest, journey_id: int) -> Journey:
    journey = journeys_visible_to(request.user).filter(pk=journey_id).first()
    if journey is None:
        raise Http404
    return journey


@login_required
def journey_list(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "marketing")
    open_states = [RunState.ACTIVE, RunState.WAITING]
    journeys = journeys_visible_to(request.user).annotate(
        entered=Count("runs"),
        in_progress=Count("runs", filter=Q(runs__state__in=open_states)),
        completed=Count("runs", filter=Q(runs__state=RunState.DONE)),
        exited=Count("runs", filter=Q(runs__state=RunState.EXITED)),
    )
    return render(
        request,
        "marketing/journeys/journey_list.html",
        {
            "journeys": journeys.order_by("name", "id"),
            "templates": TEMPLATES,
            "can_write": has_permission(request.user, "write", "marketing"),
        },
    )


def _entry_context(journey: Journey | None, posted: dict[str, Any] | None) -> dict[str, Any]:
    """The entry condition as the builder shows it: one condition row, or the stored rules
    kept as they are when they hold more than one (made through the API)."""
    rules = posted if posted is not None else (journey.entry_rules if journey else {})
    conditions = list((rules or {}).get("conditions") or [])
    if len(conditions) > 1 or (conditions and "conditions" in conditions[0]):
        return {"entry_row": None, "entry_kept": entry_json(rules or {})}
    kind = str(conditions[0].get("kind", "")) if conditions else ""
    form = params_form(kind, "entry", None) if kind else None
    if form is not None and conditions:
        from .builder import _bound

        form = params_form(
            kind,
            "entry",
            None,
            data=_bound(type(form), "entry", conditions[0].get("params") or {}).data,
        )
    return {
        "entry_row": ConditionRow(id="entry", parent="", kind=kind, form=form),
        "entry_kept": "",
    }


def _context(
    request: AuthenticatedRequest,
    journey: Journey | None,
    cards: list[StepCard],
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    entry_rules: dict[str, Any] | None = None,
) -> dict[str, Any]:
    trigger_kind = values.get("trigger_kind") or TriggerKind.CONTACT_CREATED
    return {
        "journey": journey,
        "cards": cards,
        "values": values,
        "errors": errors or {},
        "trigger_kinds": TriggerKind.choices,
        "entry_policies": EntryPolicy.choices,
        "step_kinds": StepKind.choices,
        "sub_step_kinds": [item for item in StepKind.choices if item[0] != StepKind.BRANCH],
        "trigger_form": trigger_params_form(trigger_kind, values.get("trigger_params")),
        "kind_groups": kind_choices(),
        "run_conditions": [(key, str(label)) for key, label in RUN_CONDITIONS.items()],
        **_entry_context(journey, entry_rules),
    }


def _save(request: AuthenticatedRequest, journey: Journey | None) -> HttpResponse:
    data = request.POST
    raw_definition, cards, paths = parse_post(data)
    if data.get("entry-json"):
        try:
            entry_rules = json.loads(str(data["entry-json"]))
        except ValueError:
            entry_rules = {}
    else:
        condition = posted_condition(data, "entry")
        entry_rules = {"match": "all", "conditions": [condition] if condition else []}
    interval = str(data.get("entry_interval_days", "")).strip()
    values: dict[str, Any] = {
        "name": str(data.get("name", "")),
        "description": str(data.get("description", "")),
        "trigger_kind": str(data.get("trigger_kind", "")),
        "trigger_params": posted_trigger_params(data),
        "entry_rules": entry_rules,
        "entry_policy": str(data.get("entry_policy", "")),
        "entry_interval_days": int(interval) if interval.isdigit() else (interval or None),
        "definition": raw_definition,
    }
    try:
        if journey is None:
            journey = journey_create(actor=request.user, values=values)
            messages.success(request, _("Journey created."))
        else:
            before = journey.version
            journey = journey_update(actor=request.user, journey=journey, values=values)
            if journey.version != before:
                messages.success(
                    request,
                    _("Saved as version %(version)s; contacts already in it finish on theirs.")
                    % {"version": journey.version},
                )
            else:
                messages.success(request, _("Journey saved."))
        return redirect("marketing:journey_detail", journey_id=journey.pk)
    except ValidationError as error:
        rest = place_errors(error, paths)
    return render(
        request,
        "marketing/journeys/journey_form.html",
        _context(request, journey, cards, values, rest, entry_rules),
        status=422,
    )


@login_required
def journey_create_view(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "write", "marketing")
    if request.method == "POST":
        return _save(request, None)
    values = {"trigger_kind": TriggerKind.CONTACT_CREATED, "entry_policy": EntryPolicy.ONCE_EVER}
    return render(
        request, "marketing/journeys/journey_form.html", _context(request, None, [], values)
    )


@login_required
def journey_edit(request: AuthenticatedRequest, journey_id: int) -> HttpResponse:
    require_permission(request.user, "write", "marketing")
    journey = _journey(request, journey_id)
    if journey.status == JourneyStatus.ARCHIVED:
        raise Http404
    if request.method == "POST":
        return _save(request, journey)
    values = {
        "name": journey.name,
        "description": journey.description,
        "trigger_kind": journey.trigger_kind,
        "trigger_params": journey.trigger_params,
        "entry_policy": journey.entry_policy,
        "entry_interval_days": journey.entry_interval_days,
    }
    return render(
        request,
        "marketing/journeys/journey_form.html",
        _context(request, journey, cards_from(journey.definition or {}), values),
    )


@login_required
def builder_step(request: AuthenticatedRequest) -> HttpResponse:
    """A new step card of ``kind`` (inside a branch when ``parent`` is ``<id>.yes|no``)."""
    require_permission(request.user, "write", "marketing")
    kind = str(request.GET.get("kind", ""))
    parent = str(request.GET.get("parent", ""))[:30]
    if kind not in StepKind.values or (parent and kind == StepKind.BRANCH):
        raise Http404
    card = card_for(kind, parent)
    return render(
        request,
        "marketing/journeys/_step_card.html",
        {
            "card": card,
            "kind_groups": kind_choices(),
            "run_conditions": [(key, str(label)) for key, label in RUN_CONDITIONS.items()],
            "sub_step_kinds": [item for item in StepKind.choices if item[0] != StepKind.BRANCH],
        },
    )


@login_required
def builder_trigger(request: AuthenticatedRequest) -> HttpResponse:
    """The settings of the trigger chosen in the builder."""
    require_permission(request.user, "write", "marketing")
    kind = str(request.GET.get("trigger_kind", ""))
    if kind not in TriggerKind.values:
        raise Http404
    return render(
        request,
        "marketing/journeys/_trigger_params.html",
        {"trigger_form": trigger_params_form(kind)},
    )


@login_required
def journey_detail(request: AuthenticatedRequest, journey_id: int) -> HttpResponse:
    require_permission(request.user, "read", "marketing")
    journey = _journey(request, journey_id)
    runs = runs_visible_to(request.user).filter(journey=journey)[:RECENT_RUNS]
    return render(
        request,
        "marketing/journeys/journey_detail.html",
        {
            "journey": journey,
            "stats": journey_stats(journey),
            "cards": cards_from(journey.definition or {}),
            "runs": runs,
            "entry_conditions": clean_rules(journey.entry_rules or {}).get("conditions", []),
            "can_write": has_permission(request.user, "write", "marketing"),
        },
    )


def _status_action(
    request: AuthenticatedRequest, journey_id: int, service: Any, done: str
) -> HttpResponse:
    require_permission(request.user, "write", "marketing")
    journey = _journey(request, journey_id)
    try:
        service(actor=request.user, journey=journey)
        messages.success(request, done)
    except ValidationError as error:
        for texts in error.message_dict.values():
            messages.error(request, " ".join(texts))
    return redirect("marketing:journey_detail", journey_id=journey.pk)


@login_required
@require_POST
def journey_activate_view(request: AuthenticatedRequest, journey_id: int) -> HttpResponse:
    return _status_action(request, journey_id, journey_activate, _("Journey activated."))


@login_required
@require_POST
def journey_pause_view(request: AuthenticatedRequest, journey_id: int) -> HttpResponse:
    return _status_action(request, journey_id, journey_pause, _("Journey paused."))


@login_required
@require_POST
def journey_archive_view(request: AuthenticatedRequest, journey_id: int) -> HttpResponse:
    return _status_action(request, journey_id, journey_archive, _("Journey archived."))


@login_required
@require_POST
def journey_from_template_view(request: AuthenticatedRequest, key: str) -> HttpResponse:
    require_permission(request.user, "write", "marketing")
    try:
        journey = journey_from_template(actor=request.user, key=key)
    except ValidationError as error:
        raise Http404 from error
    messages.success(request, _("A draft was made from the template; review it and activate it."))
    return redirect("marketing:journey_detail", journey_id=journey.pk)


@login_required
def run_detail(request: AuthenticatedRequest, run_id: int) -> HttpResponse:
    require_permission(request.user, "read", "marketing")
    run: JourneyRun | None = (
        runs_visible_to(request.user).filter(pk=run_id).prefetch_related("log__step").first()
    )
    if run is None:
        raise Http404
    return render(request, "marketing/journeys/run_detail.html", {"run": run})


@login_required
def contact_journeys(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    """Every journey one contact is or was in, with each run's history."""
    require_permission(request.user, "read", "marketing")
    contact = contacts_visible_to(request.user).filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    return render(
        request,
        "marketing/journeys/contact_journeys.html",
        {
            "contact": contact,
            "runs": contact_runs(request.user, contact_id)[:100],
            "new_id": new_id,
        },
    )
