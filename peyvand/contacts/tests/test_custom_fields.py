"""Custom fields: definitions, value validation and conversion, search and filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from peyvand.accounts.models import Role, User
from peyvand.contacts.models import Contact, CustomField
from peyvand.contacts.selectors import companies_filtered, contacts_filtered
from peyvand.contacts.services import (
    company_create,
    contact_create,
    contact_update,
    custom_field_save,
)
from peyvand.contacts.tests.factories import make_contact
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def define(admin_user: User) -> Callable[..., CustomField]:
    def make(key: str, field_type: str, **extra: Any) -> CustomField:
        values: dict[str, Any] = {
            "object_type": "contact",
            "key": key,
            "label_fa": f"فیلد {key}",
            "field_type": field_type,
        }
        values.update(extra)
        return custom_field_save(actor=admin_user, values=values)

    return make


@pytest.fixture
def fields(define: Callable[..., CustomField]) -> dict[str, CustomField]:
    return {
        "note": define("note", "text", is_searchable=True),
        "budget": define("budget", "number"),
        "visited": define("visited", "date"),
        "level": define("level", "choice", choices=["طلايي", "نقره‌ای", " ", "برنزی"]),
        "vip": define("vip", "boolean"),
    }


def _errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- definitions ---------------------------------------------------------------------------


def test_definition_is_cleaned_saved_and_logged(admin_user: User) -> None:
    field = custom_field_save(
        actor=admin_user,
        values={
            "object_type": "contact",
            "key": "level",
            "label_fa": "  سطح  مشتري ",
            "label_en": "Level",
            "field_type": "choice",
            "choices": ["طلايي", "", "نقره‌ای"],
            "is_filterable": True,
        },
    )
    field.refresh_from_db()
    assert field.label_fa == "سطح مشتری"
    assert field.choices == ["طلایی", "نقره‌ای"]
    (event,) = Event.objects.filter(verb="custom_field.created")
    assert event.subject_id == field.pk
    assert event.payload["changes"]["key"] == [None, "level"]

    custom_field_save(actor=admin_user, field=field, values={"label_en": "Tier"})
    (updated,) = Event.objects.filter(verb="custom_field.updated")
    assert updated.payload == {"changes": {"label_en": ["Level", "Tier"]}}


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"field_type": "choice", "choices": []}, "choices"),
        ({"field_type": "choice", "choices": ["  "]}, "choices"),
        ({"field_type": "colour"}, "field_type"),
        ({"key": "نام فارسی"}, "key"),
        ({"key": "has space"}, "key"),
        ({"object_type": "deal"}, "object_type"),
        ({"label_fa": ""}, "label_fa"),
    ],
)
def test_bad_definitions_are_rejected(admin_user: User, values: dict[str, Any], key: str) -> None:
    definition: dict[str, Any] = {
        "object_type": "contact",
        "key": "thing",
        "label_fa": "چیز",
        "field_type": "text",
    }
    definition.update(values)
    with pytest.raises(ValidationError) as excinfo:
        custom_field_save(actor=admin_user, values=definition)
    assert key in _errors(excinfo)
    assert CustomField.objects.count() == 0


def test_duplicate_key_is_a_validation_error(define: Callable[..., CustomField]) -> None:
    define("budget", "number")
    with pytest.raises(ValidationError):
        define("budget", "text")
    # The same key on the other record type is fine.
    assert define("budget", "number", object_type="company").object_type == "company"


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SALES, Role.READ_ONLY])
def test_only_administrators_define_fields(make_user: Callable[..., User], role: str) -> None:
    with pytest.raises(PermissionDenied):
        custom_field_save(
            actor=make_user(role=role),
            values={"object_type": "contact", "key": "x", "label_fa": "x", "field_type": "text"},
        )
    assert CustomField.objects.count() == 0


# --- values --------------------------------------------------------------------------------


def test_values_are_converted_to_their_stored_form(fields: dict[str, CustomField]) -> None:
    contact = make_contact(
        custom_fields={
            "note": "  مشتري  قديمي ",
            "budget": "۱۲٬۵۰۰",
            "visited": "۱۴۰۳/۰۱/۰۱",
            "level": "نقره اي",
            "vip": "بله",
        }
    )
    contact.refresh_from_db()
    assert contact.custom_fields == {
        "note": "مشتری قدیمی",
        "budget": 12500,
        "visited": "2024-03-20",
        "level": "نقره‌ای",
        "vip": True,
    }


@pytest.mark.parametrize(
    ("key", "raw", "stored"),
    [
        ("budget", "2.5", 2.5),
        ("budget", "۳٫۵", 3.5),
        ("budget", 7, 7),
        ("budget", "1,000,000", 1000000),
        ("budget", "-4", -4),
        ("visited", "1403-5-12", "2024-08-02"),
        ("visited", "2024-08-02", "2024-08-02"),
        ("level", "طلايي", "طلایی"),
        ("level", "برنزی", "برنزی"),
        ("vip", "خیر", False),
        ("vip", False, False),
        ("vip", "آری", True),
        ("vip", "yes", True),
    ],
)
def test_each_type_accepts_what_people_type(
    fields: dict[str, CustomField], key: str, raw: Any, stored: Any
) -> None:
    contact = make_contact(custom_fields={key: raw})
    contact.refresh_from_db()
    assert contact.custom_fields == {key: stored}
    assert type(contact.custom_fields[key]) is type(stored)


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("budget", "دوازده"),
        ("budget", "12a"),
        ("budget", True),
        ("budget", "nan"),
        ("budget", "inf"),
        ("budget", "-Infinity"),
        ("budget", "1e999"),
        ("visited", "1402/12/30"),
        ("visited", "فردا"),
        ("visited", "1403/13/01"),
        ("level", "الماس"),
        ("vip", "شاید"),
    ],
)
def test_bad_values_are_rejected_under_their_key(
    fields: dict[str, CustomField], key: str, raw: Any
) -> None:
    before = (Contact.objects.count(), Event.objects.count())
    with pytest.raises(ValidationError) as excinfo:
        make_contact(custom_fields={key: raw})
    assert list(_errors(excinfo)) == [f"custom_fields.{key}"]
    assert (Contact.objects.count(), Event.objects.count()) == before


def test_unknown_keys_are_rejected(fields: dict[str, CustomField]) -> None:
    with pytest.raises(ValidationError) as excinfo:
        make_contact(custom_fields={"budgett": "5", "budget": "5"})
    assert list(_errors(excinfo)) == ["custom_fields.budgett"]
    assert Contact.objects.count() == 0


def test_a_company_field_is_unknown_on_contacts(define: Callable[..., CustomField]) -> None:
    define("branch_count", "number", object_type="company")
    with pytest.raises(ValidationError) as excinfo:
        make_contact(custom_fields={"branch_count": "3"})
    assert list(_errors(excinfo)) == ["custom_fields.branch_count"]
    company = company_create(
        actor=None, values={"name": "الف", "custom_fields": {"branch_count": "۳"}}
    )
    assert company.custom_fields == {"branch_count": 3}


def test_required_fields_must_be_given_on_create(define: Callable[..., CustomField]) -> None:
    define("segment", "text", is_required=True)
    for custom_fields in ({}, {"segment": ""}, {"segment": "   "}, {"segment": None}):
        with pytest.raises(ValidationError) as excinfo:
            make_contact(custom_fields=custom_fields)
        assert list(_errors(excinfo)) == ["custom_fields.segment"], custom_fields
    assert Contact.objects.count() == 0

    contact = make_contact(custom_fields={"segment": "خرده‌فروشی"})
    assert contact.custom_fields == {"segment": "خرده‌فروشی"}

    # A partial update that does not touch custom fields keeps the value and passes.
    contact_update(actor=None, contact=contact, values={"last_name": "احمدی"})
    # Clearing a required value is refused.
    with pytest.raises(ValidationError) as excinfo:
        contact_update(actor=None, contact=contact, values={"custom_fields": {"segment": ""}})
    assert list(_errors(excinfo)) == ["custom_fields.segment"]
    contact.refresh_from_db()
    assert contact.custom_fields == {"segment": "خرده‌فروشی"}


def test_update_merges_values_and_records_the_diff(fields: dict[str, CustomField]) -> None:
    contact = make_contact(custom_fields={"budget": "100", "vip": "no"})
    contact_update(
        actor=None, contact=contact, values={"custom_fields": {"budget": "۲۰۰", "note": "تازه"}}
    )
    contact.refresh_from_db()
    assert contact.custom_fields == {"budget": 200, "vip": False, "note": "تازه"}
    (event,) = Event.objects.filter(verb="contact.updated")
    assert event.payload["changes"] == {
        "custom_fields": [
            {"budget": 100, "vip": False},
            {"budget": 200, "vip": False, "note": "تازه"},
        ]
    }

    # An empty value removes the key.
    contact_update(actor=None, contact=contact, values={"custom_fields": {"vip": ""}})
    contact.refresh_from_db()
    assert contact.custom_fields == {"budget": 200, "note": "تازه"}


# --- search and filters --------------------------------------------------------------------


def test_searchable_values_are_found_by_the_search_box(
    admin_user: User, fields: dict[str, CustomField]
) -> None:
    found = make_contact(custom_fields={"note": "نمايشگاه كتاب", "level": "طلایی"})
    make_contact(custom_fields={"note": "تلفنی"})

    assert list(contacts_filtered(admin_user, {"q": "نمایشگاه"})) == [found]
    assert list(contacts_filtered(admin_user, {"q": "كتاب نمایشگاه"})) == [found]
    # ``level`` is not searchable, so its value is not in the search text.
    assert list(contacts_filtered(admin_user, {"q": "طلایی"})) == []


def test_search_follows_a_changed_custom_value(
    admin_user: User, fields: dict[str, CustomField]
) -> None:
    contact = make_contact(custom_fields={"note": "قدیمی"})
    contact_update(actor=None, contact=contact, values={"custom_fields": {"note": "جدید"}})
    assert list(contacts_filtered(admin_user, {"q": "جدید"})) == [contact]
    assert list(contacts_filtered(admin_user, {"q": "قدیمی"})) == []


def test_filterable_fields_narrow_the_list(
    admin_user: User, fields: dict[str, CustomField]
) -> None:
    gold = make_contact(
        custom_fields={
            "note": "مشتری علی",
            "budget": "500",
            "visited": "1403/01/01",
            "level": "طلایی",
            "vip": True,
        }
    )
    silver = make_contact(
        custom_fields={"note": "دیگر", "budget": "700", "level": "نقره‌ای", "vip": False}
    )
    bare = make_contact()

    def ids(filters: dict[str, Any]) -> set[int]:
        return set(contacts_filtered(admin_user, filters).values_list("pk", flat=True))

    assert ids({"cf_level": "طلايي"}) == {gold.pk}
    assert ids({"cf_level": "نقره اي"}) == {silver.pk}
    assert ids({"cf_budget": "۵۰۰"}) == {gold.pk}
    assert ids({"cf_budget": "500.0"}) == {gold.pk}
    assert ids({"cf_visited": "۱۴۰۳/۰۱/۰۱"}) == {gold.pk}
    assert ids({"cf_visited": "2024-03-20"}) == {gold.pk}
    assert ids({"cf_vip": "بله"}) == {gold.pk}
    assert ids({"cf_vip": "خیر"}) == {silver.pk}
    assert ids({"cf_note": "علي"}) == {gold.pk}
    assert ids({"cf_level": "طلایی", "cf_budget": "700"}) == set()
    # A value that cannot be converted matches nothing; an empty one is no filter.
    assert ids({"cf_budget": "بسیار"}) == set()
    assert ids({"cf_level": "الماس"}) == set()
    assert ids({"cf_budget": ""}) == {gold.pk, silver.pk, bare.pk}
    # Unknown keys are ignored.
    assert ids({"cf_nothing": "x"}) == {gold.pk, silver.pk, bare.pk}


def test_fields_that_are_not_filterable_are_ignored_by_filters(
    admin_user: User, define: Callable[..., CustomField]
) -> None:
    define("secret", "text", is_filterable=False)
    first = make_contact(custom_fields={"secret": "الف"})
    second = make_contact(custom_fields={"secret": "ب"})
    found = set(contacts_filtered(admin_user, {"cf_secret": "الف"}).values_list("pk", flat=True))
    assert found == {first.pk, second.pk}


def test_company_filters_use_company_fields(
    admin_user: User, define: Callable[..., CustomField]
) -> None:
    define("branch_count", "number", object_type="company")
    many = company_create(actor=None, values={"name": "بزرگ", "custom_fields": {"branch_count": 9}})
    company_create(actor=None, values={"name": "کوچک", "custom_fields": {"branch_count": 1}})
    assert list(companies_filtered(admin_user, {"cf_branch_count": "۹"})) == [many]


def test_filters_respect_visibility(
    make_user: Callable[..., User], fields: dict[str, CustomField]
) -> None:
    owner = make_user()
    stranger = make_user()
    make_contact(actor=owner, custom_fields={"level": "طلایی", "note": "پنهان"})
    assert list(contacts_filtered(stranger, {"cf_level": "طلایی"})) == []
    assert list(contacts_filtered(stranger, {"q": "پنهان"})) == []
    assert len(contacts_filtered(owner, {"cf_level": "طلایی"})) == 1


def test_contact_create_through_the_service_directly(fields: dict[str, CustomField]) -> None:
    contact = contact_create(
        actor=None, values={"last_name": "مستقیم", "custom_fields": {"budget": "۱"}}
    )
    assert contact.custom_fields == {"budget": 1}
    (event,) = Event.objects.filter(verb="contact.created")
    assert event.payload["changes"]["custom_fields"] == [None, {"budget": 1}]
