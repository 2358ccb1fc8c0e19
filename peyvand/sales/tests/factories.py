"""Test data for sales: pipelines with stages, deals and leads made through the services."""

from __future__ import annotations

from typing import Any

from peyvand.accounts.models import User
from peyvand.sales.deals import deal_create
from peyvand.sales.leads import lead_create
from peyvand.sales.models import Deal, Lead, Pipeline, Stage, StageKind
from peyvand.sales.pipelines import pipeline_create


def make_pipeline(name: str = "فروش سازمانی", **extra: Any) -> Pipeline:
    return pipeline_create(actor=None, name=name, **extra)


def stage_of(pipeline: Pipeline, kind: str = StageKind.OPEN, index: int = 0) -> Stage:
    """The ``index``-th stage of ``kind`` in ``pipeline`` (by position)."""
    return list(pipeline.stages.filter(kind=kind).order_by("position", "id"))[index]


def make_deal(*, owner: User | None = None, actor: User | None = None, **values: Any) -> Deal:
    values.setdefault("title", "خرید ۲۰ لپ‌تاپ")
    values.setdefault("amount", 1_500_000_000)
    if owner is not None:
        values["owner"] = owner
    return deal_create(actor=actor, values=values)


def make_lead(*, actor: User | None = None, **values: Any) -> Lead:
    values.setdefault("first_name", "سارا")
    values.setdefault("last_name", "کریمی")
    values.setdefault("phone", "09121234567")
    return lead_create(actor=actor, values=values)
