"""Writes for activities (notes, calls, meetings, emails, SMS), tasks and reminders."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Notification
from peyvand.accounts.permissions import require_permission
from peyvand.common.persian import clean_persian

from .events import event_record, field_changes, snapshot
from .models import Activity, ActivityKind, Task, TaskStatus

if TYPE_CHECKING:
    from peyvand.accounts.models import User

ACTIVITY_FIELDS = (
    "kind",
    "contact",
    "company",
    "deal",
    "lead",
    "subject",
    "body",
    "occurred_at",
    "direction",
    "duration_seconds",
    "outcome",
    "location",
)
TASK_FIELDS = (
    "title",
    "description",
    "due_at",
    "remind_at",
    "priority",
    "status",
    "assignee",
    "contact",
    "company",
    "deal",
    "lead",
)
_TEXT = frozenset({"subject", "body", "location", "title", "description"})


def _set_fields(instance: Any, values: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for name, value in values.items():
        if name not in allowed:
            continue
        if isinstance(value, str) and name in _TEXT:
            value = (
                clean_persian(value) if name in {"subject", "title", "location"} else value.strip()
            )
        if value is None and name in {"direction", "outcome", "subject", "body", "location"}:
            value = ""
        setattr(instance, name, value)


def _validate(instance: Any) -> None:
    errors: dict[str, list[ValidationError]] = {}
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors.update(error.error_dict)
    if (
        isinstance(instance, Activity)
        and instance.contact_id is None
        and instance.company_id is None
        and instance.deal_id is None
        and instance.lead_id is None
    ):
        errors.setdefault("contact", []).append(
            ValidationError(_("Choose a contact, company, deal or lead."), code="required")
        )
    if errors:
        raise ValidationError(errors)


def _validate_activity(activity: Activity) -> None:
    """A note must say something; then the model's own field checks."""
    if activity.kind == ActivityKind.NOTE and not activity.body.strip():
        raise ValidationError(
            {"body": [ValidationError(_("Write the text of the note."), code="required")]}
        )
    _validate(activity)


def _mark_activity(record: Activity | Task, when: datetime.datetime) -> None:
    """Stamp the deal's or lead's last activity (what follow-up rules read)."""
    for field in ("deal", "lead"):
        related_id = getattr(record, f"{field}_id")
        if related_id is not None:
            model = type(record)._meta.get_field(field).related_model
            model._default_manager.filter(pk=related_id).update(  # type: ignore[union-attr]
                last_activity_at=when
            )


def activity_log(*, actor: User | None, values: Mapping[str, Any]) -> Activity:
    """Log a note, call, meeting, email or SMS against a contact, company, deal or lead."""
    if actor is not None:
        require_permission(actor, "write", "timeline")
    activity = Activity(created_by=actor, occurred_at=timezone.now())
    _set_fields(activity, values, ACTIVITY_FIELDS)
    _validate_activity(activity)
    with transaction.atomic():
        activity.save()
        _mark_activity(activity, activity.occurred_at)
        event_record(
            actor=actor,
            verb=f"{activity.kind}.logged",
            subject=activity,
            contact=activity.contact,
            company=activity.company,
            deal=activity.deal,
            lead=activity.lead,
            summary=activity.subject or activity.body[:200],
            payload=snapshot(activity, ACTIVITY_FIELDS),
            occurred_at=activity.occurred_at,
        )
    return activity


def activity_update(
    *, actor: User | None, activity: Activity, values: Mapping[str, Any]
) -> Activity:
    """Edit a logged activity; the event keeps the diff."""
    if actor is not None:
        require_permission(actor, "write", "timeline")
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        before = snapshot(activity, ACTIVITY_FIELDS)
        _set_fields(activity, {k: v for k, v in values.items() if k != "kind"}, ACTIVITY_FIELDS)
        _validate_activity(activity)
        activity.save()
        changes = field_changes(before, snapshot(activity, ACTIVITY_FIELDS))
        if changes:
            event_record(
                actor=actor,
                verb=f"{activity.kind}.updated",
                subject=activity,
                contact=activity.contact,
                company=activity.company,
                deal=activity.deal,
                lead=activity.lead,
                summary=activity.subject or activity.body[:200],
                payload={"changes": changes},
            )
    return activity


def activity_delete(*, actor: User | None, activity: Activity) -> None:
    """Remove a logged activity; the event keeps what it said."""
    if actor is not None:
        require_permission(actor, "delete", "timeline")
    with transaction.atomic():
        # Snapshot the stored row, not the caller's possibly stale copy.
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        event_record(
            actor=actor,
            verb=f"{activity.kind}.deleted",
            subject=activity,
            contact=activity.contact,
            company=activity.company,
            deal=activity.deal,
            lead=activity.lead,
            summary=activity.subject or activity.body[:200],
            payload={"deleted": snapshot(activity, ACTIVITY_FIELDS)},
        )
        activity.delete()


