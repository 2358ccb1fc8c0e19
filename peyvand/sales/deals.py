"""Every write to a deal: create, change, move across stages (win, lose, reopen), reorder on
the board, delete. Each one checks the role, validates into field errors and appends one
event that shows on the deal's, the contact's and the company's timelines."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.common.money import MAX_RIALS, round_half_up
from peyvand.common.persian import clean_persian, search_key
from peyvand.contacts.models import LifecycleStage
from peyvand.timeline.events import event_record, field_changes, snapshot

from .assignment import Assignment, AssignmentFacts, owner_pick
from .models import (
    Currency,
    Deal,
    DealStageChange,
    DealStatus,
    ForecastCategory,
    Pipeline,
    Stage,
    StageKind,
)
from .selectors import pipeline_default
from .service_helpers import check_permission, error, notify_assignee, validate

if TYPE_CHECKING:
    from peyvand.accounts.models import User

DEAL_FIELDS = (
    "title",
    "amount",
    "currency",
    "currency_amount",
    "exchange_rate",
    "probability",
    "forecast_category",
    "expected_close_date",
    "owner",
    "contact",
    "company",
    "source",
    "description",
)
# What the event log keeps of a deal (field diffs).
_TRACKED = (*DEAL_FIELDS, "pipeline", "stage", "status", "close_reason")
_TEXT = frozenset({"title", "description"})
# What a field left empty (None) means, for the fields that cannot be null.
_WHEN_EMPTY: dict[str, str] = {
    "source": "",
    "description": "",
    "currency": Currency.IRR,
    "forecast_category": ForecastCategory.PIPELINE,
}


def deal_search_text(deal: Deal) -> str:
    """Title, contact and company names, normalized: what the deal is found by."""
    parts = [search_key(deal.title)]
    if deal.contact is not None:
        parts.append(search_key(deal.contact.full_name))
    if deal.company is not None:
        parts.append(search_key(deal.company.name))
    return "|".join(part for part in parts if part)


def rials_from_currency(amount: Decimal, rate: int) -> int:
    """``amount × rate`` rounded half up to a whole Rial."""
    return round_half_up(amount * rate)


def _set_values(deal: Deal, values: Mapping[str, Any]) -> dict[str, list[ValidationError]]:
    errors: dict[str, list[ValidationError]] = {}
    for name in DEAL_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if isinstance(value, str):
            value = clean_persian(value) if name in _TEXT else value.strip()
        if name == "currency_amount" and value not in (None, ""):
            try:
                value = Decimal(str(value))
            except InvalidOperation:
                errors[name] = [ValidationError(_("Enter a number."), code="invalid")]
                continue
        if value is None and name in _WHEN_EMPTY:
            value = _WHEN_EMPTY[name]
        setattr(deal, name, value)
    if deal.currency != Currency.IRR:
        _convert_currency(deal, errors)
    else:
        deal.currency_amount = None
        deal.exchange_rate = None
    if deal.amount is None:
        deal.amount = 0
    if not (0 <= deal.amount <= MAX_RIALS):
        errors.setdefault("amount", []).append(
            ValidationError(_("The amount must be between zero and 10^18 Rials."), code="range")
        )
    return errors


def _convert_currency(deal: Deal, errors: dict[str, list[ValidationError]]) -> None:
    """A foreign-currency deal needs its amount in that currency and the rate in Rials."""
    if deal.currency_amount is None or deal.currency_amount < 0:
        errors.setdefault("currency_amount", []).append(
            ValidationError(_("Enter the amount in the deal's currency."), code="required")
        )
    if not deal.exchange_rate:
        errors.setdefault("exchange_rate", []).append(
            ValidationError(_("Enter the rate in Rials for one unit."), code="required")
        )
    if "currency_amount" not in errors and "exchange_rate" not in errors:
        assert deal.currency_amount is not None and deal.exchange_rate is not None
        deal.amount = rials_from_currency(deal.currency_amount, deal.exchange_rate)


def _resolve_stage(values: Mapping[str, Any], current: Deal | None) -> tuple[Pipeline, Stage]:
    """The pipeline and stage a deal goes to; the stage must belong to the pipeline."""
    pipeline = values.get("pipeline") or (current.pipeline if current else pipeline_default())
    if pipeline is None:
        raise error("pipeline", _("Create a pipeline first."), "required")
    stage = values.get("stage")
    if stage is None and current is not None and current.pipeline_id == pipeline.pk:
        stage = current.stage
    if stage is None:
        stage = pipeline.stages.filter(kind=StageKind.OPEN).order_by("position", "id").first()
        if stage is None:
            raise error("stage", _("This pipeline has no open stage."), "required")
    if stage.pipeline_id != pipeline.pk:
        raise error("stage", _("This stage is not in the chosen pipeline."), "wrong_pipeline")
    return pipeline, stage


def _state(deal: Deal) -> dict[str, Any]:
    state = snapshot(deal, _TRACKED)
    if deal.pk:
        state["other_contacts"] = sorted(deal.other_contacts.values_list("pk", flat=True))
    return state


def deal_event(
    *,
    actor: User | None,
    deal: Deal,
    verb: str,
    summary: str,
    payload: Mapping[str, Any],
    subject: Model | None = None,
) -> None:
    """An event on the deal's timeline, its contact's and its company's; ``subject`` is the
    deal unless something of the deal (a quote) is what changed."""
    event_record(
        actor=actor,
        verb=verb,
        subject=subject if subject is not None else deal,
        contact=deal.contact,
        company=deal.company,
        deal=deal,
        summary=summary,
        payload=payload,
    )


def _deal_url(deal: Deal) -> str:
    return reverse("sales:deal_detail", args=[deal.pk])


def _record_assignment(actor: User | None, deal: Deal, assignment: Assignment) -> None:
    if assignment.rule is None:
        return
    deal_event(
        actor=actor,
        deal=deal,
        verb="deal.assigned",
        summary=assignment.rule.name,
        payload=assignment.event_payload(),
    )


def deal_create(*, actor: User | None, values: Mapping[str, Any]) -> Deal:
    """Create a deal. With no ``owner`` given, the assignment rules pick one (else the actor).

    ``values`` may hold every field of ``DEAL_FIELDS`` plus ``pipeline``, ``stage`` (default:
    the first open stage of the default pipeline), ``close_reason`` and ``other_contacts``.
    Raises ``ValidationError`` by field; nothing is saved then.
    """
    check_permission(actor, "write", "deals")
    now = timezone.now()
    deal = Deal(created_by=actor, stage_entered_at=now)
    errors = _set_values(deal, values)
    pipeline, stage = _resolve_stage(values, None)
    deal.pipeline, deal.stage = pipeline, stage
    deal.status = DealStatus(stage.kind)
    deal.close_reason = clean_persian(str(values.get("close_reason") or ""))
    _check_close_reason(deal, errors)
    if deal.status != DealStatus.OPEN:
        deal.closed_at = now
    with transaction.atomic():
        assignment = Assignment(owner=deal.owner)
        if values.get("owner") is None:
            contact = deal.contact
            company = deal.company
            assignment = owner_pick(
                AssignmentFacts(
                    target="deal",
                    province=(contact.province if contact else "")
                    or (company.province if company else ""),
                    city=(contact.city if contact else "") or (company.city if company else ""),
                    source=deal.source,
                    contact=contact,
                ),
                now=now,
            )
            deal.owner = assignment.owner or (
                actor if actor is not None and actor.is_authenticated else None
            )
        validate(deal, errors, exclude=["pipeline", "stage"])
        deal.board_position = _top_position(deal.stage)
        deal.search_text = deal_search_text(deal)
        deal.save()
        if values.get("other_contacts"):
            deal.other_contacts.set(values["other_contacts"])
        DealStageChange.objects.create(
            deal=deal, stage=stage, stage_name=stage.name, changed_by=actor, entered_at=now
        )
        deal_event(
            actor=actor,
            deal=deal,
            verb="deal.created",
            summary=deal.title,
            payload={"changes": field_changes({}, _state(deal))},
        )
        _record_assignment(actor, deal, assignment)
        notify_assignee(
            owner=deal.owner,
            actor=actor,
            title=_("New deal assigned to you: %(title)s") % {"title": deal.title},
            url=_deal_url(deal),
        )
        if deal.status == DealStatus.WON:
            _mark_contact_customer(deal)
    return deal


def _check_close_reason(deal: Deal, errors: dict[str, list[ValidationError]]) -> None:
    if deal.status != DealStatus.OPEN and not deal.close_reason:
        message = (
            _("Say why the deal was won.")
            if deal.status == DealStatus.WON
            else _("Say why the deal was lost.")
        )
        errors.setdefault("close_reason", []).append(ValidationError(message, code="required"))


def _top_position(stage: Stage) -> int:
    """A position above every card in the column: new and moved deals show first."""
    first = (
        Deal.objects.filter(stage=stage)
        .order_by("board_position")
        .values_list("board_position", flat=True)
    ).first()
    return (first if first is not None else 0) - 1


def deal_update(*, actor: User | None, deal: Deal, values: Mapping[str, Any]) -> Deal:
    """Change a deal's fields (partial). A new pipeline or stage moves it like
    :func:`deal_move_stage`; one event carries the whole diff."""
    check_permission(actor, "write", "deals")
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal.pk)
        before = _state(deal)
        previous_owner_id = deal.owner_id
        errors = _set_values(deal, values)
        became_won = False
        if "pipeline" in values or "stage" in values:
            pipeline, stage = _resolve_stage(values, deal)
            deal.pipeline = pipeline
            if stage.pk != deal.stage_id:
                became_won = _enter_stage(
                    deal, stage, actor=actor, reason=values.get("close_reason")
                )
        elif "close_reason" in values and deal.status != DealStatus.OPEN:
            deal.close_reason = clean_persian(str(values.get("close_reason") or ""))
        _check_close_reason(deal, errors)
        validate(deal, errors, exclude=["pipeline", "stage"])
        deal.search_text = deal_search_text(deal)
        deal.save()
        if "other_contacts" in values:
            deal.other_contacts.set(values["other_contacts"] or [])
        changes = field_changes(before, _state(deal))
        if changes:
            deal_event(
                actor=actor,
                deal=deal,
                verb=_verb_for(changes),
                summary=deal.title,
                payload={"changes": changes},
            )
        if deal.owner_id != previous_owner_id:
            notify_assignee(
                owner=deal.owner,
                actor=actor,
                title=_("Deal assigned to you: %(title)s") % {"title": deal.title},
                url=_deal_url(deal),
            )
        if became_won:
            _mark_contact_customer(deal)
    return deal


def _verb_for(changes: Mapping[str, Any]) -> str:
    status = changes.get("status")
    if status:
        new_status = status[1]
        if new_status == DealStatus.WON:
            return "deal.won"
        if new_status == DealStatus.LOST:
            return "deal.lost"
        return "deal.reopened"
    if "stage" in changes:
        return "deal.stage_changed"
    return "deal.updated"


def _enter_stage(
    deal: Deal,
    stage: Stage,
    *,
    actor: User | None,
    reason: Any,
    now: datetime.datetime | None = None,
) -> bool:
    """Close the current stay, open a new one and set status, close time and reason.

    True when the move wins a deal that was not won before."""
    moment = now or timezone.now()
    DealStageChange.objects.filter(deal=deal, left_at__isnull=True).update(left_at=moment)
    DealStageChange.objects.create(
        deal=deal,
        stage=stage,
        stage_name=stage.name,
        from_stage=deal.stage,
        changed_by=actor,
        entered_at=moment,
    )
    was_won = deal.status == DealStatus.WON
    deal.stage = stage
    deal.stage_entered_at = moment
    deal.status = DealStatus(stage.kind)
    if deal.status == DealStatus.OPEN:
        deal.closed_at = None
        deal.close_reason = ""
    else:
        deal.closed_at = moment
        deal.close_reason = clean_persian(str(reason or ""))
    return deal.status == DealStatus.WON and not was_won


def deal_move_stage(
    *,
    actor: User | None,
    deal: Deal,
    stage: Stage,
    close_reason: str = "",
    position: int | None = None,
) -> Deal:
    """Move a deal to ``stage`` of its pipeline (the board's drag and drop).

    A won or lost stage needs ``close_reason``. ``position`` is the card's index in the
    target column (0 is the top); without it the card goes on top. Writes
    ``deal.stage_changed`` (or ``deal.won``/``deal.lost``/``deal.reopened``) with the days
    spent in the previous stage; a reorder inside one column writes no event.
    """
    check_permission(actor, "write", "deals")
    with transaction.atomic():
        deal = Deal.objects.select_for_update().select_related("stage").get(pk=deal.pk)
        if stage.pipeline_id != deal.pipeline_id:
            raise error("stage", _("This stage is not in the deal's pipeline."), "wrong_pipeline")
        if stage.pk == deal.stage_id:
            _place(deal, stage, position)
            return deal
        before = _state(deal)
        previous_stage = deal.stage
        moment = timezone.now()
        days_in_previous = (moment - deal.stage_entered_at).total_seconds() / 86400
        became_won = _enter_stage(deal, stage, actor=actor, reason=close_reason, now=moment)
        errors: dict[str, list[ValidationError]] = {}
        _check_close_reason(deal, errors)
        if errors:
            raise ValidationError(errors)
        deal.save()
        _place(deal, stage, position)
        changes = field_changes(before, _state(deal))
        deal_event(
            actor=actor,
            deal=deal,
            verb=_verb_for(changes),
            summary=f"{previous_stage.name} → {stage.name}",
            payload={
                "changes": changes,
                "from_stage": previous_stage.name,
                "to_stage": stage.name,
                "days_in_previous_stage": round(days_in_previous, 2),
            },
        )
        if became_won:
            _mark_contact_customer(deal)
    return deal


def _place(deal: Deal, stage: Stage, position: int | None) -> None:
    """Put the card at ``position`` in its column, renumbering the column's cards."""
    if position is None:
        Deal.objects.filter(pk=deal.pk).update(board_position=_top_position(stage))
        return
    others = list(
        Deal.objects.filter(stage=stage)
        .exclude(pk=deal.pk)
        .order_by("board_position", "-id")
        .values_list("pk", "board_position")
    )
    order = [pk for pk, _position in others]
    order.insert(max(0, min(position, len(order))), deal.pk)
    current = dict(others)
    current[deal.pk] = None  # type: ignore[assignment]
    changed = [
        Deal(pk=pk, board_position=index)
        for index, pk in enumerate(order)
        if current.get(pk) != index
    ]
    Deal.objects.bulk_update(changed, ["board_position"], batch_size=500)


def _mark_contact_customer(deal: Deal) -> None:
    """A won deal makes its contact a customer (unless already further along the loop)."""
    from peyvand.contacts.services import contact_update

    contact = deal.contact
    early = {LifecycleStage.SUBSCRIBER, LifecycleStage.LEAD, LifecycleStage.OPPORTUNITY}
    if contact is not None and contact.lifecycle_stage in early:
        contact_update(
            actor=None, contact=contact, values={"lifecycle_stage": LifecycleStage.CUSTOMER}
        )


def deal_delete(*, actor: User | None, deal: Deal) -> None:
    """Delete a deal; the event keeps a snapshot of it on the contact's timeline."""
    check_permission(actor, "delete", "deals")
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal.pk)
        event_record(
            actor=actor,
            verb="deal.deleted",
            subject=deal,
            contact=deal.contact,
            company=deal.company,
            summary=deal.title,
            payload={"deleted": _state(deal)},
        )
        deal.delete()
