"""Numbers in Persian words, as written on invoices: ``1250000`` → «یک میلیون و دویست و
پنجاه هزار». Groups of three digits are joined by «و»; zero is «صفر»."""

from __future__ import annotations

__all__ = ["number_to_persian_words"]

_ONES = ("", "یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نه")
_TEENS = (
    "ده",
    "یازده",
    "دوازده",
    "سیزده",
    "چهارده",
    "پانزده",
    "شانزده",
    "هفده",
    "هجده",
    "نوزده",
)
_TENS = ("", "", "بیست", "سی", "چهل", "پنجاه", "شصت", "هفتاد", "هشتاد", "نود")
_HUNDREDS = ("", "صد", "دویست", "سیصد", "چهارصد", "پانصد", "ششصد", "هفتصد", "هشتصد", "نهصد")
_SCALES = ("", "هزار", "میلیون", "میلیارد", "هزار میلیارد", "میلیون میلیارد", "میلیارد میلیارد")


def _below_thousand(number: int) -> str:
    hundreds, rest = divmod(number, 100)
    parts = [_HUNDREDS[hundreds]] if hundreds else []
    if 10 <= rest < 20:
        parts.append(_TEENS[rest - 10])
    else:
        tens, ones = divmod(rest, 10)
        if tens:
            parts.append(_TENS[tens])
        if ones:
            parts.append(_ONES[ones])
    return " و ".join(parts)


def number_to_persian_words(number: int) -> str:
    """The whole number in Persian words (negative numbers get «منفی»); up to 10^21 − 1."""
    if number == 0:
        return "صفر"
    if number < 0:
        return "منفی " + number_to_persian_words(-number)
    groups: list[int] = []
    while number:
        number, group = divmod(number, 1000)
        groups.append(group)
    if len(groups) > len(_SCALES):
        raise ValueError("number too large to write in words")
    parts = []
    for scale, group in reversed(list(enumerate(groups))):
        if not group:
            continue
        words = _below_thousand(group)
        if scale:
            words = f"{words} {_SCALES[scale]}"
        parts.append(words)
    return " و ".join(parts)
