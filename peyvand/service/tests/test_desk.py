"""The desk's services beyond the SLA clock: assignment by category (round-robin and
fewest open, skipping absent agents), tags, the complaint process, merge and split,
canned responses, escalation rules and who sees which ticket."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from peyvand.accounts.models import Notification, Role, Team, User
from peyvand.contacts.tests.factories import make_contact
from peyvand.service.canned import canned_delete, canned_render, canned_save, canned_visible_to
from peyvand.service.merging import ticket_merge, ticket_split
from peyvand.service.models import (
    AssignmentMethod,
    EscalationRule,
    MessageKind,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatus,
)
from peyvand.service.selectors import tickets_filtered, tickets_visible_to
from peyvand.service.sla import sla_check
from peyvand.service.tests.conftest import TEHRAN
from peyvand.service.tests.factories import make_ticket
from peyvand.service.tickets import (
    ticket_complaint_step,
    ticket_customer_message,
    ticket_reply,
    ticket_set_status,
    ticket_update,
)
from peyvand.timeline.models import Event, Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_team() -> Team:
    return Team.objects.create(name="پشتیبانی")


@pytest.fixture
def agents(make_user: Callable[..., User], support_team: Team) -> list[User]:
    return [
        make_user(role=Role.SUPPORT, teams=(support_team,), username=f"agent{number}")
        for number in range(3)
    ]


@pytest.fixture
def billing(agents: list[User], support_team: Team) -> TicketCategory:
    category = TicketCategory.objects.create(name="صورتحساب", team=support_team)
    category.agents.set(agents)
    return category


def verbs(ticket: Ticket) -> list[str]:
    return list(
        Event.objects.filter(subject_type="ticket", subject_id=ticket.pk)
        .order_by("id")
        .values_list("verb", flat=True)
    )


# Assignment ---------------------------------------------------------------------------


def test_round_robin_hands_tickets_to_the_category_agents_in_turn(
    at: Callable[..., datetime.datetime],
    agents: list[User],
    billing: TicketCategory,
    support_team: Team,
    django_capture_on_commit_callbacks: Any,
) -> None:
    at(2026, 11, 24, 10)  # Tuesday, inside working hours
    with django_capture_on_commit_callbacks(execute=True):
        tickets = [make_ticket(category=billing) for _ in range(6)]
    assert [ticket.assignee for ticket in tickets] == [*agents, *agents]
    assert {ticket.team for ticket in tickets} == {support_team}
    assigned = Event.objects.get(verb="ticket.assigned", subject_id=tickets[0].pk)
    assert assigned.payload == {
        "method": "round_robin",
        "assignee": agents[0].pk,
        "category": "صورتحساب",
    }
    assert Notification.objects.filter(user=agents[1]).count() == 2


def test_absent_agents_and_agents_off_duty_are_skipped(
    at: Callable[..., datetime.datetime], agents: list[User], billing: TicketCategory
) -> None:
    at(2026, 11, 24, 10)
    agents[0].absent_until = datetime.date(2026, 11, 30)
    agents[0].save()
    agents[1].work_start = datetime.time(12, 0)
    agents[1].save()
    assert make_ticket(category=billing).assignee == agents[2]
    assert make_ticket(category=billing).assignee == agents[2]


def test_fewest_open_tickets_wins_and_a_queue_category_only_sets_the_team(
    at: Callable[..., datetime.datetime],
    agents: list[User],
    billing: TicketCategory,
    support_team: Team,
) -> None:
    at(2026, 11, 24, 10)
    billing.assignment = AssignmentMethod.LEAST_OPEN
    billing.save()
    make_ticket(assignee=agents[0])
    make_ticket(assignee=agents[0])
    make_ticket(assignee=agents[2])
    solved = make_ticket(assignee=agents[1])
    ticket_set_status(actor=None, ticket=solved, status=TicketStatus.RESOLVED)
    assert make_ticket(category=billing).assignee == agents[1]
    assert make_ticket(category=billing).assignee == agents[1]
    assert make_ticket(category=billing).assignee == agents[2]

    billing.assignment = AssignmentMethod.NONE
    billing.save()
    queued = make_ticket(category=billing)
    assert (queued.assignee, queued.team) == (None, support_team)
    assert "ticket.assigned" not in verbs(queued)


def test_an_inactive_category_is_refused_by_field(billing: TicketCategory) -> None:
    billing.is_active = False
    billing.save()
    with translation.override("en"), pytest.raises(ValidationError) as failure:
        make_ticket(category=billing)
    assert failure.value.message_dict == {"category": ["Choose an active category."]}
    assert not Ticket.objects.exists()


def test_tags_are_persian_normalized_and_their_change_is_on_the_timeline(
    admin_user: User,
) -> None:
    ticket = make_ticket(tags=["مشتري ويژه", "ارسال"])  # Arabic ي, Persian after cleaning
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["ارسال", "مشتری ویژه"]
    ticket_update(actor=admin_user, ticket=ticket, values={"tags": ["مشتری‌ويژه"]})
    assert list(ticket.tags.values_list("name", flat=True)) == ["مشتری ویژه"]
    changed = Event.objects.filter(verb="ticket.updated", subject_id=ticket.pk).get()
    assert changed.payload["changes"] == {"tags": [["ارسال", "مشتری ویژه"], ["مشتری ویژه"]]}


# Complaints ---------------------------------------------------------------------------


def test_the_complaint_process_from_acknowledgement_to_the_customer_confirming(
    at: Callable[..., datetime.datetime], agents: list[User]
) -> None:
    now = at(2026, 11, 24, 10)
    contact = make_contact(first_name="نسرین")
    ticket = make_ticket(contact=contact, assignee=agents[0], is_complaint=True)
    assert ticket.complaint_step == "acknowledged"

    for step in ("investigating", "solution_offered", "following_up"):
        ticket = ticket_complaint_step(
            actor=agents[0], ticket=ticket, step=step, note="بسته دوباره ارسال شد"
        )
    task = Task.objects.get()
    assert task.assignee == agents[0]
    assert task.contact == contact
    assert task.due_at == now + datetime.timedelta(days=2)
    assert f"#{ticket.pk}" in task.title

    ticket = ticket_complaint_step(actor=agents[0], ticket=ticket, step="confirmed")
    assert ticket.status == TicketStatus.RESOLVED
    steps = Event.objects.filter(verb="ticket.complaint_step", contact=contact).order_by("id")
    assert [event.payload["changes"]["complaint_step"][1] for event in steps] == [
        "investigating",
        "solution_offered",
        "following_up",
        "confirmed",
    ]
    assert steps[0].payload["note"] == "بسته دوباره ارسال شد"
    with translation.override("en"), pytest.raises(ValidationError) as failure:
        ticket_complaint_step(actor=agents[0], ticket=ticket, step="forgotten")
    assert failure.value.message_dict == {"step": ["Choose a valid complaint step."]}


# Merge and split ----------------------------------------------------------------------


def test_merge_moves_the_thread_closes_the_duplicate_and_later_mail_follows(
    agents: list[User],
) -> None:
    contact = make_contact()
    first = make_ticket(contact=contact, tags=["ارسال"])
    second = make_ticket(contact=contact, subject="دوباره: سفارش نرسید", body="هنوز خبری نیست")
    ticket_reply(actor=agents[0], ticket=first, body="در حال پیگیری هستیم")
    ticket_set_status(actor=agents[0], ticket=first, status=TicketStatus.RESOLVED)

    survivor = ticket_merge(actor=agents[0], source=second, target=first)

    second.refresh_from_db()
    assert (second.status, second.merged_into_id) == (TicketStatus.CLOSED, first.pk)
    assert second.messages.count() == 0
    assert survivor.status == TicketStatus.OPEN  # the customer's second message reopened it
    assert list(first.messages.values_list("body", flat=True)) == [
        "سلام، سفارشم هنوز نرسیده است.",
        "هنوز خبری نیست",  # written before the reply: the thread is in time order
        "در حال پیگیری هستیم",
    ]
    assert "ticket.merged" in verbs(second) and "ticket.merged_in" in verbs(first)

    message = ticket_customer_message(ticket=second, body="لطفاً زودتر")
    assert message.ticket_id == first.pk

    with translation.override("en"), pytest.raises(ValidationError) as failure:
        ticket_merge(actor=agents[0], source=first, target=second)
    assert failure.value.message_dict == {
        "target": ["Choose a ticket that is not closed or merged."]
    }
    with pytest.raises(ValidationError):
        ticket_merge(actor=agents[0], source=first, target=first)


def test_split_moves_chosen_customer_messages_into_a_new_ticket_with_its_own_clock(
    at: Callable[..., datetime.datetime], agents: list[User]
) -> None:
    at(2026, 11, 24, 10)
    contact = make_contact()
    ticket = make_ticket(contact=contact, priority="high")
    at(2026, 11, 24, 11)
    other = ticket_customer_message(ticket=ticket, body="راستی فاکتور ماه قبل را هم بفرستید")
    reply = ticket_reply(actor=agents[0], ticket=ticket, body="چشم")

    with translation.override("en"), pytest.raises(ValidationError) as failure:
        ticket_split(actor=agents[0], ticket=ticket, message_ids=[reply.pk], subject="x")
    assert failure.value.message_dict == {
        "messages": ["Only the customer's messages can start a new ticket."]
    }
    new = ticket_split(
        actor=agents[0], ticket=ticket, message_ids=[other.pk], subject="ارسال فاکتور"
    )
    assert new.split_from_id == ticket.pk
    assert (new.contact, new.priority) == (contact, "high")
    assert list(new.messages.values_list("pk", flat=True)) == [other.pk]
    assert ticket.messages.count() == 2
    # High priority: 2 working hours to the first response, counted from the split.
    assert new.first_response_due == datetime.datetime(2026, 11, 24, 13, tzinfo=TEHRAN)
    assert "ticket.split" in verbs(ticket)


# Canned responses ---------------------------------------------------------------------


def test_canned_responses_fill_placeholders_and_respect_ownership(
    at: Callable[..., datetime.datetime],
    make_user: Callable[..., User],
    agents: list[User],
) -> None:
    at(2026, 11, 24, 10)
    manager = make_user(role=Role.MANAGER, first_name="سارا", last_name="احمدی")
    shared = canned_save(
        actor=manager,
        values={
            "title": "پیگیری",
            "body": "{{ name }} عزیز، درخواست {{ ticket }} در {{today}} بررسی شد. {{ agent }}",
            "is_shared": True,
        },
    )
    ticket = make_ticket(contact=make_contact(first_name="علی", last_name="کریمی"))
    with translation.override("fa"):
        text = canned_render(shared, ticket, manager)
    assert text == f"علی کریمی عزیز، درخواست #{ticket.pk} در ۱۴۰۵/۰۹/۰۳ بررسی شد. سارا احمدی"

    mine = canned_save(actor=agents[0], values={"title": "سلام", "body": "سلام {{ first_name }}"})
    assert set(canned_visible_to(agents[0])) == {shared, mine}
    assert set(canned_visible_to(agents[1])) == {shared}
    with translation.override("en"), pytest.raises(ValidationError) as failure:
        canned_save(actor=agents[1], values={"title": "x", "body": "y"}, canned=mine)
    assert failure.value.message_dict == {"title": ["Only its owner or a manager may change it."]}
    with translation.override("en"), pytest.raises(ValidationError) as failure:
        canned_save(
            actor=agents[1], values={"title": "x", "body": "{{ balance }}", "is_shared": True}
        )
    assert failure.value.message_dict == {
        "is_shared": ["Only managers share responses with everyone."],
        "body": [
            "Unknown placeholder: balance. Use: name, first_name, ticket, subject, agent, "
            "company, today."
        ],
    }
    canned_delete(actor=manager, canned=mine)
    assert set(canned_visible_to(agents[0])) == {shared}


# Escalation ---------------------------------------------------------------------------


def test_a_breach_escalates_once_reassigning_raising_priority_and_notifying(
    at: Callable[..., datetime.datetime],
    agents: list[User],
    make_user: Callable[..., User],
    django_capture_on_commit_callbacks: Any,
) -> None:
    lead = make_user(role=Role.MANAGER, username="lead")
    policy = SlaPolicy.objects.get(is_default=True)
    EscalationRule.objects.create(
        policy=policy,
        clock="first_response",
        trigger="breached",
        reassign_to=agents[2],
        raise_priority=True,
        notify_user=lead,
    )
    EscalationRule.objects.create(policy=policy, clock="resolution", notify_user=lead)
    at(2026, 11, 24, 9)
    ticket = make_ticket(assignee=agents[0], priority="normal")
    at(2026, 11, 24, 13, 30)  # 4 h 30 of working time later: first response is late
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_check() == 1
        assert sla_check() == 0
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.priority) == (agents[2], "high")
    assert ticket.first_response_breached
    escalated = Event.objects.get(verb="ticket.escalated")
    assert escalated.payload["changes"] == {
        "assignee": [agents[0].pk, agents[2].pk],
        "priority": ["normal", "high"],
    }
    assert Notification.objects.filter(user=lead, kind="sla").count() == 1
    assert Notification.objects.filter(user=agents[2], kind="sla").count() == 1


# Visibility ---------------------------------------------------------------------------


def test_who_sees_which_ticket(
    make_user: Callable[..., User], agents: list[User], support_team: Team, admin_user: User
) -> None:
    seller = make_user(role=Role.SALES, username="seller")
    loner = make_user(role=Role.SALES, username="loner")
    queued = make_ticket(subject="بدون مسئول")
    teams = make_ticket(subject="صف تیم", team=support_team)
    sellers = make_ticket(subject="مال فروشنده", assignee=seller)
    agents_own = make_ticket(subject="مال پشتیبان", assignee=agents[0])

    assert set(tickets_visible_to(admin_user)) == {queued, teams, sellers, agents_own}
    # A support agent: the shared queue, the team's tickets, teammates' tickets.
    assert set(tickets_visible_to(agents[1])) == {queued, teams, agents_own}
    assert set(tickets_visible_to(seller)) == {sellers}
    assert set(tickets_visible_to(loner)) == set()
    assert set(tickets_filtered(agents[1], {"view": "unassigned"})) == {queued, teams}
    assert set(tickets_filtered(agents[0], {"view": "mine"})) == {agents_own}
    assert set(tickets_filtered(agents[1], {"q": "صف تيم"})) == {teams}  # Arabic ي
    number = str(teams.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert list(tickets_filtered(agents[1], {"q": f"#{number}"})) == [teams]
    assert list(tickets_filtered(agents[1], {"category": "x"})) == []


def test_a_message_stays_customer_kind_after_a_merge(agents: list[User]) -> None:
    first, second = make_ticket(), make_ticket()
    ticket_merge(actor=agents[0], source=second, target=first)
    kinds = set(TicketMessage.objects.filter(ticket=first).values_list("kind", flat=True))
    assert kinds == {MessageKind.CUSTOMER}


def test_merging_contacts_moves_their_tickets_and_undo_moves_them_back(
    admin_user: User,
) -> None:
    from peyvand.contacts.merging import contact_merge_undo, contacts_merge

    survivor = make_contact(first_name="علی", last_name="کریمی")
    duplicate = make_contact(first_name="علي", last_name="كريمي")
    ticket = make_ticket(contact=duplicate)
    merge = contacts_merge(actor=admin_user, survivor=survivor, others=[duplicate])
    ticket.refresh_from_db()
    assert ticket.contact == survivor
    assert merge.moved["ticket"] == {str(ticket.pk): duplicate.pk}
    contact_merge_undo(actor=admin_user, merge=merge)
    ticket.refresh_from_db()
    assert ticket.contact == duplicate


def test_tickets_of_two_customers_are_never_merged(agents: list[User]) -> None:
    mine = make_ticket(contact=make_contact(first_name="مریم"))
    theirs = make_ticket(contact=make_contact(first_name="علی"), body="اطلاعات محرمانه")
    with translation.override("en"), pytest.raises(ValidationError) as failure:
        ticket_merge(actor=agents[0], source=theirs, target=mine)
    assert failure.value.message_dict == {
        "target": ["Only tickets of the same customer can be merged."]
    }
    assert mine.messages.count() == 1 and theirs.merged_into_id is None


@pytest.mark.django_db(transaction=True)
def test_a_clock_paused_while_the_check_runs_is_not_marked_breached(
    at: Callable[..., datetime.datetime], make_user: Callable[..., User]
) -> None:
    """The check reads the running clocks once; a ticket put on hold meanwhile (here by
    the notification of the first breach, which runs right after its commit) must not be
    marked, nor escalated."""
    agent = make_user(role=Role.SUPPORT, username="agent")
    at(2026, 11, 24, 9)  # Tuesday
    older = make_ticket(assignee=agent)
    newer = make_ticket(assignee=agent)
    at(2026, 11, 24, 9, 30)
    for ticket in (older, newer):
        ticket_reply(actor=agent, ticket=ticket, body="در حال بررسی")  # answered in time
    at(2026, 11, 29, 10)  # Sunday: both resolutions were due on Saturday at 13:00

    def hold_the_older(ticket: Ticket, clock: str, kind: str) -> None:
        if ticket.pk == newer.pk:
            ticket_set_status(actor=agent, ticket=older, status=TicketStatus.WAITING)

    assert sla_check(notify=hold_the_older) == 1
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (newer.resolution_breached, older.resolution_breached) == (True, False)
    breaches = Event.objects.filter(verb="ticket.sla_breached")
    assert list(breaches.values_list("subject_id", flat=True)) == [newer.pk]


def test_a_closed_ticket_takes_notes_but_no_more_replies(agents: list[User]) -> None:
    ticket = make_ticket(assignee=agents[0])
    ticket_set_status(actor=agents[0], ticket=ticket, status=TicketStatus.CLOSED)
    with translation.override("en"), pytest.raises(ValidationError) as failure:
        ticket_reply(actor=agents[0], ticket=ticket, body="دیر شد")
    assert failure.value.message_dict == {"body": ["This ticket is closed; reply on an open one."]}
    ticket_reply(actor=agents[0], ticket=ticket, body="برای گزارش", internal=True)
    assert list(ticket.messages.values_list("kind", flat=True)) == ["customer", "note"]
