"""Writes of journeys: create, change (a new version when runs may stand on the old steps),
activate, pause, archive, and start a draft from a ready template. Each checks the actor's
permission (``marketing`` write; ``actor=None`` is the system), validates, and appends one
event to the log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.permissions import require_permission
from peyvand.common.persian import clean_persian
from peyvand.timeline.events import event_record

from ..journey_models import (
    EntryPolicy,
    Journey,
    JourneyRun,
    JourneyRunLog,
    JourneyStatus,
    JourneyStep,
    RunState,
    StepOutcome,
)
from ..rules import clean_rules
from .definition import clean_definition, clean_entry, clean_trigger, steps_write

if TYPE_CHECKING:
    import datetime

    from peyvand.accounts.models import User

EDITABLE = (
    "name",
    "description",
    "trigger_kind",
    "trigger_params",
    "entry_rules",
    "entry_policy",
    "entry_interval_days",
    "definition",
)


def _check(actor: User | None) -> None:
    if actor is not None:
        require_permission(actor, "write", "marketing")


def _assign(journey: Journey, values: Mapping[str, Any], actor: User | None) -> bool:
    """Set and validate the given fields; True when the steps changed."""
    errors: dict[str, list[ValidationError]] = {}
    unknown = sorted(set(values) - set(EDITABLE))
    for name in unknown:
        errors[name] = [ValidationError(_("This field is not allowed."), code="unknown")]
    if "name" in values:
        journey.name = clean_persian(str(values["name"] or ""))
    if "description" in values:
        journey.description = clean_persian(str(values["description"] or ""), multiline=True)
    if "trigger_kind" in values or "trigger_params" in values:
        kind = values.get("trigger_kind", journey.trigger_kind)
        try:
            journey.trigger_params = clean_trigger(kind, values.get("trigger_params", {}))
            journey.trigger_kind = kind
        except ValidationError as error:
            errors.update(error.error_dict)
            errors.setdefault("trigger_kind", [])
    if "entry_rules" in values:
        try:
            journey.entry_rules = clean_rules(
                values["entry_rules"] or {}, user=actor, path="entry_rules"
            )
        except ValidationError as error:
            errors.update(error.error_dict)
    if "entry_policy" in values or "entry_interval_days" in values:
        try:
            journey.entry_policy, journey.entry_interval_days = clean_entry(
                values.get("entry_policy", journey.entry_policy),
                values.get("entry_interval_days", journey.entry_interval_days),
            )
        except ValidationError as error:
            errors.update(error.error_dict)
    steps_changed = False
    if "definition" in values:
        try:
            definition = clean_definition(values["definition"], user=actor)
            steps_changed = definition != journey.definition or not journey.pk
            journey.definition = definition
        except ValidationError as error:
            errors.update(error.error_dict)
    try:
        journey.full_clean(exclude=[*errors, "definition", "entry_rules", "trigger_params"])
    except ValidationError as error:
        for name, messages in error.error_dict.items():
            errors.setdefault(name, []).extend(messages)
    errors = {name: messages for name, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)
    return steps_changed


def journey_create(*, actor: User | None, values: Mapping[str, Any]) -> Journey:
    """A new draft journey with its first version of steps."""
    _check(actor)
    journey = Journey(owner=actor if actor is not None else None, status=JourneyStatus.DRAFT)
    template_key = str(values.get("template_key", ""))
    values = {key: value for key, value in values.items() if key != "template_key"}
    values.setdefault("definition", {"steps": []})
    values.setdefault("entry_policy", EntryPolicy.ONCE_EVER)
    if "trigger_kind" not in values:
        raise ValidationError({"trigger_kind": [_("Choose a trigger.")]})
    _assign(journey, values, actor)
    journey.template_key = template_key
    with transaction.atomic():
        journey.save()
        steps_write(journey, journey.version, journey.definition)
        event_record(
            actor=actor,
            verb="journey.created",
            subject=journey,
            summary=journey.name,
            payload={"trigger": journey.trigger_kind, "version": journey.version},
        )
    return journey


def journey_update(*, actor: User | None, journey: Journey, values: Mapping[str, Any]) -> Journey:
    """Change a journey. New steps on a journey that has runs on its current version become
    the next version: those runs finish on the steps they started on, new entries take the
    new ones. A journey nobody has entered yet is simply rewritten."""
    _check(actor)
    with transaction.atomic():
        journey = Journey.objects.select_for_update().get(pk=journey.pk)
        if journey.status == JourneyStatus.ARCHIVED:
            raise ValidationError({"status": [_("An archived journey cannot change.")]})
        previous = journey.version
        steps_changed = _assign(journey, values, actor)
        if steps_changed:
            if JourneyRun.objects.filter(journey=journey, version=previous).exists():
                journey.version = previous + 1
            else:
                JourneyStep.objects.filter(journey=journey, version=previous).delete()
        journey.save()
        if steps_changed:
            steps_write(journey, journey.version, journey.definition)
        event_record(
            actor=actor,
            verb="journey.updated",
            subject=journey,
            summary=journey.name,
            payload={"version": journey.version, "steps_changed": steps_changed},
        )
    return journey


def _set_status(
    actor: User | None, journey: Journey, status: str, allowed_from: set[str], verb: str
) -> Journey:
    _check(actor)
    with transaction.atomic():
        journey = Journey.objects.select_for_update().get(pk=journey.pk)
        if journey.status not in allowed_from:
            raise ValidationError(
                {
                    "status": [
                        _("A journey that is %(status)s cannot do this.")
                        % {"status": journey.get_status_display()}
                    ]
                }
            )
        journey.status = status
        if status == JourneyStatus.ACTIVE and journey.activated_at is None:
            journey.activated_at = timezone.now()
        journey.save(update_fields=["status", "activated_at", "updated_at"])
        event_record(actor=actor, verb=verb, subject=journey, summary=journey.name, payload={})
    return journey


def journey_activate(*, actor: User | None, journey: Journey) -> Journey:
    """Start (or resume) a journey: it lets contacts in from events that happen from the
    first activation on, and waiting runs of a paused journey go on."""
    if not (journey.definition or {}).get("steps"):
        raise ValidationError({"definition": [_("Add at least one step first.")]})
    return _set_status(
        actor,
        journey,
        JourneyStatus.ACTIVE,
        {JourneyStatus.DRAFT, JourneyStatus.PAUSED},
        "journey.activated",
    )


def journey_pause(*, actor: User | None, journey: Journey) -> Journey:
    """Stop letting contacts in and stop moving runs, keeping every run where it is."""
    return _set_status(
        actor, journey, JourneyStatus.PAUSED, {JourneyStatus.ACTIVE}, "journey.paused"
    )


def journey_archive(
    *, actor: User | None, journey: Journey, now: datetime.datetime | None = None
) -> Journey:
    """Retire a journey: every run still in it exits, with a line in its history."""
    now = now or timezone.now()
    with transaction.atomic():
        journey = _set_status(
            actor,
            journey,
            JourneyStatus.ARCHIVED,
            {JourneyStatus.DRAFT, JourneyStatus.ACTIVE, JourneyStatus.PAUSED},
            "journey.archived",
        )
        open_runs = list(
            JourneyRun.objects.select_for_update().filter(
                journey=journey, state__in=[RunState.ACTIVE, RunState.WAITING]
            )
        )
        JourneyRunLog.objects.bulk_create(
            JourneyRunLog(
                run=run,
                step=run.current_step,
                outcome=StepOutcome.EXITED,
                occurred_at=now,
                detail={"reason": "archived"},
            )
            for run in open_runs
        )
        JourneyRun.objects.filter(pk__in=[run.pk for run in open_runs]).update(
            state=RunState.EXITED, finished_at=now, wake_at=None
        )
    return journey


def journey_from_template(*, actor: User | None, key: str) -> Journey:
    """A draft journey made from one of the ready templates (``library.TEMPLATES``)."""
    from .library import template_values

    values = template_values(key)
    if values is None:
        raise ValidationError({"template": [_("Unknown template.")]})
    return journey_create(actor=actor, values={**values, "template_key": key})
