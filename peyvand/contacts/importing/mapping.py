"""Which Peyvand field each column of an imported spreadsheet holds.

:func:`guess_mapping` proposes a mapping from column headers to :data:`TARGET_FIELDS` keys
for files exported from other CRMs (HubSpot, Salesforce, Zoho), Google Contacts, phones
(vCard, see :mod:`peyvand.contacts.importing.readers`) and hand-made Persian spreadsheets.
The person importing reviews the guess; :func:`validate_mapping` checks what they send back.
:func:`split_full_name` splits a "name and family name" column into its two parts.

Headers are compared by a *key*: :func:`~peyvand.common.persian.normalize_text` (so Arabic
ي/ك, ZWNJ, Persian digits and case do not matter), then every run of punctuation becomes a
word break, words made only of digits are dropped ("Phone 2", "E-mail 1 - Value") and the
words are joined without spaces ("First Name", "first_name" and "FirstName" share a key, as
do "نام‌خانوادگی" and "نام خانوادگی").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

from django.utils.translation import gettext_lazy as _

from peyvand.common.persian import clean_persian, normalize_text

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = [
    "COMPANY_TARGET_FIELDS",
    "IDENTIFYING_TARGETS",
    "LEAD_TARGET_FIELDS",
    "MULTI_VALUED_TARGETS",
    "TARGET_FIELDS",
    "guess_mapping",
    "split_full_name",
    "target_fields",
    "validate_mapping",
]

# The fields an imported row can fill, in the order the mapping form shows them.
# The labels reuse the Contact model's verbose names, so they share its translations.
TARGET_FIELDS: Final[Mapping[str, StrOrPromise]] = {
    "first_name": _("first name"),  # fa: نام
    "last_name": _("last name"),  # fa: نام خانوادگی
    "full_name": _("full name"),  # fa: نام و نام خانوادگی
    "phone": _("phone"),  # fa: تلفن
    "email": _("email"),  # fa: ایمیل
    "national_id": _("national ID"),  # fa: کد ملی
    "birthday": _("birthday"),  # fa: تاریخ تولد
    "gender": _("gender"),  # fa: جنسیت
    "company": _("company"),  # fa: شرکت
    "job_title": _("job title"),  # fa: سمت شغلی
    "province": _("province"),  # fa: استان
    "city": _("city"),  # fa: شهر
    "address": _("address"),  # fa: نشانی
    "postal_code": _("postal code"),  # fa: کد پستی
    "source": _("source"),  # fa: منبع
    "lifecycle_stage": _("lifecycle stage"),  # fa: مرحله چرخه عمر
    "tags": _("tags"),  # fa: برچسب‌ها
    "note": _("note"),  # fa: یادداشت
}

# The fields an imported company row can fill; the labels reuse the Company model's
# verbose names where it has the field.
COMPANY_TARGET_FIELDS: Final[Mapping[str, StrOrPromise]] = {
    "name": _("name"),  # fa: نام
    "national_id": _("company national ID"),  # fa: شناسه ملی
    "economic_code": _("economic code"),  # fa: کد اقتصادی
    "industry": _("industry"),  # fa: صنعت
    "phone": _("phone"),  # fa: تلفن
    "email": _("email"),  # fa: ایمیل
    "website": _("website"),  # fa: وب‌سایت
    "province": _("province"),  # fa: استان
    "city": _("city"),  # fa: شهر
    "address": _("address"),  # fa: نشانی
    "postal_code": _("postal code"),  # fa: کد پستی
    "tags": _("tags"),  # fa: برچسب‌ها
    "note": _("description"),  # fa: توضیحات
}

# The fields an imported lead row can fill; the labels reuse the Lead model's verbose names.
LEAD_TARGET_FIELDS: Final[Mapping[str, StrOrPromise]] = {
    "first_name": _("first name"),  # fa: نام
    "last_name": _("last name"),  # fa: نام خانوادگی
    "full_name": _("full name"),  # fa: نام و نام خانوادگی
    "phone": _("phone"),  # fa: تلفن
    "email": _("email"),  # fa: ایمیل
    "company": _("company"),  # fa: شرکت
    "job_title": _("job title"),  # fa: سمت شغلی
    "province": _("province"),  # fa: استان
    "city": _("city"),  # fa: شهر
    "estimated_amount": _("estimated value"),  # fa: ارزش تخمینی
    "source": _("source"),  # fa: منبع
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "utm_term": "utm_term",
    "utm_content": "utm_content",
    "note": _("message"),  # fa: پیام
}

# Targets that several columns may fill (a contact has many phones and emails).
MULTI_VALUED_TARGETS: Final = frozenset({"phone", "email"})
# A row can be matched to a contact only if one of these is mapped.
IDENTIFYING_TARGETS: Final = frozenset(
    {"first_name", "last_name", "full_name", "phone", "email", "national_id"}
)

MSG_UNKNOWN_TARGET = _(
    # fa: ستون «%(header)s» به فیلد ناشناختهٔ «%(target)s» نگاشت شده است.
    'Column "%(header)s" is mapped to an unknown field "%(target)s".'
)
MSG_UNKNOWN_HEADER = _(
    'Column "%(header)s" is not in the file.'  # fa: ستون «%(header)s» در فایل نیست.
)
MSG_TARGET_TWICE = _(
    # fa: «%(field)s» از بیش از یک ستون پر شده است: %(headers)s.
    '"%(field)s" is mapped from more than one column: %(headers)s.'
)
MSG_COMPANY_NAME_REQUIRED = _(
    # fa: ستونی را به نام شرکت نگاشت کنید.
    "Map a column to the company name."
)
MSG_LEAD_NEEDS_CONTACT_WAY = _(
    # fa: ستونی را به تلفن یا ایمیل نگاشت کنید: هر سرنخ دست‌کم یکی از این دو را لازم دارد.
    "Map a column to the phone or the email: every lead needs one of them."
)
MSG_LEAD_NEEDS_NAME = _(
    # fa: ستونی را به نام یا شرکت نگاشت کنید.
    "Map a column to the name or the company."
)
MSG_NOTHING_IDENTIFIES = _(
    # fa: دست‌کم یکی از نام، تلفن، ایمیل یا کد ملی را نگاشت کنید تا هر ردیف به یک مخاطب برسد.
    "Map at least one of name, phone, email or national ID so that each row identifies a contact."
)

# Exact header synonyms, per target. The target key itself is always a synonym too.
_SYNONYMS: Final[Mapping[str, tuple[str, ...]]] = {
    "first_name": (
        "نام", "نام کوچک", "اسم", "اسم کوچک",
        "First Name", "Firstname", "Given Name", "Forename", "First",
    ),
    "last_name": (
        "نام خانوادگی", "فامیلی", "فامیل", "نام فامیل", "نام فامیلی",
        "Last Name", "Lastname", "Surname", "Family Name", "Last",
    ),
    "full_name": (
        "نام و نام خانوادگی", "نام کامل", "نام مشتری", "نام مخاطب", "نام شخص", "مشتری",
        "Name", "Full Name", "Contact Name", "Customer Name", "Display Name",
    ),
    "phone": (
        "موبایل", "شماره موبایل", "شماره همراه", "تلفن همراه", "همراه", "تلفن",
        "شماره تلفن", "شماره تماس", "تلفن تماس", "تلفن ثابت", "تلفن محل کار", "تلفن منزل",
        "Phone", "Phone Number", "Mobile", "Mobile Phone", "Mobile Phone Number",
        "Mobile Number", "Cell", "Cell Phone", "Telephone", "Tel", "Work Phone", "Home Phone",
        "Other Phone", "Business Phone", "Phone Value",
    ),
    "email": (
        "ایمیل", "پست الکترونیک", "پست الکترونیکی", "نشانی ایمیل", "آدرس ایمیل",
        "Email", "E-mail", "Email Address", "E-mail Address", "E-mail Value",
        "Secondary Email", "Work Email", "Home Email",
    ),
    "national_id": (
        "کد ملی", "شماره ملی", "کد ملی مشتری",
        "National ID", "National Code", "National ID Number", "Melli Code", "Code Melli",
    ),
    "birthday": (
        "تاریخ تولد", "تولد", "روز تولد",
        "Birthday", "Birthdate", "Birth Date", "Date of Birth", "DOB",
    ),
    "gender": ("جنسیت", "جنس", "Gender", "Sex"),
    "company": (
        "شرکت", "سازمان", "نام شرکت", "نام سازمان", "محل کار",
        "Company", "Company Name", "Organization", "Organisation", "Organization Name",
        "Account Name", "Account", "Employer", "Business Name", "Associated Company",
    ),
    "job_title": (
        "سمت", "سمت شغلی", "عنوان شغلی", "شغل",
        "Job Title", "Title", "Position", "Designation", "Organization Title",
    ),
    "province": (
        "استان",
        "Province", "State", "State/Region", "State/Province", "Region", "Mailing State",
        "Mailing State/Province", "Address Region",
    ),
    "city": ("شهر", "شهرستان", "City", "Town", "Mailing City", "Address City"),
    "address": (
        "آدرس", "نشانی", "آدرس پستی", "نشانی پستی",
        "Address", "Street", "Street Address", "Mailing Street", "Mailing Address",
        "Address Formatted",
    ),
    "postal_code": (
        "کد پستی",
        "Postal Code", "Postcode", "Zip", "Zip Code", "Mailing Zip", "Mailing Postal Code",
        "Mailing Zip/Postal Code", "Address Postal Code",
    ),
    "source": (
        "منبع", "منبع آشنایی", "نحوه آشنایی", "روش آشنایی",
        "Source", "Lead Source", "Original Source", "Contact Source",
    ),
    "lifecycle_stage": (
        "مرحله", "مرحله چرخه عمر", "چرخه عمر",
        "Lifecycle Stage", "Lifecycle", "Stage",
    ),
    "tags": (
        "برچسب", "برچسب‌ها", "تگ", "تگ‌ها", "گروه", "گروه‌ها", "دسته", "دسته‌بندی",
        "Tags", "Tag", "Labels", "Group", "Groups", "Group Membership", "Category", "Categories",
    ),
    "note": (
        "توضیحات", "توضیح", "یادداشت", "یادداشت‌ها", "ملاحظات",
        "Note", "Notes", "Description", "Comment", "Comments", "Remarks",
    ),
}  # fmt: skip

# The contained-word fallback, tried in this order: the first target one of whose phrases
# appears in the header (as whole, consecutive words) wins. Specific targets come before
# general ones, so "Email Address" is an email and "Company Phone" a phone.
_FALLBACK_PHRASES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("national_id", ("national id", "national code", "کد ملی", "شماره ملی")),
    ("postal_code", ("postal", "zip", "postcode", "کد پستی")),
    ("birthday", ("birthday", "birth", "birthdate", "dob", "تولد")),
    ("email", ("email", "e mail", "ایمیل", "پست الکترونیک", "پست الکترونیکی")),
    ("phone", ("phone", "mobile", "cell", "tel", "telephone", "موبایل", "همراه", "تلفن")),
    ("full_name", ("full name", "نام و نام خانوادگی")),
    ("last_name", ("last name", "family name", "surname", "نام خانوادگی", "فامیلی")),
    ("first_name", ("first name", "given name", "نام کوچک")),
    ("job_title", ("job", "title", "position", "سمت", "عنوان شغلی", "شغل")),
    ("company", ("company", "organization", "organisation", "account", "شرکت", "سازمان")),
    ("province", ("province", "state", "region", "استان")),
    ("city", ("city", "شهر")),
    ("address", ("address", "street", "آدرس", "نشانی")),
    ("source", ("source", "منبع", "آشنایی")),
    ("lifecycle_stage", ("lifecycle", "stage", "مرحله")),
    ("tags", ("tag", "tags", "برچسب", "group", "گروه")),
    ("gender", ("gender", "sex", "جنسیت")),
    ("note", ("note", "notes", "description", "comment", "comments", "توضیحات", "یادداشت")),
)

# The same, for company files: Farsi headers and CRM account exports.
_COMPANY_SYNONYMS: Final[Mapping[str, tuple[str, ...]]] = {
    "name": (
        "نام شرکت", "شرکت", "نام", "سازمان", "نام سازمان", "نام کسب و کار",
        "Company Name", "Account Name", "Name", "Company", "Account", "Organization",
        "Organisation", "Organization Name", "Business Name",
    ),
    "national_id": (
        "شناسه ملی", "شناسه ملی شرکت", "Company National ID", "National ID",
    ),
    "economic_code": ("کد اقتصادی", "شماره اقتصادی", "Economic Code"),
    "industry": ("صنعت", "حوزه فعالیت", "زمینه فعالیت", "Industry", "Sector"),
    "phone": (
        "تلفن", "شماره تلفن", "شماره تماس", "تلفن تماس", "تلفن ثابت", "موبایل", "فکس",
        "Phone", "Phone Number", "Telephone", "Tel", "Company Phone", "Mobile", "Fax",
    ),
    "email": ("ایمیل", "پست الکترونیک", "پست الکترونیکی", "Email", "E-mail", "Email Address"),
    "website": ("وب‌سایت", "سایت", "Website", "Web Site", "Website URL", "URL"),
    "province": (
        "استان", "Province", "State", "State/Region", "State/Province", "Region",
        "Billing State", "Billing State/Province",
    ),
    "city": ("شهر", "شهرستان", "City", "Town", "Billing City"),
    "address": (
        "نشانی", "آدرس", "آدرس پستی", "نشانی پستی",
        "Address", "Street", "Street Address", "Billing Street", "Billing Address",
    ),
    "postal_code": (
        "کد پستی", "Postal Code", "Postcode", "Zip", "Zip Code", "Billing Zip/Postal Code",
    ),
    "tags": ("برچسب", "برچسب‌ها", "تگ", "تگ‌ها", "دسته‌بندی", "Tags", "Tag", "Labels", "Category"),
    "note": (
        "توضیحات", "توضیح", "یادداشت", "یادداشت‌ها",
        "Description", "Note", "Notes", "About", "Comments",
    ),
}  # fmt: skip

_COMPANY_FALLBACK_PHRASES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("national_id", ("national id", "شناسه ملی")),
    ("economic_code", ("economic", "کد اقتصادی")),
    ("postal_code", ("postal", "zip", "postcode", "کد پستی")),
    ("email", ("email", "e mail", "ایمیل", "پست الکترونیک")),
    ("phone", ("phone", "mobile", "tel", "telephone", "fax", "تلفن", "موبایل", "فکس")),
    ("website", ("website", "site", "url", "سایت")),
    ("industry", ("industry", "sector", "صنعت", "فعالیت")),
    ("name", ("company", "organization", "organisation", "account", "شرکت", "سازمان")),
    ("province", ("province", "state", "region", "استان")),
    ("city", ("city", "شهر")),
    ("address", ("address", "street", "آدرس", "نشانی")),
    ("tags", ("tag", "tags", "برچسب")),
    ("note", ("note", "notes", "description", "توضیحات", "یادداشت")),
)

# Lead files: web-form and ad-platform exports, and the lead exports of other CRMs.
_LEAD_SYNONYMS: Final[Mapping[str, tuple[str, ...]]] = {
    "first_name": _SYNONYMS["first_name"],
    "last_name": _SYNONYMS["last_name"],
    "full_name": (*_SYNONYMS["full_name"], "Lead Name", "نام سرنخ"),
    "phone": _SYNONYMS["phone"],
    "email": _SYNONYMS["email"],
    "company": _SYNONYMS["company"],
    "job_title": _SYNONYMS["job_title"],
    "province": _SYNONYMS["province"],
    "city": _SYNONYMS["city"],
    "estimated_amount": (
        "مبلغ", "مبلغ تخمینی", "ارزش", "ارزش تخمینی", "بودجه", "مبلغ احتمالی",
        "Amount", "Estimated Amount", "Estimated Value", "Deal Value", "Budget", "Value",
        "Annual Revenue",
    ),
    "source": (*_SYNONYMS["source"], "Lead Source Detail", "کانال"),
    "utm_source": ("UTM Source", "Campaign Source"),
    "utm_medium": ("UTM Medium", "Campaign Medium"),
    "utm_campaign": ("UTM Campaign", "Campaign", "Campaign Name", "کمپین", "نام کمپین"),
    "utm_term": ("UTM Term", "Keyword", "کلیدواژه"),
    "utm_content": ("UTM Content", "Ad Content", "Ad Name"),
    "note": (*_SYNONYMS["note"], "Message", "پیام", "درخواست", "Lead Message"),
}  # fmt: skip

_CONTACT_PHRASES: Final = dict(_FALLBACK_PHRASES)
# Tried in this order; the fields a lead shares with a contact use the contact's phrases.
_LEAD_FALLBACK_PHRASES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("utm_source", ("utm source",)),
    ("utm_medium", ("utm medium",)),
    ("utm_campaign", ("utm campaign", "campaign", "کمپین")),
    ("utm_term", ("utm term",)),
    ("utm_content", ("utm content",)),
    ("email", _CONTACT_PHRASES["email"]),
    ("phone", _CONTACT_PHRASES["phone"]),
    ("estimated_amount", ("amount", "value", "budget", "مبلغ", "ارزش", "بودجه")),
    *(
        (target, _CONTACT_PHRASES[target])
        for target in (
            "full_name",
            "last_name",
            "first_name",
            "job_title",
            "company",
            "province",
            "city",
            "source",
        )
    ),
    ("note", ("note", "notes", "message", "description", "comment", "پیام", "توضیحات")),
)

# A header with one of these words describes something *about* a field ("Phone 1 - Type",
# "Email Opt Out", "Contact Owner", "Record ID", "Country/Region", "Phone Ext") or someone
# else's details ("Asst Phone"): the fallback leaves it out.
_FALLBACK_STOP_WORDS: Final = frozenset(
    normalize_text(word)
    for word in (
        "type", "label", "owner", "id", "opt", "out", "optout", "unsubscribed", "bounced",
        "domain", "status", "date", "country", "assistant", "asst", "ext", "extension",
        "نوع", "مالک", "کشور", "وضعیت", "داخلی",
    )
)  # fmt: skip

_WORD_BREAK_RE = re.compile(r"[\W_]+")


def _words(header: str) -> tuple[str, ...]:
    """The header's normalized words, without words made only of digits."""
    words = _WORD_BREAK_RE.split(normalize_text(header))
    return tuple(word for word in words if word and not word.isdigit())


