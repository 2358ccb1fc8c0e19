"""Reads of journeys, their runs and statistics, scoped to what the user may see: journeys
to whoever may read marketing; a contact's runs only when the contact is visible to them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from peyvand.accounts.permissions import has_permission
from peyvand.contacts.selectors import contacts_visible_to

from ..journey_models import Journey, JourneyRun, RunState

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from peyvand.accounts.models import User


def journeys_visible_to(user: User | AnonymousUser | None) -> QuerySet[Journey]:
    if user is None or not has_permission(user, "read", "marketing"):
        return Journey.objects.none()
    return Journey.objects.select_related("owner")


def journey_stats(journey: Journey) -> dict[str, int]:
    """Entered, in progress (active or waiting), completed, exited and failed runs."""
    counts: dict[str, Any] = JourneyRun.objects.filter(journey=journey).aggregate(
        entered=Count("id"),
        active=Count("id", filter=Q(state__in=[RunState.ACTIVE, RunState.WAITING])),
        completed=Count("id", filter=Q(state=RunState.DONE)),
        exited=Count("id", filter=Q(state=RunState.EXITED)),
        failed=Count("id", filter=Q(state=RunState.FAILED)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def runs_visible_to(user: User | AnonymousUser | None) -> QuerySet[JourneyRun]:
    """Runs of journeys the user may see, of contacts the user may see."""
    if user is None or not has_permission(user, "read", "marketing"):
        return JourneyRun.objects.none()
    return JourneyRun.objects.filter(contact__in=contacts_visible_to(user)).select_related(
        "journey", "contact", "current_step"
    )


def contact_runs(user: User | AnonymousUser | None, contact_id: int) -> QuerySet[JourneyRun]:
    return runs_visible_to(user).filter(contact_id=contact_id).prefetch_related("log__step")
