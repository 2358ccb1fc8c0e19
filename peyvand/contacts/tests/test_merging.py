"""Merging contacts, undoing a merge, the duplicate scan and the "possible duplicates" lookup.

Everything goes through the public services (``contacts_merge``, ``contact_merge_undo``,
``duplicates_scan``, ``possible_duplicates``) and is checked through the selectors that pages
and the API read with. The scoring engine has its own tests (``test_duplicates.py``).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import translation

from peyvand.accounts.models import Role, Team, User
from peyvand.contacts.merging import (
    contact_merge_undo,
    contacts_merge,
    duplicate_dismiss,
    duplicates_scan,
    merge_choices,
    possible_duplicates,
)
from peyvand.contacts.models import (
    Contact,
    ContactEmail,
    ContactMerge,
    ContactPhone,
    CustomField,
    DuplicateCandidate,
    DuplicateStatus,
    Tag,
)
from peyvand.contacts.selectors import contacts_filtered, contacts_visible_to
from peyvand.contacts.services import company_delete
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.models import Activity, Event, Task
from peyvand.timeline.selectors import timeline_for_contact
from peyvand.timeline.services import activity_log, task_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Service messages here are compared in English (the default language is Farsi)."""
    with translation.override("en"):
        yield


# Valid national IDs (check digit worked out by hand: weights 10..2, remainder of 11).
# What the registered merge parts record when the contacts have no such rows.
NOTHING_ELSE_MOVED: dict[str, dict[str, int]] = {
    key: {}
    for key in (
        "outbox",
        "outbox_held",
        "consent",
        "consent_replaced",
        "segment_membership",
        "campaign_recipient",
        "journey_run",
        "journey_run_stopped",
    )
}
NOTHING_ELSE_COUNTED = dict.fromkeys(NOTHING_ELSE_MOVED, 0)
NATIONAL_ID = "0013542419"
OTHER_NATIONAL_ID = "1234567891"


@pytest.fixture
def custom_fields() -> None:
    for position, key in enumerate(("color", "size")):
        CustomField.objects.create(
            object_type="contact",
            key=key,
            label_fa=key,
            field_type="text",
            is_searchable=True,
            position=position,
        )


@pytest.fixture
def manager(make_user: Callable[..., User], team: Team) -> User:
    return make_user(role=Role.MANAGER, teams=(team,))


# --- Helpers -----------------------------------------------------------------------------------


def phones_of(contact: Contact) -> list[str]:
    return list(ContactPhone.objects.filter(contact=contact).values_list("number", flat=True))


def emails_of(contact: Contact) -> list[str]:
    return list(ContactEmail.objects.filter(contact=contact).values_list("address", flat=True))


def tags_of(contact: Contact) -> list[str]:
    return sorted(Tag.objects.filter(contacts=contact).values_list("name", flat=True))


def state(contact: Contact) -> dict[str, Any]:
    """Everything a merge or its undo may touch on one contact, as stored."""
    stored = Contact.objects.get(pk=contact.pk)
    return {
        "first_name": stored.first_name,
        "last_name": stored.last_name,
        "national_id": stored.national_id,
        "birthday": stored.birthday,
        "gender": stored.gender,
        "job_title": stored.job_title,
        "company_id": stored.company_id,
        "province": stored.province,
        "city": stored.city,
        "address": stored.address,
        "postal_code": stored.postal_code,
        "source": stored.source,
        "lifecycle_stage": stored.lifecycle_stage,
        "owner_id": stored.owner_id,
        "interests": stored.interests,
        "concerns": stored.concerns,
        "description": stored.description,
        "custom_fields": stored.custom_fields,
        "merged_into_id": stored.merged_into_id,
        "search_text": stored.search_text,
        "name_key": stored.name_key,
        "phones": phones_of(stored),
        "emails": emails_of(stored),
        "tags": tags_of(stored),
        "activities": sorted(Activity.objects.filter(contact=stored).values_list("pk", flat=True)),
        "tasks": sorted(Task.objects.filter(contact=stored).values_list("pk", flat=True)),
    }


def visible_ids(user: User) -> list[int]:
    return sorted(contacts_visible_to(user).values_list("pk", flat=True))


def found_ids(user: User, query: str) -> list[int]:
    return sorted(contacts_filtered(user, {"q": query}).values_list("pk", flat=True))


def timeline_ids(contact: Contact) -> list[int]:
    return sorted(timeline_for_contact(contact).values_list("pk", flat=True))


def event_ids_of(contacts: Iterable[Contact]) -> list[int]:
    return sorted(
        Event.objects.filter(contact__in=[c.pk for c in contacts]).values_list("pk", flat=True)
    )


def pair(first: Contact, second: Contact, score: float = 0.97) -> DuplicateCandidate:
    low, high = sorted((first.pk, second.pk))
    return DuplicateCandidate.objects.create(
        first_id=low, second_id=high, score=score, reasons=[{"code": "same_phone"}]
    )


def status_of(candidate: DuplicateCandidate) -> str:
    return DuplicateCandidate.objects.get(pk=candidate.pk).status


def note(actor: User, contact: Contact, body: str) -> Activity:
    return activity_log(actor=actor, values={"kind": "note", "contact": contact, "body": body})


def call(actor: User, contact: Contact, subject: str) -> Activity:
    return activity_log(
        actor=actor,
        values={
            "kind": "call",
            "contact": contact,
            "subject": subject,
            "direction": "outbound",
            "outcome": "answered",
        },
    )


def task(actor: User, contact: Contact, title: str) -> Task:
    return task_create(actor=actor, values={"title": title, "contact": contact})


# --- Two contacts ------------------------------------------------------------------------------


