from collections.abc import Callable

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from peyvand.common.validators import (
    normalize_company_national_id,
    normalize_economic_code,
    normalize_email,
    normalize_iban,
    normalize_national_id,
    normalize_phone,
    normalize_postal_code,
    phone_search_forms,
    validate_company_national_id,
    validate_economic_code,
    validate_email,
    validate_iban,
    validate_national_id,
    validate_phone,
    validate_postal_code,
)


def _code(function: Callable[[str], object], value: str) -> str | None:
    with pytest.raises(ValidationError) as info:
        function(value)
    return info.value.code


def _national_id_check(first_nine: str) -> str:
    total = sum(int(d) * (10 - i) for i, d in enumerate(first_nine)) % 11
    return first_nine + str(total if total < 2 else 11 - total)


def _company_id_check(first_ten: str) -> str:
    coefficients = [29, 27, 23, 19, 17, 29, 27, 23, 19, 17]
    shift = int(first_ten[9]) + 2
    total = sum((int(d) + shift) * c for d, c in zip(first_ten, coefficients, strict=True)) % 11
    return first_ten + str(0 if total == 10 else total)


# --- national ID --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0499370899", "0499370899"),
        ("۰۴۹۹۳۷۰۸۹۹", "0499370899"),
        ("٠٤٩٩٣٧٠٨٩٩", "0499370899"),
        ("049-937089-9", "0499370899"),
        (" 049 937 0899 ", "0499370899"),
        ("049\u200c9370899\u200f", "0499370899"),
        ("1234567891", "1234567891"),
        ("4271234567", "4271234567"),
        ("499370899", "0499370899"),  # 9 digits: one leading zero dropped
        ("12345679", "0012345679"),  # 8 digits: two leading zeros dropped
    ],
)
def test_national_id_valid(value: str, expected: str) -> None:
    assert normalize_national_id(value) == expected
    assert validate_national_id(value) is None


def test_national_id_examples_match_an_independent_checksum() -> None:
    for first_nine in ("049937089", "123456789", "427123456", "001234567"):
        assert normalize_national_id(_national_id_check(first_nine)) == _national_id_check(
            first_nine
        )


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0499370898", "invalid_checksum"),
        ("0499370890", "invalid_checksum"),
        ("۱۲۳۴۵۶۷۸۹۰", "invalid_checksum"),
        ("1234567", "invalid_length"),
        ("12345678901", "invalid_length"),
        ("1111111111", "invalid_repeated"),  # passes the checksum, but is not a real ID
        ("0000000000", "invalid_repeated"),
        ("04993708a9", "invalid_characters"),
        ("", "required"),
        ("  -  ", "required"),
    ],
)
def test_national_id_invalid(value: str, code: str) -> None:
    assert _code(normalize_national_id, value) == code
    assert _code(validate_national_id, value) == code


def test_national_id_message_is_translatable_english() -> None:
    with pytest.raises(ValidationError) as info:
        normalize_national_id("123")
    with translation.override("en"):
        assert info.value.messages == ["National ID must be 10 digits."]


def test_validators_work_in_a_form_field() -> None:
    field = forms.CharField(validators=[validate_national_id])
    assert field.clean("0499370899") == "0499370899"
    with pytest.raises(ValidationError) as info:
        field.clean("0499370898")
    assert [error.code for error in info.value.error_list] == ["invalid_checksum"]


# --- company national ID ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10100376908", "10100376908"),
        ("10862074590", "10862074590"),  # check digit 0
        ("10320297454", "10320297454"),
        ("۱۴۰۰۱۲۳۴۵۶۲", "14001234562"),
        ("1010-0376-908", "10100376908"),
    ],
)
def test_company_national_id_valid(value: str, expected: str) -> None:
    assert normalize_company_national_id(value) == expected
    assert validate_company_national_id(value) is None


