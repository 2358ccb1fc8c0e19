"""Segment services and selectors: static lists with their events, who may see and change a
segment, members scoped to the viewer, and the number of SQL statements each read costs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from peyvand.accounts.models import Role, Team
from peyvand.contacts.models import Contact, Tag
from peyvand.contacts.selectors import contacts_filtered
from peyvand.contacts.tests.factories import make_contact
from peyvand.marketing.campaign_models import Campaign
from peyvand.marketing.models import Segment, SegmentMembership
from peyvand.marketing.selectors import (
    segment_can_change,
    segment_count,
    segment_members,
    segments_visible_to,
)
from peyvand.marketing.services import (
    contacts_by_ids,
    segment_add_contacts,
    segment_create,
    segment_delete,
    segment_remove_contacts,
    segment_update,
)
from peyvand.marketing.tests.conftest import condition, dynamic
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer(make_user: Callable[..., Any], team: Team) -> Any:
    return make_user(role=Role.MARKETING, teams=(team,))


def test_static_list_add_from_a_filter_and_remove_with_one_event_per_contact(
    marketer: Any,
) -> None:
    tehran = [make_contact(city="تهران", owner=marketer) for _ in range(3)]
    make_contact(city="شیراز", owner=marketer)
    segment = segment_create(actor=marketer, values={"name": "نمایشگاه ۱۴۰۵", "kind": "static"})
    assert segment.owner == marketer
    assert segment.last_count == 0

    added = segment_add_contacts(
        actor=marketer, segment=segment, contacts=contacts_filtered(marketer, {"city": "تهران"})
    )
    assert added == 3
    # Adding the same people again adds nobody and writes no event.
    again = segment_add_contacts(
        actor=marketer, segment=segment, contacts=Contact.objects.filter(city="تهران")
    )
    assert again == 0
    segment.refresh_from_db()
    assert segment.last_count == 3
    assert set(segment_members(segment).values_list("pk", flat=True)) == {c.pk for c in tehran}
    membership = SegmentMembership.objects.get(segment=segment, contact=tehran[0])
    assert membership.added_by == marketer

    events = Event.objects.filter(verb="segment.contact_added")
    assert sorted(events.values_list("contact_id", flat=True)) == sorted(c.pk for c in tehran)
    assert {(e.subject_type, e.subject_id, e.summary, e.actor_id) for e in events} == {
        ("segment", segment.pk, "نمایشگاه ۱۴۰۵", marketer.pk)
    }

    removed = segment_remove_contacts(
        actor=marketer, segment=segment, contacts=contacts_by_ids(marketer, [tehran[0].pk])
    )
    assert removed == 1
    assert segment_count(segment) == 2
    assert list(
        Event.objects.filter(verb="segment.contact_removed").values_list("contact_id", flat=True)
    ) == [tehran[0].pk]


def test_a_bulk_add_is_a_fixed_number_of_statements(marketer: Any) -> None:
    for _ in range(30):
        make_contact(owner=marketer)
    segment = segment_create(actor=marketer, values={"name": "همه", "kind": "static"})
    with CaptureQueriesContext(connection) as few:
        segment_add_contacts(
            actor=marketer, segment=segment, contacts=Contact.objects.order_by("pk")[:5]
        )
    segment_remove_contacts(actor=marketer, segment=segment, contacts=Contact.objects.all())
    with CaptureQueriesContext(connection) as many:
        segment_add_contacts(actor=marketer, segment=segment, contacts=Contact.objects.all())
    assert len(many) == len(few)


def test_only_static_lists_have_members_to_change_and_kind_is_fixed(marketer: Any) -> None:
    segment = dynamic(condition("contact.has_email", answer="yes"), actor=marketer)
    with pytest.raises(ValidationError):
        segment_add_contacts(actor=marketer, segment=segment, contacts=Contact.objects.all())
    with pytest.raises(ValidationError) as caught:
        segment_update(actor=marketer, segment=segment, values={"kind": "static"})
    assert set(caught.value.message_dict) == {"kind"}
    with pytest.raises(ValidationError) as caught:
        segment_create(
            actor=marketer,
            values={"name": "x", "kind": "static", "rules": {"conditions": [{"kind": "a"}]}},
        )
    assert set(caught.value.message_dict) == {"rules"}


def test_members_are_scoped_to_what_the_viewer_may_see(
    make_user: Callable[..., Any], team: Team, marketer: Any
) -> None:
    rep = make_user(role=Role.SALES, teams=(team,))
    outsider = make_user(role=Role.SALES, teams=(Team.objects.create(name="شمال"),))
    teammate_contact = make_contact(owner=rep, lifecycle_stage="customer")
    other_contact = make_contact(owner=outsider, lifecycle_stage="customer")
    segment = dynamic(
        condition("contact.lifecycle_stage", operator="in", values=["customer"]), actor=marketer
    )
    both = {teammate_contact.pk, other_contact.pk}
    assert set(segment_members(segment).values_list("pk", flat=True)) == both
    assert set(segment_members(segment, user=rep).values_list("pk", flat=True)) == {
        teammate_contact.pk
    }
    assert segment_count(segment, user=outsider) == 1
    assert segment_count(segment, user=marketer) == 1
    # A static list is scoped the same way, and a rep cannot add a contact they cannot see.
    static = segment_create(actor=marketer, values={"name": "لیست", "kind": "static"})
    assert segment_add_contacts(actor=marketer, segment=static, contacts=Contact.objects.all()) == 1
    assert segment_count(static) == 1
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        contacts_by_ids(marketer, [teammate_contact.pk, other_contact.pk])
    assert caught.value.message_dict == {"contact_ids": [f"No such record: {other_contact.pk}."]}


def test_private_segments_are_their_owners_and_changes_need_the_right_role(
    make_user: Callable[..., Any], marketer: Any
) -> None:
    other_marketer = make_user(role=Role.MARKETING)
    rep = make_user(role=Role.SALES)
    manager = make_user(role=Role.MANAGER)
    admin = make_user(role=Role.ADMIN)
    private = segment_create(actor=marketer, values={"name": "خصوصی", "is_shared": False})
    shared = segment_create(actor=marketer, values={"name": "مشترک", "is_shared": True})
    assert set(segments_visible_to(marketer)) == {private, shared}
    assert set(segments_visible_to(other_marketer)) == {shared}
    assert set(segments_visible_to(rep)) == {shared}
    assert set(segments_visible_to(admin)) == {private, shared}
    assert segment_can_change(marketer, shared)
    assert not segment_can_change(other_marketer, shared)
    assert segment_can_change(manager, shared)
    assert not segment_can_change(manager, private)
    assert not segment_can_change(rep, shared)
    with pytest.raises(PermissionDenied):
        segment_update(actor=other_marketer, segment=shared, values={"name": "تغییر"})
    with pytest.raises(PermissionDenied):
        segment_create(actor=rep, values={"name": "فروش"})
    with pytest.raises(PermissionDenied):
        segment_delete(actor=rep, segment=shared)
    shared_id = shared.pk
    segment_delete(actor=manager, segment=shared)
    assert not Segment.objects.filter(pk=shared_id).exists()
    assert Event.objects.filter(verb="segment.deleted", subject_id=shared_id).count() == 1


def test_update_records_the_changes(marketer: Any) -> None:
    segment = dynamic(condition("contact.has_email", answer="yes"), actor=marketer, name="الف")
    new_rules = {"match": "any", "conditions": [condition("contact.has_mobile", answer="yes")]}
    segment_update(actor=marketer, segment=segment, values={"name": "ب", "rules": new_rules})
    event = Event.objects.get(verb="segment.updated")
    assert event.payload["changes"]["name"] == ["الف", "ب"]
    assert event.payload["changes"]["rules"][1] == new_rules


def test_counting_and_listing_members_is_one_statement(
    make_user: Callable[..., Any], team: Team, marketer: Any
) -> None:
    rep = make_user(role=Role.SALES, teams=(team,))
    for index in range(5):
        make_contact(owner=rep, tags=["VIP"] if index % 2 else [], city="تهران")
    vip = Tag.objects.get(name="VIP")
    segment = dynamic(
        condition("contact.city", operator="equals", value="تهران"),
        {
            "match": "any",
            "conditions": [
                condition("contact.tags", operator="any", tags=[vip.pk]),
                condition("activity.inactive", days=30),
                condition("service.open_ticket", answer="no"),
                condition("sales.open_deal", answer="no"),
            ],
        },
        actor=marketer,
    )
    with CaptureQueriesContext(connection) as unscoped:
        assert segment_count(segment) == 5
    assert len(unscoped) == 1
    # A rep's view costs one more statement: reading the visibility setting.
    with CaptureQueriesContext(connection) as scoped:
        assert segment_count(segment, user=rep) == 5
        assert len(list(segment_members(segment, user=rep)[:20])) == 5
    assert len(scoped) == 4


def test_the_demo_seeds_valid_persian_segments_once() -> None:
    from peyvand.contacts.demo_data import seed_demo_data
    from peyvand.marketing.demo_data import seed_marketing_demo

    seed_demo_data(contacts=24, seed=7)
    names = list(Segment.objects.order_by("pk").values_list("name", flat=True))
    assert names == [
        "مشتریان وفادار تهران",
        "سرنخ‌های بی‌فعالیت",
        "پیامک‌پذیرها",
        "تیکت باز دارند",
        "بازدیدکنندگان نمایشگاه",
    ]
    exhibition = Segment.objects.get(kind="static")
    assert segment_count(exhibition) == min(10, Contact.objects.filter(source="exhibition").count())
    loyal = Segment.objects.get(name="مشتریان وفادار تهران")
    assert (
        segment_count(loyal)
        == Contact.objects.filter(city="تهران", lifecycle_stage__in=["customer", "loyal"]).count()
    )
    assert segment_count(loyal) > 0
    campaign = Campaign.objects.get()
    assert (campaign.name, campaign.channel, campaign.status) == ("جشنواره یلدا", "sms", "draft")
    assert campaign.segment.name == "پیامک‌پذیرها" and segment_count(campaign.segment) > 0
    assert seed_marketing_demo() == 0
    assert Campaign.objects.count() == 1


def test_members_fail_closed_for_anonymous_and_inactive_users(
    make_user: Callable[..., Any],
) -> None:
    from django.contrib.auth.models import AnonymousUser

    make_contact()
    segment = dynamic()
    inactive = make_user(role=Role.ADMIN, is_active=False)
    assert segment_count(segment) == 1
    assert segment_count(segment, user=AnonymousUser()) == 0
    assert segment_count(segment, user=inactive) == 0
    assert list(segments_visible_to(AnonymousUser())) == []
