"""Reads of the timeline, activities and tasks, scoped to what the user may see."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from peyvand.accounts.models import ObjectType
from peyvand.accounts.visibility import visibility_filter
from peyvand.contacts.selectors import companies_visible_to, contacts_visible_to

from .models import Activity, Event, Task, TaskStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from peyvand.accounts.models import User
    from peyvand.contacts.models import Company, Contact

# Timeline filter name -> the verb prefixes it shows.
TIMELINE_KINDS: dict[str, tuple[str, ...]] = {
    "note": ("note.",),
    "call": ("call.",),
    "meeting": ("meeting.",),
    "email": ("email.",),
    "sms": ("sms.",),
    "task": ("task.",),
    "record": ("contact.", "company.", "consent."),
    "sales": ("lead.", "deal."),
}


def _kind_filter(kinds: list[str]) -> Q:
    # Start from "nothing": asking only for unknown kinds must not show every event.
    condition = Q(pk__in=[])
    for kind in kinds:
        for prefix in TIMELINE_KINDS.get(kind, ()):
            condition |= Q(verb__startswith=prefix)
    return condition


def timeline_for_contact(contact: Contact, *, kinds: list[str] | None = None) -> QuerySet[Event]:
    """The contact's events, those of contacts merged into it and those of the leads it was
    converted from (the history before it became a contact), newest first (the caller got
    ``contact`` from a scoped selector)."""
    events = Event.objects.filter(
        Q(contact=contact) | Q(contact__merged_into=contact) | Q(lead__contact=contact)
    ).select_related("actor")
    if kinds:
        events = events.filter(_kind_filter(kinds))
    return events.order_by("-occurred_at", "-id")


def timeline_for_company(company: Company, *, kinds: list[str] | None = None) -> QuerySet[Event]:
    """The company's events, those of companies merged into it and those of its people,
    newest first."""
    events = Event.objects.filter(
        Q(company=company) | Q(company__merged_into=company) | Q(contact__company=company)
    ).select_related("actor", "contact")
    if kinds:
        events = events.filter(_kind_filter(kinds))
    return events.order_by("-occurred_at", "-id")


def timeline_for_record(
    field: str, record_id: int, *, kinds: list[str] | None = None
) -> QuerySet[Event]:
    """The events of one deal or lead (``field`` is ``deal`` or ``lead``), newest first."""
    events = Event.objects.filter(**{f"{field}_id": record_id}).select_related("actor", "contact")
    if kinds:
        events = events.filter(_kind_filter(kinds))
    return events.order_by("-occurred_at", "-id")


def activities_visible_to(user: User | AnonymousUser | None) -> QuerySet[Activity]:
    """Activities on contacts, companies, deals or leads the user may see."""
    from peyvand.sales.selectors import deals_visible_to, leads_visible_to

    return Activity.objects.filter(
        Q(contact__in=contacts_visible_to(user))
        | Q(company__in=companies_visible_to(user))
        | Q(deal__in=deals_visible_to(user))
        | Q(lead__in=leads_visible_to(user))
    )


def tasks_visible_to(user: User | AnonymousUser | None) -> QuerySet[Task]:
    """Tasks assigned to or created by the user, plus what visibility rules open to them."""
    condition = visibility_filter(user, ObjectType.TASK, owner_field="assignee")
    tasks = Task.objects.all()
    if condition is None:
        return tasks
    if user is None or not user.is_authenticated or not user.is_active:
        return tasks.none()
    return tasks.filter(condition | Q(created_by_id=user.pk))


def my_day(user: User) -> dict[str, list[Task]]:
    """The user's open tasks: overdue, due today (Tehran time), and without a due time."""
    now = timezone.localtime()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + datetime.timedelta(days=1)
    mine = (
        Task.objects.filter(assignee=user, status=TaskStatus.OPEN)
        .select_related("contact", "company")
        .order_by("due_at", "id")
    )
    return {
        "overdue": list(mine.filter(due_at__lt=now)),
        "today": list(mine.filter(due_at__gte=now, due_at__lt=end)),
        "upcoming": list(mine.filter(due_at__gte=end)[:10]),
        "undated": list(mine.filter(due_at__isnull=True)[:10]),
    }


def recent_events(user: User | AnonymousUser | None, *, limit: int = 15) -> list[Event]:
    """The latest events on contacts and companies the user may see (dashboard feed)."""
    visible = Event.objects.filter(
        Q(contact__in=contacts_visible_to(user)) | Q(company__in=companies_visible_to(user))
    )
    return list(
        visible.select_related("actor", "contact", "company").order_by("-occurred_at", "-id")[
            :limit
        ]
    )