def test_company_national_id_has_exactly_one_check_digit() -> None:
    for prefix in ("1010037690", "1086207459", "1400123456", "1032029745"):
        valid = []
        for check in "0123456789":
            try:
                normalize_company_national_id(prefix + check)
            except ValidationError:
                continue
            valid.append(prefix + check)
        assert valid == [_company_id_check(prefix)]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("10100376907", "invalid_checksum"),
        ("10862074591", "invalid_checksum"),
        ("00000000000", "invalid_checksum"),
        ("1010037690", "invalid_length"),
        ("101003769080", "invalid_length"),
        ("1010037690x", "invalid_characters"),
        ("", "required"),
    ],
)
def test_company_national_id_invalid(value: str, code: str) -> None:
    assert _code(normalize_company_national_id, value) == code
    assert _code(validate_company_national_id, value) == code


# --- economic code ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("411111111111", "411111111111"),
        ("۴۱۱۱-۱۱۱۱-۱۱۱۱", "411111111111"),
        ("10100376908", "10100376908"),  # legacy 11 digits
        ("12345678901234", "12345678901234"),  # legacy 14 digits
    ],
)
def test_economic_code_valid(value: str, expected: str) -> None:
    assert normalize_economic_code(value) == expected
    assert validate_economic_code(value) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1234567890", "invalid_length"),
        ("123456789012345", "invalid_length"),
        ("4111111111a1", "invalid_characters"),
        ("", "required"),
    ],
)
def test_economic_code_invalid(value: str, code: str) -> None:
    assert _code(normalize_economic_code, value) == code
    assert _code(validate_economic_code, value) == code


# --- postal code --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1193653471", "1193653471"),
        ("۱۱۹۳۶-۵۳۴۷۱", "1193653471"),
        ("11936 53471", "1193653471"),
        ("1134503420", "1134503420"),  # 0 and 2 are fine after the fifth digit
        ("9999999998", "9999999998"),
    ],
)
def test_postal_code_valid(value: str, expected: str) -> None:
    assert normalize_postal_code(value) == expected
    assert validate_postal_code(value) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0193653471", "invalid_format"),  # starts with 0
        ("1103653471", "invalid_format"),  # 0 in the first five digits
        ("1193253471", "invalid_format"),  # 2 in the first five digits
        ("1111111111", "invalid_repeated"),
        ("2222222222", "invalid_repeated"),
        ("119365347", "invalid_length"),
        ("11936534711", "invalid_length"),
        ("11936a3471", "invalid_characters"),
        ("", "required"),
    ],
)
def test_postal_code_invalid(value: str, code: str) -> None:
    assert _code(normalize_postal_code, value) == code
    assert _code(validate_postal_code, value) == code


# --- IBAN / Sheba -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("IR062960000000100324200001", "IR062960000000100324200001"),
        ("ir06 2960 0000 0010 0324 2000 01", "IR062960000000100324200001"),
        ("062960000000100324200001", "IR062960000000100324200001"),
        ("IR۰۶۲۹۶۰۰۰۰۰۰۰۱۰۰۳۲۴۲۰۰۰۰۱", "IR062960000000100324200001"),
        ("IR58-0540-1051-8002-1273-1130-07", "IR580540105180021273113007"),
        ("IR820540102680020817909002", "IR820540102680020817909002"),
    ],
)
def test_iban_valid(value: str, expected: str) -> None:
    assert normalize_iban(value) == expected
    assert validate_iban(value) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("IR072960000000100324200001", "invalid_checksum"),
        ("IR062960000000100324200002", "invalid_checksum"),
        ("IR0629600000001003242000", "invalid_length"),
        ("IR06296000000010032420000111", "invalid_length"),
        ("0629600000001003242000", "invalid_length"),
        ("DE89370400440532013000", "invalid_country"),
        ("IR06296000000010032420000X", "invalid_characters"),
        ("", "required"),
    ],
)
def test_iban_invalid(value: str, code: str) -> None:
    assert _code(normalize_iban, value) == code
    assert _code(validate_iban, value) == code


