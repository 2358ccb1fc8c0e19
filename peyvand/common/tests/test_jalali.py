import datetime
import zoneinfo

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.common.forms import JalaliDateField, JalaliDateInput
from peyvand.common.jalali import (
    format_date,
    format_datetime,
    jalali_month_name,
    parse_date,
    to_jalali,
)

UTC = datetime.UTC
TEHRAN = zoneinfo.ZoneInfo("Asia/Tehran")


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (datetime.date(2024, 8, 2), "fa", "۱۴۰۳/۰۵/۱۲"),
        (datetime.date(2024, 8, 2), "en", "2024-08-02"),
        (datetime.date(2024, 3, 20), "fa", "۱۴۰۳/۰۱/۰۱"),  # Nowruz 1403
        (datetime.date(2024, 3, 19), "fa", "۱۴۰۲/۱۲/۲۹"),  # last day of 1402 (not leap)
        (datetime.date(2025, 3, 20), "fa", "۱۴۰۳/۱۲/۳۰"),  # 1403 is leap: Esfand has 30 days
        (datetime.date(2025, 3, 21), "fa", "۱۴۰۴/۰۱/۰۱"),
        (datetime.date(2000, 1, 1), "fa-ir", "۱۳۷۸/۱۰/۱۱"),
        (None, "fa", ""),
        (None, "en", ""),
    ],
)
def test_format_date(value: datetime.date | None, language: str, expected: str) -> None:
    assert format_date(value, language) == expected


def test_format_date_converts_datetimes_to_tehran_time() -> None:
    # 21:00 UTC on 2024-03-19 is 00:30 on 2024-03-20 in Tehran: already Nowruz.
    moment = datetime.datetime(2024, 3, 19, 21, 0, tzinfo=UTC)
    assert format_date(moment, "fa") == "۱۴۰۳/۰۱/۰۱"
    assert format_date(moment, "en") == "2024-03-20"
    naive = datetime.datetime(2024, 3, 19, 23, 59)
    assert format_date(naive, "fa") == "۱۴۰۲/۱۲/۲۹"


def test_format_date_uses_active_language_without_one() -> None:
    with translation.override("en"):
        assert format_date(datetime.date(2024, 8, 2)) == "2024-08-02"
    with translation.override("fa"):
        assert format_date(datetime.date(2024, 8, 2)) == "۱۴۰۳/۰۵/۱۲"


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (datetime.datetime(2024, 8, 2, 14, 5, tzinfo=TEHRAN), "fa", "۱۴۰۳/۰۵/۱۲ ۱۴:۰۵"),
        (datetime.datetime(2024, 8, 2, 14, 5, tzinfo=TEHRAN), "en", "2024-08-02 14:05"),
        (datetime.datetime(2024, 8, 2, 10, 35, tzinfo=UTC), "fa", "۱۴۰۳/۰۵/۱۲ ۱۴:۰۵"),
        (datetime.datetime(2024, 8, 2, 10, 35, tzinfo=UTC), "en", "2024-08-02 14:05"),
        (datetime.datetime(2024, 3, 19, 20, 45, 59, tzinfo=UTC), "fa", "۱۴۰۳/۰۱/۰۱ ۰۰:۱۵"),
        (datetime.datetime(2024, 8, 2, 9, 7), "en", "2024-08-02 09:07"),  # naive: as is
        (datetime.date(2024, 8, 2), "fa", "۱۴۰۳/۰۵/۱۲"),
        (None, "fa", ""),
    ],
)
def test_format_datetime(
    value: datetime.datetime | datetime.date | None, language: str, expected: str
) -> None:
    assert format_datetime(value, language) == expected


def test_format_datetime_follows_the_active_time_zone() -> None:
    moment = datetime.datetime(2024, 8, 2, 10, 35, tzinfo=UTC)
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert format_datetime(moment, "en") == "2024-08-02 10:35"
    assert format_datetime(moment, "en") == "2024-08-02 14:05"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1403/05/12", datetime.date(2024, 8, 2)),
        ("۱۴۰۳/۰۵/۱۲", datetime.date(2024, 8, 2)),
        ("١٤٠٣/٠٥/١٢", datetime.date(2024, 8, 2)),
        ("1403-5-12", datetime.date(2024, 8, 2)),
        ("1403.5.12", datetime.date(2024, 8, 2)),
        (" 1403 / 05 / 12 ", datetime.date(2024, 8, 2)),
        ("\u200f۱۴۰۳/۰۵/۱۲\u200e", datetime.date(2024, 8, 2)),
        ("1403/01/01", datetime.date(2024, 3, 20)),  # Nowruz
        ("1402/12/29", datetime.date(2024, 3, 19)),
        ("1403/12/30", datetime.date(2025, 3, 20)),  # leap year
        ("1699/01/01", datetime.date(2320, 3, 21)),  # below 1700 is still Jalali
        ("2024-08-02", datetime.date(2024, 8, 2)),
        ("2024/8/2", datetime.date(2024, 8, 2)),
        ("۲۰۲۴-۰۸-۰۲", datetime.date(2024, 8, 2)),
        ("1700-01-01", datetime.date(1700, 1, 1)),
        ("2024-02-29", datetime.date(2024, 2, 29)),
    ],
)
def test_parse_date(value: str, expected: datetime.date) -> None:
    assert parse_date(value) == expected
    assert parse_date(value, "en") == expected


