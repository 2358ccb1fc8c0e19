"""Show a service's ``ValidationError`` on the form that called it, field by field, or as
messages when the action has no form to show it on."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest


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


def service_error_messages(error: ValidationError) -> dict[str, list[str]]:
    """``{field: [message, …]}`` of a service's error (``""`` for errors of no field)."""
    if hasattr(error, "error_dict"):
        return {
            field: [str(text) for text in error.message_dict[field]] for field in error.error_dict
        }
    return {"": [str(text) for text in error.messages]}


def flash_service_errors(request: HttpRequest, error: ValidationError) -> None:
    """Show a service's errors as messages on the next page (for actions posted from a page
    that has no form to show them on), one message per field."""
    for texts in service_error_messages(error).values():
        messages.error(request, " ".join(texts))