# --- phone --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("09121234567", "+989121234567"),
        ("۰۹۱۲ ۳۴۵ ۶۷۸۹", "+989123456789"),
        ("٠٩١٢٣٤٥٦٧٨٩", "+989123456789"),
        ("+98 912 345 6789", "+989123456789"),
        ("+98 (0)912 345 6789", "+989123456789"),
        ("+98 0912 345 6789", "+989123456789"),
        ("00989123456789", "+989123456789"),
        ("989123456789", "+989123456789"),
        ("9123456789", "+989123456789"),
        ("021-88776655", "+982188776655"),
        ("(021) 8877 6655", "+982188776655"),
        ("+1 415 555 2671", "+14155552671"),
        ("001 415 555 2671", "+14155552671"),
        ("+49 151 23456789", "+4915123456789"),
        ("\u200e+98 912 345 6789\u200f", "+989123456789"),
    ],
)
def test_phone_valid(value: str, expected: str) -> None:
    assert normalize_phone(value) == expected
    assert validate_phone(value) is None


def test_phone_other_region() -> None:
    assert normalize_phone("(415) 555-2671", region="US") == "+14155552671"
    assert normalize_phone("00989123456789", region="US") == "+989123456789"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0912123456", "invalid_phone"),  # one digit short
        ("091212345678", "invalid_phone"),  # one digit long
        ("12345", "invalid_phone"),
        ("+1 000", "invalid_phone"),
        ("0912-abc-4567", "invalid_phone"),
        ("+98+912", "invalid_phone"),
        ("", "required"),
    ],
)
def test_phone_invalid(value: str, code: str) -> None:
    assert _code(normalize_phone, value) == code
    assert _code(validate_phone, value) == code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+989121234567", ["989121234567", "09121234567"]),
        ("+982188776655", ["982188776655", "02188776655"]),
        ("+14155552671", ["14155552671"]),
        ("09121234567", ["09121234567"]),
        ("", []),
    ],
)
def test_phone_search_forms(value: str, expected: list[str]) -> None:
    assert phone_search_forms(value) == expected


# --- email --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" Ali.Reza@Example.COM ", "ali.reza@example.com"),
        ("user۱۲@mail.ir", "user12@mail.ir"),
        ("\u200einfo@peyvand.ir\u200f", "info@peyvand.ir"),
        ("first.last+crm@sub.example.co", "first.last+crm@sub.example.co"),
    ],
)
def test_email_valid(value: str, expected: str) -> None:
    assert normalize_email(value) == expected
    assert validate_email(value) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("not-an-email", "invalid_email"),
        ("ali@", "invalid_email"),
        ("@example.com", "invalid_email"),
        ("ali reza@example.com", "invalid_email"),
        ("", "required"),
        ("   ", "required"),
    ],
)
def test_email_invalid(value: str, code: str) -> None:
    assert _code(normalize_email, value) == code
    assert _code(validate_email, value) == code


def test_email_message() -> None:
    with pytest.raises(ValidationError) as info:
        normalize_email("nope")
    with translation.override("en"):
        assert info.value.messages == ["Enter a valid email address."]
    with translation.override("fa"):  # Django's own catalog already has this message
        assert info.value.messages != ["Enter a valid email address."]


def test_fast_mobile_path_agrees_with_phonenumbers_on_every_prefix() -> None:
    """The regex shortcut for Iranian mobiles accepts exactly what the library accepts."""
    import phonenumbers

    from peyvand.common.validators import normalize_phone as normalize

    for prefix in range(900, 1000):
        number = f"0{prefix}1234567"
        parsed = phonenumbers.parse(number, "IR")
        expected = (
            phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            if phonenumbers.is_valid_number(parsed)
            else None
        )
        try:
            got: str | None = normalize(number)
        except ValidationError:
            got = None
        assert got == expected, number
