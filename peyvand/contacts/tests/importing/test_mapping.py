"""Column mapping guesses, mapping checks and full-name splitting for imports."""

from __future__ import annotations

import pytest
from django.utils import translation

from peyvand.contacts.importing.mapping import (
    TARGET_FIELDS,
    guess_mapping,
    split_full_name,
    validate_mapping,
)


def test_target_fields_order_and_labels() -> None:
    assert list(TARGET_FIELDS) == [
        "first_name", "last_name", "full_name", "phone", "email", "national_id", "birthday",
        "gender", "company", "job_title", "province", "city", "address", "postal_code",
        "source", "lifecycle_stage", "tags", "note",
    ]  # fmt: skip
    with translation.override("en"):
        assert str(TARGET_FIELDS["national_id"]) == "national ID"
    with translation.override("fa"):
        assert str(TARGET_FIELDS["national_id"]) == "کد ملی"


def test_target_keys_map_to_themselves() -> None:
    assert guess_mapping(list(TARGET_FIELDS)) == {key: key for key in TARGET_FIELDS}


def test_persian_headers() -> None:
    headers = [
        "نام", "نام خانوادگی", "موبایل", "تلفن", "ایمیل", "کد ملی", "تاریخ تولد", "جنسیت",
        "شرکت", "سمت", "استان", "شهر", "آدرس", "کد پستی", "منبع", "مرحله", "برچسب",
        "توضیحات",
    ]  # fmt: skip

    assert guess_mapping(headers) == {
        "نام": "first_name",
        "نام خانوادگی": "last_name",
        "موبایل": "phone",
        "تلفن": "phone",
        "ایمیل": "email",
        "کد ملی": "national_id",
        "تاریخ تولد": "birthday",
        "جنسیت": "gender",
        "شرکت": "company",
        "سمت": "job_title",
        "استان": "province",
        "شهر": "city",
        "آدرس": "address",
        "کد پستی": "postal_code",
        "منبع": "source",
        "مرحله": "lifecycle_stage",
        "برچسب": "tags",
        "توضیحات": "note",
    }


def test_more_persian_synonyms() -> None:
    headers = [
        "نام و نام خانوادگی", "شماره همراه", "تلفن همراه", "شماره تماس", "پست الکترونیک",
        "شماره ملی", "سازمان", "نشانی", "یادداشت", "فامیلی",
    ]  # fmt: skip

    assert guess_mapping(headers) == {
        "نام و نام خانوادگی": "full_name",
        "شماره همراه": "phone",
        "تلفن همراه": "phone",
        "شماره تماس": "phone",
        "پست الکترونیک": "email",
        "شماره ملی": "national_id",
        "سازمان": "company",
        "نشانی": "address",
        "یادداشت": "note",
        "فامیلی": "last_name",
    }


def test_arabic_letters_zwnj_spacing_case_and_digits_do_not_matter() -> None:
    headers = [
        "نام‌خانوادگي",  # ZWNJ and Arabic Yeh
        "كد ملي",  # Arabic Kaf and Yeh
        "موبايل",  # as Windows-1256 (Excel) writes it
        "  شماره   همراه  ",
        "تلفن همراه ۲",
        "برچسب‌ها",
        "  EMAIL ",
        "E-Mail",
        "first_name",
        "FirstName",
        "POSTAL-CODE",
    ]

    assert guess_mapping(headers) == {
        "نام‌خانوادگي": "last_name",
        "كد ملي": "national_id",
        "موبايل": "phone",
        "  شماره   همراه  ": "phone",
        "تلفن همراه ۲": "phone",
        "برچسب‌ها": "tags",
        "  EMAIL ": "email",
        "E-Mail": "email",
        "first_name": "first_name",
        "FirstName": "",  # first_name is already taken
        "POSTAL-CODE": "postal_code",
    }


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("نام", "first_name"),
        ("Name", "full_name"),
        ("Full Name", "full_name"),
        ("نام و نام خانوادگی", "full_name"),
        ("نام کوچک", "first_name"),
    ],
)
def test_name_headers(header: str, target: str) -> None:
    assert guess_mapping([header]) == {header: target}


