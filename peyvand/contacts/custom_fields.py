"""Validating and converting the values of admin-defined custom fields."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from peyvand.common.jalali import parse_date
from peyvand.common.persian import clean_persian, normalize_text, search_key, to_ascii_digits

from .models import CustomField, CustomFieldType


def definitions(object_type: str) -> list[CustomField]:
    """The custom fields defined for ``contact`` or ``company``, in display order."""
    return list(CustomField.objects.filter(object_type=object_type))


def convert_value(definition: CustomField, raw: Any) -> Any:
    """The stored JSON value for ``raw``, or ``None`` when empty; raises ``ValidationError``."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = definition.field_type
    if kind == CustomFieldType.TEXT:
        return clean_persian(str(raw))
    if kind == CustomFieldType.NUMBER:
        if isinstance(raw, bool):
            raise ValidationError(_("Enter a number."), code="invalid_number")
        try:
            number = float(to_ascii_digits(str(raw)).replace(",", "").strip())
        except ValueError as error:
            raise ValidationError(_("Enter a number."), code="invalid_number") from error
        if not math.isfinite(number):  # "nan", "inf", "1e999": not storable as JSON
            raise ValidationError(_("Enter a number."), code="invalid_number")
        return int(number) if number.is_integer() else number
    if kind == CustomFieldType.DATE:
        if isinstance(raw, datetime.date):
            return raw.isoformat()
        return parse_date(str(raw)).isoformat()
    if kind == CustomFieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = normalize_text(str(raw))
        if text in {"true", "1", "yes", "on", "بله", "بلی", "اری"}:
            return True
        if text in {"false", "0", "no", "off", "خیر", "نه"}:
            return False
        raise ValidationError(_("Choose yes or no."), code="invalid_boolean")
    if kind == CustomFieldType.CHOICE:
        wanted = search_key(str(raw))
        for choice in definition.choices:
            if search_key(str(choice)) == wanted:
                return choice
        raise ValidationError(
            _("Choose one of: %(choices)s.") % {"choices": "، ".join(map(str, definition.choices))},
            code="invalid_choice",
        )
    raise ValidationError(_("Unknown field type."), code="invalid")


def clean_custom_values(
    object_type: str, values: Mapping[str, Any], *, current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Merge ``values`` into ``current`` after validating each against its definition.

    Raises one ``ValidationError`` keyed ``custom_fields.<key>`` per bad value; unknown keys
    are errors too, so a typo never silently drops data.
    """
    by_key = {definition.key: definition for definition in definitions(object_type)}
    result = dict(current or {})
    errors: dict[str, list[ValidationError]] = {}
    for key, raw in values.items():
        definition = by_key.get(key)
        if definition is None:
            errors[f"custom_fields.{key}"] = [
                ValidationError(_("There is no custom field with this key."), code="unknown")
            ]
            continue
        try:
            converted = convert_value(definition, raw)
        except ValidationError as error:
            errors[f"custom_fields.{key}"] = [error]
            continue
        if converted is None:
            result.pop(key, None)
        else:
            result[key] = converted
    for key, definition in by_key.items():
        if definition.is_required and key not in result and f"custom_fields.{key}" not in errors:
            errors[f"custom_fields.{key}"] = [
                ValidationError(_("This field is required."), code="required")
            ]
    if errors:
        raise ValidationError(errors)
    return result


def searchable_custom_keys(object_type: str) -> list[str]:
    """The keys of the custom fields marked searchable for ``contact`` or ``company``."""
    return sorted(
        CustomField.objects.filter(object_type=object_type, is_searchable=True).values_list(
            "key", flat=True
        )
    )


def searchable_values(values: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    """The custom values under ``keys`` that go into the record's search text."""
    return [str(values[key]) for key in keys if values.get(key) not in (None, "")]
