"""Contact, company, tag and consent services: normalization, validation, events, roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from peyvand.accounts.models import Role, Team, User
from peyvand.contacts.models import (
    Company,
    Contact,
    ContactConsent,
    ContactEmail,
    ContactPhone,
    Tag,
)
from peyvand.contacts.selectors import contacts_filtered
from peyvand.contacts.services import (
    company_create,
    company_delete,
    company_update,
    contact_create,
    contact_delete,
    contact_set_consent,
    contact_update,
    contacts_bulk_tag,
    contacts_bulk_update,
    tags_resolve,
)
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db

VALID_NATIONAL_ID = "0012345679"
VALID_POSTAL_CODE = "1193653471"


def _row_counts() -> dict[str, int]:
    return {
        "contacts": Contact.objects.count(),
        "phones": ContactPhone.objects.count(),
        "emails": ContactEmail.objects.count(),
        "tags": Tag.objects.count(),
        "events": Event.objects.count(),
    }


def _error_dict(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def _events(verb: str, **filters: Any) -> list[Event]:
    return list(Event.objects.filter(verb=verb, **filters).order_by("id"))


# --- contact_create: normalization ---------------------------------------------------------


def test_create_normalizes_names_phones_emails_and_identifiers(sales_user: User) -> None:
    contact = contact_create(
        actor=sales_user,
        values={
            "first_name": "  علي  ",
            "last_name": "كريمي",
            "phones": [
                "۰۹۱۲ ۳۴۵ ۶۷۸۹",
                "+98 912 345 6789",
                "0098-912-345-6789",
                "٠٩١٢٣٤٥٦٧٨٩",
                "9123456789",
                "021-8877 6655",
                "  ",
            ],
            "emails": ["Maryam.Rezaei@Example.COM", "maryam.rezaei@example.com", ""],
            "national_id": "۰۰۱۲۳۴۵۶۷۹",
            "postal_code": "۱۱۹۳۶-۵۳۴۷۱",
            "city": "كرج",
            "tags": ["مشتري ويژه", "مشتری ویژه", "VIP"],
        },
    )

    contact.refresh_from_db()
    assert contact.first_name == "علی"
    assert contact.last_name == "کریمی"
    assert contact.city == "کرج"
    assert contact.national_id == VALID_NATIONAL_ID
    assert contact.postal_code == VALID_POSTAL_CODE
    assert contact.owner_id == sales_user.pk
    assert contact.created_by_id == sales_user.pk
    assert list(contact.phones.values_list("number", "position")) == [
        ("+989123456789", 0),
        ("+982188776655", 1),
    ]
    assert list(contact.emails.values_list("address", flat=True)) == ["maryam.rezaei@example.com"]
    assert sorted(contact.tags.values_list("name", flat=True)) == ["VIP", "مشتری ویژه"]


def test_create_writes_exactly_one_created_event_with_the_changes(sales_user: User) -> None:
    before = Event.objects.count()
    contact = contact_create(
        actor=sales_user,
        values={
            "first_name": "مریم",
            "last_name": "رضایی",
            "phones": ["09121234567"],
            "emails": ["M@Example.com"],
            "tags": ["ب", "الف"],
        },
    )

    assert Event.objects.count() == before + 1
    event = Event.objects.get(verb="contact.created")
    assert event.contact_id == contact.pk
    assert event.subject_type == "contact"
    assert event.subject_id == contact.pk
    assert event.actor_id == sales_user.pk
    assert event.summary == "مریم رضایی"
    changes = event.payload["changes"]
    assert changes["first_name"] == [None, "مریم"]
    assert changes["last_name"] == [None, "رضایی"]
    assert changes["phones"] == [None, ["+989121234567"]]
    assert changes["emails"] == [None, ["m@example.com"]]
    assert changes["tags"] == [None, ["الف", "ب"]]
    assert changes["owner"] == [None, sales_user.pk]
    assert changes["lifecycle_stage"] == [None, "lead"]
    # Values that stay empty (None) are not "changes".
    assert "birthday" not in changes
    assert "company" not in changes


def test_system_create_has_no_owner_and_no_actor() -> None:
    contact = contact_create(actor=None, values={"last_name": "سیستمی"})
    assert contact.owner_id is None
    event = Event.objects.get(verb="contact.created", contact=contact)
    assert event.actor_id is None


# --- contact_create: validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "key", "fragment"),
    [
        ({"national_id": "0012345678"}, "national_id", None),
        ({"national_id": "۰۰۱۲۳۴۵۶۷۸"}, "national_id", None),
        ({"national_id": "1111111111"}, "national_id", None),
        ({"national_id": "12345"}, "national_id", None),
        ({"phones": ["09121234567", "12345"]}, "phones", "«12345»"),
        ({"phones": ["تلفن ندارد"]}, "phones", "«تلفن ندارد»"),
        ({"emails": ["not-an-email"]}, "emails", "«not-an-email»"),
        ({"postal_code": "1234567890"}, "postal_code", None),
        ({"postal_code": "۱۲۳"}, "postal_code", None),
        ({"first_name": "", "last_name": ""}, "last_name", None),
        ({"lifecycle_stage": "emperor"}, "lifecycle_stage", None),
    ],
)
def test_invalid_values_are_rejected_by_field_and_nothing_is_saved(
    sales_user: User, values: dict[str, Any], key: str, fragment: str | None
) -> None:
    full_values: dict[str, Any] = {
        "first_name": "مریم",
        "last_name": "رضایی",
        "tags": ["تازه"],
        "phones": ["09121234567"],
    }
    full_values.update(values)
    counts = _row_counts()

    with pytest.raises(ValidationError) as excinfo:
        contact_create(actor=sales_user, values=full_values)

    errors = _error_dict(excinfo)
    assert key in errors
    if fragment is not None:
        assert any(fragment in message for message in errors[key]), errors[key]
    assert _row_counts() == counts


def test_several_bad_fields_are_reported_together(sales_user: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        contact_create(
            actor=sales_user,
            values={
                "last_name": "رضایی",
                "national_id": "0012345678",
                "phones": ["0912"],
                "postal_code": "0000000000",
            },
        )
    assert set(_error_dict(excinfo)) == {"national_id", "phones", "postal_code"}


def test_a_too_long_tag_rolls_back_the_whole_create(sales_user: User) -> None:
    counts = _row_counts()
    with pytest.raises(ValidationError) as excinfo:
        contact_create(actor=sales_user, values={"last_name": "رضایی", "tags": ["ت" * 81]})
    assert list(_error_dict(excinfo)) == ["tags"]
    assert _row_counts() == counts


# --- contact_update ------------------------------------------------------------------------


def test_update_records_exactly_the_changed_fields(sales_user: User) -> None:
    contact = make_contact(
        actor=sales_user, first_name="مریم", last_name="رضایی", phones=["09121234567"]
    )

    updated = contact_update(
        actor=sales_user,
        contact=contact,
        values={"first_name": "مريم‌", "last_name": "احمدی", "phones": ["+98 935 111 2233"]},
    )

    assert updated.first_name == "مریم"
    assert updated.last_name == "احمدی"
    events = _events("contact.updated", contact=contact)
    assert len(events) == 1
    assert events[0].actor_id == sales_user.pk
    assert events[0].payload == {
        "changes": {
            "last_name": ["رضایی", "احمدی"],
            "phones": [["+989121234567"], ["+989351112233"]],
        }
    }
    assert events[0].summary == "مریم احمدی"


def test_update_without_a_real_change_writes_no_event(sales_user: User) -> None:
    contact = make_contact(
        actor=sales_user, first_name="مریم", phones=["09121234567"], emails=["a@b.ir"]
    )
    contact_update(
        actor=sales_user,
        contact=contact,
        values={"first_name": "مريم", "phones": ["۰۹۱۲۱۲۳۴۵۶۷"], "emails": ["A@B.IR"]},
    )
    assert _events("contact.updated") == []


def test_update_with_an_invalid_value_changes_nothing(sales_user: User) -> None:
    contact = make_contact(actor=sales_user, last_name="رضایی", phones=["09121234567"])
    counts = _row_counts()
    with pytest.raises(ValidationError) as excinfo:
        contact_update(
            actor=sales_user,
            contact=contact,
            values={"last_name": "احمدی", "phones": ["بد"], "national_id": "0012345678"},
        )
    assert set(_error_dict(excinfo)) == {"phones", "national_id"}
    assert _row_counts() == counts
    contact.refresh_from_db()
    assert contact.last_name == "رضایی"
    assert list(contact.phones.values_list("number", flat=True)) == ["+989121234567"]


def test_update_replaces_tags_and_records_them(sales_user: User) -> None:
    contact = make_contact(actor=sales_user, tags=["الف", "ب"])
    contact_update(actor=sales_user, contact=contact, values={"tags": ["ب", "ج"]})
    assert sorted(contact.tags.values_list("name", flat=True)) == ["ب", "ج"]
    (event,) = _events("contact.updated", contact=contact)
    assert event.payload["changes"] == {"tags": [["الف", "ب"], ["ب", "ج"]]}


def test_search_text_follows_the_new_phone_number(admin_user: User) -> None:
    contact = make_contact(actor=admin_user, last_name="جستجو", phones=["09121111111"])
    assert [c.pk for c in contacts_filtered(admin_user, {"q": "09121111111"})] == [contact.pk]

    contact_update(actor=admin_user, contact=contact, values={"phones": ["۰۹۱۲ ۲۲۲ ۲۲۲۲"]})

    for query in ("09122222222", "۰۹۱۲۲۲۲۲۲۲۲", "989122222222", "+98 912 222 2222"):
        assert [c.pk for c in contacts_filtered(admin_user, {"q": query})] == [contact.pk], query
    assert list(contacts_filtered(admin_user, {"q": "09121111111"})) == []
    assert list(contacts_filtered(admin_user, {"q": "جستجو"})) == [contact]


def test_search_text_follows_a_name_change(admin_user: User) -> None:
    contact = make_contact(actor=admin_user, first_name="سارا", last_name="قدیمی")
    contact_update(actor=admin_user, contact=contact, values={"last_name": "جديدي"})
    assert list(contacts_filtered(admin_user, {"q": "جدیدی"})) == [contact]
    assert list(contacts_filtered(admin_user, {"q": "قدیمی"})) == []


def test_bulk_update_changes_each_contact_with_one_event_each(
    make_user: Callable[..., User], team: Team
) -> None:
    manager = make_user(role=Role.MANAGER, teams=(team,))
    new_owner = make_user(teams=(team,))
    contacts = [make_contact(actor=manager) for _ in range(3)]

    count = contacts_bulk_update(
        actor=manager, contacts=contacts, values={"owner": new_owner, "lifecycle_stage": "customer"}
    )

    assert count == 3
    assert (
        sorted(Contact.objects.values_list("owner_id", "lifecycle_stage"))
        == [(new_owner.pk, "customer")] * 3
    )
    events = _events("contact.updated")
    assert len(events) == 3
    for event in events:
        assert event.payload["changes"] == {
            "owner": [manager.pk, new_owner.pk],
            "lifecycle_stage": ["lead", "customer"],
        }


# --- contact_delete ------------------------------------------------------------------------


def test_delete_keeps_a_snapshot_and_the_history(make_user: Callable[..., User]) -> None:
    manager = make_user(role=Role.MANAGER)
    contact = make_contact(
        actor=manager, first_name="مریم", last_name="رضایی", phones=["09121234567"], tags=["الف"]
    )
    contact_id = contact.pk
    created_event = Event.objects.get(verb="contact.created", subject_id=contact_id)

    contact_delete(actor=manager, contact=contact)

    assert not Contact.objects.filter(pk=contact_id).exists()
    assert not ContactPhone.objects.filter(contact_id=contact_id).exists()
    (deleted_event,) = _events("contact.deleted")
    assert deleted_event.subject_type == "contact"
    assert deleted_event.subject_id == contact_id
    assert deleted_event.actor_id == manager.pk
    assert deleted_event.summary == "مریم رضایی"
    snapshot = deleted_event.payload["deleted"]
    assert snapshot["first_name"] == "مریم"
    assert snapshot["last_name"] == "رضایی"
    assert snapshot["phones"] == ["+989121234567"]
    assert snapshot["tags"] == ["الف"]
    assert snapshot["owner"] == manager.pk
    # The earlier event survives, unlinked from the row that is gone.
    created_event.refresh_from_db()
    assert created_event.contact_id is None
    assert created_event.subject_id == contact_id


def test_delete_snapshots_the_stored_row_not_a_stale_copy(
    make_user: Callable[..., User],
) -> None:
    manager = make_user(role=Role.MANAGER)
    contact = make_contact(actor=manager, last_name="قدیمی")
    contact_update(actor=manager, contact=contact, values={"last_name": "جدید"})
    contact_delete(actor=manager, contact=contact)  # ``contact`` still says "قدیمی"
    (event,) = _events("contact.deleted")
    assert event.payload["deleted"]["last_name"] == "جدید"
    assert event.summary == "مریم جدید"


def test_sales_cannot_delete_contacts_but_a_manager_can(
    sales_user: User, make_user: Callable[..., User]
) -> None:
    contact = make_contact(actor=sales_user)
    with pytest.raises(PermissionDenied):
        contact_delete(actor=sales_user, contact=contact)
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert _events("contact.deleted") == []

    contact_delete(actor=make_user(role=Role.MANAGER), contact=contact)
    assert not Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.parametrize("role", [Role.READ_ONLY])
def test_read_only_users_cannot_write_contacts(make_user: Callable[..., User], role: str) -> None:
    reader = make_user(role=role)
    counts = _row_counts()
    with pytest.raises(PermissionDenied):
        contact_create(actor=reader, values={"last_name": "رضایی"})
    assert _row_counts() == counts

    contact = make_contact()
    with pytest.raises(PermissionDenied):
        contact_update(actor=reader, contact=contact, values={"last_name": "احمدی"})
    with pytest.raises(PermissionDenied):
        contacts_bulk_tag(actor=reader, contacts=[contact], tag_names=["الف"])
    with pytest.raises(PermissionDenied):
        contact_set_consent(
            actor=reader, contact=contact, channel="sms", status="granted", method="verbal"
        )
    contact.refresh_from_db()
    assert contact.last_name == "رضایی"


def test_inactive_user_cannot_write(make_user: Callable[..., User]) -> None:
    with pytest.raises(PermissionDenied):
        contact_create(actor=make_user(role=Role.ADMIN, is_active=False), values={"last_name": "x"})


# --- tags ----------------------------------------------------------------------------------


def test_tags_resolve_reuses_normalized_tags() -> None:
    first = tags_resolve(["مشتري  ويژه", "", "  "])
    second = tags_resolve(["مشتری ویژه", "مشتری‌ویژه"])
    assert [tag.name for tag in first] == ["مشتری ویژه"]
    assert second == first
    assert Tag.objects.count() == 1


def test_bulk_tag_adds_without_removing(sales_user: User) -> None:
    tagged = make_contact(actor=sales_user, tags=["قدیمی", "ویژه"])
    plain = make_contact(actor=sales_user)

    count = contacts_bulk_tag(
        actor=sales_user, contacts=[tagged, plain], tag_names=["ويژه", "نمایشگاه"]
    )

    assert count == 2
    assert sorted(tagged.tags.values_list("name", flat=True)) == ["قدیمی", "نمایشگاه", "ویژه"]
    assert sorted(plain.tags.values_list("name", flat=True)) == ["نمایشگاه", "ویژه"]
    events = {event.contact_id: event for event in _events("contact.tagged")}
    assert events[tagged.pk].payload == {"added_tags": ["نمایشگاه"]}
    assert events[plain.pk].payload == {"added_tags": ["ویژه", "نمایشگاه"]}

    # Tagging again adds nothing and writes nothing.
    assert contacts_bulk_tag(actor=sales_user, contacts=[tagged, plain], tag_names=["ویژه"]) == 0
    assert len(_events("contact.tagged")) == 2


# --- consent -------------------------------------------------------------------------------


def test_consent_keeps_one_row_per_channel_and_logs_each_change(sales_user: User) -> None:
    contact = make_contact(actor=sales_user)

    contact_set_consent(
        actor=sales_user, contact=contact, channel="sms", status="granted", method="web_form"
    )
    contact_set_consent(
        actor=sales_user,
        contact=contact,
        channel="sms",
        status="withdrawn",
        method="sms_keyword",
        note="لغو ۱۱",
    )
    contact_set_consent(
        actor=sales_user, contact=contact, channel="email", status="granted", method="verbal"
    )

    consents = list(ContactConsent.objects.filter(contact=contact).order_by("channel"))
    assert [(c.channel, c.status, c.method) for c in consents] == [
        ("email", "granted", "verbal"),
        ("sms", "withdrawn", "sms_keyword"),
    ]
    granted = _events("consent.granted", contact=contact)
    withdrawn = _events("consent.withdrawn", contact=contact)
    assert [event.payload for event in granted] == [
        {
            "channel": "sms",
            "method": "web_form",
            "note": "",
            "changes": {"status": [None, "granted"]},
        },
        {
            "channel": "email",
            "method": "verbal",
            "note": "",
            "changes": {"status": [None, "granted"]},
        },
    ]
    assert [event.payload for event in withdrawn] == [
        {
            "channel": "sms",
            "method": "sms_keyword",
            "note": "لغو ۱۱",
            "changes": {"status": ["granted", "withdrawn"]},
        }
    ]
    assert withdrawn[0].occurred_at == consents[1].recorded_at


@pytest.mark.parametrize(
    ("channel", "status", "method", "keys"),
    [
        ("fax", "granted", "verbal", {"channel"}),
        ("sms", "maybe", "verbal", {"status"}),
        ("sms", "granted", "telepathy", {"method"}),
        ("fax", "maybe", "telepathy", {"channel", "status", "method"}),
    ],
)
def test_consent_rejects_unknown_values(
    sales_user: User, channel: str, status: str, method: str, keys: set[str]
) -> None:
    contact = make_contact(actor=sales_user)
    events = Event.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        contact_set_consent(
            actor=sales_user, contact=contact, channel=channel, status=status, method=method
        )
    assert set(_error_dict(excinfo)) == keys
    assert ContactConsent.objects.count() == 0
    assert Event.objects.count() == events


# --- companies -----------------------------------------------------------------------------


def test_company_create_normalizes_and_logs(sales_user: User) -> None:
    company = company_create(
        actor=sales_user,
        values={
            "name": "شركت  نمونه",
            "national_id": "۱۰۱۰۱۰۱۰۱۰۳",
            "phones": ["021 8877 6655", "+982188776655"],
            "email": "Info@Example.IR",
        },
    )
    company.refresh_from_db()
    assert company.name == "شرکت نمونه"
    assert company.national_id == "10101010103"
    assert company.phones == ["+982188776655"]
    assert company.email == "info@example.ir"
    assert company.owner_id == sales_user.pk
    (event,) = _events("company.created")
    assert event.company_id == company.pk
    assert event.payload["changes"]["phones"] == [None, ["+982188776655"]]


def test_company_rejects_a_bad_national_id_and_saves_nothing(sales_user: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        company_create(actor=sales_user, values={"name": "الف", "national_id": "10101010104"})
    assert list(_error_dict(excinfo)) == ["national_id"]
    assert Company.objects.count() == 0
    assert Event.objects.count() == 0


def test_company_update_and_delete_keep_people_and_history(
    make_user: Callable[..., User],
) -> None:
    manager = make_user(role=Role.MANAGER)
    company = make_company(actor=manager, name="قدیم")
    person = make_contact(actor=manager, company=company)

    company_update(actor=manager, company=company, values={"name": "جديد", "industry": ""})
    (updated,) = _events("company.updated")
    assert updated.payload == {"changes": {"name": ["قدیم", "جدید"]}}

    company_delete(actor=manager, company=company)
    person.refresh_from_db()
    assert person.company_id is None
    (deleted,) = _events("company.deleted")
    assert deleted.payload["deleted"]["name"] == "جدید"
    updated.refresh_from_db()
    assert updated.company_id is None


def test_sales_cannot_delete_companies(sales_user: User) -> None:
    company = make_company(actor=sales_user)
    with pytest.raises(PermissionDenied):
        company_delete(actor=sales_user, company=company)
    assert Company.objects.filter(pk=company.pk).exists()
