"""SLA clocks of tickets: which policy applies, when responses are due, pausing while
waiting on the customer, and the background check that warns before and marks breaches
(and runs the policy's escalation rules, ``escalation.py``).

Due times are always ``created_at + target + paused`` counted in working time on the
policy's calendar, where ``paused`` is the working time the ticket spent waiting on the
customer. So pausing, resuming and changing the priority only recompute, and never drift.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .business_time import WorkSchedule, add_business_time, business_time_between
from .models import (
    PAUSED_STATUSES,
    BusinessCalendar,
    SlaPolicy,
    SlaTarget,
    SupportContract,
    Ticket,
)

# A warning goes out when this share of a clock's time is left.
WARN_SHARE = 0.25
# What stops each clock: while it is empty, the clock runs.
STOPPED_AT = {
    "first_response": "first_responded_at__isnull",
    "resolution": "resolved_at__isnull",
}


def policy_for(ticket: Ticket, on: datetime.date) -> SlaPolicy | None:
    """The company's active support contract's policy, else the first active policy for a
    tag the contact or company has, else the default policy."""
    if ticket.company_id is not None:
        contract = (
            SupportContract.objects.filter(
                company_id=ticket.company_id, starts_on__lte=on, policy__is_active=True
            )
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
            .select_related("policy")
            .order_by("-starts_on")
            .first()
        )
        if contract is not None:
            return contract.policy
    tag_ids: set[int] = set()
    if ticket.contact_id is not None:
        tag_ids |= set(ticket.contact.tags.values_list("pk", flat=True))  # type: ignore[union-attr]
    if ticket.company_id is not None:
        tag_ids |= set(ticket.company.tags.values_list("pk", flat=True))  # type: ignore[union-attr]
    active = SlaPolicy.objects.filter(is_active=True)
    if tag_ids:
        tiered = active.filter(customer_tag_id__in=tag_ids).first()
        if tiered is not None:
            return tiered
    return active.filter(is_default=True).first()


@dataclass(frozen=True)
class Targets:
    first_response: datetime.timedelta
    resolution: datetime.timedelta


def _targets(ticket: Ticket) -> Targets | None:
    if ticket.sla_policy_id is None:
        return None
    target = SlaTarget.objects.filter(
        policy_id=ticket.sla_policy_id, priority=ticket.priority
    ).first()
    if target is None:
        return None
    return Targets(
        datetime.timedelta(minutes=target.first_response_minutes),
        datetime.timedelta(minutes=target.resolution_minutes),
    )


def _schedule(ticket: Ticket) -> WorkSchedule:
    """The working hours and holidays of the ticket's policy's calendar (one query)."""
    assert ticket.sla_policy is not None
    calendar: BusinessCalendar = ticket.sla_policy.calendar
    return calendar.schedule()


def sla_recompute(ticket: Ticket, schedule: WorkSchedule | None = None) -> None:
    """Set the due times from the policy, the priority and the paused time (not saved)."""
    targets = _targets(ticket)
    if targets is None:
        ticket.first_response_due = ticket.resolution_due = None
        return
    schedule = schedule or _schedule(ticket)
    start = ticket.created_at
    ticket.first_response_due = add_business_time(
        schedule, start, targets.first_response + ticket.sla_paused
    )
    ticket.resolution_due = add_business_time(
        schedule, start, targets.resolution + ticket.sla_paused
    )


def sla_start(ticket: Ticket) -> None:
    """Choose the ticket's policy and set its due times (not saved)."""
    ticket.sla_policy = policy_for(ticket, timezone.localdate(ticket.created_at))
    ticket.sla_paused = datetime.timedelta(0)
    ticket.sla_paused_at = None
    sla_recompute(ticket)


def sla_follow_status(ticket: Ticket, now: datetime.datetime) -> None:
    """Pause the clocks when the ticket enters a paused status (waiting, resolved, closed),
    resume them when it leaves one: the paused working time pushes the due times back."""
    paused = ticket.status in PAUSED_STATUSES
    if paused and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
    elif not paused and ticket.sla_paused_at is not None:
        schedule = None
        if ticket.sla_policy is not None:
            schedule = _schedule(ticket)
            ticket.sla_paused += business_time_between(schedule, ticket.sla_paused_at, now)
        ticket.sla_paused_at = None
        sla_recompute(ticket, schedule)


Notify = Callable[[Ticket, str, str], None]


def _later(notify: Notify, ticket: Ticket, clock: str, kind: str) -> Callable[[], None]:
    return lambda: notify(ticket, clock, kind)


