"""``/api/v1/duplicates`` and ``/api/v1/merges/{contacts,companies}`` (+ undo): the queue, a
merge with chosen values, undo, and the same permission and visibility rules as the pages."""

from __future__ import annotations

import pytest

from peyvand.accounts.models import Role, Team
from peyvand.contacts.merging import duplicates_scan
from peyvand.contacts.models import (
    Company,
    CompanyMerge,
    Contact,
    ContactMerge,
    DuplicateCandidate,
    DuplicateStatus,
)
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.models import Event

from . import get, post_json, quick_user, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Team:
    return Team.objects.create(name="فروش تهران")


@pytest.fixture
def manager(team):
    return quick_user(Role.MANAGER, teams=(team,))


@pytest.fixture
def client(manager):
    return token_client(manager)


def _twins(owner, **extra):
    first = make_contact(
        first_name="علی", last_name="رضایی", phones=["09121234567"], owner=owner, **extra
    )
    second = make_contact(
        first_name="علي", last_name="رضائی", phones=["۰۹۱۲۱۲۳۴۵۶۷"], owner=owner, city="تهران"
    )
    return first, second


def test_the_queue_lists_scanned_pairs_with_reasons(client, manager):
    first, second = _twins(manager)
    duplicates_scan()
    response = get(client, "/duplicates", {"kind": "contacts"})
    assert response.status_code == 200
    [pair] = response.json()
    assert {pair["first_id"], pair["second_id"]} == {first.pk, second.pk}
    assert pair["kind"] == "contacts"
    assert [reason["code"] for reason in pair["reasons"]] == ["same_phone", "same_name"]
    assert all(reason["text"] for reason in pair["reasons"])


def test_merging_keeps_the_chosen_value_and_undo_restores_both(client, manager):
    first, second = _twins(manager)
    response = post_json(
        client, "/merges/contacts", {"ids": [first.pk, second.pk], "choices": {"city": second.pk}}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["survivor_id"] == first.pk
    assert body["merged_ids"] == [second.pk]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.city == "تهران"
    assert second.merged_into_id == first.pk
    assert Event.objects.filter(verb="contact.merged", contact=first).count() == 1

    undo = post_json(client, f"/merges/contacts/{body['merge_id']}/undo", {})
    assert undo.status_code == 200, undo.content
    assert undo.json() == {"survivor_id": first.pk, "restored_ids": [second.pk]}
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.merged_into_id is None
    assert first.city == ""


def test_a_company_merge_moves_its_people(client, manager):
    kept = make_company(name="پارس", owner=manager)
    gone = make_company(name="پارس", owner=manager)
    person = make_contact(company=gone, owner=manager)
    response = post_json(client, "/merges/companies", {"ids": [kept.pk, gone.pk]})
    assert response.status_code == 201, response.content
    person.refresh_from_db()
    assert person.company_id == kept.pk
    assert Company.objects.get(pk=gone.pk).merged_into_id == kept.pk
    merge_id = response.json()["merge_id"]
    assert CompanyMerge.objects.filter(pk=merge_id).exists()
    assert post_json(client, f"/merges/companies/{merge_id}/undo", {}).status_code == 200
    person.refresh_from_db()
    assert person.company_id == gone.pk


def test_a_record_the_caller_cannot_see_is_404_and_nothing_is_merged(client, manager):
    other_team_user = quick_user(Role.SALES, teams=(Team.objects.create(name="شیراز"),))
    mine = make_contact(owner=manager)
    theirs = make_contact(owner=other_team_user)
    response = post_json(client, "/merges/contacts", {"ids": [mine.pk, theirs.pk]})
    assert response.status_code == 404
    assert not ContactMerge.objects.exists()
    assert Contact.objects.get(pk=theirs.pk).merged_into_id is None


def test_sales_may_read_the_queue_but_not_merge(team, manager):
    first, second = _twins(manager)
    sales = token_client(quick_user(Role.SALES, teams=(team,)))
    assert get(sales, "/duplicates").status_code == 200
    response = post_json(sales, "/merges/contacts", {"ids": [first.pk, second.pk]})
    assert response.status_code == 403
    assert not ContactMerge.objects.exists()


def test_bad_input_names_the_field(client, manager):
    first, second = _twins(manager)
    one = post_json(client, "/merges/contacts", {"ids": [first.pk]})
    assert one.status_code == 422
    assert one.json()["detail"][0]["field"] == "ids"
    foreign = post_json(
        client, "/merges/contacts", {"ids": [first.pk, second.pk], "choices": {"city": 999999}}
    )
    assert foreign.status_code == 422
    assert foreign.json()["detail"][0]["field"] == "city"
    unknown = post_json(
        client, "/merges/contacts", {"ids": [first.pk, second.pk], "choices": {"owner_x": first.pk}}
    )
    assert unknown.status_code == 422
    assert not ContactMerge.objects.exists()
    kind = post_json(client, "/merges/people", {"ids": [first.pk, second.pk]})
    assert kind.status_code == 422


def test_dismissing_a_pair_closes_it(client, manager):
    _twins(manager)
    duplicates_scan()
    pair = DuplicateCandidate.objects.get()
    response = post_json(client, f"/duplicates/contacts/{pair.pk}/dismiss", {})
    assert response.status_code == 200
    pair.refresh_from_db()
    assert pair.status == DuplicateStatus.DISMISSED
    assert get(client, "/duplicates").json() == []
    assert post_json(client, f"/duplicates/contacts/{pair.pk}/dismiss", {}).status_code == 404


def test_undo_of_a_merge_whose_survivor_is_hidden_is_404(client, manager):
    first, second = _twins(manager)
    merge_id = post_json(client, "/merges/contacts", {"ids": [first.pk, second.pk]}).json()[
        "merge_id"
    ]
    outsider = token_client(quick_user(Role.MANAGER, teams=(Team.objects.create(name="قم"),)))
    assert post_json(outsider, f"/merges/contacts/{merge_id}/undo", {}).status_code == 404
    assert Contact.objects.get(pk=second.pk).merged_into_id == first.pk
