"""Escalation: when the SLA check records that a clock is due soon or breached, the
policy's matching rules act on the ticket — notify someone, hand it to a person or a
team, raise its priority — once per rule, ticket and clock, with one event naming the
rule and what changed."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from peyvand.sales.service_helpers import notify_assignee

from .models import EscalationApplied, EscalationRule, Ticket, TicketPriority
from .sla import sla_recompute
from .tickets import _event, ticket_search_text, ticket_url

PRIORITY_STEPS = [
    TicketPriority.LOW,
    TicketPriority.NORMAL,
    TicketPriority.HIGH,
    TicketPriority.URGENT,
]


def raised_priority(priority: str) -> str:
    """One step up (urgent stays urgent)."""
    position = PRIORITY_STEPS.index(TicketPriority(priority))
    return PRIORITY_STEPS[min(position + 1, len(PRIORITY_STEPS) - 1)]


def escalations_apply(*, ticket: Ticket, clock: str, trigger: str) -> int:
    """Apply the rules of the ticket's policy for this clock and trigger (call inside the
    transaction that records the warning or breach). Returns how many rules acted."""
    if ticket.sla_policy_id is None:
        return 0
    rules = (
        EscalationRule.objects.filter(policy_id=ticket.sla_policy_id, trigger=trigger)
        .filter(Q(clock="") | Q(clock=clock))
        .select_related("notify_user", "reassign_to", "reassign_team")
        .order_by("id")
    )
    acted = 0
    for rule in rules:
        _applied, created = EscalationApplied.objects.get_or_create(
            rule=rule, ticket=ticket, clock=clock
        )
        if not created:
            continue
        locked = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("contact", "company", "deal", "sla_policy__calendar")
            .get(pk=ticket.pk)
        )
        changes: dict[str, list[object]] = {}
        if rule.reassign_to is not None and locked.assignee_id != rule.reassign_to.pk:
            changes["assignee"] = [locked.assignee_id, rule.reassign_to.pk]
            locked.assignee = rule.reassign_to
        if rule.reassign_team is not None and locked.team_id != rule.reassign_team.pk:
            changes["team"] = [locked.team_id, rule.reassign_team.pk]
            locked.team = rule.reassign_team
        if rule.raise_priority:
            higher = raised_priority(locked.priority)
            if higher != locked.priority:
                changes["priority"] = [locked.priority, higher]
                locked.priority = higher
                sla_recompute(locked)
        if changes:
            locked.search_text = ticket_search_text(locked)
            locked.save()
        _event(
            actor=None,
            ticket=locked,
            verb="ticket.escalated",
            summary=locked.subject,
            payload={"rule": rule.pk, "clock": clock, "trigger": trigger, "changes": changes},
        )
        people = {user.pk: user for user in (rule.notify_user, rule.reassign_to) if user}
        for person in people.values():
            notify_assignee(
                owner=person,
                actor=None,
                title=_("Escalated to you: %(ticket)s") % {"ticket": locked},
                url=ticket_url(locked),
                kind="sla",
            )
        acted += 1
    return acted
