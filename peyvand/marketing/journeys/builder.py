"""The journey builder's form: a vertical flow of step cards posted as plain form fields,
turned into the definition JSON (validated by ``definition.clean_definition``) and back into
cards to render, with each error placed on its card and field.

Posted fields: one ``node`` per card in page order (``<card id>:<parent>``, the parent being
empty or ``<branch card id>.yes`` / ``.no``), ``<card id>-kind``, the step's parameters with
the card id as the form prefix, and for a branch its condition as ``<card id>c-kind`` plus
that condition kind's parameters (prefix ``<card id>c``, the segment rule builder's inputs).
The trigger's parameters use the prefix ``trigger``; the entry condition ``entry``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from ..builder import params_form
from ..conditions import ConditionForm
from ..journey_models import StepKind
from .definition import RUN_CONDITIONS, step_form, trigger_form


def new_id() -> str:
    return "s" + secrets.token_hex(4)


def _bound(form_class: type[forms.Form], prefix: str, params: Mapping[str, Any]) -> forms.Form:
    data = QueryDict(mutable=True)
    for name, value in params.items():
        if isinstance(value, list):
            data.setlist(f"{prefix}-{name}", [str(item) for item in value])
        elif value is not None:
            data[f"{prefix}-{name}"] = str(value)
    return form_class(data=data, prefix=prefix)


def step_params_form(kind: str, prefix: str, params: Mapping[str, Any] | None) -> forms.Form:
    form_class = step_form(kind)
    form = _bound(form_class, prefix, params) if params is not None else form_class(prefix=prefix)
    if kind == StepKind.ASSIGN_OWNER:
        from peyvand.accounts.models import User

        owner = form.fields["owner"]
        owner.widget = forms.Select(
            choices=[("", "—")]
            + [(user.pk, str(user)) for user in User.objects.filter(is_active=True).order_by("pk")],
            attrs={"class": "form-select"},
        )
    return form


@dataclass
class StepCard:
    id: str
    kind: str
    form: forms.Form
    parent: str = ""
    condition_kind: str = ""
    condition_form: ConditionForm | None = None
    yes: list[StepCard] = field(default_factory=list)
    no: list[StepCard] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    card_errors: list[str] = field(default_factory=list)

    @property
    def is_branch(self) -> bool:
        return self.kind == StepKind.BRANCH

    @property
    def label(self) -> str:
        return str(StepKind(self.kind).label) if self.kind in StepKind.values else self.kind

    def fields(self) -> list[tuple[Any, list[str]]]:
        return [(bound, self.errors.get(bound.name, [])) for bound in self.form.visible_fields()]

    def condition_fields(self) -> list[tuple[Any, list[str]]]:
        if self.condition_form is None:
            return []
        return [
            (bound, self.errors.get(f"condition.params.{bound.name}", []))
            for bound in self.condition_form.visible_fields()
        ]


def card_for(kind: str, parent: str = "", params: Mapping[str, Any] | None = None) -> StepCard:
    card_id = new_id()
    card = StepCard(
        id=card_id, kind=kind, parent=parent, form=step_params_form(kind, card_id, params)
    )
    if kind == StepKind.BRANCH:
        condition = dict((params or {}).get("condition") or {})
        card.condition_kind = str(condition.get("kind", ""))
        card.condition_form = _condition_form(card_id, card.condition_kind, condition.get("params"))
    return card


def _condition_form(card_id: str, kind: str, params: Any) -> ConditionForm | None:
    if not kind or kind in RUN_CONDITIONS:
        return None
    form = params_form(kind, f"{card_id}c", None)
    if form is None or params is None:
        return form
    return params_form(
        kind, f"{card_id}c", None, data=_bound(type(form), f"{card_id}c", params).data
    )


def cards_from(definition: Mapping[str, Any]) -> list[StepCard]:
    """Cards for a stored definition (to edit it)."""
    cards = []
    for item in definition.get("steps") or []:
        card = card_for(item["kind"], "", item.get("params") or {})
        card.yes = [
            card_for(sub["kind"], f"{card.id}.yes", sub.get("params") or {})
            for sub in item.get("yes", [])
        ]
        card.no = [
            card_for(sub["kind"], f"{card.id}.no", sub.get("params") or {})
            for sub in item.get("no", [])
        ]
        cards.append(card)
    return cards


def _posted(form: forms.Form, data: QueryDict, prefix: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, form_field in form.fields.items():
        value = form_field.widget.value_from_datadict(data, {}, f"{prefix}-{name}")
        if value in (None, "", []):
            continue
        if isinstance(form_field, forms.IntegerField) and isinstance(value, str):
            # A number stays a string only when it is not one: the form then says so.
            value = int(value) if value.strip().lstrip("-").isdigit() else value
        params[name] = value
    return params


def posted_condition(data: QueryDict, prefix: str) -> dict[str, Any] | None:
    """The condition chosen under ``prefix`` (``{"kind", "params"}``) or None."""
    kind = str(data.get(f"{prefix}-kind", ""))
    if not kind:
        return None
    if kind in RUN_CONDITIONS:
        return {"kind": kind, "params": {}}
    form = params_form(kind, prefix, None)
    if form is None:
        return {"kind": kind, "params": {}}
    return {"kind": kind, "params": _posted(form, data, prefix)}


def parse_post(data: QueryDict) -> tuple[dict[str, Any], list[StepCard], dict[str, StepCard]]:
    """The raw definition posted by the builder, the cards to render again, and each step's
    place in the definition (``definition.steps.1.yes.0``) to its card."""
    cards: list[StepCard] = []
    by_id: dict[str, StepCard] = {}
    raw: dict[str, dict[str, Any]] = {}
    top: list[dict[str, Any]] = []
    for node in data.getlist("node"):
        card_id, _sep, parent = node.partition(":")
        if not card_id.isalnum() or len(card_id) > 20 or card_id in by_id:
            continue
        kind = str(data.get(f"{card_id}-kind", ""))
        form_class = step_form(kind)
        params = _posted(form_class(prefix=card_id), data, card_id)
        item: dict[str, Any] = {"kind": kind, "params": params}
        card = StepCard(
            id=card_id,
            kind=kind,
            parent=parent,
            form=step_params_form(kind, card_id, params),
        )
        if kind == StepKind.BRANCH:
            condition = posted_condition(data, f"{card_id}c")
            item = {"kind": kind, "params": {"condition": condition}, "yes": [], "no": []}
            card.condition_kind = condition["kind"] if condition else ""
            card.condition_form = _condition_form(
                card_id, card.condition_kind, condition["params"] if condition else None
            )
        branch_id, _dot, side = parent.partition(".")
        if parent and branch_id in raw and side in {"yes", "no"} and "yes" in raw[branch_id]:
            raw[branch_id][side].append(item)
            getattr(by_id[branch_id], side).append(card)
        else:
            card.parent = ""
            top.append(item)
            cards.append(card)
        raw[card_id] = item
        by_id[card_id] = card
    paths: dict[str, StepCard] = {}
    for index, card in enumerate(cards):
        paths[f"definition.steps.{index}"] = card
        for side in ("yes", "no"):
            for sub_index, sub in enumerate(getattr(card, side)):
                paths[f"definition.steps.{index}.{side}.{sub_index}"] = sub
    return {"steps": top}, cards, paths


def place_errors(error: ValidationError, paths: Mapping[str, StepCard]) -> dict[str, list[str]]:
    """Put each ``definition…`` error on its card (and field); return the rest by field."""
    rest: dict[str, list[str]] = {}
    for key, messages in error.message_dict.items():
        card = None
        matched = ""
        for path, candidate in paths.items():
            if (key == path or key.startswith(path + ".")) and len(path) > len(matched):
                card, matched = candidate, path
        if card is None:
            rest.setdefault(key, []).extend(messages)
            continue
        remainder = key[len(matched) :].lstrip(".")
        if remainder.startswith("params."):
            card.errors.setdefault(remainder.removeprefix("params."), []).extend(messages)
        else:
            card.card_errors.extend(messages)
    return rest


def trigger_params_form(kind: str, params: Mapping[str, Any] | None = None) -> forms.Form:
    form_class = trigger_form(kind)
    if params is None:
        return form_class(prefix="trigger")
    return _bound(form_class, "trigger", params)


def posted_trigger_params(data: QueryDict) -> dict[str, Any]:
    kind = str(data.get("trigger_kind", ""))
    form_class = trigger_form(kind)
    return _posted(form_class(prefix="trigger"), data, "trigger")


def entry_json(rules: Mapping[str, Any]) -> str:
    return json.dumps(rules, ensure_ascii=False)
