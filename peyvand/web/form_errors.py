"""Show a service's ``ValidationError`` on the form that called it, field by field."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(
    form: forms.Form, error: ValidationError, field_map: Mapping[str, str] | None = None
) -> None:
    """Attach each field error to the matching form field (or to the form when none matches).

    ``custom_fields.<key>`` maps to the form field ``cf_<key>``; ``field_map`` renames others.
    """
    mapping = dict(field_map or {})
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        name = mapping.get(field, field)
        if name.startswith("custom_fields."):
            name = "cf_" + name.split(".", 1)[1]
        target = name if name in form.fields else None
        for item in errors:
            form.add_error(target, item)
