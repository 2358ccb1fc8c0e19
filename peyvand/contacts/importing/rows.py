"""Turning one spreadsheet row into clean contact values, or into reasons it was rejected.

Every conversion reuses the product's own normalizers (``common.persian``,
``common.validators``, ``common.jalali``), so an imported contact is exactly what the
form or the API would have stored. Reasons are kept as lazy messages and rendered in both
Farsi and English for the rejects file.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from peyvand.common.iran import PROVINCES
from peyvand.common.jalali import parse_date
from peyvand.common.money import display_unit, parse_money
from peyvand.common.persian import clean_persian, name_key, normalize_text
from peyvand.common.validators import (
    normalize_company_national_id,
    normalize_economic_code,
    normalize_email,
    normalize_national_id,
    normalize_phone,
    normalize_postal_code,
)
from peyvand.contacts.models import Gender, LifecycleStage, Source

from .mapping import split_full_name

UTM_TARGETS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
MULTI_VALUE_SPLIT = re.compile(r"[,،;؛\n/|]+")
# Longest values the Contact model stores, per target (longer is a reason, not a truncation).
MAX_LENGTHS = {
    "first_name": 100,
    "last_name": 100,
    "job_title": 120,
    "city": 80,
    "company": 200,
    "name": 200,
    "industry": 100,
    "company_name": 200,
    **dict.fromkeys(UTM_TARGETS, 100),
}

_GENDERS = {
    "male": Gender.MALE,
    "m": Gender.MALE,
    "man": Gender.MALE,
    "مرد": Gender.MALE,
    "اقا": Gender.MALE,
    "مذکر": Gender.MALE,
    "female": Gender.FEMALE,
    "f": Gender.FEMALE,
    "woman": Gender.FEMALE,
    "زن": Gender.FEMALE,
    "خانم": Gender.FEMALE,
    "مونث": Gender.FEMALE,
    "other": Gender.OTHER,
    "سایر": Gender.OTHER,
}


def _choice_lookup(choices: list[tuple[str, Any]]) -> dict[str, str]:
    """Each choice by its value and by its Farsi and English labels, normalized."""
    lookup: dict[str, str] = {}
    for value, label in choices:
        lookup[normalize_text(value)] = value
        for language in ("fa", "en"):
            with translation.override(language):
                lookup[normalize_text(str(label))] = value
    return lookup


def _province_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for province in PROVINCES:
        for name in (province.code, province.name_fa, province.name_en):
            lookup[normalize_text(name)] = province.code
            lookup[normalize_text(name).replace(" ", "")] = province.code
    return lookup


@dataclass
class ParsedRow:
    """A row after conversion: contact ``values`` for the services, or ``errors``."""

    object_type: ClassVar[str] = "contact"

    number: int
    raw: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[Promise | str]] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def add_error(self, target: str, message: Promise | str) -> None:
        self.errors.setdefault(target, []).append(message)

    def error_text(self, language: str) -> str:
        """ "field: reason; field: reason" in ``language``."""
        from .mapping import target_fields

        fields = target_fields(self.object_type)
        with translation.override(language):
            parts = []
            for target, messages in self.errors.items():
                label = str(fields.get(target, target))
                parts.append(f"{label}: {' '.join(str(message) for message in messages)}")
            return "؛ ".join(parts) if language == "fa" else "; ".join(parts)

    @property
    def match_keys(self) -> list[tuple[str, str]]:
        """Strong identifiers first (national ID, phones, emails), then name + city."""
        keys = (
            [("national_id", self.values["national_id"])] if self.values.get("national_id") else []
        )
        keys += [("phone", number) for number in self.values.get("phones", [])]
        keys += [("email", address) for address in self.values.get("emails", [])]
        return keys

    @property
    def weak_key(self) -> tuple[str, str] | None:
        """Same full name and same city: a weaker rule, only for rows without a national ID,
        phone or email (two people called علی محمدی in Tehran with different phones are two
        people)."""
        values = self.values
        if values.get("national_id") or values.get("phones") or values.get("emails"):
            return None  # it has match keys (checked without building them)
        first, last = self.values.get("first_name", ""), self.values.get("last_name", "")
        city = self.values.get("city", "")
        if first and last and city:
            return name_key(first, last), normalize_text(city)
        return None


@dataclass
class CompanyParsedRow(ParsedRow):
    """A company row: Company ``values`` (``name``, ``phones`` …), or ``errors``."""

    object_type: ClassVar[str] = "company"

    @property
    def match_keys(self) -> list[tuple[str, str]]:
        """National ID, then phones, then the name's key with the city's (when given)."""
        keys = (
            [("national_id", self.values["national_id"])] if self.values.get("national_id") else []
        )
        keys += [("phone", number) for number in self.values.get("phones", [])]
        if self.values.get("name"):
            keys.append(("name", company_name_key(self.values["name"], self.values.get("city"))))
        return keys

    @property
    def weak_key(self) -> tuple[str, str] | None:
        return None


@dataclass
class LeadParsedRow(ParsedRow):
    """A lead row: Lead ``values`` (``phones`` and ``emails`` as lists, the first of each
    kept on the lead), or ``errors``. Leads match other leads on a phone or an email only."""

    object_type: ClassVar[str] = "lead"

    @property
    def match_keys(self) -> list[tuple[str, str]]:
        keys = [("phone", number) for number in self.values.get("phones", [])]
        keys += [("email", address) for address in self.values.get("emails", [])]
        return keys

    @property
    def weak_key(self) -> tuple[str, str] | None:
        return None


@lru_cache(maxsize=1 << 16)
def _parse_date(text: str) -> datetime.date:
    """:func:`parse_date`, remembered: a large file repeats the same dates (a day of birth
    per few hundred people); dates that do not parse raise each time."""
    return parse_date(text)


def company_name_key(name: str, city: str | None) -> str:
    """The key a company is matched on by name: its name key, then ``|`` and its city."""
    return f"{name_key(name)[:200]}|{normalize_text(city or '')}"


class RowParser:
    """Converts rows with one column mapping (header → target field).

    Each kind of record has its ``row_class``, its ``converters`` per target and its
    ``_check_row`` for what a whole row needs; :meth:`parse` is the same for all."""

    row_class: type[ParsedRow] = ParsedRow

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = {header: target for header, target in mapping.items() if target}
        self.stages = _choice_lookup(LifecycleStage.choices)
        self.sources = _choice_lookup(Source.choices)
        self.provinces = _province_lookup()
        self.converters: dict[str, Callable[[ParsedRow, str], None]] = {
            "first_name": self._text("first_name"),
            "last_name": self._text("last_name"),
            "full_name": self._full_name,
            "phone": self._many("phones", normalize_phone),
            "email": self._many("emails", normalize_email),
            "national_id": self._identifier("national_id", normalize_national_id),
            "postal_code": self._identifier("postal_code", normalize_postal_code),
            "birthday": self._birthday,
            "gender": self._gender,
            "company": self._text("company"),
            "job_title": self._text("job_title"),
            "city": self._text("city"),
            "address": self._text("address", multiline=True),
            "province": self._province,
            "source": self._source,
            "lifecycle_stage": self._stage,
            "tags": self._tags,
            "note": self._text("note", into="description", multiline=True),
        }

    def parse(self, number: int, raw: Mapping[str, str]) -> ParsedRow:
        row = self.row_class(number=number, raw=dict(raw))
        for header, target in self.mapping.items():
            text = str(raw.get(header, "") or "").strip()
            converter = self.converters.get(target)
            if text and converter is not None:
                converter(row, text)
        self._check_row(row)
        return row

    def _check_row(self, row: ParsedRow) -> None:
        """A contact row needs something to identify the person by."""
        values = row.values
        if (
            not (
                values.get("first_name")
                or values.get("last_name")
                or values.get("phones")
                or values.get("emails")
                or values.get("national_id")
            )
            and not row.errors
        ):
            row.add_error("full_name", _("The row has no name, phone, email or national ID."))

    # --- converters -------------------------------------------------------------------

    def _text(
        self, target: str, *, into: str = "", multiline: bool = False
    ) -> Callable[[ParsedRow, str], None]:
        """Tidied text of the mapped ``target`` into the value ``into`` (default: the same
        name). Several columns mapped to a note are joined line by line."""
        key = into or target
        limit = MAX_LENGTHS.get(key)

        def convert(row: ParsedRow, text: str) -> None:
            value = clean_persian(text, multiline=multiline)
            if limit is not None and len(value) > limit:
                row.add_error(target, _("At most %(limit)s characters.") % {"limit": limit})
                return
            if target == "note" and row.values.get(key):
                value = f"{row.values[key]}\n{value}"
            row.values[key] = value

        return convert

    def _full_name(self, row: ParsedRow, text: str) -> None:
        first, last = split_full_name(text)
        row.values.setdefault("first_name", first)
        row.values.setdefault("last_name", last)

    def _many(
        self, target: str, normalizer: Callable[[str], str]
    ) -> Callable[[ParsedRow, str], None]:
        error_target = "phone" if target == "phones" else "email"

        def convert(row: ParsedRow, text: str) -> None:
            items = row.values.setdefault(target, [])
            for part in MULTI_VALUE_SPLIT.split(text):
                part = part.strip()
                if not part:
                    continue
                try:
                    value = normalizer(part)
                except ValidationError as error:
                    row.add_error(error_target, _lazy_join(part, error))
                    continue
                if value not in items:
                    items.append(value)

        return convert

    def _identifier(
        self, target: str, normalizer: Callable[[str], str]
    ) -> Callable[[ParsedRow, str], None]:
        def convert(row: ParsedRow, text: str) -> None:
            try:
                row.values[target] = normalizer(text)
            except ValidationError as error:
                row.add_error(target, _lazy_join(text, error))

        return convert

    def _birthday(self, row: ParsedRow, text: str) -> None:
        try:
            row.values["birthday"] = _parse_date(text[:10] if "T" in text else text)
        except ValidationError as error:
            row.add_error("birthday", _lazy_join(text, error))

    def _gender(self, row: ParsedRow, text: str) -> None:
        value = _GENDERS.get(normalize_text(text))
        if value is None:
            row.add_error("gender", _("Use male/female (مرد/زن)."))
        else:
            row.values["gender"] = value

    def _province(self, row: ParsedRow, text: str) -> None:
        key = normalize_text(text).removeprefix("استان ").strip()
        code = self.provinces.get(key) or self.provinces.get(key.replace(" ", ""))
        if code is None:
            row.add_error("province", _("Unknown province."))
        else:
            row.values["province"] = code

    def _source(self, row: ParsedRow, text: str) -> None:
        row.values["source"] = self.sources.get(normalize_text(text), Source.OTHER)

    def _stage(self, row: ParsedRow, text: str) -> None:
        value = self.stages.get(normalize_text(text))
        if value is None:
            row.add_error("lifecycle_stage", _("Unknown lifecycle stage."))
        else:
            row.values["lifecycle_stage"] = value

    def _tags(self, row: ParsedRow, text: str) -> None:
        tags = row.values.setdefault("tags", [])
        for part in MULTI_VALUE_SPLIT.split(text):
            name = clean_persian(part)
            if name and name not in tags:
                tags.append(name[:80])


class CompanyRowParser(RowParser):
    """Converts company rows: the same normalizers as the company form, a name required."""

    row_class = CompanyParsedRow

    def __init__(self, mapping: Mapping[str, str]) -> None:
        super().__init__(mapping)
        self.url_validator = URLValidator(schemes=["http", "https"])
        self.converters = {
            "name": self._text("name"),
            "national_id": self._identifier("national_id", normalize_company_national_id),
            "economic_code": self._identifier("economic_code", normalize_economic_code),
            "industry": self._text("industry"),
            "phone": self._many("phones", normalize_phone),
            "email": self._identifier("email", normalize_email),
            "website": self._website,
            "province": self._province,
            "city": self._text("city"),
            "address": self._text("address", multiline=True),
            "postal_code": self._identifier("postal_code", normalize_postal_code),
            "tags": self._tags,
            "note": self._text("note", into="description", multiline=True),
        }

    def _check_row(self, row: ParsedRow) -> None:
        if not row.values.get("name") and "name" not in row.errors:
            row.add_error("name", _("The row has no company name."))

    def _website(self, row: ParsedRow, text: str) -> None:
        value = text if re.match(r"(?i)^https?://", text) else f"https://{text}"
        try:
            if len(value) > 200:
                raise ValidationError(_("At most %(limit)s characters.") % {"limit": 200})
            self.url_validator(value)
        except ValidationError as error:
            row.add_error("website", _lazy_join(text, error))
        else:
            row.values["website"] = value


class LeadRowParser(RowParser):
    """Converts lead rows with the lead form's normalizers: a name or a company, and a phone
    or an email, are required. An amount is read in the display unit (Toman by default)
    unless the cell names its unit ("۵۰۰۰۰۰۰ ریال")."""

    row_class = LeadParsedRow
    # Targets a lead row converts exactly as a contact row does.
    _AS_CONTACT = (
        "first_name", "last_name", "full_name", "phone", "email", "job_title", "province",
        "city", "source",
    )  # fmt: skip

    def __init__(self, mapping: Mapping[str, str]) -> None:
        super().__init__(mapping)
        self.converters = {
            **{target: self.converters[target] for target in self._AS_CONTACT},
            "company": self._text("company", into="company_name"),
            "estimated_amount": self._amount,
            **{key: self._text(key) for key in UTM_TARGETS},
            "note": self._text("note", into="message", multiline=True),
        }

    def _check_row(self, row: ParsedRow) -> None:
        values = row.values
        named = values.get("first_name") or values.get("last_name") or values.get("company_name")
        if not named and not {"full_name", "company"} & row.errors.keys():
            row.add_error("full_name", _("Enter a name or a company."))
        reachable = values.get("phones") or values.get("emails")
        if not reachable and not {"phone", "email"} & row.errors.keys():
            row.add_error("phone", _("Enter a phone number or an email address."))

    def _amount(self, row: ParsedRow, text: str) -> None:
        try:
            row.values["estimated_amount"] = parse_money(text, unit=display_unit())
        except ValidationError as error:
            row.add_error("estimated_amount", _lazy_join(text, error))


class _JoinedMessage:
    """«value»: reason — rendered lazily, so it can be shown in Farsi and in English."""

    def __init__(self, value: str, error: ValidationError) -> None:
        self.value = value
        self.messages = list(getattr(error, "error_list", [error]))

    def __str__(self) -> str:
        reasons = " ".join(str(message) for item in self.messages for message in item.messages)
        return f"«{self.value}»: {reasons}"


def _lazy_join(value: str, error: ValidationError) -> Any:
    return _JoinedMessage(value, error)