@pytest.fixture
def karimi_pair(admin_user: User, manager: User, custom_fields: None) -> dict[str, Any]:
    """Two records of «علی کریمی» (one typed with Arabic letters), with notes, a call, a task."""
    survivor = make_contact(
        actor=admin_user,
        first_name="علی",
        last_name="کریمی",
        phones=["09121110001"],
        emails=["ali@example.ir"],
        birthday=datetime.date(1990, 5, 1),
        city="تهران",
        owner=manager,
        tags=["مشتری ویژه"],
        custom_fields={"color": "آبی"},
    )
    other = make_contact(
        actor=admin_user,
        first_name="علي",
        last_name="كريمي",
        phones=["۰۹۱۲ ۱۱۱ ۰۰۰۱", "09352220002"],
        emails=["ALI@example.ir", "a.karimi@work.ir"],
        national_id=NATIONAL_ID,
        birthday=datetime.date(1985, 1, 2),
        city="شیراز",
        job_title="مدیر فروش",
        description="از نمایشگاه",
        owner=admin_user,
        tags=["مشتری ویژه", "نمایشگاه"],
        custom_fields={"color": "قرمز", "size": "L"},
    )
    return {
        "survivor": survivor,
        "other": other,
        "survivor_note": note(admin_user, survivor, "یادداشت اصلی"),
        "note": note(admin_user, other, "قیمت را پرسید"),
        "call": call(admin_user, other, "پیگیری"),
        "task": task(admin_user, other, "تماس دوباره"),
    }


