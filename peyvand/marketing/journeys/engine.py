"""Walking runs: each due run moves one step at a time, every step in its own transaction
with the run row locked (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so a second
worker skips a run the first holds; SQLite serializes writers). The step's database effects
(outbox row, task, tag, owner, stage), its history line and the run's move commit together:
a crash rolls all of them back and the step runs again, and a send then finds its outbox row
by its key ``journey:<journey>:run:<run>:step:<step>`` instead of making a second one.

Time is a parameter (``now``) everywhere, so tests move the clock instead of sleeping."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from typing import Any

import jdatetime
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from peyvand.contacts.models import Contact
from peyvand.messaging.models import MessageChannel, OutboxMessage
from peyvand.messaging.outbox import outbox_enqueue, render_placeholders
from peyvand.timeline.models import Event

from ..campaigns.personalize import mentions_next_product
from ..journey_models import (
    Journey,
    JourneyRun,
    JourneyRunLog,
    JourneyStatus,
    JourneyStep,
    RunState,
    StepKind,
    StepOutcome,
    TriggerKind,
)
from ..rules import rules_q
from .triggers import PURCHASE_VERB, TEHRAN, date_triggers_daily, events_consume
from .webhook import webhook_post

logger = logging.getLogger(__name__)

OPEN_STATES = (RunState.ACTIVE, RunState.WAITING)
MAX_STEPS_PER_PASS = 25


def webhook_max_attempts() -> int:
    return int(getattr(settings, "PEYVAND_JOURNEY_WEBHOOK_ATTEMPTS", 5))


def webhook_backoff(attempt: int) -> datetime.timedelta:
    """1, 2, 4, 8… minutes after the first, second, third… failure (at most a day)."""
    return datetime.timedelta(minutes=min(2 ** (attempt - 1), 24 * 60))


def discount_code(contact_id: int, year: int) -> str:
    """A personal code for one contact and one (Jalali) year: the same every time it is
    asked for, and not guessable without the site's secret key."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"journey-code:{contact_id}:{year}".encode(), hashlib.sha256
    ).digest()
    return "BD" + base64.b32encode(digest).decode()[:8]


@dataclass
class StepResult:
    outcome: str
    detail: dict[str, Any] = field(default_factory=dict)
    # Where the run goes next; ``stay`` keeps it on this step (a retry).
    next_step: JourneyStep | None = None
    stay: bool = False
    wake_at: datetime.datetime | None = None
    state: str = RunState.ACTIVE


def run_purpose_prefix(*, journey_id: int, run_id: int) -> str:
    """How the outbox purposes of one run's messages start."""
    return f"journey:{journey_id}:run:{run_id}:"


def _purpose(run: JourneyRun, step: JourneyStep) -> str:
    return f"{run_purpose_prefix(journey_id=run.journey_id, run_id=run.pk)}step:{step.pk}"


def _placeholders(run: JourneyRun, contact: Contact, *texts: str) -> dict[str, object]:
    """What ``texts`` (the step's subject, body, title) may name; the contact's next best
    product is looked up only when one of them uses it."""
    year = jdatetime.date.fromgregorian(date=run.entered_at.astimezone(TEHRAN).date()).year
    values: dict[str, object] = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "full_name": contact.full_name,
        "discount_code": discount_code(contact.pk, year),
    }
    if mentions_next_product(*texts):
        # Intelligence sits above marketing, hence the import here.
        from peyvand.intelligence.product_recommendations import next_product_names

        values["next_product"] = next_product_names([contact.pk])[contact.pk]
    return values


def _address(contact: Contact, channel: str) -> str:
    if channel == MessageChannel.EMAIL:
        return str(
            contact.emails.order_by("position").values_list("address", flat=True).first() or ""
        )
    numbers = list(contact.phones.order_by("position").values_list("number", "kind"))
    mobiles = [number for number, kind in numbers if kind == "mobile"]
    return str((mobiles or [number for number, _kind in numbers] or [""])[0])


