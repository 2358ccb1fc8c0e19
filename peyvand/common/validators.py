"""Iranian identifiers, phone numbers and email addresses.

Each ``normalize_*`` function accepts what people type (Persian or Arabic-Indic digits,
spaces, dashes, ZWNJ and bidi marks) and returns the canonical ASCII form, or raises
:class:`~django.core.exceptions.ValidationError` with a translatable message and a ``code``.
Each ``validate_*`` function calls its ``normalize_*`` and returns nothing, for use as a model
or form field validator.

Error codes used: ``required``, ``invalid_characters``, ``invalid_length``,
``invalid_checksum``, ``invalid_repeated``, ``invalid_format`` (postal code), ``invalid_country``
(Sheba), ``invalid_phone`` and ``invalid_email``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email as django_validate_email
from django.utils.translation import gettext_lazy as _

from peyvand.common.persian import strip_invisible, to_ascii_digits

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = [
    "normalize_company_national_id",
    "normalize_economic_code",
    "normalize_email",
    "normalize_iban",
    "normalize_national_id",
    "normalize_phone",
    "normalize_postal_code",
    "phone_search_forms",
    "validate_company_national_id",
    "validate_economic_code",
    "validate_email",
    "validate_iban",
    "validate_national_id",
    "validate_phone",
    "validate_postal_code",
]

# Spaces, dashes and invisible characters people put inside identifiers.
_SEPARATORS_RE = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_ASCII_DIGITS_RE = re.compile(r"[0-9]+")

MSG_REQUIRED = _("This field is required.")  # fa: این فیلد الزامی است.

MSG_NATIONAL_ID_CHARACTERS = _(
    "National ID must contain only digits."  # fa: کد ملی فقط باید شامل رقم باشد.
)
MSG_NATIONAL_ID_LENGTH = _("National ID must be 10 digits.")  # fa: کد ملی باید ۱۰ رقم باشد.
MSG_NATIONAL_ID_REPEATED = _(
    "National ID cannot be one digit repeated."  # fa: کد ملی نمی‌تواند تکرار یک رقم باشد.
)
MSG_NATIONAL_ID_CHECKSUM = _(
    # fa: این کد ملی معتبر نیست؛ لطفاً آن را بررسی کنید.
    "This national ID is not valid; please check it."
)

MSG_COMPANY_ID_CHARACTERS = _(
    "Company national ID must contain only digits."  # fa: شناسه ملی فقط باید شامل رقم باشد.
)
MSG_COMPANY_ID_LENGTH = _(
    "Company national ID must be 11 digits."  # fa: شناسه ملی باید ۱۱ رقم باشد.
)
MSG_COMPANY_ID_CHECKSUM = _(
    # fa: این شناسه ملی معتبر نیست؛ لطفاً آن را بررسی کنید.
    "This company national ID is not valid; please check it."
)

MSG_ECONOMIC_CODE_CHARACTERS = _(
    "Economic code must contain only digits."  # fa: کد اقتصادی فقط باید شامل رقم باشد.
)
MSG_ECONOMIC_CODE_LENGTH = _(
    # fa: کد اقتصادی باید ۱۲ رقم باشد (کدهای قدیمی: ۱۱ تا ۱۴ رقم).
    "Economic code must be 12 digits (older codes: 11 to 14 digits)."
)

MSG_POSTAL_CODE_CHARACTERS = _(
    "Postal code must contain only digits."  # fa: کد پستی فقط باید شامل رقم باشد.
)
MSG_POSTAL_CODE_LENGTH = _("Postal code must be 10 digits.")  # fa: کد پستی باید ۱۰ رقم باشد.
MSG_POSTAL_CODE_FORMAT = _(
    # fa: این کد پستی معتبر نیست؛ لطفاً آن را بررسی کنید.
    "This postal code is not valid; please check it."
)

MSG_IBAN_COUNTRY = _("Sheba number must start with IR.")  # fa: شماره شبا باید با IR شروع شود.
MSG_IBAN_CHARACTERS = _(
    # fa: شماره شبا باید IR و پس از آن فقط رقم باشد.
    "Sheba number must be IR followed by digits only."
)
MSG_IBAN_LENGTH = _(
    # fa: شماره شبا باید IR و پس از آن ۲۴ رقم باشد.
    "Sheba number must be IR followed by 24 digits."
)
MSG_IBAN_CHECKSUM = _(
    # fa: این شماره شبا معتبر نیست؛ لطفاً آن را بررسی کنید.
    "This Sheba number is not valid; please check it."
)

MSG_PHONE = _("Enter a valid phone number.")  # fa: یک شماره تلفن معتبر وارد کنید.
MSG_EMAIL = _("Enter a valid email address.")  # fa: یک نشانی ایمیل معتبر وارد کنید.

_COMPANY_ID_COEFFICIENTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)


def _compact(value: str) -> str:
    """ASCII digits, without spaces, dashes, ZWNJ or bidi marks."""
    return _SEPARATORS_RE.sub("", strip_invisible(to_ascii_digits(str(value))))


def _digits(value: str, characters_message: StrOrPromise) -> str:
    compact = _compact(value)
    if not compact:
        raise ValidationError(MSG_REQUIRED, code="required")
    if not _ASCII_DIGITS_RE.fullmatch(compact):
        raise ValidationError(characters_message, code="invalid_characters")
    return compact


# --- National ID (کد ملی) ---------------------------------------------------------------


def _national_id_check_digit(first_nine: str) -> int:
    total = sum(int(digit) * (10 - index) for index, digit in enumerate(first_nine)) % 11
    return total if total < 2 else 11 - total


def normalize_national_id(value: str) -> str:
    """Return the 10-digit national ID (کد ملی), or raise ``ValidationError``.

    8 or 9 digits are left-padded with zeros (leading zeros are often dropped). Rejects
    other lengths (``invalid_length``), one repeated digit (``invalid_repeated``) and a wrong
    check digit (``invalid_checksum``).
    """
    digits = _digits(value, MSG_NATIONAL_ID_CHARACTERS)
    if len(digits) in (8, 9):
        digits = digits.zfill(10)
    if len(digits) != 10:
        raise ValidationError(MSG_NATIONAL_ID_LENGTH, code="invalid_length")
    if len(set(digits)) == 1:
        raise ValidationError(MSG_NATIONAL_ID_REPEATED, code="invalid_repeated")
    if int(digits[9]) != _national_id_check_digit(digits[:9]):
        raise ValidationError(MSG_NATIONAL_ID_CHECKSUM, code="invalid_checksum")
    return digits


def validate_national_id(value: str) -> None:
    """Django validator for a national ID (کد ملی); see :func:`normalize_national_id`."""
    normalize_national_id(value)


# --- Company national ID (شناسه ملی) -------------------------------------------------------


def _company_id_check_digit(first_ten: str) -> int:
    shift = int(first_ten[9]) + 2
    total = (
        sum(
            (int(digit) + shift) * coefficient
            for digit, coefficient in zip(first_ten, _COMPANY_ID_COEFFICIENTS, strict=True)
        )
        % 11
    )
    return 0 if total == 10 else total


def normalize_company_national_id(value: str) -> str:
    """Return the 11-digit company national ID (شناسه ملی), or raise ``ValidationError``.

    Codes: ``invalid_characters``, ``invalid_length``, ``invalid_checksum``.
    """
    digits = _digits(value, MSG_COMPANY_ID_CHARACTERS)
    if len(digits) != 11:
        raise ValidationError(MSG_COMPANY_ID_LENGTH, code="invalid_length")
    if int(digits[10]) != _company_id_check_digit(digits[:10]):
        raise ValidationError(MSG_COMPANY_ID_CHECKSUM, code="invalid_checksum")
    return digits


def validate_company_national_id(value: str) -> None:
    """Django validator for a company national ID; see :func:`normalize_company_national_id`."""
    normalize_company_national_id(value)


# --- Economic code (کد اقتصادی) -------------------------------------------------------------


def normalize_economic_code(value: str) -> str:
    """Return the economic code (کد اقتصادی) as digits, or raise ``ValidationError``.

    New codes are 12 digits; older ones have 11 to 14. There is no checksum.
    Codes: ``invalid_characters``, ``invalid_length``.
    """
    digits = _digits(value, MSG_ECONOMIC_CODE_CHARACTERS)
    if not 11 <= len(digits) <= 14:
        raise ValidationError(MSG_ECONOMIC_CODE_LENGTH, code="invalid_length")
    return digits


def validate_economic_code(value: str) -> None:
    """Django validator for an economic code; see :func:`normalize_economic_code`."""
    normalize_economic_code(value)


# --- Postal code (کد پستی) -------------------------------------------------------------------


def normalize_postal_code(value: str) -> str:
    """Return the 10-digit postal code (کد پستی), or raise ``ValidationError``.

    Iranian postal codes never use the digits 0 or 2 in their first five digits (so they
    never start with 0) and are never one digit repeated. Codes: ``invalid_characters``,
    ``invalid_length``, ``invalid_repeated``, ``invalid_format``.
    """
    digits = _digits(value, MSG_POSTAL_CODE_CHARACTERS)
    if len(digits) != 10:
        raise ValidationError(MSG_POSTAL_CODE_LENGTH, code="invalid_length")
    if len(set(digits)) == 1:
        raise ValidationError(MSG_POSTAL_CODE_FORMAT, code="invalid_repeated")
    if "0" in digits[:5] or "2" in digits[:5]:
        raise ValidationError(MSG_POSTAL_CODE_FORMAT, code="invalid_format")
    return digits


def validate_postal_code(value: str) -> None:
    """Django validator for a postal code; see :func:`normalize_postal_code`."""
    normalize_postal_code(value)


# --- Sheba / IBAN (شماره شبا) ----------------------------------------------------------------


def _iban_mod97(iban: str) -> int:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97


def normalize_iban(value: str) -> str:
    """Return the Sheba number (شماره شبا) as ``IR`` + 24 digits, or raise ``ValidationError``.

    Accepts lower-case ``ir``, spaces, Persian digits, and the 24 digits without ``IR``;
    checks ISO 13616 mod-97. Codes: ``invalid_country``, ``invalid_characters``,
    ``invalid_length``, ``invalid_checksum``.
    """
    compact = _compact(value).upper()
    if not compact:
        raise ValidationError(MSG_REQUIRED, code="required")
    if compact.startswith("IR"):
        digits = compact[2:]
    elif compact[:2].isalpha():
        raise ValidationError(MSG_IBAN_COUNTRY, code="invalid_country")
    else:
        digits = compact
    if not _ASCII_DIGITS_RE.fullmatch(digits):
        raise ValidationError(MSG_IBAN_CHARACTERS, code="invalid_characters")
    if len(digits) != 24:
        raise ValidationError(MSG_IBAN_LENGTH, code="invalid_length")
    iban = "IR" + digits
    if _iban_mod97(iban) != 1:
        raise ValidationError(MSG_IBAN_CHECKSUM, code="invalid_checksum")
    return iban


def validate_iban(value: str) -> None:
    """Django validator for a Sheba number; see :func:`normalize_iban`."""
    normalize_iban(value)


# --- Phone numbers ------------------------------------------------------------------------

_PHONE_PUNCTUATION_RE = re.compile(r"[\s\-\u2010-\u2015\u2212().\[\]/]+")
_PHONE_RE = re.compile(r"\+?[0-9]+")
_IRAN_COUNTRY_CODE = 98


# Iranian mobile numbers, checked with phonenumbers' own metadata pattern, so the fast path
# below accepts exactly what the library would (it is most of what a CRM sees, and parsing
# with the library costs ~40 µs a number).
def _iran_mobile_pattern() -> re.Pattern[str]:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("IR")
    mobile = metadata.mobile if metadata is not None else None
    pattern = mobile.national_number_pattern if mobile is not None else None
    return re.compile(r"(?:\+98|0)(" + (pattern or r"(?!)") + r")")


_IRAN_MOBILE_RE = _iran_mobile_pattern()


def normalize_phone(value: str, region: str = "IR") -> str:
    """Return the phone number in E.164 (``+989121234567``), or raise ``ValidationError``.

    Accepts Persian digits, spaces, dashes and parentheses; ``+`` or ``00`` international
    prefixes; and, for Iran, national numbers (``09121234567``, ``021-88776655``), 12 digits
    starting with 98 and 10 digits starting with 9 (a mobile number without its 0). The number
    must be valid according to ``phonenumbers``. Code: ``invalid_phone``.
    """
    compact = _PHONE_PUNCTUATION_RE.sub("", strip_invisible(to_ascii_digits(str(value))))
    if not compact:
        raise ValidationError(MSG_REQUIRED, code="required")
    if not _PHONE_RE.fullmatch(compact):
        raise ValidationError(MSG_PHONE, code="invalid_phone")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+980"):  # "+98 0912…": the national trunk 0 kept by mistake
        compact = "+98" + compact[4:]
    elif region.upper() == "IR" and not compact.startswith(("+", "0")):
        if len(compact) == 12 and compact.startswith("98"):
            compact = "+" + compact
        elif len(compact) == 10 and compact.startswith("9"):
            compact = "0" + compact
    mobile = _IRAN_MOBILE_RE.fullmatch(compact)
    if mobile is not None and (compact.startswith("+") or region.upper() == "IR"):
        return "+98" + mobile.group(1)
    try:
        number = phonenumbers.parse(compact, region.upper())
    except phonenumbers.NumberParseException as error:
        raise ValidationError(MSG_PHONE, code="invalid_phone") from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(MSG_PHONE, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    """Django validator for a phone number (default region Iran); see :func:`normalize_phone`."""
    normalize_phone(value)


def phone_search_forms(e164: str) -> list[str]:
    """The forms someone may type when searching for a number stored as E.164.

    The international digits without ``+`` and, for Iranian numbers, the national form with
    a leading 0: ``"+989121234567"`` gives ``["989121234567", "09121234567"]``. Input that is
    not a parseable number gives its ASCII digits alone (or nothing when it has none).
    """
    digits = "".join(re.findall(r"[0-9]", to_ascii_digits(e164)))
    if not digits:
        return []
    if len(digits) == 12 and digits.startswith("989"):  # an Iranian mobile: no parsing needed
        return [digits, "0" + digits[2:]]
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return [digits]
    forms = [digits]
    if number.country_code == _IRAN_COUNTRY_CODE:
        forms.append("0" + phonenumbers.national_significant_number(number))
    return forms


def format_phone(e164: str) -> str:
    """How a stored number reads to people: Iranian numbers in national form
    (``"+989121234567"`` → ``"0912 123 4567"``), others internationally (``"+49 30 1234567"``).
    Text that is not a parseable number is returned unchanged."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == _IRAN_COUNTRY_CODE:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# --- Email --------------------------------------------------------------------------------


def normalize_email(value: str) -> str:
    """Return the email address stripped and lower-cased, or raise ``ValidationError``.

    Persian digits become ASCII and invisible characters are removed before checking with
    Django's ``validate_email``. Code: ``invalid_email`` (``required`` when empty).
    """
    address = strip_invisible(to_ascii_digits(str(value))).strip().lower()
    if not address:
        raise ValidationError(MSG_REQUIRED, code="required")
    try:
        django_validate_email(address)
    except ValidationError as error:
        raise ValidationError(MSG_EMAIL, code="invalid_email") from error
    return address


def validate_email(value: str) -> None:
    """Django validator for an email address; see :func:`normalize_email`."""
    normalize_email(value)