def _key(header: str) -> str:
    return "".join(_words(header))


def _build_synonym_index(synonyms_by_target: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for target, synonyms in synonyms_by_target.items():
        for synonym in (target, *synonyms):
            key = _key(synonym)
            if index.setdefault(key, target) != target:
                raise ValueError(f"Header synonym {synonym!r} is listed for two targets.")
    return index


def _build_fallback_index(
    phrases_by_target: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]:
    return tuple(
        (target, tuple(_words(phrase) for phrase in phrases))
        for target, phrases in phrases_by_target
    )


# Per object type: (synonym index, fallback index, multi-valued targets).
_VOCABULARIES: Final = {
    "contact": (
        _build_synonym_index(_SYNONYMS),
        _build_fallback_index(_FALLBACK_PHRASES),
        MULTI_VALUED_TARGETS,
    ),
    "company": (
        _build_synonym_index(_COMPANY_SYNONYMS),
        _build_fallback_index(_COMPANY_FALLBACK_PHRASES),
        frozenset({"phone"}),
    ),
    "lead": (
        _build_synonym_index(_LEAD_SYNONYMS),
        _build_fallback_index(_LEAD_FALLBACK_PHRASES),
        frozenset({"phone", "email"}),
    ),
}


def target_fields(object_type: str = "contact") -> Mapping[str, StrOrPromise]:
    """The fields a row of ``object_type`` ("contact", "company" or "lead") can fill."""
    if object_type == "company":
        return COMPANY_TARGET_FIELDS
    return LEAD_TARGET_FIELDS if object_type == "lead" else TARGET_FIELDS


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(words[start : start + size] == phrase for start in range(len(words) - size + 1))


def _fallback_target(
    header: str, index: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]
) -> str:
    words = _words(header)
    if not words or _FALLBACK_STOP_WORDS.intersection(words):
        return ""
    for target, phrases in index:
        if any(_contains(words, phrase) for phrase in phrases):
            return target
    return ""


