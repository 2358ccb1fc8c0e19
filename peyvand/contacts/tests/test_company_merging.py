"""Duplicate companies: the scan's queue, ``companies_merge`` and its undo (through the
services), and the queue tab, merge page and undo button (through HTTP).

Everything a company holds (people, deals, tickets, support contracts, activities, tasks)
must follow it into the survivor and come back on undo; a user may only ever see and merge
companies they could open anyway.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from peyvand.accounts.models import Role, Team, User
from peyvand.contacts.company_merging import companies_merge, company_merge_undo
from peyvand.contacts.merging import duplicates_scan
from peyvand.contacts.models import (
    Company,
    CompanyDuplicateCandidate,
    CompanyMerge,
    Contact,
    CustomField,
    DuplicateCandidate,
    DuplicateStatus,
)
from peyvand.contacts.selectors import companies_filtered, companies_visible_to
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.sales.models import Deal, Pipeline
from peyvand.sales.pipelines import pipeline_create
from peyvand.sales.tests.factories import make_deal
from peyvand.service.models import BusinessCalendar, SlaPolicy, SupportContract, Ticket
from peyvand.service.tests.factories import make_ticket
from peyvand.timeline.models import Activity, Event, Task
from peyvand.timeline.selectors import timeline_for_company
from peyvand.timeline.services import activity_log, task_create

pytestmark = pytest.mark.django_db

QUEUE = "/contacts/duplicates/?kind=companies"
MERGE = "/contacts/companies/merge/"


@pytest.fixture(autouse=True)
def default_pipeline(db: Any) -> Pipeline:
    existing = Pipeline.objects.filter(is_default=True).first()
    return existing or pipeline_create(actor=None, name="فروش", is_default=True)


@pytest.fixture
def manager(make_user: Callable[..., User], team: Team) -> User:
    """May merge companies (delete permission) and sees the team's records."""
    return make_user(role=Role.MANAGER, teams=(team,))


def twins(actor: User, **extra: Any) -> tuple[Company, Company]:
    """Two records of one company: legal-form words differ, the phone and city are shared."""
    first = make_company(
        actor=actor, name="شرکت آریا نوین", phones=["02188776655"], city="تهران", **extra
    )
    second = make_company(
        actor=actor,
        name="آريا نوين (سهامی خاص)",
        phones=["02188776655", "09121112233"],
        city="تهران",
        industry="نرم‌افزار",
    )
    return first, second


def company_pair(first: Company, second: Company, score: float = 0.9, **extra: Any) -> Any:
    low, high = sorted((first.pk, second.pk))
    return CompanyDuplicateCandidate.objects.create(
        first_id=low,
        second_id=high,
        score=score,
        reasons=[{"code": "same_phone", "similarity": None}],
        **extra,
    )


def holdings(company: Company, actor: User) -> dict[str, Any]:
    """One of everything that hangs off a company."""
    policy = SlaPolicy.objects.create(
        name="قرارداد طلایی", calendar=BusinessCalendar.objects.get(is_default=True)
    )
    return {
        "person": make_contact(actor=actor, first_name="نسرین", company=company),
        "deal": make_deal(actor=actor, company=company),
        "ticket": make_ticket(actor=actor, company=company),
        "contract": SupportContract.objects.create(
            company=company, policy=policy, starts_on=datetime.date(2026, 1, 1)
        ),
        "activity": activity_log(
            actor=actor, values={"kind": "note", "company": company, "body": "جلسه خوب بود"}
        ),
        "task": task_create(actor=actor, values={"title": "پیگیری قرارداد", "company": company}),
    }


def owners(rows: dict[str, Any]) -> dict[str, int | None]:
    """The company each holding points at, read back from the database."""
    return {
        "person": Contact.objects.get(pk=rows["person"].pk).company_id,
        "deal": Deal.objects.get(pk=rows["deal"].pk).company_id,
        "ticket": Ticket.objects.get(pk=rows["ticket"].pk).company_id,
        "contract": SupportContract.objects.get(pk=rows["contract"].pk).company_id,
        "activity": Activity.objects.get(pk=rows["activity"].pk).company_id,
        "task": Task.objects.get(pk=rows["task"].pk).company_id,
    }


# --- The scan -----------------------------------------------------------------------------------


