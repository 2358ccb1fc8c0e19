"""Writing to the event log: the one function every service calls after it changes state."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import models
from django.utils import timezone

from .models import Event

if TYPE_CHECKING:
    from peyvand.accounts.models import User
    from peyvand.contacts.models import Company, Contact
    from peyvand.sales.models import Deal, Lead


def json_value(value: Any) -> Any:
    """A JSON-safe form of a model field value, for event payloads."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-safe values of ``fields`` on ``instance`` (foreign keys as their ids)."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attribute = field.attname if isinstance(field, models.ForeignKey) else name
        values[name] = json_value(getattr(instance, attribute))
    return values


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every key whose value differs."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def event_record(
    *,
    actor: User | None,
    verb: str,
    subject: models.Model,
    contact: Contact | None = None,
    company: Company | None = None,
    deal: Deal | None = None,
    lead: Lead | None = None,
    summary: str = "",
    payload: Mapping[str, Any] | None = None,
    occurred_at: datetime.datetime | None = None,
) -> Event:
    """Append one event about ``subject`` to the log; call inside the service's transaction.

    ``contact``, ``company``, ``deal`` and ``lead`` say on whose timelines it shows."""
    return Event.objects.create(
        occurred_at=occurred_at or timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        verb=verb,
        subject_type=subject._meta.model_name or "",
        subject_id=subject.pk,
        contact=contact,
        company=company,
        deal=deal,
        lead=lead,
        summary=summary[:300],
        payload=json_value(dict(payload or {})),
    )


class EventRow(NamedTuple):
    """One event to append in bulk, by ids (no model instances needed)."""

    subject_type: str
    subject_id: int
    contact_id: int | None
    company_id: int | None
    summary: str
    payload: Mapping[str, Any]


def events_insert(*, actor: User | None, verb: str, rows: Iterable[EventRow]) -> int:
    """Append one event per row in bulk (``COPY`` on PostgreSQL); for imports and merges,
    where one summary event per touched record is the rule."""
    from peyvand.common.bulk import insert_rows

    now = timezone.now()
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    values = [
        {
            "occurred_at": now,
            "actor_id": actor_id,
            "verb": verb,
            "subject_type": row.subject_type,
            "subject_id": row.subject_id,
            "contact_id": row.contact_id,
            "company_id": row.company_id,
            "summary": row.summary[:300],
            "payload": json_value(dict(row.payload)),
        }
        for row in rows
    ]
    insert_rows(Event, values, need_ids=False)
    return len(values)


def events_record_bulk(
    *,
    actor: User | None,
    verb: str,
    subjects: Iterable[tuple[models.Model, Contact | None, Company | None, str, Mapping[str, Any]]],
) -> int:
    """:func:`events_insert` for model instances: ``(subject, contact, company, summary,
    payload)`` each."""
    return events_insert(
        actor=actor,
        verb=verb,
        rows=(
            EventRow(
                subject._meta.model_name or "",
                subject.pk,
                contact.pk if contact is not None else None,
                company.pk if company is not None else None,
                summary,
                payload,
            )
            for subject, contact, company, summary, payload in subjects
        ),
    )