def _check_task_times(task: Task) -> None:
    if task.remind_at and task.due_at and task.remind_at > task.due_at:
        raise ValidationError(
            {
                "remind_at": [
                    ValidationError(
                        _("The reminder must be before the due time."), code="after_due"
                    )
                ]
            }
        )


def task_create(*, actor: User | None, values: Mapping[str, Any]) -> Task:
    """Create a task (assigned to the actor unless another assignee is given)."""
    if actor is not None:
        require_permission(actor, "write", "tasks")
    task = Task(created_by=actor, assignee=actor)
    _set_fields(task, values, TASK_FIELDS)
    _validate(task)
    _check_task_times(task)
    with transaction.atomic():
        task.save()
        event_record(
            actor=actor,
            verb="task.created",
            subject=task,
            contact=task.contact,
            company=task.company,
            deal=task.deal,
            lead=task.lead,
            summary=task.title,
            payload={"changes": field_changes({}, snapshot(task, TASK_FIELDS))},
        )
    return task


def task_update(*, actor: User | None, task: Task, values: Mapping[str, Any]) -> Task:
    """Change a task; completing it stamps ``completed_at`` and writes ``task.completed``."""
    if actor is not None:
        require_permission(actor, "write", "tasks")
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        before = snapshot(task, TASK_FIELDS)
        previous_remind_at = task.remind_at
        _set_fields(task, values, TASK_FIELDS)
        # Compare datetimes (the snapshot holds strings): only a new time re-arms.
        if "remind_at" in values and task.remind_at != previous_remind_at:
            task.reminded_at = None
        _validate(task)
        _check_task_times(task)
        if task.status == TaskStatus.DONE and before["status"] != TaskStatus.DONE:
            task.completed_at = timezone.now()
        elif task.status != TaskStatus.DONE:
            task.completed_at = None
        task.save()
        changes = field_changes(before, snapshot(task, TASK_FIELDS))
        if changes:
            completed = changes.get("status", [None, None])[1] == TaskStatus.DONE
            if completed:
                _mark_activity(task, timezone.now())
            event_record(
                actor=actor,
                verb="task.completed" if completed else "task.updated",
                subject=task,
                contact=task.contact,
                company=task.company,
                deal=task.deal,
                lead=task.lead,
                summary=task.title,
                payload={"changes": changes},
            )
    return task


def task_complete(*, actor: User | None, task: Task) -> Task:
    """Mark a task done."""
    return task_update(actor=actor, task=task, values={"status": TaskStatus.DONE})


def task_delete(*, actor: User | None, task: Task) -> None:
    """Delete a task."""
    if actor is not None:
        require_permission(actor, "delete", "tasks")
    with transaction.atomic():
        # Snapshot the stored row, not the caller's possibly stale copy.
        task = Task.objects.select_for_update().get(pk=task.pk)
        event_record(
            actor=actor,
            verb="task.deleted",
            subject=task,
            contact=task.contact,
            company=task.company,
            deal=task.deal,
            lead=task.lead,
            summary=task.title,
            payload={"deleted": snapshot(task, TASK_FIELDS)},
        )
        task.delete()


def reminders_deliver_due(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Turn due reminders of open tasks into in-app notifications, each exactly once.

    Safe to run from several workers at once: each reminder's notification has a unique
    key, and the task's ``reminded_at`` is stamped in the same transaction.
    """
    moment = now or timezone.now()
    delivered = 0
    due = (
        Task.objects.filter(status=TaskStatus.OPEN, remind_at__lte=moment, reminded_at__isnull=True)
        .exclude(assignee__isnull=True)
        .order_by("remind_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for task_id in list(due):
        with transaction.atomic():
            task = (
                # Lock only the task row: PostgreSQL refuses FOR UPDATE on the nullable
                # side of the outer join that select_related("assignee") adds.
                Task.objects.select_for_update(of=("self",))
                .filter(pk=task_id, reminded_at__isnull=True)
                .select_related("assignee")
                .first()
            )
            if task is None or task.assignee is None:
                continue
            key = f"task-reminder:{task.pk}:{task.remind_at.isoformat() if task.remind_at else ''}"
            _notification, created = Notification.objects.get_or_create(
                dedupe_key=key[:120],
                defaults={
                    "user": task.assignee,
                    "title": task.title,
                    "url": reverse("timeline:task_detail", args=[task.pk]),
                    "kind": "reminder",
                },
            )
            Task.objects.filter(pk=task.pk).update(reminded_at=moment)
            if created:
                delivered += 1
                event_record(
                    actor=None,
                    verb="task.reminded",
                    subject=task,
                    contact=task.contact,
                    company=task.company,
                    deal=task.deal,
                    lead=task.lead,
                    summary=task.title,
                    payload={"assignee": task.assignee_id},
                )
    return delivered