class TestScan:
    def test_queues_the_company_pair_with_its_reasons(self, teammate: User) -> None:
        first, second = twins(teammate)
        make_company(actor=teammate, name="صنایع غذایی بهار", city="تبریز")

        assert duplicates_scan() == 1

        queued = CompanyDuplicateCandidate.objects.get()
        assert (queued.first_id, queued.second_id) == (first.pk, second.pk)
        assert queued.status == DuplicateStatus.OPEN
        assert queued.score == 0.9959
        assert queued.reasons == [
            {"code": "same_phone", "similarity": None},
            {"code": "same_name", "similarity": None},
            {"code": "same_city", "similarity": None},
        ]
        assert DuplicateCandidate.objects.count() == 0

    def test_merged_pairs_stay_merged_and_merged_companies_are_not_scanned(
        self, manager: User, teammate: User
    ) -> None:
        first, second = twins(teammate)
        duplicates_scan()
        companies_merge(actor=manager, survivor=first, others=[second])
        assert CompanyDuplicateCandidate.objects.get().status == DuplicateStatus.MERGED
        make_company(actor=teammate, name="آریا نوین", phones=["09121112233"], city="تهران")

        assert duplicates_scan() == 1  # the new one against the survivor only
        open_pair = CompanyDuplicateCandidate.objects.get(status=DuplicateStatus.OPEN)
        assert open_pair.first_id == first.pk
        assert CompanyDuplicateCandidate.objects.filter(status=DuplicateStatus.MERGED).count() == 1


# --- Merging and undoing ------------------------------------------------------------------------


class TestMerge:
    def test_everything_moves_to_the_survivor_in_one_event(
        self, manager: User, teammate: User
    ) -> None:
        survivor, other = twins(teammate)
        rows = holdings(other, teammate)
        earlier = Event.objects.filter(company=other).count()

        merge = companies_merge(actor=manager, survivor=survivor, others=[other])

        assert owners(rows) == dict.fromkeys(rows, survivor.pk)
        other.refresh_from_db()
        assert other.merged_into_id == survivor.pk
        assert list(companies_visible_to(manager).filter(name__contains="نوین")) == [survivor]
        assert list(companies_filtered(manager, {"q": "آریا"})) == [survivor]
        event = Event.objects.get(verb="company.merged")
        assert (event.company_id, event.subject_id, event.actor_id) == (
            survivor.pk,
            merge.pk,
            manager.pk,
        )
        assert event.payload["merged"] == [other.pk]
        assert event.payload["moved"] == {
            "contact": 1,
            "deal": 1,
            "ticket": 1,
            "support_contract": 1,
            "activity": 1,
            "task": 1,
            "merged_company": 0,
        }
        # The merged company's own history shows on the survivor's timeline.
        assert timeline_for_company(survivor).filter(company=other).count() == earlier

    def test_field_choices_and_the_union_of_phones_tags_and_custom_fields(
        self, manager: User, teammate: User
    ) -> None:
        CustomField.objects.create(
            object_type="company", key="tier", label_fa="سطح", field_type="text"
        )
        CustomField.objects.create(
            object_type="company", key="region", label_fa="منطقه", field_type="text"
        )
        survivor, other = twins(teammate, tags=["VIP"])
        Company.objects.filter(pk=survivor.pk).update(custom_fields={"tier": "طلایی"})
        Company.objects.filter(pk=other.pk).update(
            custom_fields={"tier": "نقره‌ای", "region": "شمال"}
        )
        other.tags.add(*survivor.tags.all())
        from peyvand.contacts.services import tags_resolve

        other.tags.add(*tags_resolve({"همکار"}))

        companies_merge(
            actor=manager, survivor=survivor, others=[other], choices={"name": other.pk}
        )

        survivor.refresh_from_db()
        assert survivor.name == "آریا نوین (سهامی خاص)"  # stored with Persian letters
        assert survivor.industry == "نرم‌افزار"  # empty on the survivor: the other's value
        assert survivor.city == "تهران"
        assert survivor.phones == ["+982188776655", "+989121112233"]
        assert sorted(survivor.tags.values_list("name", flat=True)) == ["VIP", "همکار"]
        assert survivor.custom_fields == {"tier": "طلایی", "region": "شمال"}
        assert list(companies_filtered(manager, {"q": "09121112233"})) == [survivor]

    def test_undo_restores_everything_in_one_event(self, manager: User, teammate: User) -> None:
        survivor, other = twins(teammate)
        rows = holdings(other, teammate)
        own = holdings(survivor, teammate)
        before = Company.objects.get(pk=survivor.pk)
        company_pair(survivor, other)
        merge = companies_merge(
            actor=manager, survivor=survivor, others=[other], choices={"name": other.pk}
        )

        company_merge_undo(actor=manager, merge=merge)

        assert owners(rows) == dict.fromkeys(rows, other.pk)
        assert owners(own) == dict.fromkeys(own, survivor.pk)
        restored = Company.objects.get(pk=survivor.pk)
        assert (restored.name, restored.industry, restored.phones, restored.search_text) == (
            before.name,
            before.industry,
            before.phones,
            before.search_text,
        )
        assert Company.objects.get(pk=other.pk).merged_into_id is None
        assert set(companies_visible_to(manager)) == {survivor, other}
        assert CompanyMerge.objects.get().undone_at is not None
        assert Event.objects.filter(verb="company.merge_undone", company=survivor).count() == 1
        assert CompanyDuplicateCandidate.objects.get().status == DuplicateStatus.OPEN
        with pytest.raises(ValidationError):
            company_merge_undo(actor=manager, merge=merge)

    def test_merges_are_undone_newest_first(self, manager: User, teammate: User) -> None:
        survivor, second = twins(teammate)
        third = make_company(actor=teammate, name="آریا نوین", city="تهران")
        first_merge = companies_merge(actor=manager, survivor=survivor, others=[second])
        second_merge = companies_merge(actor=manager, survivor=survivor, others=[third])

        with translation.override("en"), pytest.raises(ValidationError) as error:
            company_merge_undo(actor=manager, merge=first_merge)
        assert error.value.message_dict == {
            "merge": ["Undo the later merge of this company first."]
        }

        company_merge_undo(actor=manager, merge=second_merge)
        company_merge_undo(actor=manager, merge=first_merge)
        assert Company.objects.filter(merged_into__isnull=False).count() == 0

    def test_a_merged_company_cannot_be_merged_again(self, manager: User, teammate: User) -> None:
        survivor, other = twins(teammate)
        companies_merge(actor=manager, survivor=survivor, others=[other])
        with translation.override("en"), pytest.raises(ValidationError) as error:
            companies_merge(actor=manager, survivor=other, others=[survivor])
        assert error.value.message_dict == {
            "companies": ["One of the companies was already merged."]
        }
        with pytest.raises(ValidationError):
            companies_merge(actor=manager, survivor=survivor, others=[survivor])

    def test_needs_the_delete_companies_permission(self, teammate: User) -> None:
        survivor, other = twins(teammate)
        with pytest.raises(PermissionDenied):
            companies_merge(actor=teammate, survivor=survivor, others=[other])
        assert Company.objects.filter(merged_into__isnull=False).count() == 0


