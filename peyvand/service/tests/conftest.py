"""Fixtures of the service desk tests: a controllable clock and ticket makers."""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

TEHRAN = ZoneInfo("Asia/Tehran")


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[..., datetime.datetime]:
    """``at(2026, 11, 25, 15)`` makes now that Tehran time; returns it."""

    def set_now(*parts: int) -> datetime.datetime:
        instant = datetime.datetime(*parts, tzinfo=TEHRAN)
        monkeypatch.setattr(timezone, "now", lambda: instant)
        return instant

    return set_now


@pytest.fixture(autouse=True)
def default_sla(db: Any) -> None:
    """What a fresh install has: the Iranian business calendar with its holidays and the
    standard policy, made by a data migration (a transactional test elsewhere flushes them,
    so they are made again, by the same code, when missing)."""
    from django.apps import apps

    migration = importlib.import_module(
        "peyvand.service.migrations.0002_default_calendar_and_policy"
    )
    migration.create_defaults(apps, None)
