"""REST endpoints for the duplicate queue, merging and undo, for contacts and companies.

``GET /duplicates?kind=contacts|companies`` lists open pairs the caller sees both sides of;
``POST /duplicates/{kind}/{id}/dismiss`` marks a pair as different records;
``POST /merges/{kind}`` merges records (the first id survives, ``choices`` picks values);
``POST /merges/{kind}/{id}/undo`` undoes a merge. The pages' ``KINDS`` (the same services)
do the work, so permissions, locking and the timeline event are the same whichever door is
used.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from peyvand.accounts.models import User
from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest

from .duplicates import Reason
from .merge_views import KINDS, _Kind
from .merging import duplicate_dismiss
from .models import (
    DuplicateStatus,
    QueuedPair,
)

router = Router(tags=["duplicates"])

Kind = Literal["contacts", "companies"]
MAX_MERGE = 5  # records in one merge, as on the merge page


class ReasonOut(Schema):
    code: str
    similarity: float | None
    text: str


class PairOut(Schema):
    id: int
    kind: str
    first_id: int
    second_id: int
    score: float
    reasons: list[ReasonOut]


class PairFilters(Schema):
    kind: Kind = "contacts"
    limit: int = Field(50, ge=1, le=200)


class MergeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(
        ..., min_length=2, max_length=MAX_MERGE, description="The survivor first."
    )
    choices: dict[str, int] = Field(
        default_factory=dict,
        description="Field name → id of the record whose value the survivor keeps.",
    )


class MergeOut(Schema):
    merge_id: int
    survivor_id: int
    merged_ids: list[int]


class UndoOut(Schema):
    survivor_id: int
    restored_ids: list[int]


def _pair_out(kind: str, pair: QueuedPair) -> dict[str, Any]:
    return {
        "id": pair.pk,
        "kind": kind,
        "first_id": pair.first_id,  # type: ignore[attr-defined]
        "second_id": pair.second_id,  # type: ignore[attr-defined]
        "score": round(pair.score, 3),
        "reasons": [
            {
                "code": item.get("code", ""),
                "similarity": item.get("similarity"),
                "text": Reason(code=item.get("code", ""), similarity=item.get("similarity")).text(),
            }
            for item in pair.reasons
        ],
    }


def _open_pairs(spec: _Kind, user: User) -> QuerySet[Any]:
    """Open pairs whose two records the user may both see (a pair reveals nothing else)."""
    visible = spec.visible(user).values("pk")
    return spec.candidates._default_manager.filter(
        status=DuplicateStatus.OPEN, first__in=visible, second__in=visible
    )


@router.get("/duplicates", response=list[PairOut], summary="List likely duplicates")
def list_duplicates(
    request: AuthenticatedRequest, filters: Query[PairFilters]
) -> list[dict[str, Any]]:
    spec = KINDS[filters.kind]
    require_permission(request.user, "read", spec.area)
    pairs = _open_pairs(spec, request.user).order_by("-score", "id")[: filters.limit]
    return [_pair_out(filters.kind, pair) for pair in pairs]


@router.post(
    "/duplicates/{kind}/{pair_id}/dismiss",
    response=PairOut,
    summary="Mark a pair as different records",
)
def dismiss_duplicate(request: AuthenticatedRequest, kind: Kind, pair_id: int) -> dict[str, Any]:
    spec = KINDS[kind]
    require_permission(request.user, "write", spec.area)
    pair = _open_pairs(spec, request.user).filter(pk=pair_id).first()
    if pair is None:
        raise Http404
    return _pair_out(kind, duplicate_dismiss(actor=request.user, candidate=pair))


@router.post("/merges/{kind}", response={201: MergeOut}, summary="Merge records")
def merge_records(request: AuthenticatedRequest, kind: Kind, payload: MergeIn) -> Status[Any]:
    spec = KINDS[kind]
    require_permission(request.user, "delete", spec.area)
    ids = list(dict.fromkeys(payload.ids))
    found = {record.pk: record for record in spec.visible(request.user).filter(pk__in=ids)}
    if len(found) != len(ids):
        raise Http404  # an id the caller cannot see is no different from one that is gone
    merge = spec.merge(
        actor=request.user,
        survivor=found[ids[0]],
        others=[found[pk] for pk in ids[1:]],
        choices=payload.choices,
    )
    return Status(
        201,
        {"merge_id": merge.pk, "survivor_id": merge.survivor_id, "merged_ids": merge.merged_ids},
    )


@router.post("/merges/{kind}/{merge_id}/undo", response=UndoOut, summary="Undo a merge")
def undo_merge(request: AuthenticatedRequest, kind: Kind, merge_id: int) -> dict[str, Any]:
    spec = KINDS[kind]
    require_permission(request.user, "delete", spec.area)
    merge = spec.merges._default_manager.filter(pk=merge_id).first()
    if merge is None or not spec.visible(request.user).filter(pk=merge.survivor_id).exists():
        raise Http404
    survivor = spec.undo(actor=request.user, merge=merge)
    return {"survivor_id": survivor.pk, "restored_ids": merge.merged_ids}