@pytest.mark.parametrize(
    "value",
    [
        "1402/12/30",  # 1402 is not a leap year
        "1403/12/31",
        "1403/13/01",
        "1403/00/10",
        "1403/07/31",  # second half-year months have 30 days
        "2023-02-29",
        "2024-13-01",
        "03/05/12",
        "1403/05",
        "14030512",
        "yesterday",
        "1403/05/12 10:00",
        "",
    ],
)
def test_parse_date_invalid(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_date(value)
    assert info.value.code == "invalid_date"


def test_parse_date_message() -> None:
    with pytest.raises(ValidationError) as info:
        parse_date("nope")
    with translation.override("en"):
        assert info.value.messages == ["Enter a valid date, such as 1403/01/01 or 2024-03-20."]


@settings(database=None, deadline=None, max_examples=300)
@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2200, 12, 31)))
def test_format_and_parse_round_trip(value: datetime.date) -> None:
    assert parse_date(format_date(value, "fa")) == value
    assert parse_date(format_date(value, "en")) == value


def test_to_jalali() -> None:
    assert to_jalali(datetime.date(2024, 3, 20)) == (1403, 1, 1)
    assert to_jalali(datetime.datetime(2024, 8, 2, 23, 0)) == (1403, 5, 12)


def test_jalali_month_name() -> None:
    assert jalali_month_name(1, "fa") == "فروردین"
    assert jalali_month_name(12, "fa") == "اسفند"
    assert jalali_month_name(1, "en") == "Farvardin"
    assert jalali_month_name(5, "en") == "Mordad"
    with pytest.raises(ValueError):
        jalali_month_name(13, "fa")
    with pytest.raises(ValueError):
        jalali_month_name(0, "en")


# --- form field ---------------------------------------------------------------------------


class _Form(forms.Form):
    when = JalaliDateField()
    maybe = JalaliDateField(required=False)


def test_jalali_date_field_is_a_date_field() -> None:
    assert isinstance(JalaliDateField(), forms.DateField)
    assert isinstance(JalaliDateField().widget, JalaliDateInput)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("۱۴۰۳/۰۵/۱۲", datetime.date(2024, 8, 2)),
        ("1403/01/01", datetime.date(2024, 3, 20)),
        ("2024-08-02", datetime.date(2024, 8, 2)),
    ],
)
def test_jalali_date_field_cleans(typed: str, expected: datetime.date) -> None:
    form = _Form(data={"when": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"when": expected, "maybe": None}


def test_jalali_date_field_errors() -> None:
    form = _Form(data={"when": "1402/12/30"})
    assert not form.is_valid()
    assert form.errors.as_data()["when"][0].code == "invalid_date"
    form = _Form(data={"when": ""})
    assert not form.is_valid()
    assert form.errors.as_data()["when"][0].code == "required"


def test_jalali_date_field_to_python_accepts_dates() -> None:
    field = JalaliDateField()
    assert field.to_python(datetime.date(2024, 8, 2)) == datetime.date(2024, 8, 2)
    assert field.to_python(datetime.datetime(2024, 8, 2, 9, 0)) == datetime.date(2024, 8, 2)
    assert field.to_python(None) is None
    assert field.to_python("") is None


def test_jalali_date_input_renders_jalali_in_farsi() -> None:
    with translation.override("fa"):
        html = _Form(initial={"when": datetime.date(2024, 8, 2)})["when"].as_widget()
    assert 'type="text"' in html
    assert 'value="۱۴۰۳/۰۵/۱۲"' in html
    assert 'inputmode="numeric"' in html
    assert 'placeholder="۱۴۰۳/۰۱/۰۱"' in html
    assert 'dir="ltr"' in html


def test_jalali_date_input_renders_iso_in_english() -> None:
    with translation.override("en"):
        html = _Form(initial={"when": datetime.date(2024, 8, 2)})["when"].as_widget()
    assert 'value="2024-08-02"' in html
    assert 'inputmode="numeric"' in html
    assert 'placeholder="2024-03-20"' in html


def test_jalali_date_input_shows_typed_text_back() -> None:
    with translation.override("fa"):
        form = _Form(data={"when": "1402/12/30"})
        html = form["when"].as_widget()
    assert 'value="1402/12/30"' in html


def test_jalali_date_input_keeps_a_custom_placeholder() -> None:
    widget = JalaliDateInput(attrs={"placeholder": "تاریخ تولد"})
    with translation.override("en"):
        html = widget.render("born", None)
    assert 'placeholder="تاریخ تولد"' in html
    assert "value=" not in html


def test_jalali_date_field_has_changed() -> None:
    field = JalaliDateField()
    assert not field.has_changed(datetime.date(2024, 8, 2), "۱۴۰۳/۰۵/۱۲")
    assert field.has_changed(datetime.date(2024, 8, 2), "۱۴۰۳/۰۵/۱۳")