def guess_mapping(headers: Sequence[str], object_type: str = "contact") -> dict[str, str]:
    """Guess the target field of each header: ``{header: target key or ""}``.

    ``object_type`` picks the vocabulary: contact fields, or (``"company"``) the fields of
    :data:`COMPANY_TARGET_FIELDS`, where "نام", "شرکت" and "Name" are the company name and
    only ``phone`` may repeat. What follows describes contact files.

    Two passes over the headers, left to right. First, exact synonyms: the header's key
    (see the module docstring) equals the key of a known header for that field, in Farsi,
    English, the HubSpot, Salesforce, Zoho and Google Contacts exports, or the vCard reader's
    synthetic headers. "نام" alone is the first name; "نام و نام خانوادگی", "Name" and
    "Full Name" are the full name. Second, for headers still unmatched, a contained-word
    fallback ("Work Phone" → phone, "Billing City" → city), skipped for headers that describe
    something about a field ("Phone 1 - Type", "Email Opt Out", "Contact Owner").

    A single-valued target is given to the first header that claims it (exact matches before
    fallback ones); later claimants get ``""``. ``phone`` and ``email`` may repeat. Every
    header appears in the result, in order; a header given twice keeps its first guess.
    """
    synonym_index, fallback_index, multi_valued = _VOCABULARIES[object_type]
    result: dict[str, str] = dict.fromkeys(headers, "")
    used: set[str] = set()

    def claim(header: str, target: str) -> None:
        if target and (target in multi_valued or target not in used):
            result[header] = target
            used.add(target)

    for header in result:
        claim(header, synonym_index.get(_key(header), ""))
    for header, target in result.items():
        if not target:
            claim(header, _fallback_target(header, fallback_index))
    return result


