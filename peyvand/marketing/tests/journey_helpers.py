"""Helpers of the journey tests: a journey built through the service and activated, and a
clock the tests move by hand (the engine takes ``now``; nothing sleeps)."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from peyvand.marketing.journey_models import Journey
from peyvand.marketing.journeys.engine import journeys_tick
from peyvand.marketing.journeys.services import journey_activate, journey_create

TEHRAN = ZoneInfo("Asia/Tehran")


def step(kind: str, **params: Any) -> dict[str, Any]:
    return {"kind": kind, "params": params}


def wait(days: int = 0, hours: int = 0) -> dict[str, Any]:
    return step("wait", days=days, hours=hours)


def sms(body: str = "سلام {{ first_name }}", category: str = "transactional") -> dict[str, Any]:
    return step("send_sms", body=body, category=category)


def active_journey(
    steps: list[dict[str, Any]], trigger_kind: str = "contact_created", **values: Any
) -> Journey:
    journey = journey_create(
        actor=None,
        values={
            "name": "سفر آزمایشی",
            "trigger_kind": trigger_kind,
            "definition": {"steps": steps},
            **values,
        },
    )
    return journey_activate(actor=None, journey=journey)


class Clock:
    """A moving ``now``: ``clock.tick()`` runs the engine at it, ``clock.advance(days=1)``
    moves it."""

    def __init__(self, start: datetime.datetime) -> None:
        self.now = start

    def advance(self, **delta: float) -> datetime.datetime:
        self.now += datetime.timedelta(**delta)
        return self.now

    def tick(self) -> dict[str, int]:
        return journeys_tick(now=self.now)
