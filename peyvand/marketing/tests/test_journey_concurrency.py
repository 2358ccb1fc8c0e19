"""Two workers advancing the same due runs at the same time (PostgreSQL: real row locks with
SKIP LOCKED) run each step once: one outbox message and one history line per run."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from peyvand.contacts.tests.factories import make_contact
from peyvand.marketing.journey_models import JourneyRun, JourneyRunLog, RunState
from peyvand.marketing.journeys.engine import runs_advance
from peyvand.marketing.journeys.triggers import events_consume
from peyvand.messaging.models import OutboxMessage

from .journey_helpers import active_journey, sms, step

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_workers_never_run_the_same_step_twice() -> None:
    journey = active_journey([sms(), step("add_tag", tag="یک‌بار")])
    for _ in range(30):
        make_contact()
    now = timezone.now() + datetime.timedelta(minutes=1)
    events_consume(now=now)
    assert JourneyRun.objects.filter(journey=journey).count() == 30

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            runs_advance(now=now)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert OutboxMessage.objects.count() == 30
    assert JourneyRunLog.objects.filter(run__journey=journey, outcome="done").count() == 60
    assert JourneyRun.objects.filter(journey=journey, state=RunState.DONE).count() == 30