def notify_people(ticket: Ticket, clock: str, kind: str) -> None:
    """An in-app notification for the assignee (or, with none, the team's members)."""
    from django.utils.translation import gettext as _

    from peyvand.accounts.models import Notification

    people = [ticket.assignee] if ticket.assignee is not None else []
    if not people and ticket.team is not None:
        people = list(ticket.team.members.filter(is_active=True))
    what = _("first response") if clock == "first_response" else _("resolution")
    if kind == "breached":
        title = _("SLA breached (%(what)s): %(ticket)s")
    else:
        title = _("SLA due soon (%(what)s): %(ticket)s")
    for person in people:
        Notification.objects.create(
            user=person,
            title=(title % {"what": what, "ticket": str(ticket)})[:250],
            url="",
            kind="sla",
        )


def sla_check_job() -> int:
    """The worker's periodic SLA check, telling people."""
    return sla_check(notify=notify_people)


def sla_check(now: datetime.datetime | None = None, *, notify: Notify | None = None) -> int:
    """Warn about running clocks with less than :data:`WARN_SHARE` of their time left and
    mark breached ones, each once, with an event on the ticket (``notify(ticket, clock,
    kind)`` tells people). Returns how many warnings and breaches were recorded."""
    from .escalation import escalations_apply
    from .tickets import ticket_sla_event

    now = now or timezone.now()
    recorded = 0
    # Many tickets share a calendar and a policy: each is read once per check.
    schedules: dict[int, WorkSchedule] = {}
    targets_of: dict[tuple[int, str], Targets | None] = {}
    running = Ticket.objects.filter(sla_paused_at__isnull=True, sla_policy__isnull=False).exclude(
        status__in=PAUSED_STATUSES
    )
    clocks = (
        (
            "first_response",
            running.filter(first_responded_at__isnull=True, first_response_breached=False),
        ),
        ("resolution", running.filter(resolution_breached=False)),
    )
    for clock, tickets in clocks:
        related = ("sla_policy__calendar", "contact", "company", "assignee", "team")
        for ticket in tickets.select_related(*related):
            due = getattr(ticket, f"{clock}_due")
            if due is None:
                continue
            kind = ""
            if due <= now:
                kind = "breached"
            elif not getattr(ticket, f"{clock}_warned"):
                assert ticket.sla_policy is not None
                policy_key = (ticket.sla_policy.pk, ticket.priority)
                if policy_key not in targets_of:
                    targets_of[policy_key] = _targets(ticket)
                targets = targets_of[policy_key]
                calendar_id = ticket.sla_policy.calendar_id
                if calendar_id not in schedules:
                    schedules[calendar_id] = _schedule(ticket)
                left = business_time_between(schedules[calendar_id], now, due)
                if targets and left <= getattr(targets, clock) * WARN_SHARE:
                    kind = "warning"
            if not kind:
                continue
            with transaction.atomic():
                field = f"{clock}_breached" if kind == "breached" else f"{clock}_warned"
                # Marked only if the clock still stands as it was read: not answered,
                # paused, solved or re-timed since (a check can run for a while).
                still_running = {
                    f"{clock}_due": due,
                    "sla_paused_at__isnull": True,
                    STOPPED_AT[clock]: True,
                }
                updated = Ticket.objects.filter(
                    pk=ticket.pk, **{field: False}, **still_running
                ).update(**{field: True})
                if not updated:
                    continue  # another worker got there first, or the clock moved
                ticket_sla_event(ticket=ticket, clock=clock, kind=kind, due=due)
                escalations_apply(ticket=ticket, clock=clock, trigger=kind)
                if notify is not None:
                    transaction.on_commit(_later(notify, ticket, clock, kind))
            recorded += 1
    return recorded


@dataclass(frozen=True)
class ClockStatus:
    """One clock as a client sees it: when it is due, whether it was met or breached, and
    the working time left (negative once late; ``None`` when stopped or without a due)."""

    due: datetime.datetime | None
    done_at: datetime.datetime | None
    breached: bool
    working_minutes_left: int | None


def sla_status(ticket: Ticket, now: datetime.datetime | None = None) -> dict[str, object]:
    """The ticket's SLA standing for the API: policy, state, and both clocks."""
    now = now or timezone.now()
    schedule = _schedule(ticket) if ticket.sla_policy is not None else None
    running = ticket.status not in PAUSED_STATUSES

    def clock(
        due: datetime.datetime | None, done_at: datetime.datetime | None, breached: bool
    ) -> ClockStatus:
        left: int | None = None
        if schedule is not None and due is not None and done_at is None and running:
            if due >= now:
                left = int(business_time_between(schedule, now, due).total_seconds() // 60)
            else:
                left = -int(business_time_between(schedule, due, now).total_seconds() // 60)
        return ClockStatus(due, done_at, breached, left)

    return {
        "policy": ticket.sla_policy.name if ticket.sla_policy else None,
        "state": ticket.sla_state,
        "paused": ticket.sla_paused_at is not None,
        "first_response": clock(
            ticket.first_response_due, ticket.first_responded_at, ticket.first_response_breached
        ),
        "resolution": clock(ticket.resolution_due, ticket.resolved_at, ticket.resolution_breached),
    }
