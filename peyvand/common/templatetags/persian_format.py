"""Template filters for Persian-first display.

Registered as a template builtin in settings, so no ``{% load %}`` is needed:

* ``{{ contact.created|jdate }}`` → ``۱۴۰۳/۰۵/۱۲`` (fa) or ``2024-08-02`` (en)
* ``{{ note.created|jdatetime }}`` → ``۱۴۰۳/۰۵/۱۲ ۱۴:۰۵`` (fa) or ``2024-08-02 14:05`` (en)
* ``{{ count|fadigits }}`` → Persian digits when the active language is fa
* ``{{ phone.number|phone }}`` → ``۰۹۱۲ ۱۲۳ ۴۵۶۷`` (fa) or ``0912 123 4567`` (en) for E.164 input
* ``{{ deal.amount|money }}`` → ``۱۲٬۳۴۵ تومان``; ``{{ deal.amount|money:"rial" }}`` forces the
  unit, otherwise ``settings.PEYVAND_MONEY_DISPLAY`` decides.

Every filter returns ``""`` for ``None``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils.translation import get_language

from peyvand.common.jalali import format_date, format_datetime
from peyvand.common.money import display_unit, format_money
from peyvand.common.persian import is_farsi, to_persian_digits
from peyvand.common.validators import format_phone

register = template.Library()


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


@register.filter(name="jdate", is_safe=True)
def jdate_filter(value: object) -> str:
    """A date or datetime as Jalali (fa) or ISO (en); other values are shown unchanged."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.date):
        return format_date(value, _language())
    return str(value)


@register.filter(name="jdatetime", is_safe=True)
def jdatetime_filter(value: object) -> str:
    """A datetime in local time as Jalali (fa) or ISO (en), to the minute."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.date):
        return format_datetime(value, _language())
    return str(value)


@register.filter(name="fadigits", is_safe=True)
def fadigits_filter(value: object) -> str:
    """``str(value)`` with Persian digits when the active language is Persian."""
    if value is None:
        return ""
    text = str(value)
    return to_persian_digits(text) if is_farsi(_language()) else text


@register.filter(name="money", is_safe=True)
def money_filter(value: object, unit: str | None = None) -> str:
    """An amount of Rials in the display unit (``PEYVAND_MONEY_DISPLAY``, or the argument)."""
    return _money(value, unit=unit or display_unit(), whole=False)


@register.filter(name="money_rounded", is_safe=True)
def money_rounded_filter(value: object) -> str:
    """An estimate or average of Rials in the display unit, rounded to a whole unit."""
    return _money(value, unit=display_unit(), whole=True)


def _money(value: object, *, unit: str, whole: bool) -> str:
    """``value`` (Rials, as a number or its text) formatted; not a number: as it is."""
    if value is None or value == "":
        return ""
    try:
        amount = value if isinstance(value, int | Decimal) else Decimal(str(value))
        rials = round(amount) if whole else int(amount)
    except (InvalidOperation, ValueError, TypeError, OverflowError):
        return str(value)
    return format_money(rials, unit=unit, language=_language(), whole=whole)


@register.filter(name="phone", is_safe=False)
def phone_filter(value: object) -> str:
    """An E.164 number in the national form (Iran) or international form, digits per language."""
    if value is None or value == "":
        return ""
    text = format_phone(str(value))
    return to_persian_digits(text) if is_farsi(_language()) else text