class TestMergeTwo:
    def test_default_picks_keep_the_survivors_values_and_fill_its_empty_ones(
        self, admin_user: User, karimi_pair: dict[str, Any]
    ) -> None:
        survivor, other = karimi_pair["survivor"], karimi_pair["other"]
        picks = merge_choices([survivor, other])
        assert picks == {
            "first_name": survivor.pk,
            "last_name": survivor.pk,
            "national_id": other.pk,
            "birthday": survivor.pk,
            "gender": survivor.pk,  # both empty: the survivor's
            "job_title": other.pk,
            "company": survivor.pk,
            "province": survivor.pk,
            "city": survivor.pk,
            "address": survivor.pk,
            "postal_code": survivor.pk,
            "source": survivor.pk,
            "language": survivor.pk,  # both empty: the survivor's
            "lifecycle_stage": survivor.pk,
            "owner": survivor.pk,
            "interests": survivor.pk,
            "concerns": survivor.pk,
            "description": other.pk,
        }
        # The other record first: it becomes the one whose values win.
        assert merge_choices([other, survivor])["city"] == other.pk

        merge = contacts_merge(actor=admin_user, survivor=survivor, others=[other])

        after = state(survivor)
        assert {key: after[key] for key in ("first_name", "last_name", "national_id")} == {
            "first_name": "علی",
            "last_name": "کریمی",
            "national_id": NATIONAL_ID,
        }
        assert after["birthday"] == datetime.date(1990, 5, 1)
        assert after["city"] == "تهران"
        assert after["job_title"] == "مدیر فروش"
        assert after["description"] == "از نمایشگاه"
        assert after["owner_id"] == survivor.owner_id
        assert after["lifecycle_stage"] == "lead"
        assert after["phones"] == ["+989121110001", "+989352220002"]
        assert after["emails"] == ["ali@example.ir", "a.karimi@work.ir"]
        assert after["tags"] == ["مشتری ویژه", "نمایشگاه"]
        # The survivor's custom values win; the other's fill in what it lacks.
        assert after["custom_fields"] == {"color": "آبی", "size": "L"}
        assert after["merged_into_id"] is None

        assert merge.survivor_id == survivor.pk
        assert merge.merged_ids == [other.pk]
        assert merge.created_by_id == admin_user.pk
        assert merge.undone_at is None
        assert merge.added_phone_ids == list(
            ContactPhone.objects.filter(contact=survivor, number="+989352220002").values_list(
                "pk", flat=True
            )
        )
        assert merge.added_email_ids == list(
            ContactEmail.objects.filter(contact=survivor, address="a.karimi@work.ir").values_list(
                "pk", flat=True
            )
        )
        assert merge.added_tag_ids == [Tag.objects.get(name="نمایشگاه").pk]
        assert merge.moved == {
            "activity": {
                str(karimi_pair["note"].pk): other.pk,
                str(karimi_pair["call"].pk): other.pk,
            },
            "task": {str(karimi_pair["task"].pk): other.pk},
            "deal": {},
            "lead": {},
            "ticket": {},
            "order": {},
            "merged_contact": {},
            **NOTHING_ELSE_MOVED,
        }
        assert merge.survivor_before["birthday"] == "1990-05-01"
        assert merge.survivor_before["custom_fields"] == {"color": "آبی"}

    def test_explicit_choices_take_each_field_from_the_chosen_record(
        self, admin_user: User, manager: User, karimi_pair: dict[str, Any]
    ) -> None:
        survivor, other = karimi_pair["survivor"], karimi_pair["other"]
        contacts_merge(
            actor=admin_user,
            survivor=survivor,
            others=[other],
            choices={
                "city": other.pk,
                "birthday": other.pk,
                "owner": other.pk,
                "first_name": other.pk,
                # The survivor's empty values, picked on purpose, stay empty.
                "national_id": survivor.pk,
                "job_title": survivor.pk,
            },
        )
        after = state(survivor)
        assert after["city"] == "شیراز"
        assert after["birthday"] == datetime.date(1985, 1, 2)
        assert after["owner_id"] == admin_user.pk
        assert after["first_name"] == "علی"  # stored Persian-normalized on both
        assert after["national_id"] == ""
        assert after["job_title"] == ""
        assert after["description"] == "از نمایشگاه"  # not chosen: the default pick

    def test_default_picks_judge_the_stored_values_not_the_callers_copies(
        self, admin_user: User, karimi_pair: dict[str, Any]
    ) -> None:
        survivor, other = karimi_pair["survivor"], karimi_pair["other"]
        company = make_company(actor=admin_user, name="شرکت آریا")
        # Changed since the caller loaded ``survivor`` and ``other``.
        Contact.objects.filter(pk=other.pk).update(company=company, gender="male")
        Contact.objects.filter(pk=survivor.pk).update(job_title="مشاور")
        contacts_merge(actor=admin_user, survivor=survivor, others=[other])
        after = state(survivor)
        assert (after["company_id"], after["gender"], after["job_title"]) == (
            company.pk,
            "male",
            "مشاور",
        )

    def test_a_record_given_twice_is_merged_once(
        self, admin_user: User, karimi_pair: dict[str, Any]
    ) -> None:
        survivor, other = karimi_pair["survivor"], karimi_pair["other"]
        merge = contacts_merge(actor=admin_user, survivor=survivor, others=[other, other, survivor])
        assert merge.merged_ids == [other.pk]
        event = Event.objects.get(verb="contact.merged")
        assert (event.payload["merged"], event.summary) == ([other.pk], "علی کریمی")

    def test_phones_emails_tags_are_unioned_without_duplicates_and_related_rows_move(
        self, admin_user: User, karimi_pair: dict[str, Any]
    ) -> None:
        survivor, other = karimi_pair["survivor"], karimi_pair["other"]
        other_before = state(other)
        contacts_merge(actor=admin_user, survivor=survivor, others=[other])
        assert ContactPhone.objects.filter(contact=survivor, number="+989121110001").count() == 1
        assert sorted(Activity.objects.filter(contact=survivor).values_list("pk", flat=True)) == [
            karimi_pair["survivor_note"].pk,
            karimi_pair["note"].pk,
            karimi_pair["call"].pk,
        ]
        assert list(Task.objects.filter(contact=survivor).values_list("pk", flat=True)) == [
            karimi_pair["task"].pk
        ]
        # The merged record keeps its own phones, emails and tags (for the undo), and its
        # values; only its notes, calls and tasks moved away.
        assert state(other) == {
            **other_before,
            "merged_into_id": survivor.pk,
            "activities": [],
            "tasks": [],
        }

    def test_the_merged_contact_is_hidden_and_the_survivor_found_by_its_phone(
        self, admin_user: User, manager: User, karimi_pair: dict[str, Any]
    ) -> None:
        survivor, other = karimi_pair["survivor"], karimi_pair["other"]
        assert found_ids(admin_user, "09352220002") == [other.pk]
        assert visible_ids(admin_user) == sorted([survivor.pk, other.pk])
        contacts_merge(actor=admin_user, survivor=survivor, others=[other])
        assert visible_ids(admin_user) == [survivor.pk]
        assert visible_ids(manager) == [survivor.pk]
        assert Contact.objects.get(pk=other.pk).merged_into_id == survivor.pk
        assert found_ids(admin_user, "09352220002") == [survivor.pk]
        assert found_ids(admin_user, "۰۹۳۵ ۲۲۲ ۰۰۰۲") == [survivor.pk]
        assert found_ids(admin_user, "a.karimi@work.ir") == [survivor.pk]
        assert found_ids(admin_user, NATIONAL_ID) == [survivor.pk]
        assert found_ids(admin_user, "L") == [survivor.pk]  # a searchable custom value

    def test_the_survivors_timeline_has_both_histories_and_one_merge_event(
        self, admin_user: User, karimi_pair: dict[str, Any]
    ) -> None:
        survivor, other = karimi_pair["survivor"], karimi_pair["other"]
        before_merge = event_ids_of([survivor, other])
        assert timeline_ids(survivor) == event_ids_of([survivor])
        merge = contacts_merge(actor=admin_user, survivor=survivor, others=[other])

        merged_events = list(Event.objects.filter(verb="contact.merged"))
        assert len(merged_events) == 1
        event = merged_events[0]
        assert timeline_ids(survivor) == sorted([*before_merge, event.pk])
        assert Counter(timeline_for_contact(survivor).values_list("verb", flat=True)) == {
            "contact.created": 2,
            "note.logged": 2,
            "call.logged": 1,
            "task.created": 1,
            "contact.merged": 1,
        }
        assert timeline_for_contact(survivor).first() == event  # newest first
        assert (event.contact_id, event.actor_id) == (survivor.pk, admin_user.pk)
        assert (event.subject_type, event.subject_id) == ("contactmerge", merge.pk)
        assert event.summary == "علی کریمی"
        assert event.payload == {
            "merged": [other.pk],
            "changes": {
                "custom_fields": [{"color": "آبی"}, {"color": "آبی", "size": "L"}],
                "description": ["", "از نمایشگاه"],
                "job_title": ["", "مدیر فروش"],
                "national_id": ["", NATIONAL_ID],
            },
            "moved": {
                "activity": 2,
                "task": 1,
                "deal": 0,
                "lead": 0,
                "ticket": 0,
                "order": 0,
                "merged_contact": 0,
                **NOTHING_ELSE_COUNTED,
            },
        }

    def test_open_candidates_of_the_pair_become_merged_others_stay_open(
        self, admin_user: User, karimi_pair: dict[str, Any]
    ) -> None:
        survivor, other = karimi_pair["survivor"], karimi_pair["other"]
        bystander = make_contact(first_name="علی", last_name="کریمی", phones=["09121110001"])
        the_pair = pair(survivor, other)
        with_bystander = pair(survivor, bystander)
        dismissed = pair(other, bystander)
        duplicate_dismiss(actor=admin_user, candidate=dismissed)
        contacts_merge(actor=admin_user, survivor=survivor, others=[other])
        stored = DuplicateCandidate.objects.get(pk=the_pair.pk)
        assert (stored.status, stored.reviewed_by_id) == (DuplicateStatus.MERGED, admin_user.pk)
        assert status_of(with_bystander) == DuplicateStatus.OPEN
        assert status_of(dismissed) == DuplicateStatus.DISMISSED


# --- Three contacts ----------------------------------------------------------------------------


