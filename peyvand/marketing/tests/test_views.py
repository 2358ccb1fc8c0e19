"""Segment pages: the list, the rule builder's htmx pieces and live count, saving with
errors placed on their rows, a segment's page with its members, static list add/remove,
permissions (404 for private segments of others) and query counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from peyvand.accounts.models import Role, Team
from peyvand.contacts.tests.factories import make_contact
from peyvand.marketing.models import Segment, SegmentMembership
from peyvand.marketing.services import segment_add_contacts, segment_create
from peyvand.marketing.tests.conftest import condition, dynamic

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer(make_user: Callable[..., Any], team: Team) -> Any:
    return make_user(role=Role.MARKETING, teams=(team,), language="en")


@pytest.fixture
def client_as(client: Client) -> Callable[[Any], Client]:
    def login(user: Any) -> Client:
        client.force_login(user)
        return client

    return login


def builder_post(**extra: str) -> dict[str, Any]:
    """A builder form: Tehran and (customer or Instagram)."""
    return {
        "name": "تهرانی‌ها",
        "description": "",
        "kind": "dynamic",
        "is_shared": "on",
        "match": "all",
        "node": ["c:c1:", "g:g1", "c:c2:g1", "c:c3:g1"],
        "c1-kind": "contact.city",
        "c1-operator": "equals",
        "c1-value": "تهران",
        "g1-match": "any",
        "c2-kind": "contact.lifecycle_stage",
        "c2-operator": "in",
        "c2-values": ["customer"],
        "c3-kind": "contact.source",
        "c3-operator": "in",
        "c3-values": ["instagram"],
        **extra,
    }


def test_build_a_segment_with_a_group_and_see_its_members(
    marketer: Any, client_as: Callable[[Any], Client]
) -> None:
    customer = make_contact(city="تهران", lifecycle_stage="customer", owner=marketer)
    instagram = make_contact(city="تهران", source="instagram", owner=marketer)
    make_contact(city="تهران", owner=marketer)
    make_contact(city="شیراز", lifecycle_stage="customer", owner=marketer)
    client = client_as(marketer)
    assert client.get("/marketing/segments/new/").status_code == 200
    count = client.post("/marketing/segments/builder/count/", builder_post())
    assert 'data-count="2"' in count.content.decode()

    response = client.post("/marketing/segments/new/", builder_post())
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert segment.rules == {
        "match": "all",
        "conditions": [
            {"kind": "contact.city", "params": {"operator": "equals", "value": "تهران"}},
            {
                "match": "any",
                "conditions": [
                    {
                        "kind": "contact.lifecycle_stage",
                        "params": {"operator": "in", "values": ["customer"]},
                    },
                    {
                        "kind": "contact.source",
                        "params": {"operator": "in", "values": ["instagram"]},
                    },
                ],
            },
        ],
    }
    page = client.get(response["Location"]).content.decode()
    assert 'id="segment-count" data-count="2"' in page
    assert f'data-contact="{customer.pk}"' in page
    assert f'data-contact="{instagram.pk}"' in page
    # The edit page shows the rules back in the builder.
    edit = client.get(f"/marketing/segments/{segment.pk}/edit/").content.decode()
    assert edit.count('name="node"') == 4
    assert 'value="تهران"' in edit


def test_rule_errors_show_on_their_row_and_nothing_is_saved(
    marketer: Any, client_as: Callable[[Any], Client]
) -> None:
    client = client_as(marketer)
    post = builder_post(**{"c1-value": "", "c3-operator": "maybe"})
    with translation.override("en"):
        response = client.post("/marketing/segments/new/", post)
    assert response.status_code == 422
    body = response.content.decode()
    assert "City: This field is required." in body
    assert "Source: Select a valid choice. maybe is not one of the available choices." in body
    assert not Segment.objects.exists()
    incomplete = client.post("/marketing/segments/builder/count/", post)
    assert 'data-count=""' in incomplete.content.decode()


def test_builder_pieces(marketer: Any, client_as: Callable[[Any], Client]) -> None:
    client = client_as(marketer)
    row = client.get("/marketing/segments/builder/row/", {"parent": "g1"}).content.decode()
    assert 'name="node" value="c:c' in row and ':g1"' in row
    group = client.get("/marketing/segments/builder/group/").content.decode()
    assert 'value="g:g' in group
    params = client.get(
        "/marketing/segments/builder/params/", {"prefix": "c9", "kind": "contact.created"}
    ).content.decode()
    assert params.startswith('<div id="params-c9"') and 'hx-swap-oob="true"' in params
    assert 'name="c9-operator"' in params and 'name="c9-date"' in params
    assert 'name="c9-days"' in params


def test_static_list_add_from_the_contacts_filter_and_remove(
    marketer: Any, client_as: Callable[[Any], Client]
) -> None:
    tehran = [make_contact(city="تهران", owner=marketer) for _ in range(2)]
    make_contact(city="شیراز", owner=marketer)
    segment = segment_create(actor=marketer, values={"name": "لیست", "kind": "static"})
    client = client_as(marketer)
    contacts_page = client.get("/contacts/", {"city": "تهران"}).content.decode()
    assert "/marketing/segments/add/?city=" in contacts_page
    page = client.get("/marketing/segments/add/", {"city": "تهران"}).content.decode()
    assert 'id="match-count" data-count="2"' in page
    response = client.post(
        "/marketing/segments/add/", {"city": "تهران", "segment": str(segment.pk)}
    )
    assert response.status_code == 302
    assert set(SegmentMembership.objects.values_list("contact_id", flat=True)) == {
        c.pk for c in tehran
    }
    client.post(f"/marketing/segments/{segment.pk}/remove/", {"selected": [str(tehran[0].pk)]})
    assert list(SegmentMembership.objects.values_list("contact_id", flat=True)) == [tehran[1].pk]


def test_permissions_and_private_segments(
    make_user: Callable[..., Any], marketer: Any, client_as: Callable[[Any], Client]
) -> None:
    private = segment_create(actor=marketer, values={"name": "خصوصی", "is_shared": False})
    shared = segment_create(actor=marketer, values={"name": "مشترک"})
    rep = make_user(role=Role.SALES)
    client = client_as(rep)
    assert client.get(f"/marketing/segments/{private.pk}/").status_code == 404
    assert client.get(f"/marketing/segments/{private.pk}/count/").status_code == 404
    assert client.get(f"/marketing/segments/{shared.pk}/").status_code == 200
    assert client.get(f"/marketing/segments/{shared.pk}/edit/").status_code == 403
    assert client.get("/marketing/segments/new/").status_code == 403
    assert client.post(f"/marketing/segments/{shared.pk}/delete/").status_code == 403
    assert client.post("/marketing/segments/builder/count/", builder_post()).status_code == 200
    listing = client.get("/marketing/segments/").content.decode()
    assert "مشترک" in listing and "خصوصی" not in listing
    assert "/marketing/segments/new/" not in listing


def test_live_count_is_scoped_to_the_viewer(
    make_user: Callable[..., Any], marketer: Any, client_as: Callable[[Any], Client]
) -> None:
    rep = make_user(role=Role.SALES, teams=(Team.objects.create(name="شمال"),))
    make_contact(city="تهران", lifecycle_stage="customer", owner=marketer)
    make_contact(city="تهران", lifecycle_stage="customer", owner=rep)
    client = client_as(rep)
    count = client.post("/marketing/segments/builder/count/", builder_post())
    assert 'data-count="1"' in count.content.decode()


def test_list_and_page_queries_do_not_grow(
    marketer: Any, client_as: Callable[[Any], Client]
) -> None:
    client = client_as(marketer)

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    segment = segment_create(actor=marketer, values={"name": "لیست", "kind": "static"})
    make_contact(owner=marketer)
    segment_add_contacts(actor=marketer, segment=segment, contacts=segment_members_all())
    dynamic(condition("contact.has_email", answer="no"), actor=marketer)
    list_few = queries("/marketing/segments/")
    page_few = queries(f"/marketing/segments/{segment.pk}/")
    for _ in range(5):
        dynamic(condition("contact.has_email", answer="no"), actor=marketer)
        segment_add_contacts(
            actor=marketer,
            segment=segment,
            contacts=segment_members_all(make_contact(owner=marketer)),
        )
    assert queries("/marketing/segments/") == list_few
    assert queries(f"/marketing/segments/{segment.pk}/") == page_few


def segment_members_all(contact: Any = None) -> Any:
    from peyvand.contacts.models import Contact

    return Contact.objects.filter(pk=contact.pk) if contact else Contact.objects.all()


def test_dates_are_shown_and_typed_in_jalali(
    make_user: Callable[..., Any], client_as: Callable[[Any], Client]
) -> None:
    farsi_marketer = make_user(role=Role.MARKETING, language="fa")
    segment = dynamic(
        condition("contact.created", operator="after", date="2026-02-20"), actor=farsi_marketer
    )
    client = client_as(farsi_marketer)
    with translation.override("fa"):
        edit = client.get(f"/marketing/segments/{segment.pk}/edit/").content.decode()
        page = client.get(f"/marketing/segments/{segment.pk}/").content.decode()
    assert 'value="۱۴۰۴/۱۲/۰۱"' in edit
    assert "۱۴۰۴/۱۲/۰۱" in page


def test_the_live_count_costs_the_same_however_many_contacts(
    marketer: Any, client_as: Callable[[Any], Client]
) -> None:
    client = client_as(marketer)
    make_contact(city="تهران", lifecycle_stage="customer", owner=marketer)

    captured_last: list[Any] = []

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.post("/marketing/segments/builder/count/", builder_post())
        captured_last[:] = captured.captured_queries
        return len(captured)

    few = queries()
    for _ in range(10):
        make_contact(city="تهران", lifecycle_stage="customer", owner=marketer)
    assert queries() == few
    # The session, the user, the visibility setting and the count itself: nothing per row.
    assert few == 4, [q["sql"][:90] for q in captured_last]
