"""Who enters a journey: event triggers read from the event log past a cursor, date
triggers (Jalali birthday, date anniversary, inactivity) once a day; and the one function
that starts a run under the journey's entry conditions and enter-once policy.

Reading is at-least-once: each pass also re-reads the last ``REREAD_IDS`` event ids, since a
transaction that took a lower id may commit after a higher one was read. Starting a run is
idempotent: (journey, contact, trigger key) is unique, so a re-read event starts nothing."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from peyvand.contacts.models import Contact
from peyvand.timeline.events import event_record
from peyvand.timeline.models import Event

from ..journey_models import (
    EntryPolicy,
    Journey,
    JourneyCursor,
    JourneyRun,
    JourneyRunLog,
    JourneyStatus,
    RunState,
    StepOutcome,
    TriggerKind,
)
from ..rules import rules_q
from .definition import first_step

logger = logging.getLogger(__name__)

TEHRAN = ZoneInfo("Asia/Tehran")
BATCH = 1000
REREAD_IDS = 200
# The order service's verb for an order that first becomes a purchase (commerce app).
PURCHASE_VERB = "order.purchased"

EVENT_VERBS: dict[str, tuple[str, ...]] = {
    TriggerKind.CONTACT_CREATED: ("contact.created",),
    TriggerKind.FORM_SUBMITTED: ("lead.created",),
    TriggerKind.STAGE_CHANGED: ("contact.updated",),
    TriggerKind.DEAL_WON: ("deal.won",),
    TriggerKind.DEAL_LOST: ("deal.lost",),
    TriggerKind.PURCHASE: (PURCHASE_VERB,),
    TriggerKind.TICKET_CLOSED: ("ticket.resolved", "ticket.closed"),
    TriggerKind.SURVEY_ANSWERED: (
        "feedback.csat_answered",
        "feedback.nps_answered",
        "feedback.ces_answered",
    ),
}
DATE_TRIGGERS = (TriggerKind.BIRTHDAY, TriggerKind.DATE_ANNIVERSARY, TriggerKind.INACTIVITY)
# Our own sends and journey bookkeeping are not the customer doing something.
NOT_ACTIVITY = ("message.", "journey.")


def tehran_today(now: datetime.datetime) -> datetime.date:
    return now.astimezone(TEHRAN).date()


def event_matches(journey: Journey, event: Event) -> bool:
    """Whether ``event`` fires ``journey``'s trigger (its verb and the trigger's settings)."""
    if event.verb not in EVENT_VERBS.get(journey.trigger_kind, ()):
        return False
    params: Mapping[str, Any] = journey.trigger_params or {}
    payload: Mapping[str, Any] = event.payload if isinstance(event.payload, dict) else {}
    kind = journey.trigger_kind
    if kind == TriggerKind.FORM_SUBMITTED:
        web_form = payload.get("web_form")
        return web_form is not None and params.get("web_form") in (None, web_form)
    if kind == TriggerKind.STAGE_CHANGED:
        change = (payload.get("changes") or {}).get("lifecycle_stage")
        if not isinstance(change, list) or len(change) != 2:
            return False
        return params.get("to_stage") in (None, "", change[1])
    if kind == TriggerKind.SURVEY_ANSWERED:
        if event.verb != f"feedback.{params.get('survey_kind', 'csat')}_answered":
            return False
        max_score = params.get("max_score")
        score = payload.get("score")
        return max_score is None or (isinstance(score, int) and score <= max_score)
    return True


def _entry_allowed(journey: Journey, contact_id: int, now: datetime.datetime) -> bool:
    contacts = Contact.objects.filter(pk=contact_id, merged_into__isnull=True)
    if (journey.entry_rules or {}).get("conditions"):
        contacts = contacts.filter(rules_q(journey.entry_rules))
    if not contacts.exists():
        return False
    if journey.entry_policy == EntryPolicy.ONCE_EVER:
        return not JourneyRun.objects.filter(journey=journey, contact_id=contact_id).exists()
    if journey.entry_policy == EntryPolicy.ONCE_PER_DAYS:
        since = now - datetime.timedelta(days=journey.entry_interval_days or 1)
        return not JourneyRun.objects.filter(
            journey=journey, contact_id=contact_id, entered_at__gt=since
        ).exists()
    return True


def run_start(
    *,
    journey: Journey,
    contact_id: int,
    trigger_key: str,
    now: datetime.datetime,
    event: Event | None = None,
) -> JourneyRun | None:
    """Start ``contact_id`` on ``journey`` (current version) unless the entry conditions or
    the enter-once policy keep them out, or this trigger already started them; returns the
    new run or ``None``. One ``journey.entered`` event goes on the contact's timeline."""
    if not _entry_allowed(journey, contact_id, now):
        return None
    step = first_step(journey, journey.version)
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = JourneyRun.objects.create(
                    journey=journey,
                    version=journey.version,
                    contact_id=contact_id,
                    state=RunState.ACTIVE,
                    current_step=step,
                    wake_at=now,
                    entered_at=now,
                    trigger_event=event,
                    trigger_key=trigger_key,
                    once_key="once" if journey.entry_policy == EntryPolicy.ONCE_EVER else None,
                )
        except IntegrityError:
            return None
        JourneyRunLog.objects.create(
            run=run,
            outcome=StepOutcome.ENTERED,
            occurred_at=now,
            detail={"trigger": trigger_key, "version": journey.version},
        )
        contact = Contact.objects.get(pk=contact_id)
        event_record(
            actor=None,
            verb="journey.entered",
            subject=run,
            contact=contact,
            summary=journey.name,
            payload={"journey": journey.pk, "run": run.pk, "trigger": trigger_key},
            occurred_at=now,
        )
    return run


