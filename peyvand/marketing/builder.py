"""The rule builder's form: rows of conditions and groups posted as plain form fields, turned
into the rules JSON (validated by ``rules.clean_rules``) and back into rows to render.

Each row has a short random id. The posted fields are ``match`` (the top level), one ``node``
per row in page order (``g:<group id>`` or ``c:<condition id>:<group id or empty>``),
``<group id>-match``, ``<condition id>-kind`` and the parameters with the condition's id as
the form prefix (``<condition id>-operator``…).
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from .conditions import ConditionForm, condition_kind, condition_kinds


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(4)


@dataclass
class ConditionRow:
    id: str
    parent: str
    kind: str
    form: ConditionForm | None
    errors: dict[str, list[str]] = field(default_factory=dict)
    row_errors: list[str] = field(default_factory=list)
    type: str = "condition"

    def fields(self) -> list[tuple[Any, list[str]]]:
        """Each parameter's bound field with the rule errors placed on it."""
        if self.form is None:
            return []
        return [(bound, self.errors.get(bound.name, [])) for bound in self.form.visible_fields()]

    def label(self) -> str:
        kind = condition_kind(self.kind)
        return str(kind.label) if kind is not None else self.kind

    def summary(self) -> str:
        """The parameters in words, for a segment's page (``operator: is one of, …``)."""
        parts = []
        for bound, _errors in self.fields():
            value = bound.value()
            if value in (None, "", []):
                continue
            values = value if isinstance(value, list | tuple) else [value]
            choices = {
                str(key): str(label)
                for key, label in getattr(bound.field, "choices", [])
                if not isinstance(label, list | tuple)
            }
            shown = [choices.get(str(item), str(item)) for item in values]
            if isinstance(bound.field, forms.DateField):
                shown = [str(bound.field.widget.format_value(item)) for item in values]
            parts.append("، ".join(shown))
        return " · ".join(parts)


@dataclass
class GroupRow:
    id: str
    match: str
    rows: list[ConditionRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    type: str = "group"


@dataclass
class Builder:
    match: str
    nodes: list[ConditionRow | GroupRow]
    errors: list[str] = field(default_factory=list)


def kind_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The condition kinds for the kind picker, grouped (``<optgroup>``)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for kind in condition_kinds():
        groups.setdefault(str(kind.group), []).append((kind.key, str(kind.label)))
    return list(groups.items())


def params_form(kind_key: str, prefix: str, user: Any, data: Any = None) -> ConditionForm | None:
    kind = condition_kind(kind_key)
    if kind is None:
        return None
    return kind.form(data=data, prefix=prefix, user=user)


def _posted_params(form: ConditionForm, data: QueryDict, prefix: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, form_field in form.fields.items():
        value = form_field.widget.value_from_datadict(data, {}, f"{prefix}-{name}")
        if value in (None, "", []):
            continue
        params[name] = value
    return params


def parse_post(
    data: QueryDict, user: Any
) -> tuple[dict[str, Any], Builder, dict[str, ConditionRow | GroupRow]]:
    """The raw rules posted by the builder, the rows to render again, and each rule path
    (``rules.conditions.1.conditions.0``) to its row, for placing errors."""
    top: dict[str, Any] = {"match": data.get("match", "all"), "conditions": []}
    builder = Builder(match=str(top["match"]), nodes=[])
    groups: dict[str, tuple[dict[str, Any], int, GroupRow]] = {}
    paths: dict[str, ConditionRow | GroupRow] = {}
    for node in data.getlist("node"):
        parts = node.split(":")
        if parts[0] == "g" and len(parts) == 2:
            group_id = parts[1]
            raw_group: dict[str, Any] = {
                "match": data.get(f"{group_id}-match", "all"),
                "conditions": [],
            }
            group_row = GroupRow(id=group_id, match=str(raw_group["match"]))
            index = len(top["conditions"])
            top["conditions"].append(raw_group)
            builder.nodes.append(group_row)
            groups[group_id] = (raw_group, index, group_row)
            paths[f"rules.conditions.{index}"] = group_row
        elif parts[0] == "c" and len(parts) == 3:
            row_id, parent = parts[1], parts[2]
            kind_key = str(data.get(f"{row_id}-kind", ""))
            form = params_form(kind_key, row_id, user, data)
            raw = {
                "kind": kind_key,
                "params": _posted_params(form, data, row_id) if form is not None else {},
            }
            row = ConditionRow(id=row_id, parent="", kind=kind_key, form=form)
            if parent in groups:
                raw_group, index, group_row = groups[parent]
                path = f"rules.conditions.{index}.conditions.{len(raw_group['conditions'])}"
                raw_group["conditions"].append(raw)
                row.parent = parent
                group_row.rows.append(row)
            else:
                path = f"rules.conditions.{len(top['conditions'])}"
                top["conditions"].append(raw)
                builder.nodes.append(row)
            paths[path] = row
    return top, builder, paths


def place_errors(
    error: ValidationError, builder: Builder, paths: Mapping[str, ConditionRow | GroupRow]
) -> None:
    """Put each rule error on its row and field; the rest on the builder."""
    for key, messages in error.message_dict.items():
        if not key.startswith("rules"):
            continue
        owner = max(
            (path for path in paths if key == path or key.startswith(path + ".")),
            key=len,
            default=None,
        )
        texts = [str(message) for message in messages]
        if owner is None:
            builder.errors.extend(texts)
            continue
        row = paths[owner]
        rest = key[len(owner) :].lstrip(".")
        if isinstance(row, GroupRow):
            row.errors.extend(texts)
        elif rest.startswith("params."):
            row.errors.setdefault(rest.split(".", 2)[1], []).extend(texts)
        else:
            row.row_errors.extend(texts)


def _form_data(form: ConditionForm, prefix: str, params: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, value in params.items():
        form_field = form.fields.get(name)
        if isinstance(form_field, forms.DateField) and isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        elif isinstance(value, list) and not isinstance(
            form_field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField
        ):
            value = "، ".join(map(str, value))
        data[f"{prefix}-{name}"] = value
    return data


def _row(condition: Mapping[str, Any], parent: str, user: Any) -> ConditionRow:
    row_id = new_id("c")
    kind_key = str(condition.get("kind", ""))
    blank = params_form(kind_key, row_id, user)
    form = None
    if blank is not None:
        data = _form_data(blank, row_id, condition.get("params") or {})
        form = params_form(kind_key, row_id, user, data)
    return ConditionRow(id=row_id, parent=parent, kind=kind_key, form=form)


def from_rules(rules: Mapping[str, Any], user: Any) -> Builder:
    """Rows for saved rules (the edit page)."""
    builder = Builder(match=str(rules.get("match", "all")), nodes=[])
    for item in rules.get("conditions") or []:
        if "conditions" in item:
            group = GroupRow(id=new_id("g"), match=str(item.get("match", "all")))
            group.rows = [_row(child, group.id, user) for child in item["conditions"]]
            builder.nodes.append(group)
        else:
            builder.nodes.append(_row(item, "", user))
    return builder