def _send(
    run: JourneyRun, step: JourneyStep, contact: Contact, now: datetime.datetime
) -> StepResult:
    channel = MessageChannel.EMAIL if step.kind == StepKind.SEND_EMAIL else MessageChannel.SMS
    params = step.params
    recipient = _address(contact, channel)
    if not recipient:
        return StepResult(
            StepOutcome.SKIPPED, {"reason": "no_address", "channel": channel}, step.next_step
        )
    body_template, subject_template = str(params.get("body", "")), str(params.get("subject", ""))
    values = _placeholders(run, contact, body_template, subject_template)
    body = render_placeholders(body_template, values, html=False)
    subject = render_placeholders(subject_template, values, html=False)
    try:
        message = outbox_enqueue(
            purpose=_purpose(run, step),
            channel=channel,
            recipient=recipient,
            category=str(params.get("category", "marketing")),
            contact=contact,
            subject=subject,
            body_text=body,
            track_opens=channel == MessageChannel.EMAIL,
            track_clicks=channel == MessageChannel.EMAIL,
        )
    except ValidationError:
        return StepResult(
            StepOutcome.SKIPPED, {"reason": "bad_address", "channel": channel}, step.next_step
        )
    detail: dict[str, Any] = {"message": message.pk, "channel": channel}
    if "discount_code" in str(params.get("body", "")) + str(params.get("subject", "")):
        detail["discount_code"] = values["discount_code"]
    return StepResult(StepOutcome.DONE, detail, step.next_step)


def _previous_email(run: JourneyRun) -> OutboxMessage | None:
    return (
        OutboxMessage.objects.filter(
            purpose__startswith=f"journey:{run.journey_id}:run:{run.pk}:",
            channel=MessageChannel.EMAIL,
        )
        .order_by("-id")
        .first()
    )


def condition_holds(run: JourneyRun, condition: dict[str, Any]) -> bool:
    """A branch's test on the run's contact: a run test or any segment condition kind."""
    kind = condition.get("kind")
    if kind in {"journey.opened_previous_email", "journey.clicked_previous_email"}:
        message = _previous_email(run)
        if message is None:
            return False
        stamp = message.opened_at if kind == "journey.opened_previous_email" else message.clicked_at
        return stamp is not None
    if kind == "journey.purchased_since_entry":
        return Event.objects.filter(
            contact_id=run.contact_id, verb=PURCHASE_VERB, occurred_at__gte=run.entered_at
        ).exists()
    query = rules_q({"match": "all", "conditions": [condition]})
    return Contact.objects.filter(pk=run.contact_id).filter(query).exists()


def _webhook(
    run: JourneyRun, step: JourneyStep, contact: Contact, now: datetime.datetime
) -> StepResult:
    journey = run.journey
    payload = {
        "journey": {"id": journey.pk, "name": journey.name, "version": run.version},
        "run": run.pk,
        "step": step.pk,
        "contact": {
            "id": contact.pk,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "lifecycle_stage": contact.lifecycle_stage,
        },
        "sent_at": now.isoformat(),
    }
    result = webhook_post(
        url=str(step.params.get("url", "")),
        payload=payload,
        secret=journey.webhook_secret,
        delivery=_purpose(run, step),
        timeout=float(getattr(settings, "PEYVAND_JOURNEY_WEBHOOK_TIMEOUT", 5)),
    )
    attempt = run.attempts + 1
    detail: dict[str, Any] = {"status": result.status, "attempt": attempt}
    if result.ok:
        return StepResult(StepOutcome.DONE, detail, step.next_step)
    detail["error"] = result.error
    if result.permanent or attempt >= webhook_max_attempts():
        return StepResult(StepOutcome.FAILED, detail, None, state=RunState.FAILED)
    return StepResult(
        StepOutcome.RETRY, detail, step, stay=True, wake_at=now + webhook_backoff(attempt)
    )


