"""The customer journey: how contacts moved between lifecycle stages, from the event log.

A stage change is a ``contact.updated`` event whose ``payload["changes"]`` has
``lifecycle_stage: [old, new]``; a ``contact.created`` event with it is an entry from
nowhere (``old`` is ``None``) into the first stage."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.db.models.fields.json import KT

from peyvand.contacts.models import Contact
from peyvand.timeline.models import Event

from .common import MonthRange

STAGE_VERBS = ("contact.created", "contact.updated")


@dataclass(frozen=True)
class Transition:
    source: str  # "" for a contact created in ``target``
    target: str
    contacts: int  # transitions, counted once per event


def stage_transitions(contacts: QuerySet[Contact], period: MonthRange) -> list[Transition]:
    """Stage changes of ``contacts`` in the period, counted per (from, to), most first. One
    query (the verb and time index narrows the events; the JSON key is read in SQL)."""
    start, end = period.bounds()
    rows = (
        Event.objects.filter(
            verb__in=STAGE_VERBS,
            occurred_at__gte=start,
            occurred_at__lt=end,
            contact__in=contacts,
            payload__changes__has_key="lifecycle_stage",
        )
        .order_by()
        .annotate(
            source=KT("payload__changes__lifecycle_stage__0"),
            target=KT("payload__changes__lifecycle_stage__1"),
        )
        .values("source", "target")
        .annotate(total=Count("id"))
    )
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        source, target = _stage(row["source"]), _stage(row["target"])
        if target and source != target:
            counts[(source, target)] = counts.get((source, target), 0) + row["total"]
    transitions = [
        Transition(source=source, target=target, contacts=total)
        for (source, target), total in counts.items()
    ]
    return sorted(transitions, key=lambda item: (-item.contacts, item.source, item.target))


def _stage(value: str | None) -> str:
    """A stage read from the JSON; SQLite reads a JSON ``null`` as the text ``"null"``."""
    return "" if value in (None, "null") else str(value)