def validate_mapping(
    mapping: Mapping[str, str], headers: Sequence[str], object_type: str = "contact"
) -> list[str]:
    """The problems with a column mapping, as messages in the active language.

    For companies (``object_type="company"``) the targets are those of
    :data:`COMPANY_TARGET_FIELDS` and the company name must be mapped; for leads
    (``"lead"``) those of :data:`LEAD_TARGET_FIELDS`, with a phone or an email and a name or
    a company mapped.

    ``mapping`` is ``{header: target key}``, ``""`` meaning "ignore this column". Reports, in
    this order: each header that is not among ``headers``, each target that is not a key of
    :data:`TARGET_FIELDS`, each single-valued target mapped from more than one column (once,
    naming the columns), and finally the absence of any identifying field (name, phone,
    email or national ID). An empty list means the mapping can be used.
    """
    fields = target_fields(object_type)
    multi_valued = _VOCABULARIES[object_type][2]
    known_headers = set(headers)
    problems: list[str] = []
    columns_by_target: dict[str, list[str]] = {}
    for header, target in mapping.items():
        if header not in known_headers:
            problems.append(MSG_UNKNOWN_HEADER % {"header": header})
        if not target:
            continue
        if target not in fields:
            problems.append(MSG_UNKNOWN_TARGET % {"header": header, "target": target})
            continue
        columns_by_target.setdefault(target, []).append(header)
    for target, columns in columns_by_target.items():
        if len(columns) > 1 and target not in multi_valued:
            problems.append(
                MSG_TARGET_TWICE % {"field": fields[target], "headers": ", ".join(columns)}
            )
    if object_type == "company":
        if "name" not in columns_by_target:
            problems.append(str(MSG_COMPANY_NAME_REQUIRED))
    elif object_type == "lead":
        if not {"phone", "email"}.intersection(columns_by_target):
            problems.append(str(MSG_LEAD_NEEDS_CONTACT_WAY))
        if not {"first_name", "last_name", "full_name", "company"}.intersection(columns_by_target):
            problems.append(str(MSG_LEAD_NEEDS_NAME))
    elif not IDENTIFYING_TARGETS.intersection(columns_by_target):
        problems.append(str(MSG_NOTHING_IDENTIFIES))
    return problems


