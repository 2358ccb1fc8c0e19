"""REST endpoints of journeys: ``/api/v1/journeys`` (list, create, read, change), activate,
pause, archive, a journey's statistics, the ready templates, and the runs of one contact
with their history. Bad input is a 422 naming the field (``definition.steps.0.params.body``).
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.api.common import PageOut, cursor_page
from peyvand.contacts.selectors import contacts_visible_to

from ..journey_models import Journey
from .library import TEMPLATES
from .selectors import contact_runs, journey_stats, journeys_visible_to
from .services import (
    journey_activate,
    journey_archive,
    journey_create,
    journey_from_template,
    journey_pause,
    journey_update,
)

router = Router(tags=["journeys"])

TriggerName = Literal[
    "contact_created",
    "form_submitted",
    "stage_changed",
    "deal_won",
    "deal_lost",
    "purchase",
    "ticket_closed",
    "survey_answered",
    "birthday",
    "date_anniversary",
    "inactivity",
]


class JourneyOut(Schema):
    id: int
    name: str
    description: str
    status: str
    trigger_kind: str
    trigger_params: dict[str, Any]
    entry_rules: dict[str, Any]
    entry_policy: str
    entry_interval_days: int | None
    definition: dict[str, Any]
    version: int
    template_key: str
    owner_id: int | None
    activated_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class JourneyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=150)
    description: str = Field("", max_length=5000)
    trigger_kind: TriggerName
    trigger_params: dict[str, Any] = {}
    entry_rules: dict[str, Any] = {"match": "all", "conditions": []}
    entry_policy: Literal["once_ever", "once_per_days", "every_time"] = "once_ever"
    entry_interval_days: int | None = None
    definition: dict[str, Any] = {"steps": []}


class JourneyPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=150)
    description: str | None = Field(None, max_length=5000)
    trigger_kind: TriggerName | None = None
    trigger_params: dict[str, Any] | None = None
    entry_rules: dict[str, Any] | None = None
    entry_policy: Literal["once_ever", "once_per_days", "every_time"] | None = None
    entry_interval_days: int | None = None
    definition: dict[str, Any] | None = None


class FromTemplateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    template: str = Field(..., max_length=40)


class TemplateOut(Schema):
    key: str
    title: str
    summary: str


class StatsOut(Schema):
    entered: int
    active: int
    completed: int
    exited: int
    failed: int


class RunLogOut(Schema):
    step_id: int | None
    step_kind: str | None
    outcome: str
    occurred_at: datetime.datetime
    detail: dict[str, Any]


class RunOut(Schema):
    id: int
    journey_id: int
    journey_name: str
    version: int
    state: str
    current_step_id: int | None
    wake_at: datetime.datetime | None
    entered_at: datetime.datetime
    finished_at: datetime.datetime | None
    trigger_key: str
    log: list[RunLogOut]


class PageQuery(Schema):
    cursor: str | None = None
    limit: int = 50


def _out(journey: Journey) -> dict[str, Any]:
    return {field: getattr(journey, field) for field in JourneyOut.model_fields}


def _journey(request: AuthenticatedRequest, journey_id: int) -> Journey:
    return journeys_visible_to(request.user).get(pk=journey_id)


@router.get("/journeys", response=PageOut[JourneyOut], summary="List journeys")
def list_journeys(request: AuthenticatedRequest, page: Query[PageQuery]) -> dict[str, Any]:
    require_permission(request.user, "read", "marketing")
    result = cursor_page(
        journeys_visible_to(request.user),
        ordering=["name", "id"],
        cursor=page.cursor,
        limit=page.limit,
    )
    return {"items": [_out(item) for item in result.items], "next_cursor": result.next_cursor}


@router.post("/journeys", response={201: JourneyOut}, summary="Create a journey (a draft)")
def create_journey(request: AuthenticatedRequest, payload: JourneyIn) -> Status[dict[str, Any]]:
    """``definition``: ``{"steps": [{"kind": "send_sms", "params": {"body": "…"}},
    {"kind": "branch", "params": {"condition": {"kind": …, "params": {…}}}, "yes": […],
    "no": […]}]}``."""
    require_permission(request.user, "write", "marketing")
    journey = journey_create(actor=request.user, values=payload.dict())
    return Status(201, _out(journey))


@router.get("/journeys/templates", response=list[TemplateOut], summary="Ready journeys")
def list_templates(request: AuthenticatedRequest) -> list[dict[str, str]]:
    require_permission(request.user, "read", "marketing")
    return [
        {"key": item.key, "title": str(item.title), "summary": str(item.summary)}
        for item in TEMPLATES
    ]


@router.post(
    "/journeys/from-template", response={201: JourneyOut}, summary="Start a draft from a template"
)
def create_from_template(
    request: AuthenticatedRequest, payload: FromTemplateIn
) -> Status[dict[str, Any]]:
    require_permission(request.user, "write", "marketing")
    journey = journey_from_template(actor=request.user, key=payload.template)
    return Status(201, _out(journey))


@router.get("/journeys/{journey_id}", response=JourneyOut, summary="Get a journey")
def get_journey(request: AuthenticatedRequest, journey_id: int) -> dict[str, Any]:
    require_permission(request.user, "read", "marketing")
    return _out(_journey(request, journey_id))


@router.patch("/journeys/{journey_id}", response=JourneyOut, summary="Change a journey")
def update_journey(
    request: AuthenticatedRequest, journey_id: int, payload: JourneyPatch
) -> dict[str, Any]:
    """New steps on a journey that contacts are in make a new version; those contacts
    finish on the version they entered."""
    require_permission(request.user, "write", "marketing")
    values = dict(payload.dict(exclude_unset=True))
    for key in ("name", "description", "trigger_kind", "definition", "entry_rules", "entry_policy"):
        if key in values and values[key] is None:
            values.pop(key)
    journey = journey_update(
        actor=request.user, journey=_journey(request, journey_id), values=values
    )
    return _out(journey)


@router.post("/journeys/{journey_id}/activate", response=JourneyOut, summary="Activate")
def activate_journey(request: AuthenticatedRequest, journey_id: int) -> dict[str, Any]:
    require_permission(request.user, "write", "marketing")
    return _out(journey_activate(actor=request.user, journey=_journey(request, journey_id)))


@router.post("/journeys/{journey_id}/pause", response=JourneyOut, summary="Pause")
def pause_journey(request: AuthenticatedRequest, journey_id: int) -> dict[str, Any]:
    require_permission(request.user, "write", "marketing")
    return _out(journey_pause(actor=request.user, journey=_journey(request, journey_id)))


@router.post("/journeys/{journey_id}/archive", response=JourneyOut, summary="Archive")
def archive_journey(request: AuthenticatedRequest, journey_id: int) -> dict[str, Any]:
    """Every contact still in the journey exits (a line in their history says why)."""
    require_permission(request.user, "write", "marketing")
    return _out(journey_archive(actor=request.user, journey=_journey(request, journey_id)))


@router.get("/journeys/{journey_id}/stats", response=StatsOut, summary="Journey statistics")
def get_stats(request: AuthenticatedRequest, journey_id: int) -> dict[str, int]:
    require_permission(request.user, "read", "marketing")
    return journey_stats(_journey(request, journey_id))


@router.get(
    "/contacts/{contact_id}/journey-runs",
    response=list[RunOut],
    summary="A contact's journeys and their history",
)
def list_contact_runs(request: AuthenticatedRequest, contact_id: int) -> list[dict[str, Any]]:
    require_permission(request.user, "read", "marketing")
    contacts_visible_to(request.user).get(pk=contact_id)
    return [
        {
            "id": run.pk,
            "journey_id": run.journey_id,
            "journey_name": run.journey.name,
            "version": run.version,
            "state": run.state,
            "current_step_id": run.current_step_id,
            "wake_at": run.wake_at,
            "entered_at": run.entered_at,
            "finished_at": run.finished_at,
            "trigger_key": run.trigger_key,
            "log": [
                {
                    "step_id": line.step_id,
                    "step_kind": line.step.kind if line.step else None,
                    "outcome": line.outcome,
                    "occurred_at": line.occurred_at,
                    "detail": line.detail,
                }
                for line in run.log.all()
            ],
        }
        for run in contact_runs(request.user, contact_id)[:100]
    ]
