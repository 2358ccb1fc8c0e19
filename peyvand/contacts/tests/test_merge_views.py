"""The duplicate review queue, the merge page, undo, and the duplicate warning before a save
(the contact form and ``POST /api/v1/contacts``), through HTTP.

Visibility is the thread through all of them: a pair, a merge or a warning may only ever show
contacts the user could open anyway.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from peyvand.accounts.models import Role, Team, User
from peyvand.contacts.merging import contact_merge_undo, contacts_merge
from peyvand.contacts.models import (
    Contact,
    ContactMerge,
    DuplicateCandidate,
    DuplicateStatus,
)
from peyvand.contacts.tests.factories import make_contact

pytestmark = pytest.mark.django_db

NATIONAL_ID = "0013542419"
QUEUE = "/contacts/duplicates/"


@pytest.fixture
def manager(make_user: Callable[..., User], team: Team) -> User:
    """May merge (delete permission) and sees the records of the team."""
    return make_user(role=Role.MANAGER, teams=(team,))


def text(response: Any) -> str:
    return response.content.decode()


def tr(message: str, language: str = "fa", **params: Any) -> str:
    """``message`` as the page shows it (users read Farsi unless they chose English)."""
    with translation.override(language):
        translated = translation.gettext(message)
    return translated % params if params else translated


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def pair(first: Contact, second: Contact, score: float = 0.9707, **extra: Any) -> Any:
    low, high = sorted((first.pk, second.pk))
    return DuplicateCandidate.objects.create(
        first_id=low,
        second_id=high,
        score=score,
        reasons=[
            {"code": "same_phone", "similarity": None},
            {"code": "similar_name", "similarity": 92},
        ],
        **extra,
    )


def queue_pairs(response: Any) -> list[str]:
    return re.findall(r'data-pair="(\d+-\d+)"', text(response))


def radios(response: Any) -> list[tuple[str, int, bool]]:
    """(field, contact id, checked) of each value radio on the merge page."""
    return [
        (field, int(pk), bool(checked))
        for field, pk, checked in re.findall(
            r'name="pick_(\w+)" value="(\d+)"( checked)?', text(response)
        )
    ]


# --- The review queue --------------------------------------------------------------------------


@pytest.fixture
def queue_data(teammate: User, outsider: User, manager: User) -> dict[str, Any]:
    first = make_contact(actor=teammate, first_name="علی", last_name="کریمی")
    second = make_contact(actor=teammate, first_name="علي", last_name="كريميان")
    third = make_contact(actor=teammate, first_name="سارا", last_name="امینی")
    fourth = make_contact(actor=teammate, first_name="سارا", last_name="امیني")
    hidden = make_contact(actor=outsider, first_name="علی", last_name="کریمی")
    merged_away = make_contact(actor=teammate, first_name="علی", last_name="کریمی")
    Contact.objects.filter(pk=merged_away.pk).update(merged_into=first)
    return {
        "first": first,
        "second": second,
        "third": third,
        "fourth": fourth,
        "hidden": hidden,
        "visible_pair": pair(first, second, score=0.9707),
        "better_pair": pair(third, fourth, score=0.9975),
        "half_hidden": pair(first, hidden, score=0.99),
        "with_merged": pair(first, merged_away, score=0.99),
        "dismissed": pair(second, third, score=0.9, status=DuplicateStatus.DISMISSED),
    }


class TestQueue:
    def test_lists_only_open_pairs_whose_both_contacts_are_visible_best_first(
        self, logged_in: Callable[[User], Client], manager: User, queue_data: dict[str, Any]
    ) -> None:
        first, second = queue_data["first"], queue_data["second"]
        third, fourth = queue_data["third"], queue_data["fourth"]
        response = logged_in(manager).get(QUEUE)
        assert response.status_code == 200
        assert queue_pairs(response) == [f"{third.pk}-{fourth.pk}", f"{first.pk}-{second.pk}"]
        page = text(response)
        reasons = "، ".join([tr("same phone"), tr("name %(percent)s%% similar", percent="۹۲")])
        assert reasons == "تلفن یکسان، نام ۹۲٪ مشابه"
        assert page.count(reasons) == 2
        assert "۹۷٪" in page and "۱۰۰٪" in page  # widthratio rounds 0.9975 up
        assert "۹۹٪" not in page  # the score of the pairs with a hidden or merged contact
        assert f"?ids={first.pk},{second.pk}" in page
        assert tr("Scan now") in page
        assert 'action="/contacts/duplicates/scan/"' in page
        # Nothing about the invisible contact leaks into the page.
        assert f"/contacts/{queue_data['hidden'].pk}/" not in page

    def test_without_delete_permission_there_is_no_merge_or_scan(
        self, logged_in: Callable[[User], Client], teammate: User, queue_data: dict[str, Any]
    ) -> None:
        first, second = queue_data["first"], queue_data["second"]
        response = logged_in(teammate).get(QUEUE)
        assert response.status_code == 200
        assert f"{first.pk}-{second.pk}" in queue_pairs(response)
        assert "/contacts/merge/" not in text(response)
        assert 'action="/contacts/duplicates/scan/"' not in text(response)
        # "Not duplicates" is still offered (it needs write permission only).
        assert f"/contacts/duplicates/{queue_data['visible_pair'].pk}/dismiss/" in text(response)

    def test_the_outsider_sees_no_pair_of_the_team(
        self, logged_in: Callable[[User], Client], outsider: User, queue_data: dict[str, Any]
    ) -> None:
        response = logged_in(outsider).get(QUEUE)
        assert queue_pairs(response) == []
        assert tr("No possible duplicates to review.") in text(response)

    def test_dismiss(
        self, logged_in: Callable[[User], Client], manager: User, queue_data: dict[str, Any]
    ) -> None:
        client = logged_in(manager)
        candidate = queue_data["visible_pair"]
        url = f"/contacts/duplicates/{candidate.pk}/dismiss/"
        assert client.get(url).status_code == 405
        response = client.post(url)
        assert (response.status_code, response["Location"]) == (302, QUEUE)
        stored = DuplicateCandidate.objects.get(pk=candidate.pk)
        assert (stored.status, stored.reviewed_by_id) == (DuplicateStatus.DISMISSED, manager.pk)
        page = client.get(QUEUE)
        assert messages_of(page) == [tr("Marked as different people.")]
        assert f"{candidate.first_id}-{candidate.second_id}" not in queue_pairs(page)

    def test_dismissing_a_pair_with_an_invisible_contact_is_a_404(
        self,
        logged_in: Callable[[User], Client],
        manager: User,
        outsider: User,
        queue_data: dict[str, Any],
    ) -> None:
        client = logged_in(manager)
        for key in ("half_hidden", "with_merged"):
            candidate = queue_data[key]
            assert client.post(f"/contacts/duplicates/{candidate.pk}/dismiss/").status_code == 404
            assert DuplicateCandidate.objects.get(pk=candidate.pk).status == DuplicateStatus.OPEN
        for missing in ("999999", "99999999999999999999999"):
            assert client.post(f"/contacts/duplicates/{missing}/dismiss/").status_code == 404
        outsider_client = logged_in(outsider)
        candidate = queue_data["visible_pair"]
        response = outsider_client.post(f"/contacts/duplicates/{candidate.pk}/dismiss/")
        assert response.status_code == 404
        assert DuplicateCandidate.objects.get(pk=candidate.pk).status == DuplicateStatus.OPEN

    def test_a_read_only_user_may_not_dismiss(
        self,
        logged_in: Callable[[User], Client],
        make_user: Callable[..., User],
        team: Team,
        queue_data: dict[str, Any],
    ) -> None:
        reader = make_user(role=Role.READ_ONLY, teams=(team,))
        candidate = queue_data["visible_pair"]
        response = logged_in(reader).post(f"/contacts/duplicates/{candidate.pk}/dismiss/")
        assert response.status_code == 403
        assert DuplicateCandidate.objects.get(pk=candidate.pk).status == DuplicateStatus.OPEN

    def test_anonymous_users_go_to_the_login_page(self, client: Client) -> None:
        response = client.get(QUEUE)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


class TestScanNow:
    def test_needs_delete_permission(
        self, logged_in: Callable[[User], Client], teammate: User, settings: Any
    ) -> None:
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }
        make_contact(actor=teammate, first_name="علی", last_name="کریمی", phones=["09121234567"])
        make_contact(actor=teammate, first_name="علی", last_name="کریمی", phones=["09121234567"])
        assert logged_in(teammate).post("/contacts/duplicates/scan/").status_code == 403
        assert not DuplicateCandidate.objects.exists()

    def test_enqueues_the_scan_after_commit(
        self,
        logged_in: Callable[[User], Client],
        manager: User,
        teammate: User,
        settings: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }
        first = make_contact(
            actor=teammate, first_name="علی", last_name="کریمی", phones=["09121234567"]
        )
        second = make_contact(
            actor=teammate, first_name="علي", last_name="كريمي", phones=["09121234567"]
        )
        client = logged_in(manager)
        assert client.get("/contacts/duplicates/scan/").status_code == 405
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post("/contacts/duplicates/scan/")
        assert (response.status_code, response["Location"]) == (302, QUEUE)
        assert len(callbacks) == 1
        assert list(
            DuplicateCandidate.objects.values_list("first_id", "second_id", "status", "score")
        ) == [(first.pk, second.pk, DuplicateStatus.OPEN, 0.9707)]
        page = client.get(QUEUE)
        assert messages_of(page) == [tr("The scan has started; refresh this page in a minute.")]
        assert queue_pairs(page) == [f"{first.pk}-{second.pk}"]


# --- The merge page ----------------------------------------------------------------------------


@pytest.fixture
def twins(teammate: User) -> tuple[Contact, Contact]:
    first = make_contact(
        actor=teammate,
        first_name="علی",
        last_name="کریمی",
        phones=["09121110001"],
        city="تهران",
        birthday=datetime.date(1990, 5, 1),
    )
    second = make_contact(
        actor=teammate,
        first_name="علي",
        last_name="كريمي",
        phones=["09121110001", "09352220002"],
        national_id=NATIONAL_ID,
        birthday=datetime.date(1985, 1, 2),
        city="شیراز",
        job_title="مدیر فروش",
    )
    return first, second


def merge_url(*ids: int) -> str:
    return "/contacts/merge/?ids=" + ",".join(map(str, ids))


class TestMergePage:
    def test_shows_a_radio_per_differing_field_with_the_default_checked(
        self,
        logged_in: Callable[[User], Client],
        manager: User,
        twins: tuple[Contact, Contact],
    ) -> None:
        first, second = twins
        response = logged_in(manager).get(merge_url(first.pk, second.pk))
        assert response.status_code == 200
        assert radios(response) == [
            ("national_id", first.pk, False),
            ("national_id", second.pk, True),
            ("birthday", first.pk, True),
            ("birthday", second.pk, False),
            ("job_title", first.pk, False),
            ("job_title", second.pk, True),
            ("city", first.pk, True),
            ("city", second.pk, False),
        ]
        page = text(response)
        assert re.findall(r'name="survivor" value="(\d+)"( checked)?', page) == [
            (str(first.pk), " checked"),
            (str(second.pk), ""),
        ]
        assert f'name="ids" value="{first.pk},{second.pk}"' in page
        # Dates as the rest of the UI shows them: Jalali, Persian digits.
        assert "۱۳۶۹/۰۲/۱۱" in page and "۱۳۶۳/۱۰/۱۲" in page
        assert "1990-05-01" not in page

    def test_contacts_with_the_same_values_have_no_radios(
        self, logged_in: Callable[[User], Client], manager: User, teammate: User
    ) -> None:
        first = make_contact(actor=teammate, first_name="سارا", last_name="امینی")
        second = make_contact(actor=teammate, first_name="سارا", last_name="امینی")
        response = logged_in(manager).get(merge_url(first.pk, second.pk))
        assert radios(response) == []
        assert tr("The contacts have the same values in every field.") in text(response)

    def test_404_unless_every_id_is_visible_and_there_are_two(
        self,
        logged_in: Callable[[User], Client],
        manager: User,
        outsider: User,
        twins: tuple[Contact, Contact],
    ) -> None:
        first, second = twins
        hidden = make_contact(actor=outsider)
        merged_away = make_contact(actor=manager)
        Contact.objects.filter(pk=merged_away.pk).update(merged_into=second)
        client = logged_in(manager)
        for url in (
            merge_url(first.pk, hidden.pk),
            merge_url(first.pk, second.pk, hidden.pk),
            merge_url(first.pk, merged_away.pk),
            merge_url(first.pk),
            merge_url(first.pk, first.pk),
            merge_url(first.pk, 999999),
            "/contacts/merge/",
            "/contacts/merge/?ids=abc,def",
            f"/contacts/merge/?ids=²,{first.pk}",  # a digit, not a decimal digit
            f"/contacts/merge/?ids={first.pk},99999999999999999999999",
        ):
            assert client.get(url).status_code == 404, url
        response = client.post(
            "/contacts/merge/", {"ids": f"{first.pk},{hidden.pk}", "survivor": str(first.pk)}
        )
        assert response.status_code == 404
        assert Contact.objects.get(pk=hidden.pk).merged_into_id is None

    def test_sales_may_not_merge(
        self, logged_in: Callable[[User], Client], teammate: User, twins: tuple[Contact, Contact]
    ) -> None:
        first, second = twins
        client = logged_in(teammate)
        assert client.get(merge_url(first.pk, second.pk)).status_code == 403
        response = client.post("/contacts/merge/", {"ids": f"{first.pk},{second.pk}"})
        assert response.status_code == 403
        assert Contact.objects.get(pk=second.pk).merged_into_id is None

    def test_post_merges_with_the_picked_values_and_redirects_to_the_survivor(
        self,
        logged_in: Callable[[User], Client],
        manager: User,
        twins: tuple[Contact, Contact],
    ) -> None:
        first, second = twins
        client = logged_in(manager)
        response = client.post(
            "/contacts/merge/",
            {
                "ids": f"{first.pk},{second.pk}",
                "survivor": str(first.pk),
                "pick_city": str(second.pk),
                "pick_job_title": str(first.pk),
                "pick_national_id": str(second.pk),
            },
        )
        assert (response.status_code, response["Location"]) == (302, f"/contacts/{first.pk}/")
        survivor = Contact.objects.get(pk=first.pk)
        assert (survivor.city, survivor.job_title, survivor.national_id) == (
            "شیراز",
            "",
            NATIONAL_ID,
        )
        assert list(survivor.phones.values_list("number", flat=True)) == [
            "+989121110001",
            "+989352220002",
        ]
        assert Contact.objects.get(pk=second.pk).merged_into_id == first.pk
        merge = ContactMerge.objects.get()
        assert (merge.survivor_id, merge.merged_ids, merge.created_by_id) == (
            first.pk,
            [second.pk],
            manager.pk,
        )
        page = client.get(f"/contacts/{first.pk}/")
        assert messages_of(page) == [tr("Contacts merged. You can undo this from the timeline.")]
        assert client.get(f"/contacts/{second.pk}/").status_code == 404

    def test_post_with_another_survivor(
        self,
        logged_in: Callable[[User], Client],
        manager: User,
        twins: tuple[Contact, Contact],
    ) -> None:
        first, second = twins
        response = logged_in(manager).post(
            "/contacts/merge/", {"ids": f"{first.pk},{second.pk}", "survivor": str(second.pk)}
        )
        assert response["Location"] == f"/contacts/{second.pk}/"
        survivor = Contact.objects.get(pk=second.pk)
        # The defaults now favour the second record: its city, the first's nothing.
        assert (survivor.city, survivor.job_title) == ("شیراز", "مدیر فروش")
        assert Contact.objects.get(pk=first.pk).merged_into_id == second.pk

    def test_bad_survivor_or_pick_changes_nothing(
        self,
        logged_in: Callable[[User], Client],
        manager: User,
        outsider: User,
        twins: tuple[Contact, Contact],
    ) -> None:
        first, second = twins
        hidden = make_contact(actor=outsider, city="قم")
        client = logged_in(manager)
        ids = f"{first.pk},{second.pk}"
        for survivor in (str(hidden.pk), "abc", "-1", "²", ""):
            response = client.post("/contacts/merge/", {"ids": ids, "survivor": survivor})
            assert response.status_code == 404, survivor
        # A pick that is not an id is ignored (the default is kept).
        response = client.post(
            "/contacts/merge/",
            {"ids": ids, "survivor": str(first.pk), "pick_city": "²"},
            follow=True,
        )
        assert response.redirect_chain == [(f"/contacts/{first.pk}/", 302)]
        assert Contact.objects.get(pk=first.pk).city == "تهران"
        contact_merge_undo(actor=manager, merge=ContactMerge.objects.get())
        ContactMerge.objects.all().delete()
        # A pick naming a record outside the merge: the page again, with the reason.
        response = client.post(
            "/contacts/merge/", {"ids": ids, "survivor": str(first.pk), "pick_city": hidden.pk}
        )
        assert response.status_code == 200
        assert messages_of(response) == [tr("Choose a value from one of the contacts.")]
        assert radios(response)[0] == ("national_id", first.pk, False)
        assert not ContactMerge.objects.exists()
        assert Contact.objects.get(pk=first.pk).city == "تهران"
        assert Contact.objects.get(pk=second.pk).merged_into_id is None

    def test_the_360_page_offers_merging_its_open_duplicates(
        self,
        logged_in: Callable[[User], Client],
        manager: User,
        teammate: User,
        outsider: User,
        twins: tuple[Contact, Contact],
    ) -> None:
        first, second = twins
        hidden = make_contact(actor=outsider, first_name="پنهان", last_name="پنهانی")
        pair(first, second)
        pair(first, hidden)
        page = text(logged_in(manager).get(f"/contacts/{first.pk}/"))
        assert tr("Possible duplicates") in page
        assert f"/contacts/merge/?ids={first.pk},{second.pk}" in page
        assert f"/contacts/{hidden.pk}/" not in page
        assert "پنهان" not in page
        sales_page = text(logged_in(teammate).get(f"/contacts/{first.pk}/"))
        assert f"/contacts/{second.pk}/" in sales_page
        assert "/contacts/merge/" not in sales_page


# --- Undo from the 360 page --------------------------------------------------------------------


class TestUndoView:
    def test_the_button_and_the_undo(
        self,
        logged_in: Callable[[User], Client],
        manager: User,
        teammate: User,
        twins: tuple[Contact, Contact],
    ) -> None:
        first, second = twins
        candidate = pair(first, second)
        merge = contacts_merge(actor=manager, survivor=first, others=[second])
        assert DuplicateCandidate.objects.get(pk=candidate.pk).status == DuplicateStatus.MERGED
        client = logged_in(manager)
        undo_url = f"/contacts/merges/{merge.pk}/undo/"
        page = text(client.get(f"/contacts/{first.pk}/"))
        assert tr("Undo merge") in page
        assert f'action="{undo_url}"' in page
        # Sales may look, not undo.
        sales_client = Client()
        sales_client.force_login(teammate)
        assert f'action="{undo_url}"' not in text(sales_client.get(f"/contacts/{first.pk}/"))
        assert sales_client.post(undo_url).status_code == 403

        assert client.get(undo_url).status_code == 405
        response = client.post(undo_url)
        assert (response.status_code, response["Location"]) == (302, f"/contacts/{first.pk}/")
        survivor = Contact.objects.get(pk=first.pk)
        assert (survivor.city, survivor.job_title, survivor.national_id) == ("تهران", "", "")
        assert list(survivor.phones.values_list("number", flat=True)) == ["+989121110001"]
        assert Contact.objects.get(pk=second.pk).merged_into_id is None
        assert DuplicateCandidate.objects.get(pk=candidate.pk).status == DuplicateStatus.OPEN
        assert ContactMerge.objects.get(pk=merge.pk).undone_at is not None
        page_response = client.get(f"/contacts/{first.pk}/")
        assert messages_of(page_response) == [tr("The merge was undone.")]
        assert f'action="{undo_url}"' not in text(page_response)
        assert client.get(f"/contacts/{second.pk}/").status_code == 200

        # A second undo (say, from a stale page) says why and changes nothing.
        again = client.post(undo_url, follow=True)
        assert messages_of(again) == [tr("This merge was already undone.")]
        assert again.redirect_chain == [(f"/contacts/{first.pk}/", 302)]

    def test_an_earlier_merge_says_to_undo_the_later_one_first(
        self,
        logged_in: Callable[[User], Client],
        manager: User,
        teammate: User,
        twins: tuple[Contact, Contact],
    ) -> None:
        first, second = twins
        third = make_contact(actor=teammate)
        earlier = contacts_merge(actor=manager, survivor=first, others=[second])
        later = contacts_merge(actor=manager, survivor=first, others=[third])
        client = logged_in(manager)
        page = text(client.get(f"/contacts/{first.pk}/"))
        assert re.findall(r'action="/contacts/merges/(\d+)/undo/"', page) == [
            str(later.pk),
            str(earlier.pk),
        ]
        response = client.post(f"/contacts/merges/{earlier.pk}/undo/", follow=True)
        assert response.redirect_chain == [(f"/contacts/{first.pk}/", 302)]
        assert messages_of(response) == [tr("Undo the later merge of this contact first.")]
        assert ContactMerge.objects.get(pk=earlier.pk).undone_at is None
        assert Contact.objects.get(pk=second.pk).merged_into_id == first.pk

    def test_404_when_the_survivor_is_invisible_or_the_merge_unknown(
        self,
        logged_in: Callable[[User], Client],
        manager: User,
        outsider: User,
        twins: tuple[Contact, Contact],
    ) -> None:
        first, second = twins
        merge = contacts_merge(actor=manager, survivor=first, others=[second])
        outsider.role = Role.MANAGER  # may undo merges, but not of the team's records
        outsider.save(update_fields=["role"])
        assert logged_in(outsider).post(f"/contacts/merges/{merge.pk}/undo/").status_code == 404
        for missing in ("999999", "99999999999999999999999"):
            assert logged_in(manager).post(f"/contacts/merges/{missing}/undo/").status_code == 404
        assert ContactMerge.objects.get(pk=merge.pk).undone_at is None
        assert Contact.objects.get(pk=second.pk).merged_into_id == first.pk


# --- The duplicate warning on the contact form -------------------------------------------------


def form_data(owner: User, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "علي",
        "last_name": "كريمي",
        "phones": ["۰۹۱۲ ۱۲۳ ۴۵۶۷"],
        "lifecycle_stage": "lead",
        "owner": str(owner.pk),
    }
    data.update(overrides)
    return data


class TestCreateFormWarning:
    def test_warns_saves_nothing_then_saves_when_allowed(
        self, logged_in: Callable[[User], Client], sales_user: User, teammate: User
    ) -> None:
        existing = make_contact(
            actor=teammate, first_name="علی", last_name="کریمی", phones=["09121234567"]
        )
        client = logged_in(sales_user)
        response = client.post("/contacts/new/", form_data(sales_user))
        assert response.status_code == 200
        page = text(response)
        assert 'id="duplicate-warning"' in page
        assert f'href="/contacts/{existing.pk}/"' in page
        assert f"{tr('same phone')}، {tr('same name')}" in page
        assert 'name="allow_duplicate" value="1"' in page
        # What was typed stays in the form for the second submit.
        assert 'name="first_name" value="علي"' in page
        assert 'name="phones" value="۰۹۱۲ ۱۲۳ ۴۵۶۷"' in page
        assert Contact.objects.count() == 1

        response = client.post("/contacts/new/", form_data(sales_user, allow_duplicate="1"))
        assert response.status_code == 302
        created = Contact.objects.exclude(pk=existing.pk).get()
        assert response["Location"] == f"/contacts/{created.pk}/"
        assert (created.first_name, created.last_name, created.owner_id) == (
            "علی",
            "کریمی",
            sales_user.pk,
        )
        assert list(created.phones.values_list("number", flat=True)) == ["+989121234567"]

    def test_no_warning_for_a_new_person(
        self, logged_in: Callable[[User], Client], sales_user: User, teammate: User
    ) -> None:
        make_contact(actor=teammate, first_name="علی", last_name="کریمی", phones=["09121234567"])
        response = logged_in(sales_user).post(
            "/contacts/new/", form_data(sales_user, phones=["09350000000"], first_name="رضا")
        )
        assert response.status_code == 302
        assert Contact.objects.count() == 2

    def test_an_invisible_contact_does_not_trigger_the_warning(
        self, logged_in: Callable[[User], Client], sales_user: User, outsider: User
    ) -> None:
        hidden = make_contact(
            actor=outsider, first_name="علی", last_name="کریمی", phones=["09121234567"]
        )
        response = logged_in(sales_user).post("/contacts/new/", form_data(sales_user))
        assert response.status_code == 302
        assert 'id="duplicate-warning"' not in text(response)
        created = Contact.objects.exclude(pk=hidden.pk).get()
        assert response["Location"] == f"/contacts/{created.pk}/"

    def test_a_merged_contact_does_not_trigger_the_warning(
        self, logged_in: Callable[[User], Client], sales_user: User, teammate: User
    ) -> None:
        kept = make_contact(actor=teammate, first_name="رضا", last_name="رضایی")
        merged_away = make_contact(
            actor=teammate, first_name="علی", last_name="کریمی", phones=["09121234567"]
        )
        Contact.objects.filter(pk=merged_away.pk).update(merged_into=kept)
        response = logged_in(sales_user).post("/contacts/new/", form_data(sales_user))
        assert response.status_code == 302


# --- The duplicate answer of the API -----------------------------------------------------------


def post_contact(client: Client, payload: dict[str, Any]) -> Any:
    return client.post("/api/v1/contacts", json.dumps(payload), content_type="application/json")


NEW_ALI = {"first_name": "علي", "last_name": "كريمي", "phones": ["0912 123 4567"]}


class TestApiDuplicates:
    def test_409_lists_the_visible_duplicate_in_english(
        self, api_client: Callable[..., Client], sales_user: User, teammate: User
    ) -> None:
        existing = make_contact(
            actor=teammate, first_name="علی", last_name="کریمی", phones=["09121234567"]
        )
        response = post_contact(api_client(sales_user, language="en"), NEW_ALI)
        assert response.status_code == 409
        assert response.json() == {
            "detail": "This looks like a contact you already have.",
            "duplicates": [
                {
                    "id": existing.pk,
                    "full_name": "علی کریمی",
                    "score": 0.971,
                    "reasons": ["same phone", "same name"],
                }
            ],
        }
        assert Contact.objects.count() == 1

    def test_409_in_farsi(
        self, api_client: Callable[..., Client], sales_user: User, teammate: User
    ) -> None:
        existing = make_contact(
            actor=teammate, first_name="علی", last_name="کریمی", phones=["09121234567"]
        )
        response = post_contact(api_client(sales_user, language="fa"), NEW_ALI)
        assert response.status_code == 409
        body = response.json()
        assert body["detail"] == tr("This looks like a contact you already have.")
        assert [(item["id"], item["reasons"]) for item in body["duplicates"]] == [
            (existing.pk, ["تلفن یکسان", "نام یکسان"])
        ]

    def test_allow_duplicate_creates_it(
        self, api_client: Callable[..., Client], sales_user: User, teammate: User
    ) -> None:
        existing = make_contact(
            actor=teammate, first_name="علی", last_name="کریمی", phones=["09121234567"]
        )
        response = post_contact(api_client(sales_user), {**NEW_ALI, "allow_duplicate": True})
        assert response.status_code == 201
        body = response.json()
        created = Contact.objects.exclude(pk=existing.pk).get()
        assert (body["id"], body["phones"], body["owner_id"]) == (
            created.pk,
            ["+989121234567"],
            sales_user.pk,
        )
        assert "allow_duplicate" not in body
        # ``false`` is the same as leaving it out.
        response = post_contact(api_client(sales_user), {**NEW_ALI, "allow_duplicate": False})
        assert response.status_code == 409
        assert [item["id"] for item in response.json()["duplicates"]] == [
            existing.pk,  # the same score: the older first
            created.pk,
        ]

    def test_an_invisible_match_is_not_revealed(
        self, api_client: Callable[..., Client], sales_user: User, outsider: User
    ) -> None:
        hidden = make_contact(
            actor=outsider, first_name="علی", last_name="کریمی", phones=["09121234567"]
        )
        response = post_contact(api_client(sales_user), NEW_ALI)
        assert response.status_code == 201
        assert response.json()["id"] != hidden.pk
        assert Contact.objects.count() == 2
