"""Form helpers shared by every app's forms: Bootstrap classes and multi-value inputs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _


class StyledFormMixin:
    """Adds Bootstrap classes to widgets, and ``is-invalid`` to fields with errors."""

    fields: dict[str, forms.Field]

    def style_fields(self) -> None:
        # Only errors already found: reading ``self.errors`` here would validate the form
        # before subclasses add their fields (custom fields would then never be checked).
        errors = getattr(self, "_errors", None) or {}
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            elif isinstance(widget, MultipleTextInput):
                continue
            else:
                css = "form-control"
            if name in errors:
                css += " is-invalid"
            widget.attrs["class"] = css


class StyledForm(StyledFormMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_fields()

    def full_clean(self) -> None:
        super().full_clean()
        self.style_fields()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        self.style_fields()


class MultipleTextInput(forms.Widget):
    """Several text inputs with the same name (phones, emails), plus an "add another" button."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None, input_type: str = "text") -> None:
        super().__init__(attrs)
        self.input_type = input_type

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        if isinstance(data, MultiValueDict):
            return [value for value in data.getlist(name) if value.strip()]
        value = data.get(name)
        if isinstance(value, list):
            return value
        return [value] if value else []

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        values = [*(value or []), ""]
        base_id = (attrs or {}).get("id", f"id_{name}")
        inputs = format_html_join(
            "",
            '<input type="{}" name="{}" value="{}" id="{}_{}" class="form-control mb-1" dir="ltr">',
            ((self.input_type, name, item, base_id, index) for index, item in enumerate(values)),
        )
        return format_html(
            '<div id="{}" x-data="{{extra: 0}}">{}<template x-for="i in extra" :key="i">'
            '<input type="{}" name="{}" class="form-control mb-1" dir="ltr"></template>'
            '<button type="button" class="btn btn-sm btn-link p-0" @click="extra++">{}</button>'
            "</div>",
            base_id,
            inputs,
            self.input_type,
            name,
            _("+ add another"),
        )


class MultipleTextField(forms.Field):
    """A list of strings from repeated inputs; each item is validated by the service."""

    widget = MultipleTextInput

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        return [str(item).strip() for item in value if str(item).strip()]

    def prepare_value(self, value: Any) -> Any:
        return value