@pytest.fixture
def three_ahmadis(admin_user: User, custom_fields: None) -> dict[str, Any]:
    survivor = make_contact(
        actor=admin_user,
        first_name="مریم",
        last_name="احمدی",
        phones=["09120000001"],
        tags=["الف"],
    )
    second = make_contact(
        actor=admin_user,
        first_name="مريم",
        last_name="احمدي",
        phones=["09120000001", "09120000002"],
        emails=["maryam@example.ir"],
        tags=["ب"],
        custom_fields={"color": "سبز"},
    )
    third = make_contact(
        actor=admin_user,
        first_name="مریم",
        last_name="احمدی",
        phones=["09120000002", "09120000003"],
        emails=["Maryam@Example.ir", "m.ahmadi@example.ir"],
        city="اصفهان",
        job_title="حسابدار",
        gender="female",
        tags=["ب", "ج"],
        custom_fields={"color": "زرد", "size": "M"},
    )
    return {
        "survivor": survivor,
        "second": second,
        "third": third,
        "second_note": note(admin_user, second, "ثبت‌نام در وبینار"),
        "third_call": call(admin_user, third, "سفارش تلفنی"),
        "third_task": task(admin_user, third, "ارسال فاکتور"),
    }


class TestMergeThree:
    def test_values_children_and_candidates(
        self, admin_user: User, three_ahmadis: dict[str, Any]
    ) -> None:
        survivor, second, third = (three_ahmadis[key] for key in ("survivor", "second", "third"))
        candidates = [pair(survivor, second), pair(survivor, third), pair(second, third)]
        events_before = event_ids_of([survivor, second, third])
        merge = contacts_merge(
            actor=admin_user,
            survivor=survivor,
            others=[second, third],
            choices={"gender": survivor.pk},  # keep the survivor's empty gender
        )
        after = state(survivor)
        assert after["phones"] == ["+989120000001", "+989120000002", "+989120000003"]
        assert after["emails"] == ["maryam@example.ir", "m.ahmadi@example.ir"]
        assert after["tags"] == ["الف", "ب", "ج"]
        # The first merged record's custom value beats the second's; the second fills "size".
        assert after["custom_fields"] == {"color": "سبز", "size": "M"}
        assert (after["city"], after["job_title"], after["gender"]) == ("اصفهان", "حسابدار", "")
        assert after["activities"] == sorted(
            [three_ahmadis["second_note"].pk, three_ahmadis["third_call"].pk]
        )
        assert after["tasks"] == [three_ahmadis["third_task"].pk]
        assert merge.merged_ids == [second.pk, third.pk]
        assert merge.moved["activity"] == {
            str(three_ahmadis["second_note"].pk): second.pk,
            str(three_ahmadis["third_call"].pk): third.pk,
        }
        assert [Contact.objects.get(pk=c.pk).merged_into_id for c in (second, third)] == [
            survivor.pk,
            survivor.pk,
        ]
        assert visible_ids(admin_user) == [survivor.pk]
        assert found_ids(admin_user, "09120000003") == [survivor.pk]
        merged_event = Event.objects.get(verb="contact.merged")
        assert timeline_ids(survivor) == sorted([*events_before, merged_event.pk])
        assert merged_event.payload["merged"] == [second.pk, third.pk]
        assert merged_event.payload["moved"] == {
            "activity": 2,
            "task": 1,
            "deal": 0,
            "lead": 0,
            "ticket": 0,
            "order": 0,
            "merged_contact": 0,
            **NOTHING_ELSE_COUNTED,
        }
        assert merged_event.summary == "مریم احمدی، مریم احمدی"
        assert [status_of(candidate) for candidate in candidates] == [DuplicateStatus.MERGED] * 3

    def test_undo_gives_each_record_back_its_own(
        self, admin_user: User, three_ahmadis: dict[str, Any]
    ) -> None:
        records = [three_ahmadis[key] for key in ("survivor", "second", "third")]
        before = [state(record) for record in records]
        merge = contacts_merge(actor=admin_user, survivor=records[0], others=records[1:])
        contact_merge_undo(actor=admin_user, merge=merge)
        assert [state(record) for record in records] == before
        assert visible_ids(admin_user) == sorted(record.pk for record in records)
        assert found_ids(admin_user, "09120000003") == [records[2].pk]


# --- What a merge refuses ----------------------------------------------------------------------