def test_hubspot_export() -> None:
    headers = [
        "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number",
        "Fax Number", "Company Name", "Associated Company", "Job Title", "Street Address",
        "City", "State/Region", "Postal Code", "Country/Region", "Lifecycle Stage",
        "Lead Status", "Original Source", "Original Source Drill-Down 1", "Contact owner",
        "Create Date", "Email Domain",
    ]  # fmt: skip

    assert guess_mapping(headers) == {
        "Record ID": "",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Phone Number": "phone",
        "Mobile Phone Number": "phone",
        "Fax Number": "",
        "Company Name": "company",
        "Associated Company": "",
        "Job Title": "job_title",
        "Street Address": "address",
        "City": "city",
        "State/Region": "province",
        "Postal Code": "postal_code",
        "Country/Region": "",
        "Lifecycle Stage": "lifecycle_stage",
        "Lead Status": "",
        "Original Source": "source",
        "Original Source Drill-Down 1": "",
        "Contact owner": "",
        "Create Date": "",
        "Email Domain": "",
    }


def test_salesforce_export() -> None:
    headers = [
        "Contact ID", "Salutation", "First Name", "Last Name", "Title", "Account Name",
        "Mailing Street", "Mailing City", "Mailing State/Province", "Mailing Zip/Postal Code",
        "Mailing Country", "Phone", "Mobile", "Home Phone", "Fax", "Email", "Email Opt Out",
        "Birthdate", "Lead Source", "Description", "Contact Owner", "Other City",
    ]  # fmt: skip

    assert guess_mapping(headers) == {
        "Contact ID": "",
        "Salutation": "",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Title": "job_title",
        "Account Name": "company",
        "Mailing Street": "address",
        "Mailing City": "city",
        "Mailing State/Province": "province",
        "Mailing Zip/Postal Code": "postal_code",
        "Mailing Country": "",
        "Phone": "phone",
        "Mobile": "phone",
        "Home Phone": "phone",
        "Fax": "",
        "Email": "email",
        "Email Opt Out": "",
        "Birthdate": "birthday",
        "Lead Source": "source",
        "Description": "note",
        "Contact Owner": "",
        "Other City": "",
    }


def test_zoho_export() -> None:
    headers = [
        "Record Id", "Contact Owner", "First Name", "Last Name", "Account Name", "Email",
        "Secondary Email", "Title", "Department", "Phone", "Other Phone", "Mobile",
        "Date of Birth", "Asst Phone", "Skype ID", "Lead Source", "Mailing Street",
        "Mailing City", "Mailing State", "Mailing Zip", "Mailing Country", "Description", "Tag",
    ]  # fmt: skip

    assert guess_mapping(headers) == {
        "Record Id": "",
        "Contact Owner": "",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Account Name": "company",
        "Email": "email",
        "Secondary Email": "email",
        "Title": "job_title",
        "Department": "",
        "Phone": "phone",
        "Other Phone": "phone",
        "Mobile": "phone",
        "Date of Birth": "birthday",
        "Asst Phone": "",
        "Skype ID": "",
        "Lead Source": "source",
        "Mailing Street": "address",
        "Mailing City": "city",
        "Mailing State": "province",
        "Mailing Zip": "postal_code",
        "Mailing Country": "",
        "Description": "note",
        "Tag": "tags",
    }


