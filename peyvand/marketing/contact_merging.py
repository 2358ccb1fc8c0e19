"""What marketing carries over when contacts are merged (registered with
``contacts.merge_parts`` in ``MarketingConfig.ready``): static segment memberships and
campaign recipients (the survivor's row wins where both have one), and journey runs, where
the enter-once rules must still hold for the one person the merge makes."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils import timezone

from peyvand.contacts.merge_parts import (
    Moved,
    UniquePerContact,
    register_contact_merge_part,
    restore_rows,
)
from peyvand.messaging.models import MessageStatus, OutboxMessage, SuppressionReason

from .journey_models import JourneyRun, JourneyRunLog, RunState, StepOutcome
from .journeys.engine import run_purpose_prefix

_OPEN = (RunState.ACTIVE, RunState.WAITING)


def _when(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value else None


class JourneyRunPart:
    """Journey runs follow the person, one run per journey where it matters. A merged
    contact's run moves to the survivor unless the survivor (or a run already moved) has a
    run of that journey with the same trigger, a "once ever" run when this one is too, or an
    open run when this one is open: the database's unique keys and the enter-once rule would
    otherwise be broken, or the person would walk the same journey twice at once. Such a run
    stays on the hidden merged contact; if it was open it is stopped (``exited``, with a
    history line naming the merge), so it sends nothing more, and a message of its still
    waiting in the outbox is held (``suppressed``/``duplicate``). Undo moves the runs back,
    restarts the stopped ones where they were, removes those history lines and queues the
    held messages again."""

    key = "journey_run"

    def move(self, *, survivor_id: int, merged_ids: Sequence[int]) -> Moved:
        triggers: set[tuple[int, str]] = set()
        once: set[int] = set()
        open_journeys: set[int] = set()

        def take(run: JourneyRun) -> None:
            triggers.add((run.journey_id, run.trigger_key))
            if run.once_key is not None:
                once.add(run.journey_id)
            if run.state in _OPEN:
                open_journeys.add(run.journey_id)

        for run in JourneyRun.objects.filter(contact_id=survivor_id):
            take(run)
        moving: dict[str, int] = {}
        stopped: dict[str, Any] = {}
        now = timezone.now()
        logs: list[JourneyRunLog] = []
        for run in JourneyRun.objects.filter(contact_id__in=list(merged_ids)).order_by(
            "entered_at", "pk"
        ):
            is_open = run.state in _OPEN
            clash = (
                (run.journey_id, run.trigger_key) in triggers
                or (run.once_key is not None and run.journey_id in once)
                or (is_open and run.journey_id in open_journeys)
            )
            if not clash:
                take(run)
                moving[str(run.pk)] = run.contact_id
            elif is_open:
                stopped[str(run.pk)] = {
                    "state": run.state,
                    "wake_at": _when(run.wake_at),
                    "finished_at": _when(run.finished_at),
                    "stopped_at": _when(now),
                }
                logs.append(
                    JourneyRunLog(
                        run=run,
                        step=run.current_step,
                        outcome=StepOutcome.EXITED,
                        occurred_at=now,
                        detail={"reason": "contact_merged", "survivor": survivor_id},
                    )
                )
        JourneyRun.objects.filter(pk__in=[int(pk) for pk in moving]).update(contact_id=survivor_id)
        JourneyRun.objects.filter(pk__in=[int(pk) for pk in stopped]).update(
            state=RunState.EXITED, wake_at=None, finished_at=now
        )
        for log in JourneyRunLog.objects.bulk_create(logs):
            stopped[str(log.run_id)]["log"] = log.pk
        for pk, before in stopped.items():
            before["held"] = _hold_waiting_messages(int(pk))
        return {"journey_run": moving, "journey_run_stopped": stopped}

    def restore(self, *, moved: Mapping[str, Mapping[str, Any]], survivor_id: int) -> None:
        restore_rows(JourneyRun, moved.get("journey_run", {}), survivor_id)
        for pk, before in moved.get("journey_run_stopped", {}).items():
            # Only a run still as the merge left it (nobody restarted or removed it since).
            restarted = JourneyRun.objects.filter(
                pk=int(pk), state=RunState.EXITED, finished_at=_parse(before["stopped_at"])
            ).update(
                state=before["state"],
                wake_at=_parse(before["wake_at"]),
                finished_at=_parse(before["finished_at"]),
            )
            if not restarted:
                continue
            if before.get("log"):
                JourneyRunLog.objects.filter(pk=before["log"], run_id=int(pk)).delete()
            for message_id, reason in before.get("held", {}).items():
                OutboxMessage.objects.filter(
                    pk=int(message_id),
                    status=MessageStatus.SUPPRESSED,
                    suppression_reason=SuppressionReason.DUPLICATE,
                ).update(status=MessageStatus.PENDING, suppression_reason=reason)


def _hold_waiting_messages(run_id: int) -> dict[str, str]:
    """Hold the stopped run's messages still waiting in the outbox (deferred by the quiet
    hours, say); returns ``{message id: its suppression reason before}``."""
    journey_id = JourneyRun.objects.values_list("journey_id", flat=True).get(pk=run_id)
    waiting = OutboxMessage.objects.filter(
        purpose__startswith=run_purpose_prefix(journey_id=journey_id, run_id=run_id),
        status=MessageStatus.PENDING,
    )
    held = {str(pk): reason for pk, reason in waiting.values_list("pk", "suppression_reason")}
    OutboxMessage.objects.filter(pk__in=[int(pk) for pk in held]).update(
        status=MessageStatus.SUPPRESSED, suppression_reason=SuppressionReason.DUPLICATE
    )
    return held


def register_contact_merge_parts() -> None:
    register_contact_merge_part(
        UniquePerContact("marketing.SegmentMembership", "segment_membership", ("segment_id",))
    )
    register_contact_merge_part(
        UniquePerContact("marketing.CampaignRecipient", "campaign_recipient", ("campaign_id",))
    )
    register_contact_merge_part(JourneyRunPart())
