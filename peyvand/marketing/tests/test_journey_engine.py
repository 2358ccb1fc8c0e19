"""The engine through its public functions with a controllable clock: triggers from the event
log, enter-once rules, waits, branches, steps' effects, versioning, pause and archive."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone, translation

from peyvand.contacts.models import Contact
from peyvand.contacts.services import contact_update
from peyvand.contacts.tests.factories import make_contact
from peyvand.marketing.journey_models import JourneyRun, JourneyRunLog, JourneyStep, RunState
from peyvand.marketing.journeys.engine import run_advance
from peyvand.marketing.journeys.services import (
    journey_activate,
    journey_archive,
    journey_pause,
    journey_update,
)
from peyvand.messaging.models import OutboxMessage
from peyvand.timeline.events import event_record
from peyvand.timeline.models import Event, Task

from .journey_helpers import Clock, active_journey, sms, step, wait

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock() -> Clock:
    return Clock(timezone.now() + datetime.timedelta(minutes=1))


def outcomes(run: JourneyRun) -> list[str]:
    return list(JourneyRunLog.objects.filter(run=run).values_list("outcome", flat=True))


def test_contact_created_starts_a_run_that_waits_and_then_sends(clock: Clock) -> None:
    journey = active_journey([wait(days=1), sms("سلام {{ first_name }}")])
    contact = make_contact(first_name="نگار", phones=["09121234567"])

    assert clock.tick()["started"] == 1
    run = JourneyRun.objects.get(journey=journey)
    assert (run.contact_id, run.state, run.version) == (contact.pk, RunState.WAITING, 1)
    assert run.wake_at == clock.now + datetime.timedelta(days=1)
    assert OutboxMessage.objects.count() == 0

    clock.advance(hours=23)
    clock.tick()
    assert OutboxMessage.objects.count() == 0

    clock.advance(hours=1)
    clock.tick()
    message = OutboxMessage.objects.get()
    run.refresh_from_db()
    assert message.recipient == "+989121234567"
    assert message.body_text == "سلام نگار"
    send_step = JourneyStep.objects.get(journey=journey, path="2")
    assert message.purpose == f"journey:{journey.pk}:run:{run.pk}:step:{send_step.pk}"
    assert run.state == RunState.DONE
    assert outcomes(run) == ["entered", "waiting", "done", "completed"]


def test_events_before_activation_and_other_verbs_start_nothing(clock: Clock) -> None:
    make_contact()
    journey = active_journey([sms()], trigger_kind="deal_won")
    contact = make_contact()
    assert clock.tick()["started"] == 0
    event_record(actor=None, verb="deal.won", subject=contact, contact=contact)
    assert clock.tick()["started"] == 1
    assert JourneyRun.objects.get(journey=journey).contact == contact


def test_reading_the_same_events_again_starts_each_run_once(clock: Clock) -> None:
    journey = active_journey([wait(days=3)], entry_policy="every_time")
    make_contact()
    make_contact()
    clock.tick()
    # Everything re-read from the start (as after a crash before the cursor moved).
    from peyvand.marketing.journey_models import JourneyCursor

    JourneyCursor.objects.filter(name="events").update(position=0)
    clock.tick()
    assert JourneyRun.objects.filter(journey=journey).count() == 2


def test_enter_once_ever_per_days_and_every_time(clock: Clock) -> None:
    once = active_journey([wait(days=1)], trigger_kind="deal_won", entry_policy="once_ever")
    per_week = active_journey(
        [wait(days=1)],
        trigger_kind="deal_won",
        entry_policy="once_per_days",
        entry_interval_days=7,
    )
    every = active_journey([wait(days=1)], trigger_kind="deal_won", entry_policy="every_time")
    contact = make_contact()

    def win() -> None:
        event_record(actor=None, verb="deal.won", subject=contact, contact=contact)
        clock.tick()

    win()
    clock.advance(days=2)
    win()
    clock.advance(days=6)
    win()
    assert JourneyRun.objects.filter(journey=once).count() == 1
    assert JourneyRun.objects.filter(journey=per_week).count() == 2
    assert JourneyRun.objects.filter(journey=every).count() == 3


def test_entry_conditions_use_segment_rules(clock: Clock) -> None:
    journey = active_journey(
        [wait(days=1)],
        entry_rules={
            "match": "all",
            "conditions": [
                {"kind": "contact.city", "params": {"operator": "equals", "value": "تهران"}}
            ],
        },
    )
    tehran = make_contact(city="تهران")
    make_contact(city="شیراز")
    clock.tick()
    assert list(
        JourneyRun.objects.filter(journey=journey).values_list("contact_id", flat=True)
    ) == [tehran.pk]


def test_stage_changed_trigger_matches_the_new_stage(clock: Clock) -> None:
    journey = active_journey(
        [wait(days=1)], trigger_kind="stage_changed", trigger_params={"to_stage": "customer"}
    )
    first = make_contact()
    second = make_contact()
    contact_update(actor=None, contact=first, values={"lifecycle_stage": "opportunity"})
    contact_update(actor=None, contact=second, values={"lifecycle_stage": "customer"})
    clock.tick()
    assert list(
        JourneyRun.objects.filter(journey=journey).values_list("contact_id", flat=True)
    ) == [second.pk]


def test_survey_and_purchase_triggers(clock: Clock) -> None:
    detractors = active_journey(
        [wait(days=1)],
        trigger_kind="survey_answered",
        trigger_params={"survey_kind": "csat", "max_score": 2},
    )
    buyers = active_journey([wait(days=1)], trigger_kind="purchase")
    unhappy, happy = make_contact(), make_contact()
    event_record(
        actor=None,
        verb="feedback.csat_answered",
        subject=unhappy,
        contact=unhappy,
        payload={"score": 1},
    )
    event_record(
        actor=None,
        verb="feedback.csat_answered",
        subject=happy,
        contact=happy,
        payload={"score": 5},
    )
    event_record(actor=None, verb="order.purchased", subject=happy, contact=happy, payload={})
    clock.tick()
    assert [run.contact_id for run in JourneyRun.objects.filter(journey=detractors)] == [unhappy.pk]
    assert [run.contact_id for run in JourneyRun.objects.filter(journey=buyers)] == [happy.pk]


def branch(condition: dict[str, Any], yes: list[Any], no: list[Any]) -> dict[str, Any]:
    return {"kind": "branch", "params": {"condition": condition}, "yes": yes, "no": no}


def test_branch_on_a_segment_condition_then_joins_the_main_flow(clock: Clock) -> None:
    city = {"kind": "contact.city", "params": {"operator": "equals", "value": "تهران"}}
    journey = active_journey(
        [
            branch(city, yes=[step("add_tag", tag="تهرانی")], no=[step("add_tag", tag="شهرستان")]),
            step("add_tag", tag="پایان"),
        ]
    )
    tehran = make_contact(city="تهران")
    shiraz = make_contact(city="شیراز")
    clock.tick()
    assert set(tehran.tags.values_list("name", flat=True)) == {"پایان", "تهرانی"}
    assert set(shiraz.tags.values_list("name", flat=True)) == {"پایان", "شهرستان"}
    run = JourneyRun.objects.get(journey=journey, contact=tehran)
    assert outcomes(run) == ["entered", "yes", "done", "done", "completed"]


def test_branch_on_purchase_since_entering_after_a_wait(clock: Clock) -> None:
    journey = active_journey(
        [
            wait(days=7),
            branch(
                {"kind": "journey.purchased_since_entry", "params": {}},
                yes=[step("add_tag", tag="خریدار")],
                no=[step("set_lifecycle_stage", stage="churned")],
            ),
        ]
    )
    buyer, quiet = make_contact(), make_contact()
    clock.tick()
    clock.advance(days=3)
    event_record(
        actor=None, verb="order.purchased", subject=buyer, contact=buyer, occurred_at=clock.now
    )
    clock.advance(days=4)
    clock.tick()
    assert list(buyer.tags.values_list("name", flat=True)) == ["خریدار"]
    quiet.refresh_from_db()
    assert quiet.lifecycle_stage == "churned"
    assert JourneyRun.objects.filter(journey=journey, state=RunState.DONE).count() == 2


def test_branch_on_opening_the_previous_email(clock: Clock) -> None:
    active_journey(
        [
            step("send_email", subject="خوش آمدید", body="سلام", category="transactional"),
            wait(days=2),
            branch(
                {"kind": "journey.opened_previous_email", "params": {}},
                yes=[step("add_tag", tag="خواننده")],
                no=[],
            ),
        ]
    )
    reader = make_contact(emails=["reader@example.com"])
    other = make_contact(emails=["other@example.com"])
    clock.tick()
    OutboxMessage.objects.filter(recipient="reader@example.com").update(opened_at=clock.now)
    clock.advance(days=2)
    clock.tick()
    assert list(reader.tags.values_list("name", flat=True)) == ["خواننده"]
    assert other.tags.count() == 0


def test_create_task_and_assign_owner(clock: Clock, sales_user: Any) -> None:
    active_journey(
        [
            step("assign_owner", owner=sales_user.pk),
            step("create_task", title="تماس با {{ full_name }}", due_days=2),
        ]
    )
    contact = make_contact(first_name="سارا", last_name="امینی")
    clock.tick()
    contact.refresh_from_db()
    task = Task.objects.get(contact=contact)
    assert contact.owner == sales_user
    assert (task.title, task.assignee) == ("تماس با سارا امینی", sales_user)
    assert task.due_at == clock.now + datetime.timedelta(days=2)


def test_a_contact_without_a_phone_skips_the_sms_and_goes_on(clock: Clock) -> None:
    journey = active_journey([sms(), step("add_tag", tag="بعدی")])
    contact = make_contact(phones=[])
    clock.tick()
    run = JourneyRun.objects.get(journey=journey)
    assert outcomes(run) == ["entered", "skipped", "done", "completed"]
    assert list(contact.tags.values_list("name", flat=True)) == ["بعدی"]


def test_a_retried_step_never_sends_twice(clock: Clock) -> None:
    journey = active_journey([sms(), wait(days=1)])
    make_contact()
    clock.tick()
    run = JourneyRun.objects.get(journey=journey)
    first_step = JourneyStep.objects.get(journey=journey, path="1")
    # As if the worker crashed after the send and before the run moved on.
    JourneyRun.objects.filter(pk=run.pk).update(
        current_step=first_step, state=RunState.ACTIVE, wake_at=clock.now
    )
    run_advance(run.pk, now=clock.now)
    assert OutboxMessage.objects.count() == 1
    assert JourneyRunLog.objects.filter(run=run, outcome="done").count() == 2


def test_editing_a_live_journey_keeps_runs_on_their_version(clock: Clock) -> None:
    journey = active_journey([wait(days=1), step("add_tag", tag="نسخه۱")])
    early = make_contact()
    clock.tick()
    journey = journey_update(
        actor=None,
        journey=journey,
        values={"definition": {"steps": [wait(days=1), step("add_tag", tag="نسخه۲")]}},
    )
    assert journey.version == 2
    late = make_contact()
    clock.tick()
    clock.advance(days=1)
    clock.tick()
    assert list(early.tags.values_list("name", flat=True)) == ["نسخه۱"]
    assert list(late.tags.values_list("name", flat=True)) == ["نسخه۲"]
    assert JourneyStep.objects.filter(journey=journey, version=1).count() == 2
    assert sorted(JourneyRun.objects.values_list("version", flat=True)) == [1, 2]


def test_a_draft_without_runs_is_rewritten_in_place() -> None:
    from peyvand.marketing.journeys.services import journey_create

    journey = journey_create(
        actor=None,
        values={
            "name": "پیش‌نویس",
            "trigger_kind": "contact_created",
            "definition": {"steps": [wait(days=1)]},
        },
    )
    journey = journey_update(
        actor=None, journey=journey, values={"definition": {"steps": [wait(days=2)]}}
    )
    assert journey.version == 1
    assert list(JourneyStep.objects.filter(journey=journey).values_list("params", flat=True)) == [
        {"days": 2, "hours": 0}
    ]


def test_pausing_keeps_runs_and_archiving_exits_them(clock: Clock) -> None:
    journey = active_journey([wait(days=1), step("add_tag", tag="رسید")])
    contact = make_contact()
    clock.tick()
    journey = journey_pause(actor=None, journey=journey)
    clock.advance(days=2)
    clock.tick()
    run = JourneyRun.objects.get(journey=journey)
    assert run.state == RunState.WAITING
    assert contact.tags.count() == 0
    journey = journey_activate(actor=None, journey=journey)
    clock.tick()
    assert list(contact.tags.values_list("name", flat=True)) == ["رسید"]

    second = make_contact()
    clock.tick()
    journey_archive(actor=None, journey=journey, now=clock.now)
    waiting = JourneyRun.objects.get(journey=journey, contact=second)
    assert waiting.state == RunState.EXITED
    assert JourneyRunLog.objects.filter(run=waiting).last().detail == {"reason": "archived"}  # type: ignore[union-attr]


def test_entering_writes_a_timeline_event(clock: Clock) -> None:
    journey = active_journey([wait(days=1)])
    contact = make_contact()
    clock.tick()
    event = Event.objects.get(verb="journey.entered")
    with translation.override("en"):
        assert str(event.label) == "Entered a journey"
    assert (event.contact_id, event.summary, event.payload["journey"]) == (
        contact.pk,
        journey.name,
        journey.pk,
    )


def test_merged_contacts_do_not_enter(clock: Clock) -> None:
    journey = active_journey([wait(days=1)], trigger_kind="deal_won")
    contact, survivor = make_contact(), make_contact()
    Contact.objects.filter(pk=contact.pk).update(merged_into=survivor)
    event_record(actor=None, verb="deal.won", subject=contact, contact=contact)
    clock.tick()
    assert not JourneyRun.objects.filter(journey=journey).exists()


def test_the_worker_runs_journeys_every_minute() -> None:
    from peyvand.marketing.journeys.engine import journeys_job
    from peyvand.web.scheduler import default_jobs

    [job] = [job for job in default_jobs() if job.run is journeys_job]
    assert job.every_seconds == 60
    journey = active_journey([step("add_tag", tag="کارگر")])
    contact = make_contact()
    job.run()
    assert JourneyRun.objects.get(journey=journey).state == RunState.DONE
    assert list(contact.tags.values_list("name", flat=True)) == ["کارگر"]


def test_a_step_that_raises_is_retried_then_the_run_fails(
    clock: Clock, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.PEYVAND_JOURNEY_WEBHOOK_ATTEMPTS = 2
    journey = active_journey([step("add_tag", tag="خراب")])
    contact = make_contact()

    def broken(**kwargs: Any) -> int:
        raise RuntimeError("tag store is down")

    monkeypatch.setattr("peyvand.contacts.services.contacts_bulk_tag", broken)
    clock.tick()
    run = JourneyRun.objects.get(journey=journey)
    assert (run.state, run.attempts) == (RunState.ACTIVE, 1)
    assert run.wake_at == clock.now + datetime.timedelta(minutes=1)
    clock.advance(minutes=1)
    clock.tick()
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    assert outcomes(run) == ["entered", "retry", "failed"]
    assert contact.tags.count() == 0


def test_the_cursor_skips_ahead_when_no_journey_listens(clock: Clock) -> None:
    from peyvand.marketing.journey_models import JourneyCursor

    for _ in range(3):
        make_contact()
    clock.tick()
    last = Event.objects.order_by("-id").values_list("id", flat=True).first()
    assert JourneyCursor.objects.get(name="events").position == last