class TestMergeRefuses:
    def test_a_contact_that_was_already_merged(self, admin_user: User) -> None:
        first = make_contact(actor=admin_user)
        second = make_contact(actor=admin_user)
        third = make_contact(actor=admin_user)
        contacts_merge(actor=admin_user, survivor=first, others=[second])
        for survivor, others in ((third, [second]), (second, [third])):
            with pytest.raises(ValidationError) as caught:
                contacts_merge(actor=admin_user, survivor=survivor, others=others)
            assert caught.value.message_dict == {
                "contacts": ["One of the contacts was already merged."]
            }
        assert Contact.objects.get(pk=third.pk).merged_into_id is None
        assert ContactMerge.objects.count() == 1

    def test_a_choice_naming_a_contact_outside_the_merge_or_an_unknown_field(
        self, admin_user: User
    ) -> None:
        survivor = make_contact(actor=admin_user, city="تهران")
        other = make_contact(actor=admin_user, city="قم")
        outsider = make_contact(actor=admin_user, city="کرج")
        before = [state(contact) for contact in (survivor, other, outsider)]
        for choices, key in (
            ({"city": outsider.pk}, "city"),
            ({"merged_into": other.pk}, "merged_into"),
            ({"search_text": other.pk}, "search_text"),
        ):
            with pytest.raises(ValidationError) as caught:
                contacts_merge(actor=admin_user, survivor=survivor, others=[other], choices=choices)
            assert caught.value.message_dict == {key: ["Choose a value from one of the contacts."]}
        assert [state(contact) for contact in (survivor, other, outsider)] == before
        assert ContactMerge.objects.count() == 0

    def test_one_contact_alone(self, admin_user: User) -> None:
        contact = make_contact(actor=admin_user)
        for others in ([], [contact]):
            with pytest.raises(ValidationError) as caught:
                contacts_merge(actor=admin_user, survivor=contact, others=others)
            assert caught.value.message_dict == {
                "contacts": ["Choose at least two different contacts."]
            }

    def test_a_role_without_delete_permission(
        self, sales_user: User, manager: User, make_user: Callable[..., User]
    ) -> None:
        survivor = make_contact(actor=sales_user)
        other = make_contact(actor=sales_user)
        read_only = make_user(role=Role.READ_ONLY)
        for actor in (sales_user, read_only):
            with pytest.raises(PermissionDenied):
                contacts_merge(actor=actor, survivor=survivor, others=[other])
        assert Contact.objects.get(pk=other.pk).merged_into_id is None
        merge = contacts_merge(actor=manager, survivor=survivor, others=[other])
        with pytest.raises(PermissionDenied):
            contact_merge_undo(actor=sales_user, merge=merge)
        assert ContactMerge.objects.get(pk=merge.pk).undone_at is None

    def test_a_failure_midway_leaves_nothing_changed(
        self, admin_user: User, karimi_pair: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        survivor, other = karimi_pair["survivor"], karimi_pair["other"]
        candidate = pair(survivor, other)
        before = [state(survivor), state(other)]
        events_before = Event.objects.count()

        def broken(contact: Contact) -> None:
            raise RuntimeError("disk full")

        # After the fields, phones, tags, moves and merged_into are written; before the event.
        monkeypatch.setattr("peyvand.contacts.merging._refresh_search", broken)
        with pytest.raises(RuntimeError):
            contacts_merge(actor=admin_user, survivor=survivor, others=[other])
        assert [state(survivor), state(other)] == before
        assert ContactMerge.objects.count() == 0
        assert Event.objects.count() == events_before
        assert status_of(candidate) == DuplicateStatus.OPEN
        assert Tag.objects.get(name="نمایشگاه").contacts.count() == 1


# --- Undo --------------------------------------------------------------------------------------


class TestUndo:
    def test_restores_values_children_visibility_and_the_candidate(
        self, admin_user: User, manager: User, karimi_pair: dict[str, Any]
    ) -> None:
        survivor, other = karimi_pair["survivor"], karimi_pair["other"]
        company = make_company(actor=admin_user, name="شرکت آریا")
        Contact.objects.filter(pk=other.pk).update(company=company, gender="male")
        candidate = pair(survivor, other)
        before = [state(survivor), state(other)]
        merge = contacts_merge(
            actor=admin_user,
            survivor=survivor,
            others=[other],
            choices={"birthday": other.pk, "owner": other.pk, "city": other.pk},
        )
        merged = state(survivor)
        assert (merged["birthday"], merged["owner_id"], merged["company_id"]) == (
            datetime.date(1985, 1, 2),
            admin_user.pk,
            company.pk,
        )
        assert merged["gender"] == "male"
        assert status_of(candidate) == DuplicateStatus.MERGED

        restored = contact_merge_undo(actor=manager, merge=merge)

        assert (restored.pk, restored.birthday) == (survivor.pk, datetime.date(1990, 5, 1))
        after = state(survivor)
        assert after == before[0]
        assert isinstance(after["birthday"], datetime.date)
        assert after["birthday"] == datetime.date(1990, 5, 1)
        assert after["owner_id"] == manager.pk
        assert after["company_id"] is None
        assert after["phones"] == ["+989121110001"]  # the shared number stays
        assert after["emails"] == ["ali@example.ir"]
        assert after["tags"] == ["مشتری ویژه"]
        assert after["activities"] == [karimi_pair["survivor_note"].pk]
        assert state(other) == before[1]
        assert state(other)["activities"] == sorted(
            [karimi_pair["note"].pk, karimi_pair["call"].pk]
        )
        assert state(other)["tasks"] == [karimi_pair["task"].pk]
        assert visible_ids(admin_user) == sorted([survivor.pk, other.pk])
        assert found_ids(admin_user, "09352220002") == [other.pk]
        assert status_of(candidate) == DuplicateStatus.OPEN
        assert ContactMerge.objects.get(pk=merge.pk).undone_at is not None

        undone = Event.objects.get(verb="contact.merge_undone")
        assert (undone.contact_id, undone.actor_id) == (survivor.pk, manager.pk)
        assert (undone.subject_type, undone.subject_id) == ("contactmerge", merge.pk)
        assert undone.payload == {"restored": [other.pk]}
        assert undone.summary == f"#{other.pk}"
        # The log is never rewritten: the merge event stays on the survivor's timeline,
        # the other record's history is its own again.
        assert Counter(timeline_for_contact(survivor).values_list("verb", flat=True)) == {
            "contact.created": 1,
            "note.logged": 1,
            "contact.merged": 1,
            "contact.merge_undone": 1,
        }
        assert timeline_ids(other) == event_ids_of([other])

    def test_removes_only_what_the_merge_added(
        self, admin_user: User, karimi_pair: dict[str, Any]
    ) -> None:
        survivor, other = karimi_pair["survivor"], karimi_pair["other"]
        merge = contacts_merge(actor=admin_user, survivor=survivor, others=[other])
        # Added by hand after the merge: the undo keeps them.
        ContactPhone.objects.create(contact=survivor, number="+989199999999", position=9)
        survivor.tags.add(Tag.objects.create(name="جدید", key="جدید"))
        later_note = note(admin_user, survivor, "بعد از ادغام")
        contact_merge_undo(actor=admin_user, merge=merge)
        assert phones_of(survivor) == ["+989121110001", "+989199999999"]
        assert emails_of(survivor) == ["ali@example.ir"]
        assert tags_of(survivor) == ["جدید", "مشتری ویژه"]
        assert state(survivor)["activities"] == sorted(
            [karimi_pair["survivor_note"].pk, later_note.pk]
        )
        assert phones_of(other) == ["+989121110001", "+989352220002"]
        assert tags_of(other) == ["مشتری ویژه", "نمایشگاه"]

    def test_a_previous_company_or_owner_deleted_since_is_left_empty(
        self, admin_user: User, make_user: Callable[..., User], karimi_pair: dict[str, Any]
    ) -> None:
        survivor, other = karimi_pair["survivor"], karimi_pair["other"]
        former_owner = make_user(role=Role.SALES)
        old_company = make_company(actor=admin_user, name="شرکت قدیم")
        new_company = make_company(actor=admin_user, name="شرکت جدید")
        Contact.objects.filter(pk=survivor.pk).update(company=old_company, owner=former_owner)
        Contact.objects.filter(pk=other.pk).update(company=new_company)
        merge = contacts_merge(
            actor=admin_user,
            survivor=survivor,
            others=[other],
            choices={"company": other.pk, "owner": other.pk},
        )
        company_delete(actor=admin_user, company=old_company)
        former_owner.delete()
        contact_merge_undo(actor=admin_user, merge=merge)
        restored = Contact.objects.get(pk=survivor.pk)
        # The survivor would have lost them with the deletion had it still pointed to them.
        assert (restored.company_id, restored.owner_id) == (None, None)
        assert restored.birthday == datetime.date(1990, 5, 1)
        connection.check_constraints()  # no dangling foreign key is left for the commit

    def test_an_earlier_merge_into_the_same_survivor_waits_for_the_later_one(
        self, admin_user: User
    ) -> None:
        survivor = make_contact(actor=admin_user, first_name="س", city="تهران")
        first = make_contact(actor=admin_user, first_name="ا", city="قم")
        second = make_contact(actor=admin_user, first_name="ب", job_title="مدیر")
        states = {contact.pk: state(contact) for contact in (survivor, first, second)}
        earlier = contacts_merge(
            actor=admin_user, survivor=survivor, others=[first], choices={"city": first.pk}
        )
        later = contacts_merge(actor=admin_user, survivor=survivor, others=[second])
        assert (state(survivor)["city"], state(survivor)["job_title"]) == ("قم", "مدیر")
        # Undoing the earlier one first would put back values from before *both* merges
        # while ``second`` stays merged, and undoing the later one then would bring back
        # ``first``'s city: refused.
        with pytest.raises(ValidationError) as caught:
            contact_merge_undo(actor=admin_user, merge=earlier)
        assert caught.value.message_dict == {
            "merge": ["Undo the later merge of this contact first."]
        }
        assert Contact.objects.get(pk=first.pk).merged_into_id == survivor.pk
        contact_merge_undo(actor=admin_user, merge=later)
        contact_merge_undo(actor=admin_user, merge=earlier)
        assert {contact.pk: state(contact) for contact in (survivor, first, second)} == states

    def test_twice_is_refused(self, admin_user: User, karimi_pair: dict[str, Any]) -> None:
        merge = contacts_merge(
            actor=admin_user, survivor=karimi_pair["survivor"], others=[karimi_pair["other"]]
        )
        contact_merge_undo(actor=admin_user, merge=merge)
        undone_at = ContactMerge.objects.get(pk=merge.pk).undone_at
        with pytest.raises(ValidationError) as caught:
            contact_merge_undo(actor=admin_user, merge=merge)
        assert caught.value.message_dict == {"merge": ["This merge was already undone."]}
        assert ContactMerge.objects.get(pk=merge.pk).undone_at == undone_at
        assert Event.objects.filter(verb="contact.merge_undone").count() == 1

    def test_a_failure_midway_leaves_the_merge_in_place(
        self, admin_user: User, karimi_pair: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        survivor, other = karimi_pair["survivor"], karimi_pair["other"]
        candidate = pair(survivor, other)
        merge = contacts_merge(actor=admin_user, survivor=survivor, others=[other])
        merged = [state(survivor), state(other)]

        def broken(contact: Contact) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr("peyvand.contacts.merging._refresh_search", broken)
        with pytest.raises(RuntimeError):
            contact_merge_undo(actor=admin_user, merge=merge)
        assert [state(survivor), state(other)] == merged
        assert ContactMerge.objects.get(pk=merge.pk).undone_at is None
        assert status_of(candidate) == DuplicateStatus.MERGED
        assert not Event.objects.filter(verb="contact.merge_undone").exists()


# --- Chained merges ----------------------------------------------------------------------------


class TestChainedMerges:
    def test_a_into_b_then_b_into_c(self, admin_user: User) -> None:
        a = make_contact(actor=admin_user, first_name="الف", phones=["09130000001"])
        b = make_contact(actor=admin_user, first_name="ب", phones=["09130000002"])
        c = make_contact(actor=admin_user, first_name="پ", phones=["09130000003"])
        a_note = note(admin_user, a, "یادداشت الف")
        b_note = note(admin_user, b, "یادداشت ب")
        states = {contact.pk: state(contact) for contact in (a, b, c)}
        a_events = event_ids_of([a])

        first = contacts_merge(actor=admin_user, survivor=b, others=[a])
        second = contacts_merge(actor=admin_user, survivor=c, others=[b])

        assert second.moved["merged_contact"] == {str(a.pk): b.pk}
        assert second.moved["activity"] == {str(a_note.pk): b.pk, str(b_note.pk): b.pk}
        assert Contact.objects.get(pk=a.pk).merged_into_id == c.pk
        assert Contact.objects.get(pk=b.pk).merged_into_id == c.pk
        assert set(a_events) <= set(timeline_ids(c))
        assert timeline_ids(c) == sorted(
            [*event_ids_of([a, b, c])]  # the two merge events are on b and c
        )
        assert (
            Counter(timeline_for_contact(c).values_list("verb", flat=True))["contact.merged"] == 2
        )  # a→b (logged on b) and b→c
        assert visible_ids(admin_user) == [c.pk]
        assert found_ids(admin_user, "09130000001") == [c.pk]
        assert Event.objects.get(subject_id=second.pk, verb="contact.merged").payload["moved"] == {
            "activity": 2,
            "task": 0,
            "deal": 0,
            "lead": 0,
            "ticket": 0,
            "order": 0,
            "merged_contact": 1,
            **NOTHING_ELSE_COUNTED,
        }

        # a→b cannot be undone while b is merged into c.
        with pytest.raises(ValidationError) as caught:
            contact_merge_undo(actor=admin_user, merge=first)
        assert caught.value.message_dict == {
            "merge": ["Undo the later merge of this contact first."]
        }
        assert ContactMerge.objects.get(pk=first.pk).undone_at is None
        assert Contact.objects.get(pk=a.pk).merged_into_id == c.pk

        contact_merge_undo(actor=admin_user, merge=second)
        assert Contact.objects.get(pk=a.pk).merged_into_id == b.pk
        assert Contact.objects.get(pk=b.pk).merged_into_id is None
        assert state(c) == states[c.pk]
        assert sorted(Activity.objects.filter(contact=b).values_list("pk", flat=True)) == sorted(
            [a_note.pk, b_note.pk]
        )
        assert set(a_events) <= set(timeline_ids(b))
        assert not set(a_events) & set(timeline_ids(c))
        assert visible_ids(admin_user) == sorted([b.pk, c.pk])

        contact_merge_undo(actor=admin_user, merge=first)
        assert {contact.pk: state(contact) for contact in (a, b, c)} == states
        assert visible_ids(admin_user) == sorted([a.pk, b.pk, c.pk])


# --- The duplicate scan ------------------------------------------------------------------------


class TestDuplicatesScan:
    def test_finds_pairs_by_phone_and_national_id_across_letter_variants(self) -> None:
        ali = make_contact(first_name="علي", last_name="كريمي", phones=["09121234567"])
        ali_again = make_contact(first_name="علی", last_name="کریمی", phones=["۰۹۱۲ ۱۲۳ ۴۵۶۷"])
        sara = make_contact(first_name="سارا", last_name="امینی", national_id=NATIONAL_ID)
        sara_again = make_contact(first_name="سارا", last_name="اميني", national_id=NATIONAL_ID)
        make_contact(first_name="سارا", last_name="امینی", national_id=OTHER_NATIONAL_ID)
        make_contact(first_name="رضا", last_name="کریمی", phones=["09121234567"])  # a relative

        assert duplicates_scan() == 2

        rows = {
            (row.first_id, row.second_id): (row.score, row.reasons, row.status)
            for row in DuplicateCandidate.objects.all()
        }
        assert rows == {
            (ali.pk, ali_again.pk): (
                0.9707,
                [
                    {"code": "same_phone", "similarity": None},
                    {"code": "same_name", "similarity": None},
                ],
                DuplicateStatus.OPEN,
            ),
            # Both have (different) phones: a little less sure than the national ID alone.
            (sara.pk, sara_again.pk): (
                0.9975,
                [
                    {"code": "same_national_id", "similarity": None},
                    {"code": "same_name", "similarity": None},
                ],
                DuplicateStatus.OPEN,
            ),
        }

    def test_similar_name_reasons_keep_their_percentage(self) -> None:
        first = make_contact(first_name="محمدرضا", last_name="حسینی", phones=["09121234567"])
        second = make_contact(first_name="محمد رضا", last_name="حسيني", phones=["09121234567"])
        third = make_contact(first_name="محمدرضا", last_name="حسینیان", phones=["09121234567"])
        assert duplicates_scan() == 3
        rows = {
            (row.first_id, row.second_id): (row.score, row.reasons)
            for row in DuplicateCandidate.objects.all()
        }
        same_name = [
            {"code": "same_phone", "similarity": None},
            {"code": "same_name", "similarity": None},
        ]
        # ratio("محمدرضا حسینی", "محمدرضا حسینیان") = 26 / 28: 92% similar (one "close" typo).
        similar = [
            {"code": "same_phone", "similarity": None},
            {"code": "similar_name", "similarity": 92},
        ]
        # A space inside a name and Arabic letters do not matter; a longer family name is
        # "similar" with its percentage.
        assert rows == {
            (first.pk, second.pk): (0.9707, same_name),
            (first.pk, third.pk): (0.9526, similar),
            (second.pk, third.pk): (0.9526, similar),
        }

    def test_reviewed_pairs_stay_reviewed_and_vanished_pairs_leave_the_queue(
        self, admin_user: User
    ) -> None:
        ali = make_contact(first_name="علی", last_name="کریمی", phones=["09121234567"])
        ali_again = make_contact(first_name="علی", last_name="کریمی", phones=["09121234567"])
        sara = make_contact(first_name="سارا", last_name="امینی", national_id=NATIONAL_ID)
        sara_again = make_contact(first_name="سارا", last_name="امینی", national_id=NATIONAL_ID)
        assert duplicates_scan() == 2
        dismissed = DuplicateCandidate.objects.get(first=ali, second=ali_again)
        duplicate_dismiss(actor=admin_user, candidate=dismissed)
        assert DuplicateCandidate.objects.get(pk=dismissed.pk).reviewed_by_id == admin_user.pk

        assert duplicates_scan() == 1
        assert duplicates_scan() == 1  # running again changes nothing
        assert list(
            DuplicateCandidate.objects.order_by("first_id").values_list(
                "first_id", "second_id", "status"
            )
        ) == [
            (ali.pk, ali_again.pk, DuplicateStatus.DISMISSED),
            (sara.pk, sara_again.pk, DuplicateStatus.OPEN),
        ]

        # Once the records no longer look alike, the open pair leaves the queue.
        Contact.objects.filter(pk=sara_again.pk).update(national_id=OTHER_NATIONAL_ID)
        assert duplicates_scan() == 0
        assert list(DuplicateCandidate.objects.values_list("pk", flat=True)) == [dismissed.pk]

    def test_merged_contacts_are_not_scanned(self, admin_user: User) -> None:
        survivor = make_contact(first_name="سارا", last_name="امینی", national_id=NATIONAL_ID)
        merged = make_contact(first_name="سارا", last_name="امینی", national_id=NATIONAL_ID)
        # Would pair with ``merged`` by phone, if merged contacts were scanned.
        look_alike = make_contact(first_name="سارا", last_name="امینی", phones=[])
        merged_phone = phones_of(merged)[0]
        ContactPhone.objects.create(contact=look_alike, number=merged_phone)
        contacts_merge(actor=admin_user, survivor=survivor, others=[merged])
        ContactPhone.objects.filter(contact=survivor, number=merged_phone).delete()

        assert duplicates_scan() == 0
        assert not DuplicateCandidate.objects.exists()

    def test_the_task_and_the_scheduler_run_the_scan(self) -> None:
        from peyvand.contacts.tasks import scan_duplicates
        from peyvand.web.scheduler import default_jobs

        make_contact(first_name="علی", last_name="کریمی", phones=["09121234567"])
        make_contact(first_name="علی", last_name="کریمی", phones=["09121234567"])
        jobs = [job for job in default_jobs() if job.name == "duplicate scan"]
        assert [(job.every_seconds, job.run) for job in jobs] == [(24 * 3600, duplicates_scan)]
        # (``run_due_jobs`` closes the database connection around each job: not in a test.)
        assert jobs[0].run() == 1
        assert DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).count() == 1
        assert scan_duplicates.call() == 1


# --- Possible duplicates of a contact being saved ----------------------------------------------


class TestPossibleDuplicates:
    def test_only_visible_contacts_are_returned(
        self, sales_user: User, make_user: Callable[..., User], team: Team
    ) -> None:
        teammate = make_user(role=Role.SALES, teams=(team,))
        stranger = make_user(role=Role.SALES, teams=(Team.objects.create(name="دیگر"),))
        visible = make_contact(
            actor=teammate, first_name="علی", last_name="کریمی", phones=["09121234567"]
        )
        hidden = make_contact(
            actor=stranger, first_name="علی", last_name="کریمی", phones=["09351234567"]
        )
        merged_away = make_contact(
            actor=teammate, first_name="علی", last_name="کریمی", phones=["09191234567"]
        )
        Contact.objects.filter(pk=merged_away.pk).update(merged_into=visible)

        with translation.override("en"):
            found = possible_duplicates(
                sales_user,
                {"first_name": "علي", "last_name": "كريمي", "phones": ["۰۹۱۲ ۱۲۳ ۴۵۶۷"]},
            )
            assert [(contact.pk, score, reasons) for contact, score, reasons in found] == [
                (visible.pk, 0.9707, ["same phone", "same name"])
            ]
            for phone in ("09351234567", "09191234567"):
                assert (
                    possible_duplicates(
                        sales_user,
                        {"first_name": "علی", "last_name": "کریمی", "phones": [phone]},
                    )
                    == []
                )
        with translation.override("fa"):
            found = possible_duplicates(
                sales_user, {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
            )
            assert [reasons for _contact, _score, reasons in found] == [["تلفن یکسان", "نام یکسان"]]
        # The stranger sees their own record (and not the teammate's).
        assert [
            contact.pk
            for contact, _score, _reasons in possible_duplicates(
                stranger, {"first_name": "علی", "last_name": "کریمی", "phones": ["09351234567"]}
            )
        ] == [hidden.pk]

    def test_a_latin_spelling_of_a_known_persian_name_warns_with_its_reason(
        self, admin_user: User
    ) -> None:
        # Names alone never reach the warning's threshold (at most NAME_ONLY_MAX_SCORE), so
        # the create-time warning needs a shared phone, email or national ID; given one, the
        # cross-script name counts as the same name, and says so.
        known = make_contact(
            first_name="علی", last_name="رضایی", city="تهران", phones=["09121234567"]
        )
        with translation.override("en"):
            found = possible_duplicates(
                admin_user,
                {
                    "first_name": "Ali",
                    "last_name": "Rezaei",
                    "city": "Tehran",
                    "phones": ["+98 912 123 4567"],
                },
            )
        assert [(contact.pk, reasons) for contact, _score, reasons in found] == [
            (known.pk, ["same phone", "similar Latin name", "same city"])
        ]
        assert (
            possible_duplicates(
                admin_user, {"first_name": "Ali", "last_name": "Rezaei", "city": "Tehran"}
            )
            == []
        )

    def test_bad_values_match_nothing_and_do_not_raise(self, admin_user: User) -> None:
        make_contact(first_name="علی", last_name="کریمی", national_id=NATIONAL_ID)
        assert (
            possible_duplicates(
                admin_user,
                {
                    "first_name": "علی",
                    "last_name": "کریمی",
                    "phones": ["not a phone"],
                    "emails": ["no-at-sign"],
                    "national_id": "123",
                },
            )
            == []
        )
        found = possible_duplicates(
            admin_user,
            {"first_name": "علی", "last_name": "کریمی", "national_id": "۰۰۱۳۵۴۲۴۱۹"},
        )
        assert [round(score, 4) for _contact, score, _reasons in found] == [0.9991]


def test_deleting_a_survivor_also_deletes_the_contacts_merged_into_it(admin_user) -> None:
    from peyvand.contacts.merging import contacts_merge
    from peyvand.contacts.models import Contact
    from peyvand.contacts.services import contact_delete
    from peyvand.timeline.models import Event

    survivor = make_contact(actor=admin_user, first_name="مریم", phones=["09121110000"])
    twin = make_contact(actor=admin_user, first_name="مريم", phones=["09121110000"])
    contacts_merge(actor=admin_user, survivor=survivor, others=[twin])

    contact_delete(actor=admin_user, contact=survivor)

    assert not Contact.objects.filter(pk__in=[survivor.pk, twin.pk]).exists()
    deleted = Event.objects.get(verb="contact.deleted", subject_id=survivor.pk)
    assert deleted.payload["merged_contacts"] == [twin.pk]
