"""Writes to pipelines and their stages (administrators and managers set them up)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.common.persian import clean_persian

from .models import Pipeline, Stage, StageKind
from .service_helpers import check_permission, error, validate

if TYPE_CHECKING:
    from peyvand.accounts.models import User

# The stages a new pipeline starts with: name, probability, kind.
DEFAULT_STAGES: tuple[tuple[str, int, str], ...] = (
    ("سرنخ واجد شرایط", 10, StageKind.OPEN),
    ("نیازسنجی", 25, StageKind.OPEN),
    ("ارسال پیش‌فاکتور", 50, StageKind.OPEN),
    ("مذاکره", 75, StageKind.OPEN),
    ("موفق", 100, StageKind.WON),
    ("ناموفق", 0, StageKind.LOST),
)


def _check_kinds(stages: Sequence[Stage]) -> None:
    """A pipeline needs at least one open, one won and one lost stage."""
    kinds = {str(stage.kind) for stage in stages}
    missing = {str(kind) for kind in StageKind} - kinds
    if missing:
        raise error(
            "stages",
            _("A pipeline needs at least one open stage, one won stage and one lost stage."),
            "missing_kind",
        )


def pipeline_create(
    *,
    actor: User | None,
    name: str,
    stages: Sequence[Mapping[str, Any]] | None = None,
    is_default: bool = False,
) -> Pipeline:
    """Create a pipeline with ordered stages (``name``, ``probability``, ``kind``,
    ``follow_up_days`` each); without stages it gets the usual six."""
    check_permission(actor, "write", "pipelines")
    name = clean_persian(name)
    if not name:
        raise error("name", _("Enter a name."), "required")
    if Pipeline.objects.filter(name=name).exists():
        raise error("name", _("A pipeline with this name already exists."), "unique")
    rows = (
        stages
        if stages
        else [
            {"name": stage_name, "probability": probability, "kind": kind}
            for stage_name, probability, kind in DEFAULT_STAGES
        ]
    )
    with transaction.atomic():
        pipeline = Pipeline(
            name=name,
            is_default=is_default or not Pipeline.objects.exists(),
            position=Pipeline.objects.count(),
        )
        validate(pipeline)
        pipeline.save()
        built = [_stage_from(pipeline, row, index) for index, row in enumerate(rows)]
        _check_kinds(built)
        Stage.objects.bulk_create(built)
        if pipeline.is_default:
            Pipeline.objects.exclude(pk=pipeline.pk).update(is_default=False)
    return pipeline


def _stage_from(pipeline: Pipeline, row: Mapping[str, Any], index: int) -> Stage:
    stage = Stage(
        pipeline=pipeline,
        name=clean_persian(str(row.get("name") or "")),
        probability=row.get("probability", 10),
        kind=row.get("kind") or StageKind.OPEN,
        follow_up_days=row.get("follow_up_days"),
        position=index,
    )
    if stage.kind == StageKind.WON:
        stage.probability = 100
    elif stage.kind == StageKind.LOST:
        stage.probability = 0
    try:
        validate(stage, exclude=["pipeline"])
    except ValidationError as failure:
        raise ValidationError(
            {f"stages.{index}.{field}": messages for field, messages in failure.error_dict.items()}
        ) from failure
    if not stage.name:
        raise error(f"stages.{index}.name", _("Enter a name."), "required")
    return stage


def pipeline_update(
    *,
    actor: User | None,
    pipeline: Pipeline,
    name: str | None = None,
    stages: Sequence[Mapping[str, Any]] | None = None,
    is_default: bool | None = None,
    is_active: bool | None = None,
) -> Pipeline:
    """Rename, reorder and change stages. ``stages`` lists every stage in the new order;
    a row with an ``id`` changes that stage, one without adds a stage, and a stage left out
    is removed (refused while deals stand in it)."""
    check_permission(actor, "write", "pipelines")
    with transaction.atomic():
        pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
        if name is not None:
            cleaned = clean_persian(name)
            if not cleaned:
                raise error("name", _("Enter a name."), "required")
            if Pipeline.objects.filter(name=cleaned).exclude(pk=pipeline.pk).exists():
                raise error("name", _("A pipeline with this name already exists."), "unique")
            pipeline.name = cleaned
        if is_active is not None:
            pipeline.is_active = is_active
        if is_default:
            Pipeline.objects.exclude(pk=pipeline.pk).update(is_default=False)
            pipeline.is_default = True
        pipeline.save()
        if stages is not None:
            _replace_stages(pipeline, stages)
    return pipeline


def _replace_stages(pipeline: Pipeline, rows: Sequence[Mapping[str, Any]]) -> None:
    existing = {stage.pk: stage for stage in pipeline.stages.all()}
    kept: list[Stage] = []
    for index, row in enumerate(rows):
        fresh = _stage_from(pipeline, row, index)
        stage_id = row.get("id")
        if stage_id:
            stage = existing.get(int(stage_id))
            if stage is None:
                raise error(f"stages.{index}.id", _("No such stage."), "does_not_exist")
            if stage.kind != fresh.kind and stage.deals.exists():
                raise error(
                    f"stages.{index}.kind",
                    _("Move the deals out of this stage before changing its kind."),
                    "in_use",
                )
            for field in ("name", "probability", "kind", "follow_up_days", "position"):
                setattr(stage, field, getattr(fresh, field))
            kept.append(stage)
        else:
            kept.append(fresh)
    _check_kinds(kept)
    kept_ids = {stage.pk for stage in kept}
    removed = [stage for stage_id, stage in existing.items() if stage_id not in kept_ids]
    for stage in removed:
        if stage.deals.exists():
            raise error(
                "stages",
                _("The stage «%(name)s» still has deals; move them first.") % {"name": stage.name},
                "in_use",
            )
    Stage.objects.filter(pk__in=[stage.pk for stage in removed]).delete()
    for stage in kept:
        stage.save()