# --- Through HTTP -------------------------------------------------------------------------------


def queue_pairs(response: Any) -> list[str]:
    return re.findall(r'data-pair="(\d+-\d+)"', response.content.decode())


class TestQueuePage:
    def test_only_pairs_whose_both_companies_are_visible(
        self,
        logged_in: Callable[[User], Client],
        manager: User,
        teammate: User,
        outsider: User,
    ) -> None:
        first, second = twins(teammate)
        hidden = make_company(actor=outsider, name="آریا نوین", city="تهران")
        company_pair(first, second, score=0.95)
        company_pair(first, hidden, score=0.99)
        client = logged_in(manager)

        response = client.get(QUEUE)
        assert response.status_code == 200
        assert queue_pairs(response) == [f"{first.pk}-{second.pk}"]
        page = response.content.decode()
        assert f'href="{MERGE}?ids={first.pk},{second.pk}"' in page
        assert f"/contacts/companies/{first.pk}/" in page
        assert queue_pairs(client.get("/contacts/duplicates/")) == []  # the contacts tab

    def test_query_count_does_not_grow_with_the_pairs(
        self, logged_in: Callable[[User], Client], manager: User, teammate: User
    ) -> None:
        client = logged_in(manager)
        first, second = twins(teammate)
        company_pair(first, second)
        client.get(QUEUE)
        with CaptureQueriesContext(connection) as few:
            assert len(queue_pairs(client.get(QUEUE))) == 1
        for index in range(5):
            a = make_company(actor=teammate, name=f"پارس {index}")
            b = make_company(actor=teammate, name=f"پارس {index} سهامی خاص")
            company_pair(a, b)
        with CaptureQueriesContext(connection) as many:
            assert len(queue_pairs(client.get(QUEUE))) == 6
        assert len(many) == len(few)

    def test_dismiss(
        self, logged_in: Callable[[User], Client], manager: User, teammate: User, outsider: User
    ) -> None:
        first, second = twins(teammate)
        candidate = company_pair(first, second)
        hidden = company_pair(first, make_company(actor=outsider, name="آریا"))
        client = logged_in(manager)
        url = f"/contacts/duplicates/companies/{candidate.pk}/dismiss/"

        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"] == QUEUE
        candidate.refresh_from_db()
        assert (candidate.status, candidate.reviewed_by_id) == (
            DuplicateStatus.DISMISSED,
            manager.pk,
        )
        gone = client.post(f"/contacts/duplicates/companies/{hidden.pk}/dismiss/")
        assert gone.status_code == 404


