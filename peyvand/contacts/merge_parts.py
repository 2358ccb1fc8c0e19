"""What a contact merge carries to the survivor besides the plain ``merging.MOVABLE`` rows,
and how an undo brings it back: a registry other apps extend in their
``AppConfig.ready`` (as segment conditions are registered), so the contacts app names no
model of theirs.

:func:`register_contact_merge_part` adds a :class:`ContactMergePart`: rows with a rule of
their own (messaging's outbox, marketing's journey runs). :class:`UniquePerContact` covers
rows unique per contact and something else (a static segment membership, a campaign
recipient): the survivor's row wins and the merged contact's stays on the hidden merged
contact. Consent (this app's own) is :class:`ConsentPart`: the stricter wins.

Every part writes what its undo needs into the merge record's ``moved`` as
``{key: {row id: value}}`` (the merge event counts the rows per key), so a merge made before
a part existed undoes cleanly too (its keys are simply missing). A merge and its undo are
one transaction each: a part that fails leaves nothing half done."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.apps import apps
from django.db import models

from .models import ConsentStatus, ContactConsent

Moved = dict[str, dict[str, Any]]


class ContactMergePart(Protocol):
    """Rows of some app that a contact merge carries over by a rule of their own."""

    @property
    def key(self) -> str:
        """Names the part; its entries in ``ContactMerge.moved`` start with it."""
        ...

    def move(self, *, survivor_id: int, merged_ids: Sequence[int]) -> Moved:
        """Carry the merged contacts' rows to the survivor (inside the merge's
        transaction); returns what :meth:`restore` needs."""
        ...

    def restore(self, *, moved: Mapping[str, Mapping[str, Any]], survivor_id: int) -> None:
        """Undo :meth:`move` from the merge record's ``moved`` (keys may be missing)."""
        ...


_PARTS: dict[str, ContactMergePart] = {}


def register_contact_merge_part(part: ContactMergePart) -> None:
    """Add (or, by ``key``, replace: registering twice is harmless) a part that carries
    rows by its own rule; parts run in the order registered, undo in reverse."""
    _PARTS[part.key] = part


def merge_parts_move(*, survivor_id: int, merged_ids: Sequence[int]) -> Moved:
    """Run every part's move: consent first, then the registered ones in order."""
    moved: Moved = {}
    for part in (CONSENT, *_PARTS.values()):
        moved.update(part.move(survivor_id=survivor_id, merged_ids=merged_ids))
    return moved


def merge_parts_restore(*, moved: Mapping[str, Mapping[str, Any]], survivor_id: int) -> None:
    """Run every part's restore, the last registered first."""
    for part in (*reversed(_PARTS.values()), CONSENT):
        part.restore(moved=moved, survivor_id=survivor_id)


def restore_rows(
    model: type[models.Model], rows: Mapping[str, int], survivor_id: int, field: str = "contact"
) -> None:
    """Put rows (``{row id: old owner}``) back on their old owner, one statement per owner;
    a row no longer on the survivor (moved elsewhere since) stays where it is."""
    by_owner: dict[int, list[int]] = defaultdict(list)
    for pk, owner in rows.items():
        by_owner[int(owner)].append(int(pk))
    for owner, pks in by_owner.items():
        model._default_manager.filter(pk__in=pks, **{f"{field}_id": survivor_id}).update(
            **{f"{field}_id": owner}
        )


@dataclass(frozen=True)
class UniquePerContact:
    """Rows unique per contact and ``fields`` (a segment membership per segment, a campaign
    recipient per campaign). A merged contact's row moves unless the survivor, or a row
    already moved, has the same ``fields``; then it stays on the hidden merged contact,
    where nothing reads it, and comes back into view with it on undo."""

    label: str
    key: str
    fields: tuple[str, ...]

    def move(self, *, survivor_id: int, merged_ids: Sequence[int]) -> Moved:
        manager = apps.get_model(self.label)._default_manager
        taken = {
            tuple(values)
            for values in manager.filter(contact_id=survivor_id).values_list(*self.fields)
        }
        moving: dict[str, int] = {}
        rows = (
            manager.filter(contact_id__in=list(merged_ids))
            .order_by("pk")
            .values_list("pk", "contact_id", *self.fields)
        )
        for pk, owner, *values in rows:
            if tuple(values) not in taken:
                taken.add(tuple(values))
                moving[str(pk)] = owner
        manager.filter(pk__in=[int(pk) for pk in moving]).update(contact_id=survivor_id)
        return {self.key: moving}

    def restore(self, *, moved: Mapping[str, Mapping[str, Any]], survivor_id: int) -> None:
        restore_rows(apps.get_model(self.label), moved.get(self.key, {}), survivor_id)


def _when(value: datetime.datetime) -> str:
    return value.isoformat()


class ConsentPart:
    """Consent per channel: the stricter wins. Where the survivor has no consent on a
    channel, the merged contacts' row moves (a withdrawal if any of them withdrew, else the
    latest grant); where the survivor granted and a merged contact withdrew, the survivor's
    row takes the withdrawal (its old values kept for undo); a survivor's withdrawal stays.
    Suppressions are kept per address, not per contact: the merged contact's numbers and
    emails, copied to the survivor, stay suppressed as they were."""

    key = "consent"

    def move(self, *, survivor_id: int, merged_ids: Sequence[int]) -> Moved:
        by_channel: dict[str, list[ContactConsent]] = defaultdict(list)
        for row in ContactConsent.objects.filter(
            contact_id__in=[survivor_id, *merged_ids]
        ).order_by("pk"):
            by_channel[row.channel].append(row)
        moved: dict[str, Any] = {}
        replaced: dict[str, Any] = {}
        for rows in by_channel.values():
            own = next((row for row in rows if row.contact_id == survivor_id), None)
            others = [row for row in rows if row.contact_id != survivor_id]
            if not others:
                continue
            withdrawn = [row for row in others if row.status == ConsentStatus.WITHDRAWN]
            if own is None:
                chosen = max(withdrawn or others, key=lambda row: (row.recorded_at, row.pk))
                moved[str(chosen.pk)] = chosen.contact_id
                ContactConsent.objects.filter(pk=chosen.pk).update(contact_id=survivor_id)
            elif own.status != ConsentStatus.WITHDRAWN and withdrawn:
                source = max(withdrawn, key=lambda row: (row.recorded_at, row.pk))
                replaced[str(own.pk)] = {
                    "status": own.status,
                    "method": own.method,
                    "recorded_at": _when(own.recorded_at),
                    "note": own.note,
                    "merged_recorded_at": _when(source.recorded_at),
                }
                ContactConsent.objects.filter(pk=own.pk).update(
                    status=source.status,
                    method=source.method,
                    recorded_at=source.recorded_at,
                    note=source.note,
                )
        return {"consent": moved, "consent_replaced": replaced}

    def restore(self, *, moved: Mapping[str, Mapping[str, Any]], survivor_id: int) -> None:
        restore_rows(ContactConsent, moved.get("consent", {}), survivor_id)
        for pk, before in moved.get("consent_replaced", {}).items():
            # Only while it still holds what the merge wrote: a later decision stands.
            ContactConsent.objects.filter(
                pk=int(pk),
                contact_id=survivor_id,
                status=ConsentStatus.WITHDRAWN,
                recorded_at=datetime.datetime.fromisoformat(before["merged_recorded_at"]),
            ).update(
                status=before["status"],
                method=before["method"],
                recorded_at=datetime.datetime.fromisoformat(before["recorded_at"]),
                note=before["note"],
            )


CONSENT = ConsentPart()