def test_google_contacts_csv_export() -> None:
    headers = [
        "Name", "Given Name", "Additional Name", "Family Name", "Nickname", "Birthday",
        "Gender", "Occupation", "Notes", "Group Membership", "E-mail 1 - Type",
        "E-mail 1 - Value", "E-mail 2 - Type", "E-mail 2 - Value", "Phone 1 - Type",
        "Phone 1 - Value", "Phone 2 - Type", "Phone 2 - Value", "Address 1 - Type",
        "Address 1 - Formatted", "Address 1 - Street", "Address 1 - City",
        "Address 1 - Region", "Address 1 - Postal Code", "Address 1 - Country",
        "Organization 1 - Type", "Organization 1 - Name", "Organization 1 - Title",
        "Website 1 - Value",
    ]  # fmt: skip

    assert guess_mapping(headers) == {
        "Name": "full_name",
        "Given Name": "first_name",
        "Additional Name": "",
        "Family Name": "last_name",
        "Nickname": "",
        "Birthday": "birthday",
        "Gender": "gender",
        "Occupation": "",
        "Notes": "note",
        "Group Membership": "tags",
        "E-mail 1 - Type": "",
        "E-mail 1 - Value": "email",
        "E-mail 2 - Type": "",
        "E-mail 2 - Value": "email",
        "Phone 1 - Type": "",
        "Phone 1 - Value": "phone",
        "Phone 2 - Type": "",
        "Phone 2 - Value": "phone",
        "Address 1 - Type": "",
        "Address 1 - Formatted": "address",
        "Address 1 - Street": "",
        "Address 1 - City": "city",
        "Address 1 - Region": "province",
        "Address 1 - Postal Code": "postal_code",
        "Address 1 - Country": "",
        "Organization 1 - Type": "",
        "Organization 1 - Name": "company",
        "Organization 1 - Title": "job_title",
        "Website 1 - Value": "",
    }


def test_google_contacts_new_export_labels() -> None:
    headers = [
        "First Name", "Middle Name", "Last Name", "Organization Name", "Organization Title",
        "Labels", "E-mail 1 - Label", "E-mail 1 - Value", "Phone 1 - Label", "Phone 1 - Value",
    ]  # fmt: skip

    assert guess_mapping(headers) == {
        "First Name": "first_name",
        "Middle Name": "",
        "Last Name": "last_name",
        "Organization Name": "company",
        "Organization Title": "job_title",
        "Labels": "tags",
        "E-mail 1 - Label": "",
        "E-mail 1 - Value": "email",
        "Phone 1 - Label": "",
        "Phone 1 - Value": "phone",
    }


def test_vcard_reader_headers() -> None:
    headers = [
        "first_name", "last_name", "full_name", "phone", "phone (2)", "phone (3)", "email",
        "email (2)", "birthday", "company", "job_title", "address", "note",
    ]  # fmt: skip

    assert guess_mapping(headers) == {
        "first_name": "first_name",
        "last_name": "last_name",
        "full_name": "full_name",
        "phone": "phone",
        "phone (2)": "phone",
        "phone (3)": "phone",
        "email": "email",
        "email (2)": "email",
        "birthday": "birthday",
        "company": "company",
        "job_title": "job_title",
        "address": "address",
        "note": "note",
    }


def test_contained_word_fallback() -> None:
    headers = [
        "Work Phone Ext", "تلفن داخلی", "Customer Mobile", "Company Phone", "Email Address (Work)",
        "Billing City", "شماره موبایل مشتری", "آدرس محل سکونت", "کد پستی منزل",
        "نام و نام خانوادگی مشتری", "Job Role", "Fax", "خطا", "error",
    ]  # fmt: skip

    assert guess_mapping(headers) == {
        "Work Phone Ext": "",
        "تلفن داخلی": "",
        "Customer Mobile": "phone",
        "Company Phone": "phone",
        "Email Address (Work)": "email",
        "Billing City": "city",
        "شماره موبایل مشتری": "phone",
        "آدرس محل سکونت": "address",
        "کد پستی منزل": "postal_code",
        "نام و نام خانوادگی مشتری": "full_name",
        "Job Role": "job_title",
        "Fax": "",
        "خطا": "",
        "error": "",
    }


