"""Who gets a new ticket: its category's team, and one of the category's skilled agents
by round-robin (the turn is locked while it moves) or by fewest open tickets. Agents who
are away, inactive or outside their working hours are skipped."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q

from peyvand.accounts.models import User
from peyvand.sales.assignment import is_available, next_in_turn

from .models import AssignmentMethod, Ticket, TicketCategory, TicketStatus

if TYPE_CHECKING:
    from peyvand.accounts.models import Team


@dataclass(frozen=True)
class TicketAssignment:
    """The outcome: who (``None``: left in the team's queue), which team, and why."""

    assignee: User | None
    team: Team | None
    method: str


def open_ticket_counts(user_ids: list[int]) -> dict[int, int]:
    """Open tickets per agent (new, open, waiting), zero for agents with none."""
    open_statuses = [TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING]
    rows = (
        User.objects.filter(pk__in=user_ids)
        .annotate(
            open_tickets=Count(
                "assigned_tickets", filter=Q(assigned_tickets__status__in=open_statuses)
            )
        )
        .values_list("pk", "open_tickets")
    )
    return dict(rows)


def ticket_pick_assignee(ticket: Ticket, now: datetime.datetime) -> TicketAssignment:
    """Choose the team and agent for ``ticket`` from its category (call inside the
    transaction that saves the ticket: a round-robin category row is locked and its turn
    moved)."""
    if ticket.category_id is None:
        return TicketAssignment(None, None, "")
    category = TicketCategory.objects.select_for_update().get(pk=ticket.category_id)
    team = category.team
    if category.assignment == AssignmentMethod.NONE:
        return TicketAssignment(None, team, AssignmentMethod.NONE)
    agents = [
        agent
        for agent in category.agents.filter(is_active=True).order_by("pk")
        if is_available(agent, now, check_hours=True)
    ]
    if not agents:
        return TicketAssignment(None, team, category.assignment)
    if category.assignment == AssignmentMethod.LEAST_OPEN:
        counts = open_ticket_counts([agent.pk for agent in agents])
        chosen = min(agents, key=lambda agent: (counts[agent.pk], agent.pk))
    else:
        chosen = next_in_turn(category.last_assigned_id, agents)
        TicketCategory.objects.filter(pk=category.pk).update(last_assigned=chosen)
    return TicketAssignment(chosen, team, category.assignment)
