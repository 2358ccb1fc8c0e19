import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.common.money import MAX_RIALS, format_money, parse_money


@pytest.mark.parametrize(
    ("rials", "unit", "language", "expected"),
    [
        (123450, "toman", "fa", "۱۲٬۳۴۵ تومان"),
        (123450, "toman", "en", "12,345 Toman"),
        (123450, "rial", "fa", "۱۲۳٬۴۵۰ ریال"),
        (123450, "rial", "en", "123,450 Rial"),
        (15, "toman", "fa", "۱٫۵ تومان"),
        (15, "toman", "en", "1.5 Toman"),
        (1234567891, "toman", "en", "123,456,789.1 Toman"),
        (0, "toman", "fa", "۰ تومان"),
        (0, "rial", "en", "0 Rial"),
        (10, "toman", "en", "1 Toman"),
        (9990, "toman", "en", "999 Toman"),
        (10000, "toman", "en", "1,000 Toman"),
        (1000000000, "rial", "fa", "۱٬۰۰۰٬۰۰۰٬۰۰۰ ریال"),
        (-123450, "toman", "en", "-12,345 Toman"),
        (-5, "toman", "en", "-0.5 Toman"),
        (123450, "toman", "fa-ir", "۱۲٬۳۴۵ تومان"),
        (None, "toman", "fa", ""),
        (None, "rial", "en", ""),
    ],
)
def test_format_money(rials: int | None, unit: str, language: str, expected: str) -> None:
    assert format_money(rials, unit=unit, language=language) == expected


@pytest.mark.parametrize(
    ("rials", "unit", "expected"),
    [
        (7576574, "toman", "757,657 Toman"),
        (7576576, "toman", "757,658 Toman"),
        (15, "toman", "2 Toman"),
        (1234567891, "rial", "1,234,567,891 Rial"),
        (-7576576, "toman", "-757,658 Toman"),
        (-15, "toman", "-2 Toman"),
        (123456789012345674, "toman", "12,345,678,901,234,567 Toman"),
        (123456789012345675, "toman", "12,345,678,901,234,568 Toman"),
    ],
)
def test_whole_money_rounds_an_estimate_to_the_nearest_unit(
    rials: int, unit: str, expected: str
) -> None:
    assert format_money(rials, unit=unit, language="en", whole=True) == expected


def test_format_money_defaults_to_toman_in_farsi() -> None:
    assert format_money(123450) == "۱۲٬۳۴۵ تومان"


def test_format_money_rejects_unknown_unit() -> None:
    with pytest.raises(ValueError):
        format_money(10, unit="dollar")


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("12345", "toman", 123450),
        ("۱۲٬۳۴۵", "toman", 123450),
        ("١٢٬٣٤٥", "toman", 123450),
        ("12,345", "toman", 123450),
        ("12 345", "toman", 123450),
        ("۱۲ ۳۴۵ ۶۷۸", "toman", 123456780),
        ("1.5", "toman", 15),
        ("۱٫۵", "toman", 15),
        ("12345", "rial", 12345),
        ("۱۲۳٬۴۵۰ ریال", "toman", 123450),  # an explicit unit wins
        ("۱۲٬۳۴۵ تومان", "rial", 123450),
        ("12,345 Toman", "rial", 123450),
        ("100 IRR", "toman", 100),
        ("0", "toman", 0),
        ("  42  ", "toman", 420),
        ("\u200f۱۲۳\u200e", "rial", 123),
    ],
)
def test_parse_money(value: str, unit: str, expected: int) -> None:
    assert parse_money(value, unit=unit) == expected


def test_parse_money_default_unit_is_toman() -> None:
    assert parse_money("۱۰۰") == 1000


@pytest.mark.parametrize(
    ("value", "unit", "code"),
    [
        ("abc", "toman", "invalid_money"),
        ("12a", "toman", "invalid_money"),
        ("1.2.3", "toman", "invalid_money"),
        ("", "toman", "invalid_money"),
        ("تومان", "toman", "invalid_money"),
        ("-100", "toman", "negative_money"),
        ("−۱۰۰", "toman", "negative_money"),
        ("1.55", "toman", "fractional_money"),
        ("1.5", "rial", "fractional_money"),
        (str(MAX_RIALS + 1), "rial", "money_too_large"),
    ],
)
def test_parse_money_invalid(value: str, unit: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_money(value, unit=unit)
    assert info.value.code == code


@settings(database=None, deadline=None, max_examples=300)
@given(
    st.integers(min_value=0, max_value=MAX_RIALS),
    st.sampled_from(["toman", "rial"]),
    st.sampled_from(["fa", "en"]),
)
def test_format_and_parse_round_trip(rials: int, unit: str, language: str) -> None:
    assert parse_money(format_money(rials, unit=unit, language=language), unit=unit) == rials


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2.5", 3), ("2.4999", 2), ("0.5", 1), ("1089.9", 1090), ("-2.5", -3), ("7", 7)],
)
def test_round_half_up(value: str, expected: int) -> None:
    from decimal import Decimal

    from peyvand.common.money import round_half_up

    assert round_half_up(Decimal(value)) == expected


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (100_000_50, 100, 100_001),
        (100_000_49, 100, 100_000),
        (1, 2, 1),
        (5, 3, 2),
        (4, 3, 1),
        (0, 7, 0),
    ],
)
def test_divide_half_up(numerator: int, denominator: int, expected: int) -> None:
    from peyvand.common.money import divide_half_up

    assert divide_half_up(numerator, denominator) == expected


def test_divide_half_up_refuses_a_zero_divisor() -> None:
    from peyvand.common.money import divide_half_up

    with pytest.raises(ValueError):
        divide_half_up(1, 0)