# Written as a separate word after the stem of a family name: "حسین زاده", "علی پور".
LAST_NAME_SUFFIXES: Final = ("زاده", "پور", "نژاد", "فر", "نیا")


def split_full_name(value: str) -> tuple[str, str]:
    """Split a full name into ``(first name, last name)``, predictably.

    The value is tidied with :func:`~peyvand.common.persian.clean_persian` (Arabic ي/ك become
    ی/ک, spaces collapse) and split into words at spaces; a ZWNJ keeps its word together.

    * No words: ``("", "")``. One word: ``("", word)`` (a lone word is taken as the family
      name, which is what matching and sorting rely on).
    * With exactly one comma (``"Rezaei, Ali"``), the part before it is the last name and the
      part after it the first name.
    * Otherwise the last word is the last name and everything before it the first name, so
      compound first names stay whole: "سید محمد علی رضایی" → ("سید محمد علی", "رضایی").
    * Except: with three words or more, when the last word is one of
      :data:`LAST_NAME_SUFFIXES` written apart (زاده، پور، نژاد، فر، نیا), the word before it
      belongs to the last name: "علی حسین زاده" → ("علی", "حسین زاده"). Written with ZWNJ
      ("حسین‌زاده") it is one word already. Two words are always (first, last).
    """
    name = clean_persian(value)
    if name.count(",") == 1:
        last, first = (clean_persian(part) for part in name.split(","))
        return first, last
    words = name.split(" ") if name else []
    if not words:
        return "", ""
    if len(words) == 1:
        return "", words[0]
    last_size = 2 if len(words) >= 3 and words[-1] in LAST_NAME_SUFFIXES else 1
    return " ".join(words[:-last_size]), " ".join(words[-last_size:])