class TestMergePage:
    def test_shows_the_differing_fields_and_merges_with_the_picks(
        self, logged_in: Callable[[User], Client], manager: User, teammate: User
    ) -> None:
        survivor, other = twins(teammate)
        rows = holdings(other, teammate)
        client = logged_in(manager)
        ids = f"{survivor.pk},{other.pk}"

        page = client.get(f"{MERGE}?ids={ids}")
        assert page.status_code == 200
        radios = re.findall(r'name="pick_(\w+)" value="(\d+)"( checked)?', page.content.decode())
        assert radios == [
            ("name", str(survivor.pk), " checked"),
            ("name", str(other.pk), ""),
            ("industry", str(survivor.pk), ""),
            ("industry", str(other.pk), " checked"),
        ]

        response = client.post(
            MERGE, {"ids": ids, "survivor": other.pk, "pick_name": str(survivor.pk)}
        )
        assert response.status_code == 302
        assert response["Location"] == f"/contacts/companies/{other.pk}/"
        other.refresh_from_db()
        assert other.name == "شرکت آریا نوین"
        assert Company.objects.get(pk=survivor.pk).merged_into_id == other.pk
        assert owners(rows) == dict.fromkeys(rows, other.pk)

        detail = client.get(f"/contacts/companies/{other.pk}/")
        merge = CompanyMerge.objects.get()
        assert f'action="/contacts/companies/merges/{merge.pk}/undo/"' in detail.content.decode()
        assert client.get(f"/contacts/companies/{survivor.pk}/").status_code == 404

        undone = client.post(f"/contacts/companies/merges/{merge.pk}/undo/")
        assert undone.status_code == 302
        assert Company.objects.get(pk=survivor.pk).merged_into_id is None
        assert client.get(f"/contacts/companies/{survivor.pk}/").status_code == 200

    def test_an_invisible_company_is_a_404_and_merging_needs_the_permission(
        self,
        logged_in: Callable[[User], Client],
        manager: User,
        teammate: User,
        outsider: User,
    ) -> None:
        survivor, other = twins(teammate)
        hidden = make_company(actor=outsider, name="آریا نوین")
        client = logged_in(manager)
        assert client.get(f"{MERGE}?ids={survivor.pk},{hidden.pk}").status_code == 404
        posted = client.post(MERGE, {"ids": f"{survivor.pk},{hidden.pk}"})
        assert posted.status_code == 404
        assert Company.objects.get(pk=hidden.pk).merged_into_id is None

        client.force_login(teammate)
        assert client.get(f"{MERGE}?ids={survivor.pk},{other.pk}").status_code == 403
        merge = companies_merge(actor=manager, survivor=survivor, others=[other])
        assert client.post(f"/contacts/companies/merges/{merge.pk}/undo/").status_code == 403

        client.force_login(outsider)
        assert client.post(f"/contacts/companies/merges/{merge.pk}/undo/").status_code == 404
        assert CompanyMerge.objects.get().undone_at is None


def test_deleting_the_survivor_deletes_the_companies_merged_into_it(
    manager: User, teammate: User
) -> None:
    from peyvand.contacts.services import company_delete

    survivor, other = twins(teammate)
    bystander = make_company(actor=teammate, name="صنایع غذایی بهار")
    companies_merge(actor=manager, survivor=survivor, others=[other])

    company_delete(actor=manager, company=survivor)

    assert list(Company.objects.all()) == [bystander]
    event = Event.objects.get(verb="company.deleted")
    assert event.payload["merged_companies"] == [other.pk]


def test_undoing_a_contact_merge_after_a_company_merge_keeps_people_at_the_survivor(
    manager: User, teammate: User
) -> None:
    """Found in review: the contact's saved company was merged away meanwhile; undo must
    not put the contact back on the hidden company."""
    from peyvand.contacts.merging import contact_merge_undo, contacts_merge

    kept, merged_away = twins(teammate)
    person = make_contact(actor=teammate, first_name="نسرین", company=merged_away)
    twin = make_contact(actor=teammate, first_name="نسرين")
    contact_merge = contacts_merge(actor=manager, survivor=person, others=[twin])
    companies_merge(actor=manager, survivor=kept, others=[merged_away])
    contact_merge_undo(actor=manager, merge=contact_merge)
    person.refresh_from_db()
    assert person.company_id == kept.pk


def test_undo_leaves_rows_moved_elsewhere_since_in_a_fixed_number_of_queries(
    manager: User, teammate: User
) -> None:
    survivor, other = twins(teammate)
    elsewhere = make_company(actor=teammate, name="پارس سازه")
    people = [make_contact(actor=teammate, company=other) for _ in range(12)]
    merge = companies_merge(actor=manager, survivor=survivor, others=[other])
    moved_on = people[0]
    Contact.objects.filter(pk=moved_on.pk).update(company=elsewhere)  # a later edit
    with CaptureQueriesContext(connection) as few:
        company_merge_undo(actor=manager, merge=merge)
    assert Contact.objects.filter(company=other).count() == 11
    assert Contact.objects.get(pk=moved_on.pk).company_id == elsewhere.pk
    # The same 13 statements for 12 people as for one: one UPDATE per old owner and model
    # (it was one per row).
    assert len(few.captured_queries) == 13
