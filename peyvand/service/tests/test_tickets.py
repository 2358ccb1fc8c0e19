"""Tickets and their SLA clocks through the services: policy choice (contract, tier tag,
default), due times on the Iranian work week and the shipped holidays, pausing while waiting
on the customer, priority changes, first response and resolution, warnings and breaches
from the worker's check, events on the customer's timeline, and permissions.

The clock is set with ``at(...)`` (Tehran wall-clock time), which makes ``timezone.now``
return that instant.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from peyvand.accounts.models import Role, User
from peyvand.contacts.services import tags_resolve
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.service.holidays import shipped_holidays
from peyvand.service.models import (
    BusinessCalendar,
    Holiday,
    SlaPolicy,
    SlaTarget,
    SupportContract,
    Ticket,
    TicketStatus,
)
from peyvand.service.sla import sla_check
from peyvand.service.tickets import (
    ticket_create,
    ticket_customer_message,
    ticket_reply,
    ticket_set_status,
    ticket_update,
)
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")


def tehran(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=TEHRAN)


def open_ticket(actor: User | None = None, **values: Any) -> Ticket:
    values.setdefault("subject", "سفارش ۱۲۳ نرسیده")
    return ticket_create(
        actor=actor,
        values=values,
        body="سلام، سفارشم هنوز نرسیده است.",
        channel=values.pop("channel", "email"),
        requester_email="customer@example.ir",
    )


def test_a_fresh_install_has_the_iranian_calendar_holidays_and_a_standard_policy() -> None:
    calendar = BusinessCalendar.objects.get(is_default=True)
    assert calendar.work_hours["3"] == [["08:00", "12:00"]]  # Thursday, half a day
    assert calendar.work_hours["4"] == []  # Friday
    dates = set(calendar.holidays.values_list("date", flat=True))
    assert datetime.date(2026, 3, 21) in dates  # 1 Farvardin 1405
    assert datetime.date(2027, 2, 11) in dates  # 22 Bahman 1405
    assert len(dates) == len(shipped_holidays())
    policy = SlaPolicy.objects.get(is_default=True)
    assert policy.targets.get(priority="normal").first_response_minutes == 240


def test_due_times_count_working_hours_across_thursday_and_friday(
    at: Callable[..., datetime.datetime],
) -> None:
    at(2026, 11, 25, 15)  # Wednesday 4 Azar 1405, 15:00
    ticket = open_ticket(priority="normal")

    # 4 working hours: 1 on Wednesday, 3 on Thursday morning.
    assert ticket.first_response_due == tehran(2026, 11, 26, 11)
    # 24 working hours: Wed 1 + Thu 4 + Sat 8 + Sun 8 = 21, then 3 on Monday.
    assert ticket.resolution_due == tehran(2026, 11, 30, 11)
    assert ticket.sla_policy is not None and ticket.sla_policy.is_default


def test_holidays_do_not_count(at: Callable[..., datetime.datetime]) -> None:
    # Monday 30 Azar 1405 at 14:00; Tuesday 1 Dey (2026-12-22) is a shipped holiday.
    assert Holiday.objects.filter(date=datetime.date(2026, 12, 22)).exists()
    at(2026, 12, 21, 14)
    ticket = open_ticket(priority="normal")
    # Monday 2h, Tuesday off, Wednesday 2h.
    assert ticket.first_response_due == tehran(2026, 12, 23, 10)


def test_a_contract_beats_a_tier_tag_which_beats_the_default(
    at: Callable[..., datetime.datetime],
) -> None:
    at(2026, 11, 24, 9)  # Tuesday
    calendar = BusinessCalendar.objects.get(is_default=True)
    vip_tag = tags_resolve({"VIP"})[0]
    vip = SlaPolicy.objects.create(name="VIP", calendar=calendar, customer_tag=vip_tag)
    SlaTarget.objects.create(
        policy=vip, priority="normal", first_response_minutes=30, resolution_minutes=240
    )
    gold = SlaPolicy.objects.create(name="قرارداد طلایی", calendar=calendar, position=5)
    SlaTarget.objects.create(
        policy=gold, priority="normal", first_response_minutes=15, resolution_minutes=120
    )
    company = make_company(name="پارس سازه", tags=["VIP"])
    person = make_contact(first_name="نسرین", tags=["VIP"])

    tiered = open_ticket(contact=person)
    assert tiered.sla_policy == vip
    assert tiered.first_response_due == tehran(2026, 11, 24, 9, 30)

    SupportContract.objects.create(
        company=company, policy=gold, starts_on=datetime.date(2026, 1, 1)
    )
    contracted = open_ticket(company=company)
    assert contracted.sla_policy == gold
    assert contracted.first_response_due == tehran(2026, 11, 24, 9, 15)

    SupportContract.objects.all().update(ends_on=datetime.date(2026, 6, 1))
    expired = open_ticket(company=company)
    assert expired.sla_policy == vip  # the company's tag still makes it a VIP


def test_waiting_on_the_customer_pauses_both_clocks(
    at: Callable[..., datetime.datetime], sales_user: User
) -> None:
    at(2026, 11, 24, 9)  # Tuesday 09:00
    ticket = open_ticket()
    assert ticket.first_response_due == tehran(2026, 11, 24, 13)
    at(2026, 11, 24, 10)
    ticket_reply(actor=sales_user, ticket=ticket, body="شماره پیگیری را بفرمایید.")
    ticket = ticket_set_status(actor=sales_user, ticket=ticket, status=TicketStatus.WAITING)
    assert ticket.sla_paused_at == tehran(2026, 11, 24, 10)

    # The customer answers the next morning: 7 working hours were paused (Tue 10–16, Wed 8–9).
    at(2026, 11, 25, 9)
    ticket_customer_message(ticket=ticket, body="شماره ۴۴۵۵ است.", from_email="c@example.ir")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.sla_paused_at is None
    assert ticket.sla_paused == datetime.timedelta(hours=7)
    # 24 working hours from Tuesday 09:00 plus the 7 paused: Tue 7, Wed 8, Thu 4, Sat 8,
    # then 4 on Sunday.
    assert ticket.resolution_due == tehran(2026, 11, 29, 12)


def test_the_first_public_reply_stops_the_response_clock_but_a_note_does_not(
    at: Callable[..., datetime.datetime], sales_user: User
) -> None:
    at(2026, 11, 24, 9)
    ticket = open_ticket()
    at(2026, 11, 24, 10)
    ticket_reply(actor=sales_user, ticket=ticket, body="بررسی می‌کنیم.", internal=True)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None and ticket.status == TicketStatus.NEW

    at(2026, 11, 24, 14)  # after the 13:00 due time
    ticket_reply(actor=sales_user, ticket=ticket, body="سفارش شما فردا می‌رسد.")
    ticket.refresh_from_db()
    assert ticket.first_responded_at == tehran(2026, 11, 24, 14)
    assert ticket.first_response_breached is True
    assert ticket.status == TicketStatus.OPEN
    assert ticket.messages.count() == 3
    assert Event.objects.filter(verb="ticket.noted").count() == 1


def test_resolving_late_is_recorded_and_a_customer_reply_reopens(
    at: Callable[..., datetime.datetime], sales_user: User
) -> None:
    at(2026, 11, 24, 9)
    ticket = open_ticket(priority="urgent")  # resolution in 8 working hours: Wed 09:00
    at(2026, 11, 25, 10)
    ticket = ticket_set_status(actor=sales_user, ticket=ticket, status=TicketStatus.RESOLVED)
    assert ticket.resolution_breached is True and ticket.resolved_at == tehran(2026, 11, 25, 10)

    ticket_customer_message(ticket=ticket, body="هنوز مشکل دارم.")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.resolved_at is None

    ticket = ticket_set_status(actor=sales_user, ticket=ticket, status=TicketStatus.CLOSED)
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            ticket_set_status(actor=sales_user, ticket=ticket, status=TicketStatus.OPEN)
        assert caught.value.message_dict == {"status": ["A closed ticket cannot change."]}


def test_raising_the_priority_moves_the_due_times_from_the_arrival(
    at: Callable[..., datetime.datetime], sales_user: User
) -> None:
    at(2026, 11, 24, 9)
    ticket = open_ticket(priority="low")
    at(2026, 11, 24, 9, 30)
    ticket = ticket_update(actor=sales_user, ticket=ticket, values={"priority": "urgent"})
    assert ticket.first_response_due == tehran(2026, 11, 24, 10)
    event = Event.objects.get(verb="ticket.updated")
    assert event.payload["changes"]["priority"] == ["low", "urgent"]


def test_the_check_warns_then_marks_the_breach_once_each(
    at: Callable[..., datetime.datetime],
) -> None:
    at(2026, 11, 24, 9)
    ticket = open_ticket()  # first response due 13:00
    notified: list[tuple[int, str, str]] = []

    def notify(t: Ticket, clock: str, kind: str) -> None:
        notified.append((t.pk, clock, kind))

    assert sla_check(tehran(2026, 11, 24, 11), notify=notify) == 0
    assert sla_check(tehran(2026, 11, 24, 12, 10), notify=notify) == 1
    assert sla_check(tehran(2026, 11, 24, 12, 20), notify=notify) == 0
    assert sla_check(tehran(2026, 11, 24, 13, 1), notify=notify) == 1
    assert sla_check(tehran(2026, 11, 24, 14), notify=notify) == 0
    ticket.refresh_from_db()
    assert ticket.first_response_warned and ticket.first_response_breached
    verbs = list(
        Event.objects.filter(verb__startswith="ticket.sla_")
        .order_by("id")
        .values_list("verb", "payload__clock")
    )
    assert verbs == [
        ("ticket.sla_warning", "first_response"),
        ("ticket.sla_breached", "first_response"),
    ]


def test_a_paused_ticket_is_never_warned_or_breached(
    at: Callable[..., datetime.datetime], sales_user: User
) -> None:
    at(2026, 11, 24, 9)
    ticket = open_ticket()
    ticket_set_status(actor=sales_user, ticket=ticket, status=TicketStatus.WAITING)
    assert sla_check(tehran(2026, 12, 10, 12)) == 0


def test_the_ticket_shows_on_the_customers_timeline(at: Callable[..., datetime.datetime]) -> None:
    at(2026, 11, 24, 9)
    person = make_contact(first_name="مینا")
    ticket = open_ticket(contact=person)
    event = Event.objects.get(verb="ticket.created")
    assert event.contact == person and event.subject_id == ticket.pk
    assert event.payload["channel"] == "email"


def test_bad_input_names_the_field(at: Callable[..., datetime.datetime]) -> None:
    at(2026, 11, 24, 9)
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            ticket_create(
                actor=None,
                values={"subject": "  ", "priority": "asap"},
                body="",
                channel="fax",
                requester_email="not-an-email",
            )
        errors = caught.value.message_dict
    assert set(errors) == {"subject", "priority", "body", "channel", "requester_email"}
    assert errors["body"] == ["Write the message."]
    assert Ticket.objects.count() == 0


def test_roles_without_ticket_write_cannot_open_or_answer(
    at: Callable[..., datetime.datetime], make_user: Callable[..., User]
) -> None:
    at(2026, 11, 24, 9)
    reader = make_user(role=Role.READ_ONLY)
    with pytest.raises(PermissionDenied):
        open_ticket(actor=reader)
    ticket = open_ticket()
    with pytest.raises(PermissionDenied):
        ticket_reply(actor=reader, ticket=ticket, body="سلام")
    support = make_user(role=Role.SUPPORT)
    ticket_reply(actor=support, ticket=ticket, body="سلام، پیگیری می‌کنم.")


def test_the_worker_job_notifies_the_assignee_once_breached(
    at: Callable[..., datetime.datetime],
    sales_user: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from peyvand.accounts.models import Notification
    from peyvand.service.sla import sla_check_job

    at(2026, 11, 24, 9)
    open_ticket(assignee=sales_user)
    at(2026, 11, 24, 13, 30)
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_check_job() == 1  # warned and breached at once: the breach is recorded
    titles = list(Notification.objects.filter(user=sales_user).values_list("title", flat=True))
    assert len(titles) == 1 and "SLA" in titles[0]
