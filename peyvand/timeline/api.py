"""REST endpoints for activities (notes, calls, …), a contact's timeline, and tasks."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.api.common import PageOut, cursor_page, resolve_relations
from peyvand.contacts.selectors import contacts_visible_to

from . import services
from .models import Activity, Task
from .selectors import activities_visible_to, tasks_visible_to, timeline_for_contact

router = Router(tags=["timeline"])

ActivityKindName = Literal["note", "call", "meeting", "email", "sms"]


class ActivityOut(Schema):
    id: int
    kind: str
    contact_id: int | None
    company_id: int | None
    subject: str
    body: str
    occurred_at: datetime.datetime
    direction: str
    duration_seconds: int | None
    outcome: str
    location: str
    created_by_id: int | None
    created_at: datetime.datetime


class ActivityIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: ActivityKindName = "note"
    contact_id: int | None = None
    company_id: int | None = None
    subject: str = Field("", max_length=250)
    body: str = ""
    occurred_at: datetime.datetime | None = None
    direction: Literal["inbound", "outbound", ""] = ""
    duration_seconds: int | None = Field(None, ge=0)
    outcome: str = ""
    location: str = ""


class ActivityPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(None, max_length=250)
    body: str | None = None
    occurred_at: datetime.datetime | None = None
    direction: Literal["inbound", "outbound", ""] | None = None
    duration_seconds: int | None = Field(None, ge=0)
    outcome: str | None = None
    location: str | None = None


class ActivityFilters(Schema):
    contact: int | None = None
    company: int | None = None
    kind: str = ""
    cursor: str | None = None
    limit: int = 50


class EventOut(Schema):
    id: int
    occurred_at: datetime.datetime
    verb: str
    actor_id: int | None
    subject_type: str
    subject_id: int
    contact_id: int | None
    company_id: int | None
    summary: str
    payload: dict[str, Any]


class TimelineFilters(Schema):
    kind: list[str] = []
    cursor: str | None = None
    limit: int = 50


@router.get("/activities", response=PageOut[ActivityOut], summary="List activities")
def list_activities(
    request: AuthenticatedRequest, filters: Query[ActivityFilters]
) -> dict[str, Any]:
    require_permission(request.user, "read", "timeline")
    queryset = activities_visible_to(request.user)
    if filters.contact:
        queryset = queryset.filter(contact_id=filters.contact)
    if filters.company:
        queryset = queryset.filter(company_id=filters.company)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    page = cursor_page(
        queryset,
        ordering=["-occurred_at", "-id"],
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/activities", response={201: ActivityOut}, summary="Log a note, call, meeting, …")
def create_activity(request: AuthenticatedRequest, payload: ActivityIn) -> Status[Activity]:
    require_permission(request.user, "write", "timeline")
    data = payload.dict(exclude_unset=True)
    data.setdefault("kind", "note")
    if data.get("occurred_at") is None:
        data.pop("occurred_at", None)
    values = resolve_relations(request.user, data)
    activity = services.activity_log(actor=request.user, values=values)
    return Status(201, activity)


@router.get("/activities/{activity_id}", response=ActivityOut, summary="Get an activity")
def get_activity(request: AuthenticatedRequest, activity_id: int) -> Activity:
    require_permission(request.user, "read", "timeline")
    return activities_visible_to(request.user).get(pk=activity_id)


@router.patch("/activities/{activity_id}", response=ActivityOut, summary="Edit an activity")
def update_activity(
    request: AuthenticatedRequest, activity_id: int, payload: ActivityPatch
) -> Activity:
    require_permission(request.user, "write", "timeline")
    activity = activities_visible_to(request.user).get(pk=activity_id)
    return services.activity_update(
        actor=request.user,
        activity=activity,
        values=payload.dict(exclude_unset=True),
    )


@router.delete("/activities/{activity_id}", response={204: None}, summary="Delete an activity")
def delete_activity(request: AuthenticatedRequest, activity_id: int) -> Status[None]:
    require_permission(request.user, "delete", "timeline")
    activity = activities_visible_to(request.user).get(pk=activity_id)
    services.activity_delete(actor=request.user, activity=activity)
    return Status(204, None)


@router.get(
    "/contacts/{contact_id}/timeline",
    response=PageOut[EventOut],
    summary="A contact's timeline, newest first",
)
def contact_timeline(
    request: AuthenticatedRequest, contact_id: int, filters: Query[TimelineFilters]
) -> dict[str, Any]:
    require_permission(request.user, "read", "timeline")
    contact = contacts_visible_to(request.user).get(pk=contact_id)
    page = cursor_page(
        timeline_for_contact(contact, kinds=filters.kind),
        ordering=["-occurred_at", "-id"],
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


class TaskOut(Schema):
    id: int
    title: str
    description: str
    due_at: datetime.datetime | None
    remind_at: datetime.datetime | None
    priority: str
    status: str
    assignee_id: int | None
    created_by_id: int | None
    contact_id: int | None
    company_id: int | None
    completed_at: datetime.datetime | None
    created_at: datetime.datetime


class TaskIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(..., min_length=1, max_length=250)
    description: str = ""
    due_at: datetime.datetime | None = None
    remind_at: datetime.datetime | None = None
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    assignee_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None


class TaskPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=250)
    description: str | None = None
    due_at: datetime.datetime | None = None
    remind_at: datetime.datetime | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    status: Literal["open", "done", "cancelled"] | None = None
    assignee_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None


class TaskFilters(Schema):
    status: str = "open"
    assignee: str = ""
    contact: int | None = None
    company: int | None = None
    cursor: str | None = None
    limit: int = 50


@router.get("/tasks", response=PageOut[TaskOut], summary="List tasks")
def list_tasks(request: AuthenticatedRequest, filters: Query[TaskFilters]) -> dict[str, Any]:
    require_permission(request.user, "read", "tasks")
    queryset = tasks_visible_to(request.user)
    if filters.status and filters.status != "all":
        queryset = queryset.filter(status=filters.status)
    if filters.assignee == "me":
        queryset = queryset.filter(assignee_id=request.user.pk)
    elif filters.assignee.isdigit():
        queryset = queryset.filter(assignee_id=int(filters.assignee))
    if filters.contact:
        queryset = queryset.filter(contact_id=filters.contact)
    if filters.company:
        queryset = queryset.filter(company_id=filters.company)
    page = cursor_page(queryset, ordering=["-id"], cursor=filters.cursor, limit=filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/tasks", response={201: TaskOut}, summary="Create a task")
def create_task(request: AuthenticatedRequest, payload: TaskIn) -> Status[Task]:
    require_permission(request.user, "write", "tasks")
    values = resolve_relations(request.user, payload.dict(exclude_unset=True))
    return Status(201, services.task_create(actor=request.user, values=values))


@router.get("/tasks/{task_id}", response=TaskOut, summary="Get a task")
def get_task(request: AuthenticatedRequest, task_id: int) -> Task:
    require_permission(request.user, "read", "tasks")
    return tasks_visible_to(request.user).get(pk=task_id)


@router.patch("/tasks/{task_id}", response=TaskOut, summary="Change or complete a task")
def update_task(request: AuthenticatedRequest, task_id: int, payload: TaskPatch) -> Task:
    require_permission(request.user, "write", "tasks")
    task = tasks_visible_to(request.user).get(pk=task_id)
    values = resolve_relations(request.user, payload.dict(exclude_unset=True))
    return services.task_update(actor=request.user, task=task, values=values)


@router.delete("/tasks/{task_id}", response={204: None}, summary="Delete a task")
def delete_task(request: AuthenticatedRequest, task_id: int) -> Status[None]:
    require_permission(request.user, "delete", "tasks")
    task = tasks_visible_to(request.user).get(pk=task_id)
    services.task_delete(actor=request.user, task=task)
    return Status(204, None)