def _execute(run: JourneyRun, step: JourneyStep, now: datetime.datetime) -> StepResult:
    from peyvand.accounts.models import User
    from peyvand.contacts.services import contact_update, contacts_bulk_tag
    from peyvand.timeline.services import task_create

    contact = run.contact
    params = step.params
    kind = step.kind
    if kind in {StepKind.SEND_EMAIL, StepKind.SEND_SMS}:
        return _send(run, step, contact, now)
    if kind == StepKind.WAIT:
        until = now + datetime.timedelta(
            days=int(params.get("days", 0)), hours=int(params.get("hours", 0))
        )
        return StepResult(
            StepOutcome.WAITING,
            {"until": until.isoformat()},
            step.next_step,
            wake_at=until,
            state=RunState.WAITING,
        )
    if kind == StepKind.BRANCH:
        holds = condition_holds(run, dict(params.get("condition") or {}))
        target = step.yes_step if holds else step.no_step
        return StepResult(
            StepOutcome.YES if holds else StepOutcome.NO, {}, target or step.next_step
        )
    if kind == StepKind.CREATE_TASK:
        values = _placeholders(run, contact, str(params.get("title", "")))
        task = task_create(
            actor=None,
            values={
                "title": render_placeholders(str(params.get("title", "")), values, html=False)[
                    :200
                ],
                "contact": contact,
                "assignee": contact.owner,
                "due_at": now + datetime.timedelta(days=int(params.get("due_days", 1))),
            },
        )
        return StepResult(StepOutcome.DONE, {"task": task.pk}, step.next_step)
    if kind == StepKind.ASSIGN_OWNER:
        owner = User.objects.filter(pk=params.get("owner"), is_active=True).first()
        if owner is None:
            return StepResult(StepOutcome.SKIPPED, {"reason": "no_such_user"}, step.next_step)
        contact_update(actor=None, contact=contact, values={"owner": owner})
        return StepResult(StepOutcome.DONE, {"owner": owner.pk}, step.next_step)
    if kind == StepKind.ADD_TAG:
        contacts_bulk_tag(actor=None, contacts=[contact], tag_names=[str(params.get("tag", ""))])
        return StepResult(StepOutcome.DONE, {"tag": params.get("tag")}, step.next_step)
    if kind == StepKind.SET_LIFECYCLE_STAGE:
        contact_update(actor=None, contact=contact, values={"lifecycle_stage": params.get("stage")})
        return StepResult(StepOutcome.DONE, {"stage": params.get("stage")}, step.next_step)
    if kind == StepKind.CALL_WEBHOOK:
        return _webhook(run, step, contact, now)
    return StepResult(StepOutcome.SKIPPED, {"reason": "unknown_step"}, step.next_step)


def step_execute(run_id: int, *, now: datetime.datetime) -> bool:
    """Run the current step of one due run, if no other worker holds it; True when the run
    may go straight on to its next step."""
    with transaction.atomic():
        # Lock the run row alone, then read it with its relations: a locking query with
        # joins re-checks a row another worker has just moved on against the joined rows it
        # read before (PostgreSQL's EvalPlanQual), so it would miss the run for this pass.
        locked = (
            JourneyRun.objects.select_for_update(skip_locked=True)
            .filter(pk=run_id, state__in=OPEN_STATES, wake_at__lte=now)
            .values_list("pk", flat=True)
            .first()
        )
        if locked is None:
            return False
        run = (
            JourneyRun.objects.select_related("journey", "contact", "current_step")
            .filter(pk=locked, journey__status=JourneyStatus.ACTIVE)
            .first()
        )
        if run is None:
            return False
        step = run.current_step
        if step is None:
            _finish(run, RunState.DONE, StepOutcome.COMPLETED, now)
            return False
        try:
            with transaction.atomic():
                result = _execute(run, step, now)
        except ValidationError as error:
            # A step that cannot be done for this contact (a rule it breaks) is skipped, and
            # the reason kept in the history.
            result = StepResult(
                StepOutcome.SKIPPED, {"reason": "invalid", "errors": error.messages}, step.next_step
            )
        JourneyRunLog.objects.create(
            run=run, step=step, outcome=result.outcome, occurred_at=now, detail=result.detail
        )
        if result.state == RunState.FAILED:
            _finish(run, RunState.FAILED, None, now)
            return False
        if result.stay:
            run.attempts += 1
            run.wake_at = result.wake_at
            run.save(update_fields=["attempts", "wake_at"])
            return False
        run.current_step = result.next_step
        run.attempts = 0
        run.wake_at = result.wake_at or now
        run.state = result.state
        run.save(update_fields=["current_step", "attempts", "wake_at", "state"])
        if result.next_step is None and result.state != RunState.WAITING:
            _finish(run, RunState.DONE, StepOutcome.COMPLETED, now)
            return False
        return result.state != RunState.WAITING


