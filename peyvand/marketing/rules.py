"""A dynamic segment's rules: their shape, strict validation and translation into one ``Q``.

Shape (JSON)::

    {"match": "all" | "any",
     "conditions": [
        {"kind": "contact.city", "params": {"operator": "equals", "value": "تهران"}},
        {"match": "any", "conditions": [<condition>, ...]},      # a group, one level deep
     ]}

Validation names the exact place of each error (``rules.conditions.1.conditions.0.params.days``)
and the condition it belongs to, so the rule builder and the API can show it by the field.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from .conditions import condition_kind

logger = logging.getLogger(__name__)

MATCHES = ("all", "any")
MAX_CONDITIONS = 50


def _error(errors: dict[str, list[ValidationError]], path: str, message: str, code: str) -> None:
    errors.setdefault(path, []).append(ValidationError(message, code=code))


def _clean_condition(
    raw: Any, path: str, errors: dict[str, list[ValidationError]], user: Any
) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        _error(errors, path, _("A condition must be an object."), "invalid")
        return None
    unknown = sorted(set(raw) - {"kind", "params"})
    for key in unknown:
        _error(errors, f"{path}.{key}", _("This field is not allowed."), "unknown")
    key = raw.get("kind")
    kind = condition_kind(key) if isinstance(key, str) else None
    if key in (None, ""):
        _error(errors, f"{path}.kind", _("Choose what this condition tests."), "required")
        return None
    if kind is None:
        _error(
            errors,
            f"{path}.kind",
            _("Unknown condition kind “%(kind)s”.") % {"kind": key},
            "unknown_kind",
        )
        return None
    params = raw.get("params", {})
    if not isinstance(params, Mapping):
        _error(errors, f"{path}.params", _("Send an object."), "invalid")
        return None
    form = kind.form(data=dict(params), user=user)
    for name in sorted(set(params) - set(form.fields)):
        _error(
            errors,
            f"{path}.params.{name}",
            _("%(condition)s: unknown parameter “%(name)s”.")
            % {"condition": kind.label, "name": name},
            "unknown",
        )
    if not form.is_valid():
        for name, field_errors in form.errors.as_data().items():
            where = f"{path}.params.{name}" if name != "__all__" else f"{path}.params"
            for error in field_errors:
                for message in error.messages:
                    _error(
                        errors,
                        where,
                        _("%(condition)s: %(error)s") % {"condition": kind.label, "error": message},
                        error.code or "invalid",
                    )
        return None
    return {"kind": kind.key, "params": form.params()}


def _clean_group(
    raw: Any, path: str, errors: dict[str, list[ValidationError]], user: Any, *, top: bool
) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        _error(errors, path, _("Rules must be an object."), "invalid")
        return None
    for key in sorted(set(raw) - {"match", "conditions"}):
        _error(errors, f"{path}.{key}", _("This field is not allowed."), "unknown")
    match = raw.get("match", "all")
    if match not in MATCHES:
        _error(errors, f"{path}.match", _("Choose “all” or “any”."), "invalid_choice")
    items = raw.get("conditions", [])
    if not isinstance(items, list):
        _error(errors, f"{path}.conditions", _("Send a list."), "invalid")
        return None
    if not top and not items:
        _error(errors, f"{path}.conditions", _("A group needs at least one condition."), "required")
    if len(items) > MAX_CONDITIONS:
        _error(
            errors,
            f"{path}.conditions",
            _("Use at most %(count)s conditions here.") % {"count": MAX_CONDITIONS},
            "too_many",
        )
        return None
    cleaned: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        where = f"{path}.conditions.{index}"
        if isinstance(item, Mapping) and "conditions" in item:
            if not top:
                _error(errors, where, _("Groups cannot be nested inside groups."), "too_deep")
                continue
            group = _clean_group(item, where, errors, user, top=False)
            if group is not None:
                cleaned.append(group)
            continue
        condition = _clean_condition(item, where, errors, user)
        if condition is not None:
            cleaned.append(condition)
    return {"match": match if match in MATCHES else "all", "conditions": cleaned}


def clean_rules(raw: Any, *, user: Any = None, path: str = "rules") -> dict[str, Any]:
    """The rules in their stored form; raises ``ValidationError`` keyed by the place of each
    problem (``rules.conditions.0.params.value``)."""
    errors: dict[str, list[ValidationError]] = {}
    cleaned = _clean_group(raw, path, errors, user, top=True)
    if errors or cleaned is None:
        raise ValidationError(errors or {path: [ValidationError(_("Rules are not valid."))]})
    return cleaned


def _condition_q(condition: Mapping[str, Any]) -> Q:
    kind = condition_kind(str(condition.get("kind")))
    if kind is None:
        # A kind whose app is gone: fail closed, match nobody.
        logger.warning("segment condition kind %r is not registered", condition.get("kind"))
        return Q(pk__in=[])
    return kind.build(condition.get("params") or {})


def _group_q(group: Mapping[str, Any]) -> Q:
    parts = [
        _group_q(item) if "conditions" in item else _condition_q(item)
        for item in group.get("conditions") or []
    ]
    if not parts:
        return Q()
    combined = parts[0]
    for part in parts[1:]:
        combined = combined | part if group.get("match") == "any" else combined & part
    return combined


def rules_q(rules: Mapping[str, Any]) -> Q:
    """The ``Q`` on ``Contact`` for stored (already cleaned) rules; touches no database.
    Empty rules match every contact."""
    return _group_q(rules)


def rules_condition_count(rules: Mapping[str, Any]) -> int:
    """How many conditions the rules have, groups included (for lists)."""
    total = 0
    for item in rules.get("conditions") or []:
        total += len(item.get("conditions") or []) if "conditions" in item else 1
    return total
