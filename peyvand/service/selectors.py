"""Reads of tickets, always scoped to what the user may see."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from peyvand.accounts.models import ObjectType, Role
from peyvand.accounts.permissions import has_permission
from peyvand.accounts.visibility import visibility_filter
from peyvand.common.persian import search_key, to_ascii_digits
from peyvand.contacts.selectors import apply_search

from .models import Ticket, TicketStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from peyvand.accounts.models import User


def tickets_visible_to(user: User | AnonymousUser | None) -> QuerySet[Ticket]:
    """Every ticket ``user`` may see: by assignee under the ticket visibility level (like an
    owner), plus the tickets of the user's teams, plus, for support agents, the shared queue
    of tickets with neither assignee nor team. Merged tickets stay visible (their history
    points at the survivor). Fails closed."""
    tickets = Ticket.objects.all()
    if not has_permission(user, "read", "tickets"):
        return tickets.none()
    assert user is not None and user.is_authenticated
    condition = visibility_filter(user, ObjectType.TICKET, owner_field="assignee")
    if condition is None:
        return tickets
    condition |= Q(team__in=user.teams.values_list("id", flat=True))
    if user.role in {Role.SUPPORT, Role.MANAGER}:
        condition |= Q(assignee__isnull=True, team__isnull=True)
    return tickets.filter(condition)


def ticket_visible_or_404(user: User | AnonymousUser | None, ticket_id: int) -> Ticket:
    """One ticket ``user`` may see, with what its pages show; 404 for anything else (a
    ticket that does not exist and one that is not theirs look the same)."""
    ticket = (
        tickets_visible_to(user)
        .select_related("contact", "company", "deal", "assignee", "team", "category", "sla_policy")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


TICKET_SORTS: dict[str, list[str]] = {
    "newest": ["-id"],
    "oldest": ["id"],
    "updated": ["-updated_at", "-id"],
}
ACTIVE_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING)


def _int(value: str) -> int:
    """A filter's id, or 0 (which matches nothing) when it is not a number."""
    return int(value) if value.isdigit() else 0


def tickets_filtered(
    user: User | AnonymousUser | None, filters: Mapping[str, str]
) -> QuerySet[Ticket]:
    """Visible tickets narrowed by the inbox filters: ``view`` (mine, unassigned, team),
    ``status`` (``active`` = new, open or waiting; ``all``; or one status), ``priority``,
    ``category``, ``assignee`` (an id or ``none``), ``team``, ``sla`` (``breached``,
    ``due_soon``), ``tag`` and ``q`` (Persian-normalized search). Unknown values match
    nothing rather than everything."""
    tickets = tickets_visible_to(user)
    view = filters.get("view", "")
    if view == "mine" and user is not None:
        tickets = tickets.filter(assignee_id=user.pk)
    elif view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    elif view == "team" and user is not None and user.is_authenticated:
        tickets = tickets.filter(team__in=user.teams.values_list("id", flat=True))
    status = filters.get("status", "active")
    if status == "active":
        tickets = tickets.filter(status__in=ACTIVE_STATUSES)
    elif status != "all":
        tickets = tickets.filter(status=status)
    if filters.get("priority"):
        tickets = tickets.filter(priority=filters["priority"])
    if filters.get("category"):
        tickets = tickets.filter(category_id=_int(filters["category"]))
    if filters.get("assignee") == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.get("assignee"):
        tickets = tickets.filter(assignee_id=_int(filters["assignee"]))
    if filters.get("team"):
        tickets = tickets.filter(team_id=_int(filters["team"]))
    if filters.get("tag"):
        tickets = tickets.filter(tags__key=search_key(filters["tag"]))
    sla = filters.get("sla", "")
    if sla == "breached":
        tickets = tickets.filter(Q(first_response_breached=True) | Q(resolution_breached=True))
    elif sla == "due_soon":
        tickets = tickets.filter(
            Q(first_response_warned=True, first_responded_at__isnull=True)
            | Q(resolution_warned=True, resolved_at__isnull=True),
            first_response_breached=False,
            resolution_breached=False,
        )
    if filters.get("q"):
        query = to_ascii_digits(filters["q"]).strip().lstrip("#")
        by_number = query.isdigit()  # "#123" or "۱۲۳" is a ticket number
        tickets = tickets.filter(pk=int(query)) if by_number else apply_search(tickets, query)
    return tickets
