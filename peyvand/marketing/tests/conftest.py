"""Fixtures of the segment tests: a controllable clock and a helper that builds a segment
through the service and returns its members' ids."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from peyvand.marketing.models import Segment
from peyvand.marketing.selectors import segment_members
from peyvand.marketing.services import segment_create

TEHRAN = ZoneInfo("Asia/Tehran")


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[..., datetime.datetime]:
    """``at(2026, 11, 25, 15)`` makes now that Tehran time; returns it."""

    def set_now(*parts: int) -> datetime.datetime:
        instant = datetime.datetime(*parts, tzinfo=TEHRAN)
        monkeypatch.setattr(timezone, "now", lambda: instant)
        return instant

    return set_now


def condition(kind: str, **params: Any) -> dict[str, Any]:
    return {"kind": kind, "params": params}


def rules(*conditions: Any, match: str = "all") -> dict[str, Any]:
    return {"match": match, "conditions": list(conditions)}


def dynamic(*conditions: Any, match: str = "all", actor: Any = None, **extra: Any) -> Segment:
    return segment_create(
        actor=actor,
        values={"name": "بخش آزمایشی", "rules": rules(*conditions, match=match), **extra},
    )


@pytest.fixture
def members() -> Callable[..., set[int]]:
    """``members(condition(...), ...)``: the ids of the contacts a new dynamic segment with
    those conditions holds (``user=`` scopes it, ``match=`` says all or any)."""

    def run(*conditions: Any, match: str = "all", user: Any = None) -> set[int]:
        segment = dynamic(*conditions, match=match)
        return set(segment_members(segment, user=user).values_list("pk", flat=True))

    return run
