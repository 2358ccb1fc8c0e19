"""Reads of tickets, always scoped to what the user may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from peyvand.accounts.models import ObjectType, Role
from peyvand.accounts.permissions import has_permission
from peyvand.accounts.visibility import visibility_filter

from .models import Ticket

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