def _finish(run: JourneyRun, state: str, outcome: str | None, now: datetime.datetime) -> None:
    run.state = state
    run.finished_at = now
    run.wake_at = None
    run.save(update_fields=["state", "finished_at", "wake_at"])
    if outcome is not None:
        JourneyRunLog.objects.create(run=run, outcome=outcome, occurred_at=now)


def run_advance(run_id: int, *, now: datetime.datetime) -> None:
    """Move one run as far as it can go now (up to ``MAX_STEPS_PER_PASS`` steps)."""
    for _ in range(MAX_STEPS_PER_PASS):
        if not step_execute(run_id, now=now):
            return


def runs_advance(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Advance every due run of an active journey; returns how many were looked at."""
    now = now or timezone.now()
    due = list(
        JourneyRun.objects.filter(
            state__in=OPEN_STATES, wake_at__lte=now, journey__status=JourneyStatus.ACTIVE
        )
        .order_by("wake_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    for run_id in due:
        try:
            run_advance(run_id, now=now)
        except Exception as error:
            logger.exception("journey run %s failed to advance", run_id)
            step_crashed(run_id, now=now, error=error)
    return len(due)


def step_crashed(run_id: int, *, now: datetime.datetime, error: Exception) -> None:
    """A step raised (its transaction rolled back): try it again later with backoff, and fail
    the run after ``PEYVAND_JOURNEY_WEBHOOK_ATTEMPTS`` tries, so one broken step never
    blocks the queue or spins every minute."""
    with transaction.atomic():
        run = (
            JourneyRun.objects.select_for_update(skip_locked=True)
            .filter(pk=run_id, state__in=OPEN_STATES)
            .first()
        )
        if run is None:
            return
        run.attempts += 1
        detail = {"error": type(error).__name__, "attempt": run.attempts}
        if run.attempts >= webhook_max_attempts():
            JourneyRunLog.objects.create(
                run=run,
                step=run.current_step,
                outcome=StepOutcome.FAILED,
                occurred_at=now,
                detail=detail,
            )
            _finish(run, RunState.FAILED, None, now)
            return
        JourneyRunLog.objects.create(
            run=run,
            step=run.current_step,
            outcome=StepOutcome.RETRY,
            occurred_at=now,
            detail=detail,
        )
        run.wake_at = now + webhook_backoff(run.attempts)
        run.save(update_fields=["attempts", "wake_at"])


def journeys_tick(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """One pass of the engine: new events, today's date triggers, due steps."""
    now = now or timezone.now()
    started = events_consume(now=now)
    started += date_triggers_daily(now=now)
    advanced = runs_advance(now=now)
    return {"started": started, "advanced": advanced}


def journeys_job() -> None:
    """The periodic job (``peyvand worker``)."""
    journeys_tick()


__all__ = [
    "Journey",
    "TriggerKind",
    "condition_holds",
    "discount_code",
    "journeys_tick",
    "run_advance",
    "runs_advance",
    "step_execute",
]
