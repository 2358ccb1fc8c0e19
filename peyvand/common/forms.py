"""Form fields and widgets shared by the Peyvand apps."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.validators import EMPTY_VALUES
from django.utils.translation import get_language

from peyvand.common.jalali import format_date, parse_date
from peyvand.common.persian import is_farsi

__all__ = ["JalaliDateField", "JalaliDateInput", "MoneyField"]

JALALI_PLACEHOLDER = "۱۴۰۳/۰۱/۰۱"
ISO_PLACEHOLDER = "2024-03-20"


class JalaliDateInput(forms.TextInput):
    """A text input showing dates in Jalali with Persian digits (fa) or ISO (en).

    Renders ``<input type="text" inputmode="numeric" placeholder="۱۴۰۳/۰۱/۰۱" dir="ltr">``;
    the placeholder is an ISO example when the active language is not Persian, unless one was
    given explicitly.
    """

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        """Add ``inputmode="numeric"`` and ``dir="ltr"`` unless overridden in ``attrs``."""
        self._custom_placeholder = bool(attrs and "placeholder" in attrs)
        super().__init__({"inputmode": "numeric", "dir": "ltr", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        """Dates as Jalali/ISO for the active language; typed text is shown back as typed."""
        if value in EMPTY_VALUES:
            return None
        if isinstance(value, datetime.date):
            return format_date(value, get_language())
        return str(value)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        """Add the language-dependent placeholder to the widget context."""
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        if not self._custom_placeholder and "placeholder" not in (attrs or {}):
            farsi = is_farsi(get_language())
            widget_attrs["placeholder"] = JALALI_PLACEHOLDER if farsi else ISO_PLACEHOLDER
        return context


class JalaliDateField(forms.DateField):
    """A date field that accepts Jalali or Gregorian input (see ``jalali.parse_date``)."""

    widget = JalaliDateInput

    def to_python(self, value: Any) -> datetime.date | None:
        """Parse the value with :func:`peyvand.common.jalali.parse_date`."""
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        return parse_date(str(value), get_language() or "fa")


class MoneyField(forms.CharField):
    """An amount typed in the display unit (Toman or Rial, ``PEYVAND_MONEY_DISPLAY``) with
    Persian or ASCII digits and separators; cleans to an integer number of Rials."""

    MAX_TEXT_LENGTH = 40

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}))
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("maxlength", str(self.MAX_TEXT_LENGTH))

    @staticmethod
    def unit() -> str:
        from peyvand.common.money import display_unit

        return display_unit()

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            whole, remainder = divmod(value, 10 if self.unit() == "toman" else 1)
            return f"{whole}.{remainder}" if remainder else str(whole)
        return value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        from peyvand.common.money import parse_money

        text = super().to_python(value)
        if text in EMPTY_VALUES:
            return None
        if len(str(text)) > self.MAX_TEXT_LENGTH:
            from peyvand.common.money import MSG_INVALID_MONEY

            raise forms.ValidationError(MSG_INVALID_MONEY, code="invalid_money")
        return parse_money(str(text), unit=self.unit())
