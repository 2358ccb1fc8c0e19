"""Lead conversion, service times, CSAT/CES/NPS and the customer journey: exact figures on
hand-made data, by Jalali month (Tehran midnights), team and source."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from peyvand.accounts.models import Role, Team, User
from peyvand.common.jalali import JalaliMonth
from peyvand.contacts.models import Contact
from peyvand.contacts.services import contact_update
from peyvand.contacts.tests.factories import make_contact
from peyvand.feedback.models import Survey, SurveyKind
from peyvand.intelligence.kpis import (
    MonthRange,
    lead_conversion,
    net_promoter_score,
    nps_by_month,
    satisfaction,
    service_times,
    stage_transitions,
)
from peyvand.sales.models import Lead
from peyvand.service.models import Ticket
from peyvand.service.tickets import ticket_create
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")
PERIOD = MonthRange(JalaliMonth(1405, 1), JalaliMonth(1405, 2))
HOUR = datetime.timedelta(hours=1)
# 1405/01/01 is 2026-03-21; 1405/02/01 is 2026-04-21.
FARVARDIN = datetime.datetime(2026, 3, 25, 10, tzinfo=TEHRAN)
ORDIBEHESHT = datetime.datetime(2026, 4, 25, 10, tzinfo=TEHRAN)


def lead(created: datetime.datetime, *, source: str, owner: User | None, converted: bool) -> Lead:
    item = Lead.objects.create(
        first_name="سارا", source=source, owner=owner, status="converted" if converted else "new"
    )
    Lead.objects.filter(pk=item.pk).update(created_at=created)
    return item


def test_lead_conversion_by_month_source_and_team(make_user: Callable[..., User]) -> None:
    north, south = Team.objects.create(name="شمال"), Team.objects.create(name="جنوب")
    ali = make_user(teams=(north,))
    both = make_user(teams=(north, south))
    lead(FARVARDIN, source="instagram", owner=ali, converted=True)
    lead(FARVARDIN, source="instagram", owner=ali, converted=False)
    lead(FARVARDIN, source="website", owner=both, converted=True)
    lead(ORDIBEHESHT, source="website", owner=None, converted=False)
    # The last minute of Esfand (Tehran) is outside the period.
    lead(
        datetime.datetime(2026, 3, 20, 23, 59, tzinfo=TEHRAN),
        source="website",
        owner=ali,
        converted=True,
    )

    with translation.override("en"):
        result = lead_conversion(Lead.objects.all(), PERIOD)

    assert [(row.created, row.converted, row.rate) for row in result.by_month] == [
        (3, 2, 2 / 3),
        (1, 0, 0.0),
    ]
    # Most leads first, then by source.
    assert [(row.key, row.created, row.converted) for row in result.by_source] == [
        ("instagram", 2, 1),
        ("website", 2, 1),
    ]
    # A lead counts for each team of its owner; no owner is "No team".
    teams = {row.label: (row.created, row.converted) for row in result.by_team}
    assert teams == {"شمال": (3, 2), "جنوب": (1, 1), "No team": (1, 0)}


def ticket(
    created: datetime.datetime,
    *,
    team: Team | None,
    response_hours: float | None,
    resolution_hours: float | None = None,
    **extra: Any,
) -> Ticket:
    item = ticket_create(
        actor=None, values={"subject": "درخواست", "team": team}, body="متن", channel="email"
    )
    Ticket.objects.filter(pk=item.pk).update(
        created_at=created,
        first_responded_at=created + response_hours * HOUR if response_hours is not None else None,
        resolved_at=created + resolution_hours * HOUR if resolution_hours is not None else None,
        **extra,
    )
    return Ticket.objects.get(pk=item.pk)


def test_service_times_mean_and_median_by_month_and_team() -> None:
    desk = Team.objects.create(name="پشتیبانی")
    ticket(FARVARDIN, team=desk, response_hours=1, resolution_hours=10)
    ticket(FARVARDIN, team=desk, response_hours=2, resolution_hours=20)
    ticket(FARVARDIN, team=None, response_hours=6)
    ticket(ORDIBEHESHT, team=desk, response_hours=3, resolution_hours=5)
    ticket(ORDIBEHESHT, team=desk, response_hours=None)  # not answered yet: not counted
    merged = ticket(ORDIBEHESHT, team=desk, response_hours=100)
    Ticket.objects.filter(pk=merged.pk).update(
        merged_into=Ticket.objects.exclude(pk=merged.pk).first()
    )

    times = service_times(Ticket.objects.all(), PERIOD)

    farvardin, ordibehesht = times.first_response_by_month
    assert (farvardin.tickets, farvardin.mean_hours, farvardin.median_hours) == (3, 3.0, 2.0)
    assert (ordibehesht.tickets, ordibehesht.mean_hours, ordibehesht.median_hours) == (1, 3.0, 3.0)
    resolution = times.resolution_by_month
    assert [(row.tickets, row.mean_hours, row.median_hours) for row in resolution] == [
        (2, 15.0, 15.0),
        (1, 5.0, 5.0),
    ]
    by_team = {row.key: (row.tickets, row.median_hours) for row in times.first_response_by_team}
    assert by_team == {str(desk.pk): (3, 2.0), "": (1, 6.0)}


def test_nps_is_promoters_minus_detractors_and_not_collected_without_answers() -> None:
    assert net_promoter_score(5, 2, 10) == 30.0
    assert net_promoter_score(0, 0, 0) is None
    item = ticket(FARVARDIN, team=None, response_hours=1, resolution_hours=2)
    for score in (10, 9, 8, 7, 3, 0):
        survey = Survey.objects.create(
            kind=SurveyKind.NPS,
            ticket=item,
            resolved_at=FARVARDIN + datetime.timedelta(minutes=score),
            recipient="a@example.ir",
            expires_at=FARVARDIN + datetime.timedelta(days=30),
            score=score,
        )
        Survey.objects.filter(pk=survey.pk).update(created_at=FARVARDIN)
    farvardin, ordibehesht = nps_by_month(Ticket.objects.all(), PERIOD)
    # 2 promoters, 2 detractors of 6: 0; Ordibehesht has no answers: not collected.
    assert (farvardin.answers, farvardin.promoters, farvardin.detractors, farvardin.nps) == (
        6,
        2,
        2,
        0.0,
    )
    assert ordibehesht.nps is None


def test_csat_and_ces_come_from_the_satisfaction_report() -> None:
    item = ticket(FARVARDIN, team=None, response_hours=1, resolution_hours=2)
    for score, effort in ((5, 7), (4, 5), (2, 1)):
        survey = Survey.objects.create(
            kind=SurveyKind.CSAT,
            ticket=item,
            resolved_at=FARVARDIN + datetime.timedelta(minutes=score),
            recipient="a@example.ir",
            expires_at=FARVARDIN + datetime.timedelta(days=30),
            score=score,
            effort=effort,
        )
        Survey.objects.filter(pk=survey.pk).update(created_at=FARVARDIN)
    report = satisfaction(Ticket.objects.all(), PERIOD)
    assert report.by_month[0].csat_percent == 66.7
    assert report.by_month[0].average_effort == 4.33
    assert report.by_month[1].answered == 0


def test_journey_counts_stage_changes_from_the_event_log(at_time: Callable[..., None]) -> None:
    at_time(FARVARDIN)
    first = make_contact(lifecycle_stage="lead")
    second = make_contact(lifecycle_stage="lead")
    contact_update(actor=None, contact=first, values={"lifecycle_stage": "customer"})
    contact_update(actor=None, contact=second, values={"lifecycle_stage": "customer"})
    contact_update(actor=None, contact=first, values={"city": "تبریز"})  # not a stage change
    at_time(ORDIBEHESHT)
    contact_update(actor=None, contact=first, values={"lifecycle_stage": "churned"})
    contact_update(actor=None, contact=first, values={"lifecycle_stage": "customer"})
    at_time(ORDIBEHESHT + datetime.timedelta(days=40))  # after the period
    contact_update(actor=None, contact=second, values={"lifecycle_stage": "loyal"})

    transitions = stage_transitions(Contact.objects.all(), PERIOD)

    assert [(item.source, item.target, item.contacts) for item in transitions] == [
        ("", "lead", 2),
        ("lead", "customer", 2),
        ("churned", "customer", 1),
        ("customer", "churned", 1),
    ]
    # Only the given contacts count.
    only_second = stage_transitions(Contact.objects.filter(pk=second.pk), PERIOD)
    assert [(item.source, item.target) for item in only_second] == [
        ("", "lead"),
        ("lead", "customer"),
    ]
    assert Event.objects.filter(verb="contact.updated").count() == 6


@pytest.fixture
def at_time(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    from django.utils import timezone

    def set_now(instant: datetime.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: instant)

    return set_now


def test_roles_of_the_fixture_users_do_not_matter_to_the_pure_functions(
    make_user: Callable[..., User],
) -> None:
    """The KPI functions take querysets the caller scoped; a sales user's leads queryset
    gives the same figures as any other with the same rows."""
    seller = make_user(role=Role.SALES)
    lead(FARVARDIN, source="website", owner=seller, converted=True)
    assert lead_conversion(Lead.objects.filter(owner=seller), PERIOD).by_month[0].converted == 1
