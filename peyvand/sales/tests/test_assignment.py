"""Assignment rules: who gets a new lead or deal created with no owner (a web form, an
import, a person leaving "assign by the rules"), which rule chose them, and the
notification the new owner gets once the record is saved."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from peyvand.accounts.models import Notification, Team, User
from peyvand.contacts.tests.factories import make_contact
from peyvand.sales.assignment import AssignmentFacts, is_available, owner_pick
from peyvand.sales.deals import deal_create
from peyvand.sales.leads import lead_create
from peyvand.sales.models import AssignmentRule, Lead, StageKind
from peyvand.sales.selectors import pipeline_default
from peyvand.timeline.models import Event

from .factories import make_deal, stage_of

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
# 2025-03-07 is a Friday (weekday 4), the day off of the default Iranian week.
FRIDAY_10 = datetime.datetime(2025, 3, 7, 10, 0, tzinfo=TEHRAN)
SATURDAY_10 = datetime.datetime(2025, 3, 8, 10, 0, tzinfo=TEHRAN)
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


def make_rule(
    method: str,
    *,
    users: Iterable[User] = (),
    team: Team | None = None,
    name: str | None = None,
    **fields: Any,
) -> AssignmentRule:
    """A rule row made directly; by default it ignores working hours so a test does not
    depend on the hour it runs at."""
    fields.setdefault("respect_working_hours", False)
    rule = AssignmentRule.objects.create(
        name=name or f"قانون {method}", method=method, team=team, **fields
    )
    rule.users.set(list(users))
    return rule


def new_lead(**values: Any) -> Lead:
    """A lead as a public web form sends it: no actor, no owner."""
    values.setdefault("first_name", "سارا")
    values.setdefault("last_name", "کریمی")
    values.setdefault("phone", "09121234567")
    return lead_create(actor=None, values=values)


def assigned_events(verb: str) -> list[Event]:
    return list(Event.objects.filter(verb=verb).order_by("id"))


# --- round-robin -------------------------------------------------------------------------


def test_round_robin_gives_three_team_members_exactly_100_of_300_leads(
    make_user: Callable[..., User], team: Team
) -> None:
    members = [make_user(teams=(team,)) for _ in range(3)]
    make_user()  # not in the team: never picked
    make_rule("round_robin", team=team, applies_to="lead")

    owners = [new_lead(last_name=f"شماره {index}").owner_id for index in range(300)]

    assert Counter(owners) == {member.pk: 100 for member in members}
    ids = sorted(member.pk for member in members)
    assert owners[:7] == [*ids, *ids, ids[0]]
    assert owners[-3:] == ids


def test_round_robin_cycles_by_user_id_not_by_the_order_people_were_added(
    make_user: Callable[..., User],
) -> None:
    first, second, third = (make_user() for _ in range(3))
    rule = make_rule("round_robin", users=[third, first, second])

    owners = [new_lead().owner for _ in range(4)]

    assert owners == [first, second, third, first]
    rule.refresh_from_db()
    assert rule.last_assigned_id == first.pk


def test_round_robin_skips_an_absent_member_and_resumes_the_turn_after_them(
    make_user: Callable[..., User],
) -> None:
    first, second, third = (make_user() for _ in range(3))
    make_rule("round_robin", users=[first, second, third])
    assert new_lead().owner == first

    second.absent_until = timezone.localdate()
    second.save(update_fields=["absent_until"])
    assert [new_lead().owner for _ in range(3)] == [third, first, third]

    second.absent_until = timezone.localdate() - datetime.timedelta(days=1)
    second.save(update_fields=["absent_until"])
    assert [new_lead().owner for _ in range(3)] == [first, second, third]


def test_inactive_users_are_never_picked(make_user: Callable[..., User]) -> None:
    gone = make_user(is_active=False)
    present = make_user()
    make_rule("round_robin", users=[gone, present])
    assert [new_lead().owner for _ in range(2)] == [present, present]


# --- territory ---------------------------------------------------------------------------


def test_territory_by_province_and_fall_through_to_the_next_rule(
    make_user: Callable[..., User],
) -> None:
    tehran_seller, isfahan_seller, anyone = (make_user() for _ in range(3))
    tehran = make_rule("territory", users=[tehran_seller], provinces=["tehran"], position=1)
    make_rule("territory", users=[isfahan_seller], provinces=["isfahan"], position=2)
    fallback = make_rule("round_robin", users=[anyone], position=3)

    in_tehran = new_lead(province="tehran")
    in_isfahan = new_lead(province="isfahan")
    in_fars = new_lead(province="fars")
    unknown = new_lead()

    assert in_tehran.owner == tehran_seller
    assert in_isfahan.owner == isfahan_seller
    assert (in_fars.owner, unknown.owner) == (anyone, anyone)
    payloads = {event.lead_id: event.payload for event in assigned_events("lead.assigned")}
    assert payloads[in_tehran.pk] == {
        "owner": tehran_seller.pk,
        "rule": tehran.name,
        "rule_id": tehran.pk,
        "method": "territory",
    }
    assert payloads[in_fars.pk] == {
        "owner": anyone.pk,
        "rule": fallback.name,
        "rule_id": fallback.pk,
        "method": "round_robin",
    }


@pytest.mark.parametrize(
    ("rule_city", "lead_city"),
    [
        ("كرج", "کرج"),  # rule typed with Arabic kaf, lead with Persian keheh
        ("کرج", "كرج"),  # and the other way round
        ("کرج", "  کرج "),
    ],
)
def test_territory_by_city_compares_persian_normalized_names(
    make_user: Callable[..., User], rule_city: str, lead_city: str
) -> None:
    karaj_seller, anyone = make_user(), make_user()
    make_rule("territory", users=[karaj_seller], cities=[rule_city], position=1)
    make_rule("round_robin", users=[anyone], position=2)

    assert new_lead(city=lead_city).owner == karaj_seller
    assert new_lead(city="کرمان").owner == anyone


def test_territory_shares_its_leads_in_turn_among_its_people(
    make_user: Callable[..., User],
) -> None:
    first, second = make_user(), make_user()
    rule = make_rule("territory", users=[second, first], provinces=["tehran"])
    owners = [new_lead(province="tehran").owner for _ in range(4)]
    assert owners == [first, second, first, second]
    rule.refresh_from_db()
    assert rule.last_assigned_id == second.pk


def test_a_territory_whose_people_are_all_away_falls_through(
    make_user: Callable[..., User],
) -> None:
    away = make_user(absent_until=timezone.localdate() + datetime.timedelta(days=3))
    anyone = make_user()
    make_rule("territory", users=[away], provinces=["tehran"], position=1)
    make_rule("round_robin", users=[anyone], position=2)
    assert new_lead(province="tehran").owner == anyone


# --- history -----------------------------------------------------------------------------


def test_history_gives_a_returning_contact_to_the_owner_of_its_latest_deal(
    make_user: Callable[..., User],
) -> None:
    contact_owner, old_seller, last_seller, anyone = (make_user() for _ in range(4))
    contact = make_contact(owner=contact_owner, phones=["09351112233"])
    make_deal(owner=old_seller, contact=contact, title="قرارداد ۱۴۰۱")
    make_deal(owner=last_seller, contact=contact, title="قرارداد ۱۴۰۲")
    history = make_rule("history", position=1)
    make_rule("round_robin", users=[anyone], position=2)

    lead = new_lead(phone="0935 111 2233")

    assert lead.contact == contact
    assert lead.owner == last_seller
    event = Event.objects.get(verb="lead.assigned", lead=lead)
    assert event.payload == {
        "owner": last_seller.pk,
        "rule": history.name,
        "rule_id": history.pk,
        "method": "history",
    }
    assert event.contact == contact


def test_history_without_deals_gives_the_lead_to_the_contact_owner(
    make_user: Callable[..., User],
) -> None:
    contact_owner, anyone = make_user(), make_user()
    make_contact(owner=contact_owner, phones=["09351112233"])
    make_rule("history", position=1)
    make_rule("round_robin", users=[anyone], position=2)

    assert new_lead(phone="09351112233").owner == contact_owner
    assert new_lead(phone="09359999999").owner == anyone  # a stranger: no history


def test_history_skips_a_previous_owner_who_is_away(make_user: Callable[..., User]) -> None:
    contact_owner = make_user(absent_until=timezone.localdate())
    anyone = make_user()
    make_contact(owner=contact_owner, phones=["09351112233"])
    make_rule("history", position=1)
    make_rule("round_robin", users=[anyone], position=2)
    assert new_lead(phone="09351112233").owner == anyone


# --- load --------------------------------------------------------------------------------


def test_load_picks_the_fewest_open_deals_and_ignores_closed_ones(
    make_user: Callable[..., User],
) -> None:
    busy, closer, quiet = (make_user() for _ in range(3))
    pipeline = pipeline_default()
    assert pipeline is not None
    for _ in range(2):
        make_deal(owner=busy)
    make_deal(owner=closer)
    make_deal(owner=quiet)
    for kind in (StageKind.WON, StageKind.LOST, StageKind.WON):
        make_deal(owner=closer, stage=stage_of(pipeline, kind), close_reason="بسته شد")
    rule = make_rule("load", users=[busy, closer, quiet], applies_to="deal")

    # Open deals: busy 2, closer 1 (+3 closed), quiet 1 → the tie goes to the lower id.
    owners = [make_deal(title=f"خودکار {index}").owner for index in range(4)]

    assert owners == [closer, quiet, busy, closer]
    rule.refresh_from_db()
    assert rule.last_assigned_id is None  # only turn-based methods keep a turn
    assert [event.payload["method"] for event in assigned_events("deal.assigned")] == ["load"] * 4


# --- availability ------------------------------------------------------------------------


def test_an_absent_user_is_skipped_until_the_end_of_their_last_day_in_tehran(
    make_user: Callable[..., User],
) -> None:
    away, anyone = make_user(), make_user()
    make_rule("round_robin", users=[away, anyone])
    # 22:00 UTC on 10 March is 01:30 on 11 March in Tehran.
    late_utc = datetime.datetime(2025, 3, 10, 22, 0, tzinfo=datetime.UTC)
    facts = AssignmentFacts(target="lead")

    away.absent_until = datetime.date(2025, 3, 11)
    away.save(update_fields=["absent_until"])
    assert is_available(away, late_utc, check_hours=False) is False
    assert owner_pick(facts, now=late_utc).owner == anyone

    away.absent_until = datetime.date(2025, 3, 10)  # still the 10th in UTC, not in Tehran
    away.save(update_fields=["absent_until"])
    assert is_available(away, late_utc, check_hours=False) is True
    assert owner_pick(facts, now=late_utc).owner == away


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (SATURDAY_10, True),
        (FRIDAY_10, False),
        (datetime.datetime(2025, 3, 8, 8, 0, tzinfo=TEHRAN), True),  # the start counts
        (datetime.datetime(2025, 3, 8, 7, 59, tzinfo=TEHRAN), False),
        (datetime.datetime(2025, 3, 8, 17, 0, tzinfo=TEHRAN), False),  # the end does not
        (datetime.datetime(2025, 3, 8, 16, 59, tzinfo=TEHRAN), True),
        # 06:00 UTC on Saturday is 09:30 in Tehran.
        (datetime.datetime(2025, 3, 8, 6, 0, tzinfo=datetime.UTC), True),
        # 04:00 UTC on Saturday is 07:30 in Tehran: not yet.
        (datetime.datetime(2025, 3, 8, 4, 0, tzinfo=datetime.UTC), False),
    ],
)
def test_default_working_hours_are_saturday_to_thursday_8_to_17_tehran_time(
    make_user: Callable[..., User], moment: datetime.datetime, expected: bool
) -> None:
    user = make_user()
    assert user.work_days == [5, 6, 0, 1, 2, 3]
    assert is_available(user, moment, check_hours=True) is expected
    assert is_available(user, moment, check_hours=False) is True


def test_users_outside_their_working_hours_are_skipped_when_the_rule_says_so(
    make_user: Callable[..., User],
) -> None:
    weekday_seller = make_user()
    weekend_seller = make_user(work_days=EVERY_DAY)
    rule = make_rule(
        "round_robin", users=[weekday_seller, weekend_seller], respect_working_hours=True
    )
    facts = AssignmentFacts(target="lead")

    assert owner_pick(facts, now=FRIDAY_10).owner == weekend_seller
    assert owner_pick(facts, now=FRIDAY_10).owner == weekend_seller
    assert owner_pick(facts, now=SATURDAY_10).owner == weekday_seller

    AssignmentRule.objects.filter(pk=rule.pk).update(respect_working_hours=False)
    assert owner_pick(facts, now=FRIDAY_10).owner == weekend_seller  # the turn moves on
    assert owner_pick(facts, now=FRIDAY_10).owner == weekday_seller


def test_nobody_available_means_no_rule_applies(make_user: Callable[..., User]) -> None:
    seller = make_user()
    make_rule("round_robin", users=[seller], respect_working_hours=True)
    assignment = owner_pick(AssignmentFacts(target="deal"), now=FRIDAY_10)
    assert (assignment.owner, assignment.rule) == (None, None)
    assert assignment.event_payload() == {"owner": None, "rule": None}


def test_custom_working_hours_are_respected(make_user: Callable[..., User]) -> None:
    night = make_user(work_start=datetime.time(18, 0), work_end=datetime.time(23, 0))
    day = make_user()
    make_rule("load", users=[night, day], respect_working_hours=True)
    facts = AssignmentFacts(target="lead")
    evening = datetime.datetime(2025, 3, 8, 20, 0, tzinfo=TEHRAN)
    assert owner_pick(facts, now=evening).owner == night
    assert owner_pick(facts, now=SATURDAY_10).owner == day


# --- which rules apply -------------------------------------------------------------------


def test_inactive_rules_and_rules_for_the_other_target_are_ignored(
    make_user: Callable[..., User],
) -> None:
    off, deal_only, lead_only, both = (make_user() for _ in range(4))
    make_rule("round_robin", users=[off], is_active=False, position=1)
    make_rule("round_robin", users=[deal_only], applies_to="deal", position=2)
    make_rule("round_robin", users=[lead_only], applies_to="lead", position=3)
    make_rule("round_robin", users=[both], applies_to="both", position=4)

    assert new_lead().owner == lead_only
    assert make_deal().owner == deal_only


def test_rules_are_tried_by_position_then_id(make_user: Callable[..., User]) -> None:
    late, early = make_user(), make_user()
    make_rule("round_robin", users=[late], position=5)
    make_rule("round_robin", users=[early], position=2)
    assert new_lead().owner == early


def test_a_sources_filter_limits_a_rule_to_those_sources(make_user: Callable[..., User]) -> None:
    web_seller, anyone = make_user(), make_user()
    make_rule("round_robin", users=[web_seller], sources=["website", "instagram"], position=1)
    make_rule("round_robin", users=[anyone], position=2)

    assert new_lead(source="website").owner == web_seller
    assert new_lead(source="instagram").owner == web_seller
    assert new_lead(source="phone").owner == anyone
    assert new_lead().owner == anyone  # no source at all


def test_a_deal_gets_its_territory_from_its_contact_or_company(
    make_user: Callable[..., User],
) -> None:
    from peyvand.contacts.tests.factories import make_company

    shiraz_seller, anyone = make_user(), make_user()
    make_rule("territory", users=[shiraz_seller], cities=["شیراز"], position=1)
    make_rule("round_robin", users=[anyone], position=2)
    contact = make_contact(city="شيراز")  # Arabic yeh, folded on save
    company = make_company(city="شیراز")

    assert make_deal(contact=contact).owner == shiraz_seller
    assert make_deal(company=company).owner == shiraz_seller
    assert make_deal().owner == anyone


# --- with no rule, and events ------------------------------------------------------------


def test_with_no_rule_the_owner_is_the_actor_or_nobody(sales_user: User) -> None:
    by_person = lead_create(actor=sales_user, values={"first_name": "علی", "phone": "09120000001"})
    by_form = new_lead()
    deal = deal_create(actor=sales_user, values={"title": "بدون قانون"})
    system_deal = deal_create(actor=None, values={"title": "از وب‌سرویس"})

    assert (by_person.owner, by_form.owner) == (sales_user, None)
    assert (deal.owner, system_deal.owner) == (sales_user, None)
    assert not Event.objects.filter(verb__in=["lead.assigned", "deal.assigned"]).exists()


def test_an_owner_chosen_by_hand_skips_the_rules(
    make_user: Callable[..., User], sales_user: User
) -> None:
    chosen, ruled = make_user(), make_user()
    make_rule("round_robin", users=[ruled])
    lead = lead_create(
        actor=sales_user, values={"first_name": "علی", "phone": "09120000001", "owner": chosen}
    )
    deal = deal_create(actor=sales_user, values={"title": "دستی", "owner": chosen})
    assert (lead.owner, deal.owner) == (chosen, chosen)
    assert not Event.objects.filter(verb__in=["lead.assigned", "deal.assigned"]).exists()


def test_a_rule_assignment_by_a_person_is_recorded_with_them_as_actor(
    make_user: Callable[..., User], sales_user: User
) -> None:
    seller = make_user()
    rule = make_rule("round_robin", users=[seller], applies_to="deal", name="تقسیم نوبتی")
    deal = deal_create(actor=sales_user, values={"title": "قرارداد پشتیبانی"})

    assert deal.owner == seller
    event = Event.objects.get(verb="deal.assigned")
    assert event.deal == deal
    assert event.actor == sales_user
    assert event.summary == "تقسیم نوبتی"
    assert event.payload == {
        "owner": seller.pk,
        "rule": "تقسیم نوبتی",
        "rule_id": rule.pk,
        "method": "round_robin",
    }


# --- notifications -----------------------------------------------------------------------


def test_the_new_owner_of_a_lead_is_notified_after_commit(
    make_user: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    seller = make_user()
    make_rule("round_robin", users=[seller])
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        lead = new_lead(first_name="Sara", last_name="Karimi")
        assert not Notification.objects.exists()  # not before the commit

    notification = Notification.objects.get()
    assert notification.user == seller
    assert notification.kind == "assignment"
    assert notification.title == "New lead assigned to you: Sara Karimi"
    assert notification.url == f"/sales/leads/{lead.pk}/"


def test_the_new_owner_of_a_deal_is_notified_after_commit(
    make_user: Callable[..., User], sales_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    seller = make_user()
    make_rule("load", users=[seller])
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        deal = deal_create(actor=sales_user, values={"title": "Ten laptops"})

    notification = Notification.objects.get()
    assert (notification.user, notification.kind) == (seller, "assignment")
    assert notification.title == "New deal assigned to you: Ten laptops"
    assert notification.url == f"/sales/deals/{deal.pk}/"


def test_nobody_is_notified_of_what_they_assigned_to_themselves(
    sales_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        lead_create(actor=sales_user, values={"first_name": "علی", "phone": "09120000001"})
        deal_create(actor=sales_user, values={"title": "خودم"})
    assert len(callbacks) == 0
    assert not Notification.objects.exists()


def test_a_failed_save_notifies_nobody(
    make_user: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.exceptions import ValidationError

    seller = make_user()
    make_rule("round_robin", users=[seller])
    pipeline = pipeline_default()
    assert pipeline is not None
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        # A lost deal with no reason is refused after the owner was picked.
        deal_create(actor=None, values={"title": "x", "stage": stage_of(pipeline, "lost")})
    assert not Notification.objects.exists()
    assert not Event.objects.filter(verb="deal.assigned").exists()