def _cursor(name: str) -> JourneyCursor:
    cursor, _created = JourneyCursor.objects.get_or_create(name=name)
    return cursor


def events_consume(*, now: datetime.datetime | None = None, batch: int = BATCH) -> int:
    """Read the events after the cursor and start runs for the active journeys they fire;
    returns how many runs started. Moves the cursor to the last event read."""
    now = now or timezone.now()
    cursor = _cursor("events")
    start = cursor.position
    last_ids = list(
        Event.objects.filter(id__gt=start).order_by("id").values_list("id", flat=True)[:batch]
    )
    high = last_ids[-1] if last_ids else start
    journeys = [
        journey
        for journey in Journey.objects.filter(
            status=JourneyStatus.ACTIVE, trigger_kind__in=list(EVENT_VERBS)
        )
        if journey.activated_at is not None
    ]
    started = 0
    if not journeys:
        # Nothing listens: skip to the end of the log instead of paging through it.
        high = Event.objects.order_by("-id").values_list("id", flat=True).first() or start
    else:
        verbs = sorted({verb for journey in journeys for verb in EVENT_VERBS[journey.trigger_kind]})
        events = list(
            Event.objects.filter(
                id__gt=max(start - REREAD_IDS, 0),
                id__lte=high,
                verb__in=verbs,
                contact__isnull=False,
            ).order_by("id")
        )
        taken = set(
            JourneyRun.objects.filter(
                journey__in=journeys, trigger_event_id__in=[event.pk for event in events]
            ).values_list("journey_id", "trigger_event_id")
        )
        for event in events:
            for journey in journeys:
                if (journey.pk, event.pk) in taken or event.occurred_at < journey.activated_at:  # type: ignore[operator]
                    continue
                if not event_matches(journey, event) or event.contact_id is None:
                    continue
                if run_start(
                    journey=journey,
                    contact_id=event.contact_id,
                    trigger_key=f"event:{event.pk}",
                    now=now,
                    event=event,
                ):
                    started += 1
    if high != start:
        JourneyCursor.objects.filter(pk=cursor.pk, position=start).update(position=high)
    return started


# Date triggers ------------------------------------------------------------------------------


def _jalali(day: datetime.date) -> jdatetime.date:
    return jdatetime.date.fromgregorian(date=day)


def jalali_day_matches(day: datetime.date, today: datetime.date) -> bool:
    """Whether ``day`` falls on ``today``'s Jalali month and day; someone born on Esfand 30
    is greeted on Esfand 29 in a year without an Esfand 30."""
    born, now = _jalali(day), _jalali(today)
    if (born.month, born.day) == (now.month, now.day):
        return True
    return (
        (born.month, born.day) == (12, 30)
        and (now.month, now.day) == (12, 29)
        and not (now.isleap())
    )


def _month_days_near(today: datetime.date) -> set[tuple[int, int]]:
    """Gregorian (month, day) pairs within two days of ``today``: a Jalali day falls on one of
    them in any year (the calendars drift by at most a day), Feb 29 included."""
    pairs = {
        (
            (today + datetime.timedelta(days=shift)).month,
            (today + datetime.timedelta(days=shift)).day,
        )
        for shift in range(-2, 3)
    }
    if (2, 28) in pairs or (3, 1) in pairs:
        pairs.add((2, 29))
    return pairs


def _near_q(field: str, today: datetime.date) -> Q:
    condition = Q(pk__in=[])
    for month, day in _month_days_near(today):
        condition |= Q(**{f"{field}__month": month, f"{field}__day": day})
    return condition