def test_single_valued_targets_go_to_the_first_claimant_exact_matches_first() -> None:
    headers = ["Billing City", "City", "Shipping City", "Company", "Company Name", "شهر"]

    assert guess_mapping(headers) == {
        "Billing City": "",
        "City": "city",
        "Shipping City": "",
        "Company": "company",
        "Company Name": "",
        "شهر": "",
    }


def test_phone_and_email_may_repeat() -> None:
    headers = ["Phone", "Phone (2)", "موبایل", "Email", "ایمیل", "Work Email"]

    assert guess_mapping(headers) == {
        "Phone": "phone",
        "Phone (2)": "phone",
        "موبایل": "phone",
        "Email": "email",
        "ایمیل": "email",
        "Work Email": "email",
    }


def test_unknown_headers_are_ignored() -> None:
    assert guess_mapping(["Favourite colour", "", "123"]) == {
        "Favourite colour": "",
        "": "",
        "123": "",
    }


# --- validate_mapping ---------------------------------------------------------------------


def test_validate_mapping_accepts_a_good_mapping() -> None:
    headers = ["نام", "موبایل", "موبایل (2)", "شهر", "ستون اضافه"]
    mapping = {"نام": "first_name", "موبایل": "phone", "موبایل (2)": "phone", "شهر": "city"}

    assert validate_mapping(mapping, headers) == []
    assert validate_mapping(guess_mapping(headers), headers) == []


def test_validate_mapping_problems_in_english() -> None:
    headers = ["Name", "City", "Town", "Region", "Shoe size"]
    mapping = {
        "Name": "",
        "City": "city",
        "Town": "city",
        "Region": "province",
        "Shoe size": "shoe_size",
        "Missing": "email",
    }

    with translation.override("en"):
        problems = validate_mapping(mapping, headers)

    assert problems == [
        'Column "Shoe size" is mapped to an unknown field "shoe_size".',
        'Column "Missing" is not in the file.',
        '"city" is mapped from more than one column: City, Town.',
    ]


def test_validate_mapping_needs_something_that_identifies_a_contact() -> None:
    with translation.override("en"):
        problems = validate_mapping({"City": "city", "Note": "note"}, ["City", "Note"])

    assert problems == [
        "Map at least one of name, phone, email or national ID so that each row identifies "
        "a contact."
    ]


@pytest.mark.parametrize(
    "target", ["first_name", "last_name", "full_name", "phone", "email", "national_id"]
)
def test_validate_mapping_each_identifying_field_is_enough(target: str) -> None:
    assert validate_mapping({"Column": target}, ["Column"]) == []


def test_validate_mapping_returns_plain_strings() -> None:
    problems = validate_mapping({}, [])

    assert len(problems) == 1
    assert type(problems[0]) is str


# --- split_full_name ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("علی رضایی", ("علی", "رضایی")),
        ("علي رضايي", ("علی", "رضایی")),
        ("  سید   محمد علی  رضایی ", ("سید محمد علی", "رضایی")),
        ("امیرحسین  کریمی", ("امیرحسین", "کریمی")),
        ("علی حسین زاده", ("علی", "حسین زاده")),
        ("علی حسین‌زاده", ("علی", "حسین‌زاده")),
        ("محمد رضا کریمی پور", ("محمد رضا", "کریمی پور")),
        ("مریم احمدی فر", ("مریم", "احمدی فر")),
        ("سارا رحیمی نژاد", ("سارا", "رحیمی نژاد")),
        ("زهرا کاظمی نیا", ("زهرا", "کاظمی نیا")),
        ("حسین زاده", ("حسین", "زاده")),
        ("علی راد", ("علی", "راد")),
        ("رضایی", ("", "رضایی")),
        ("", ("", "")),
        ("   ", ("", "")),
        ("Ali Rezaei", ("Ali", "Rezaei")),
        ("Rezaei, Ali", ("Ali", "Rezaei")),
        ("Mary Ann Smith", ("Mary Ann", "Smith")),
    ],
)
def test_split_full_name(value: str, expected: tuple[str, str]) -> None:
    assert split_full_name(value) == expected
