"""Money: always stored as an integer number of Rials, shown in Toman or Rial.

One Toman is ten Rials. Persian display uses Persian digits and the Arabic thousands
separator (``۱۲٬۳۴۵ تومان``); English uses ASCII digits and commas (``12,345 Toman``).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peyvand.common.persian import is_farsi, strip_invisible, to_ascii_digits, to_persian_digits

__all__ = [
    "MAX_RIALS",
    "UNITS",
    "display_unit",
    "divide_half_up",
    "format_money",
    "parse_money",
    "round_half_up",
]

UNITS = ("toman", "rial")
RIALS_PER_UNIT = {"toman": 10, "rial": 1}
UNIT_LABELS = {
    "toman": {"fa": "تومان", "en": "Toman"},
    "rial": {"fa": "ریال", "en": "Rial"},
}
# Fits a signed 64-bit integer column (BigIntegerField) with room to spare.
MAX_RIALS = 10**18

MSG_INVALID_MONEY = _(
    # fa: مبلغ را به صورت عدد وارد کنید، مانند ۱۲٬۵۰۰.
    "Enter an amount as a number, such as 12,500."
)
MSG_NEGATIVE_MONEY = _("The amount cannot be negative.")  # fa: مبلغ نمی‌تواند منفی باشد.
MSG_FRACTIONAL_MONEY = _(
    "The amount must be a whole number of Rials."  # fa: مبلغ باید عددی صحیح به ریال باشد.
)
MSG_MONEY_TOO_LARGE = _("The amount is too large.")  # fa: مبلغ بیش از حد بزرگ است.

_AMOUNT_RE = re.compile(r"[-+]?[0-9]+(?:\.[0-9]*)?|[-+]?\.[0-9]+")
_UNIT_WORDS = {
    "تومان": "toman",
    "toman": "toman",
    "tomans": "toman",
    "irt": "toman",
    "ریال": "rial",
    "rial": "rial",
    "rials": "rial",
    "irr": "rial",
}
_UNIT_SUFFIX_RE = re.compile(
    "(" + "|".join(sorted(map(re.escape, _UNIT_WORDS), key=len, reverse=True)) + ")$",
    re.IGNORECASE,
)


def display_unit() -> str:
    """The unit amounts are shown and typed in: ``PEYVAND_MONEY_DISPLAY`` (Toman by
    default)."""
    from django.conf import settings

    return _check_unit(str(getattr(settings, "PEYVAND_MONEY_DISPLAY", "toman")))


def _check_unit(unit: str) -> str:
    if unit not in RIALS_PER_UNIT:
        raise ValueError(f"unknown money unit {unit!r}; expected one of {UNITS}")
    return unit


def _group(digits: str, separator: str) -> str:
    """Insert a thousands separator into a string of digits."""
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(groups)


def format_money(
    rials: int | None, *, unit: str = "toman", language: str = "fa", whole: bool = False
) -> str:
    """Format an amount of Rials for display in Toman (default) or Rial.

    Toman amounts keep one decimal only when they are not whole (15 Rials → 1.5 Toman);
    ``whole=True`` rounds to the nearest whole unit instead, for estimates and averages
    where the last Rial means nothing (a predicted lifetime value, an average spend).
    ``format_money(123450)`` is ``"۱۲٬۳۴۵ تومان"``; in English ``"12,345 Toman"``; with
    ``unit="rial"`` the label is ``ریال``/``Rial``. ``None`` gives ``""``.
    """
    if rials is None:
        return ""
    per_unit = RIALS_PER_UNIT[_check_unit(unit)]
    farsi = is_farsi(language)
    if whole:
        # Half a unit rounds away from zero; in integers, as amounts reach MAX_RIALS (10^18),
        # past what a float holds exactly.
        units_away, remainder = divmod(abs(int(rials)), per_unit)
        units_away += 2 * remainder >= per_unit
        rials = units_away * per_unit * (-1 if rials < 0 else 1)
    units, remainder = divmod(abs(int(rials)), per_unit)
    number = _group(str(units), "," if not farsi else "\u066c")
    if remainder:
        number += ("\u066b" if farsi else ".") + str(remainder)
    if rials < 0:
        number = "-" + number
    if farsi:
        return f"{to_persian_digits(number)} {UNIT_LABELS[unit]['fa']}"
    return f"{number} {UNIT_LABELS[unit]['en']}"


def parse_money(value: str, *, unit: str = "toman") -> int:
    """Parse a typed amount in ``unit`` (Toman by default) and return it in Rials.

    Accepts Persian or ASCII digits, thousands separators (``٬``, ``,``, spaces), a decimal
    point (``.`` or ``٫``) and a trailing unit word (``تومان``, ``ریال``, ``Toman``, ``Rial``),
    which then overrides ``unit``. ``"۱۲٬۳۴۵"`` gives ``123450``. Raises ``ValidationError``
    with code ``invalid_money`` for junk or an empty string, ``negative_money`` for a negative
    amount, ``fractional_money`` for less than one Rial, ``money_too_large`` beyond
    :data:`MAX_RIALS`.
    """
    text = strip_invisible(to_ascii_digits(str(value))).strip()
    unit_match = _UNIT_SUFFIX_RE.search(text)
    if unit_match:
        unit = _UNIT_WORDS[unit_match.group(1).lower()]
        text = text[: unit_match.start()]
    per_unit = RIALS_PER_UNIT[_check_unit(unit)]
    text = re.sub(r"[\s,']+", "", text.replace("\u2212", "-"))
    if not _AMOUNT_RE.fullmatch(text):
        raise ValidationError(MSG_INVALID_MONEY, code="invalid_money")
    try:
        amount = Decimal(text) * per_unit
    except InvalidOperation as error:  # pragma: no cover - the pattern rules this out
        raise ValidationError(MSG_INVALID_MONEY, code="invalid_money") from error
    if amount < 0:
        raise ValidationError(MSG_NEGATIVE_MONEY, code="negative_money")
    if amount != amount.to_integral_value():
        raise ValidationError(MSG_FRACTIONAL_MONEY, code="fractional_money")
    if amount > MAX_RIALS:
        raise ValidationError(MSG_MONEY_TOO_LARGE, code="money_too_large")
    return int(amount)


def round_half_up(value: Decimal) -> int:
    """``value`` rounded to a whole number, halves away from zero (``2.5`` → ``3``): how
    amounts of Rials are rounded everywhere (line totals, VAT, currency conversion)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def divide_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` for non-negative integers, rounded half up, without
    floats (``divide_half_up(1_000_005 * 10, 100)`` is ``100_001``)."""
    if denominator <= 0 or numerator < 0:
        raise ValueError("divide_half_up takes a non-negative numerator and a positive divisor")
    return (2 * numerator + denominator) // (2 * denominator)
