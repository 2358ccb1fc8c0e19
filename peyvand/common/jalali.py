"""Jalali (Solar Hijri) dates: formatting for display and parsing what people type.

Dates are stored as Gregorian ``datetime.date``/``datetime.datetime`` values; Persian users
see and type Jalali dates (``۱۴۰۳/۰۵/۱۲``), English users see ISO dates (``2024-08-02``).
Aware datetimes are shown in local time (``Asia/Tehran`` unless another zone is active).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import jdatetime
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from peyvand.common.persian import is_farsi, strip_invisible, to_ascii_digits, to_persian_digits

__all__ = [
    "JALALI_MONTHS_EN",
    "JALALI_MONTHS_FA",
    "JalaliMonth",
    "format_date",
    "format_datetime",
    "jalali_month_name",
    "parse_date",
    "to_jalali",
]

MSG_INVALID_DATE = _(
    # fa: یک تاریخ معتبر وارد کنید، مانند ۱۴۰۳/۰۱/۰۱ یا 2024-03-20.
    "Enter a valid date, such as 1403/01/01 or 2024-03-20."
)

JALALI_MONTHS_FA = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
JALALI_MONTHS_EN = (
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
)

# Years below this are Jalali, years from it on are Gregorian.
GREGORIAN_YEAR_THRESHOLD = 1700

_DATE_RE = re.compile(r"(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})")


def _language(language: str | None) -> str:
    return language or get_language() or "fa"


def _local(value: datetime.datetime) -> datetime.datetime:
    """The datetime in local time; naive datetimes are taken to be local already."""
    return timezone.localtime(value) if timezone.is_aware(value) else value


def to_jalali(value: datetime.date) -> tuple[int, int, int]:
    """The Jalali ``(year, month, day)`` of a Gregorian date (a datetime's own date is used)."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    jalali = jdatetime.date.fromgregorian(date=value)
    return int(jalali.year), int(jalali.month), int(jalali.day)


def format_date(
    value: datetime.date | datetime.datetime | None, language: str | None = None
) -> str:
    """Format a date for display: Jalali with Persian digits in "fa", ISO otherwise.

    ``2024-08-02`` gives ``"۱۴۰۳/۰۵/۱۲"`` in Persian and ``"2024-08-02"`` in English. Aware
    datetimes are converted to local (Tehran) time first. ``None`` gives ``""``; without a
    language the active one is used.
    """
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = _local(value).date()
    if is_farsi(_language(language)):
        year, month, day = to_jalali(value)
        return to_persian_digits(f"{year:04d}/{month:02d}/{day:02d}")
    return value.isoformat()


def format_datetime(
    value: datetime.datetime | datetime.date | None, language: str | None = None
) -> str:
    """Format a date and time in local (Tehran) time, to the minute.

    Persian: ``"۱۴۰۳/۰۵/۱۲ ۱۴:۰۵"``; English: ``"2024-08-02 14:05"``. A plain date is formatted
    as by :func:`format_date`; ``None`` gives ``""``; without a language the active one is used.
    """
    if value is None:
        return ""
    if not isinstance(value, datetime.datetime):
        return format_date(value, language)
    local = _local(value)
    time = f"{local.hour:02d}:{local.minute:02d}"
    if is_farsi(_language(language)):
        return f"{format_date(local.date(), 'fa')} {to_persian_digits(time)}"
    return f"{local.date().isoformat()} {time}"


def parse_date(value: str, language: str = "fa") -> datetime.date:
    """Parse a typed date into a Gregorian ``datetime.date``, or raise ``ValidationError``.

    Accepts ``year/month/day`` with ``/``, ``-`` or ``.`` separators, ASCII or Persian digits:
    years below 1700 are Jalali (``1403/05/12``, ``۱۴۰۳/۰۵/۱۲``, ``1403-5-12``), later years are
    Gregorian (``2024-08-02``). Dates that do not exist (``1402/12/30``) are rejected with code
    ``invalid_date``. ``language`` is accepted for symmetry with the formatters; the calendar
    is decided by the year.
    """
    text = strip_invisible(to_ascii_digits(str(value))).strip()
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise ValidationError(MSG_INVALID_DATE, code="invalid_date")
    year, month, day = (int(part) for part in match.groups())
    try:
        if year >= GREGORIAN_YEAR_THRESHOLD:
            return datetime.date(year, month, day)
        gregorian: datetime.date = jdatetime.date(year, month, day).togregorian()
    except (ValueError, OverflowError) as error:
        raise ValidationError(MSG_INVALID_DATE, code="invalid_date") from error
    return gregorian


def jalali_month_name(month: int, language: str | None = None) -> str:
    """The name of a Jalali month (1 = Farvardin … 12 = Esfand) in Persian or English.

    Raises ``ValueError`` for a month outside 1–12.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, not {month}")
    names = JALALI_MONTHS_FA if is_farsi(_language(language)) else JALALI_MONTHS_EN
    return names[month - 1]


@dataclass(frozen=True, order=True)
class JalaliMonth:
    """One month of the Jalali calendar (``JalaliMonth(1405, 1)`` is Farvardin 1405), for
    reports and forecasts that group or filter by month."""

    year: int
    month: int

    def first_day(self) -> datetime.date:
        gregorian: datetime.date = jdatetime.date(self.year, self.month, 1).togregorian()
        return gregorian

    def next(self) -> JalaliMonth:
        return JalaliMonth(self.year + self.month // 12, self.month % 12 + 1)

    def number(self) -> int:
        """Months since the start of year 0: consecutive months differ by 1 (Farvardin 1403
        is 16836), so stored months compare and subtract as integers."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_number(cls, number: int) -> JalaliMonth:
        """The month :meth:`number` gave ``number``."""
        return cls(number // 12, number % 12 + 1)

    def label(self, language: str | None = None) -> str:
        """``"فروردین ۱۴۰۵"`` in Farsi, ``"Farvardin 1405"`` in English."""
        chosen = language or get_language() or "fa"
        year = to_persian_digits(str(self.year)) if is_farsi(chosen) else str(self.year)
        return f"{jalali_month_name(self.month, chosen)} {year}"

    def code(self) -> str:
        """``"1405/01"``: what the filter form shows and reads back."""
        return f"{self.year:04d}/{self.month:02d}"

    @classmethod
    def parse(cls, text: str) -> JalaliMonth:
        """``"1405/01"``, ``"۱۴۰۵-۱"`` or ``"1405/1/1"`` (the day is ignored)."""
        parts = [part for part in to_ascii_digits(text).replace("-", "/").split("/") if part]
        if len(parts) < 2 or not all(part.strip().isdigit() for part in parts[:2]):
            raise ValidationError(_("Enter a Jalali month such as 1405/01."), code="invalid")
        year, month = int(parts[0]), int(parts[1])
        if not (1300 <= year <= 1500 and 1 <= month <= 12):
            raise ValidationError(_("Enter a Jalali month such as 1405/01."), code="invalid")
        return cls(year, month)

    @classmethod
    def of(cls, day: datetime.date) -> JalaliMonth:
        jalali = jdatetime.date.fromgregorian(date=day)
        return cls(int(jalali.year), int(jalali.month))