def _eligible(journey: Journey) -> Any:
    contacts = Contact.objects.filter(merged_into__isnull=True)
    if (journey.entry_rules or {}).get("conditions"):
        contacts = contacts.filter(rules_q(journey.entry_rules))
    return contacts


def _start_many(journey: Journey, keyed: Iterable[tuple[int, str]], now: datetime.datetime) -> int:
    started = 0
    for contact_id, key in keyed:
        if run_start(journey=journey, contact_id=contact_id, trigger_key=key, now=now):
            started += 1
    return started


def birthday_entries(journey: Journey, now: datetime.datetime) -> list[tuple[int, str]]:
    """(contact id, trigger key) for everyone whose Jalali birthday is today in Tehran."""
    today = tehran_today(now)
    year = _jalali(today).year
    rows = _eligible(journey).filter(_near_q("birthday", today)).values_list("pk", "birthday")
    return [
        (pk, f"birthday:{year}") for pk, born in rows if born and jalali_day_matches(born, today)
    ]


def anniversary_entries(journey: Journey, now: datetime.datetime) -> list[tuple[int, str]]:
    """Everyone whose date (created, or a date custom field) has its Jalali anniversary today,
    a year or more on."""
    today = tehran_today(now)
    year = _jalali(today).year
    field = (journey.trigger_params or {}).get("field", "created_at")
    contacts = _eligible(journey)
    found: list[tuple[int, datetime.date]] = []
    if field == "created_at":
        for pk, created in contacts.filter(_near_q("created_at", today)).values_list(
            "pk", "created_at"
        ):
            found.append((pk, created.astimezone(TEHRAN).date()))
    else:
        condition = Q(pk__in=[])
        for month, day in _month_days_near(today):
            condition |= Q(**{f"custom_fields__{field}__endswith": f"-{month:02d}-{day:02d}"})
        for pk, values in contacts.filter(condition).values_list("pk", "custom_fields"):
            try:
                found.append((pk, datetime.date.fromisoformat(str(values.get(field)))))
            except (TypeError, ValueError):
                continue
    return [
        (pk, f"anniversary:{year}")
        for pk, day in found
        if day.year < today.year and jalali_day_matches(day, today)
    ]


def inactivity_entries(journey: Journey, now: datetime.datetime) -> list[tuple[int, str]]:
    """Everyone with no event of their own for N days (one set-based query); the key is
    the day of their last activity, so one quiet stretch starts one run."""
    days = int((journey.trigger_params or {}).get("days", 90))
    cutoff = now - datetime.timedelta(days=days)
    own_events = Event.objects.filter(contact=OuterRef("pk"))
    for prefix in NOT_ACTIVITY:
        own_events = own_events.exclude(verb__startswith=prefix)
    rows = (
        _eligible(journey)
        .filter(created_at__lt=cutoff)
        .exclude(Exists(own_events.filter(occurred_at__gte=cutoff)))
        .annotate(
            last_activity=Subquery(own_events.order_by("-occurred_at").values("occurred_at")[:1])
        )
        .values_list("pk", "last_activity", "created_at")
    )
    return [
        (pk, f"inactive:{(last or created).astimezone(TEHRAN).date().isoformat()}")
        for pk, last, created in rows
    ]


DATE_ENTRIES: dict[str, Any] = {
    TriggerKind.BIRTHDAY: birthday_entries,
    TriggerKind.DATE_ANNIVERSARY: anniversary_entries,
    TriggerKind.INACTIVITY: inactivity_entries,
}


def date_triggers_run(*, now: datetime.datetime | None = None) -> int:
    """Start runs for the date triggers of every active journey for Tehran's today; safe to
    run more than once a day (the keys are per year, or per quiet stretch)."""
    now = now or timezone.now()
    started = 0
    for journey in Journey.objects.filter(
        status=JourneyStatus.ACTIVE, trigger_kind__in=list(DATE_ENTRIES)
    ):
        entries = DATE_ENTRIES[journey.trigger_kind](journey, now)
        existing = set(
            JourneyRun.objects.filter(
                journey=journey, trigger_key__in={key for _pk, key in entries}
            ).values_list("contact_id", "trigger_key")
        )
        started += _start_many(journey, [entry for entry in entries if entry not in existing], now)
    return started


def date_triggers_daily(*, now: datetime.datetime | None = None) -> int:
    """``date_triggers_run`` at most once per Tehran day (the periodic job's entry)."""
    now = now or timezone.now()
    today = tehran_today(now)
    cursor = _cursor("daily")
    if cursor.last_day == today:
        return 0
    if not JourneyCursor.objects.filter(pk=cursor.pk, last_day=cursor.last_day).update(
        last_day=today
    ):
        return 0  # another worker took today
    return date_triggers_run(now=now)
