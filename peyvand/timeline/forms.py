"""Forms for logging activities and editing tasks; writes go through ``services``."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import User
from peyvand.common.forms import JalaliDateField

from .models import ActivityKind, CallOutcome, Direction, TaskPriority, TaskStatus


def combine_local(
    day: datetime.date | None, time: datetime.time | None
) -> datetime.datetime | None:
    """An aware Tehran datetime from a date and an optional time (default 09:00)."""
    if day is None:
        return None
    moment = datetime.datetime.combine(day, time or datetime.time(9, 0))
    return timezone.make_aware(moment, timezone.get_default_timezone())


class ActivityForm(forms.Form):
    """A note, call, meeting, email or SMS typed on a contact's or company's page."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices, initial="note")
    subject = forms.CharField(label=_("Subject"), max_length=250, required=False)
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    occurred_on = JalaliDateField(label=_("Date"), required=False)
    occurred_time = forms.TimeField(
        label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    direction = forms.ChoiceField(
        label=_("Direction"), choices=[("", "—"), *Direction.choices], required=False
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=0, required=False
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *CallOutcome.choices], required=False
    )

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {
            "kind": data["kind"],
            "subject": data["subject"],
            "body": data["body"],
            "direction": data["direction"],
            "outcome": data["outcome"],
        }
        if data.get("duration_minutes") is not None:
            values["duration_seconds"] = data["duration_minutes"] * 60
        when = combine_local(data.get("occurred_on"), data.get("occurred_time"))
        if when is not None:
            values["occurred_at"] = when
        return values


class TaskForm(forms.Form):
    """Create or edit a task; the due date is typed in Jalali (Persian or ASCII digits)."""

    title = forms.CharField(label=_("Title"), max_length=250)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    due_date = JalaliDateField(label=_("Due date"), required=False)
    due_time = forms.TimeField(
        label=_("Due time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    remind_minutes_before = forms.IntegerField(
        label=_("Remind me (minutes before)"), min_value=0, required=False
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=TaskPriority.choices, initial=TaskPriority.NORMAL
    )
    status = forms.ChoiceField(label=_("Status"), choices=TaskStatus.choices, initial="open")
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.filter(is_active=True), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("remind_minutes_before") is not None and not data.get("due_date"):
            self.add_error("due_date", _("Set a due date to get a reminder."))
        return data

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        due_at = combine_local(data.get("due_date"), data.get("due_time"))
        remind_at = None
        if due_at is not None and data.get("remind_minutes_before") is not None:
            remind_at = due_at - datetime.timedelta(minutes=data["remind_minutes_before"])
        return {
            "title": data["title"],
            "description": data["description"],
            "due_at": due_at,
            "remind_at": remind_at,
            "priority": data["priority"],
            "status": data["status"],
            "assignee": data.get("assignee"),
        }

    @classmethod
    def initial_from(cls, task: Any) -> dict[str, Any]:
        due = timezone.localtime(task.due_at) if task.due_at else None
        remind = None
        if task.due_at and task.remind_at:
            remind = int((task.due_at - task.remind_at).total_seconds() // 60)
        return {
            "title": task.title,
            "description": task.description,
            "due_date": due.date() if due else None,
            "due_time": due.time().replace(second=0, microsecond=0) if due else None,
            "remind_minutes_before": remind,
            "priority": task.priority,
            "status": task.status,
            "assignee": task.assignee,
        }
