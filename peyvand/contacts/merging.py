"""Merging duplicate contacts into one survivor, and undoing a merge.

The merged contacts are not deleted: they are marked ``merged_into`` the survivor, which
hides them everywhere and shows their events on the survivor's timeline (the event log is
never rewritten). Their notes, calls and tasks move to the survivor; phones, emails and
tags are added to it; for each field the caller chooses whose value survives. Everything
needed to undo is kept on a ``ContactMerge`` row, and the merge is one event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.accounts.permissions import require_permission
from peyvand.common.persian import name_key
from peyvand.timeline.events import event_record, field_changes, snapshot

from .models import (
    Contact,
    ContactEmail,
    ContactMerge,
    ContactPhone,
    DuplicateCandidate,
    DuplicateStatus,
)
from .services import CONTACT_FIELDS, contact_search_text

# Fields whose value the person merging picks from one of the records.
MERGE_FIELDS = CONTACT_FIELDS
# Related rows that follow the contact: model, and the name used in ContactMerge.moved.
# Rows that hang off a contact and move to the survivor of a merge (undo moves them back):
# ``app_label.Model`` and the key under which the merge record keeps their old contacts.
MOVABLE = (
    ("timeline.Activity", "activity"),
    ("timeline.Task", "task"),
    ("sales.Deal", "deal"),
    ("sales.Lead", "lead"),
    ("service.Ticket", "ticket"),
)


def _movable() -> list[tuple[type[models.Model], str]]:
    from django.apps import apps

    return [(apps.get_model(label), key) for label, key in MOVABLE]


def _field(name: str) -> models.Field[Any, Any]:
    field = Contact._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(name)
    return field


def merge_choices(contacts: Sequence[Contact]) -> dict[str, int]:
    """The default pick per field: the first record (the survivor) unless its value is empty."""
    picks: dict[str, int] = {}
    for name in MERGE_FIELDS:
        attribute = _field(name).attname
        chosen = next((c for c in contacts if getattr(c, attribute) not in (None, "")), contacts[0])
        picks[name] = chosen.pk
    return picks


def _refresh_search(contact: Contact) -> None:
    phones = list(contact.phones.values_list("number", flat=True))
    emails = list(contact.emails.values_list("address", flat=True))
    contact.search_text = contact_search_text(contact, phones, emails)
    contact.name_key = name_key(contact.first_name, contact.last_name)[:200]
    Contact.objects.filter(pk=contact.pk).update(
        search_text=contact.search_text, name_key=contact.name_key
    )


_Item = TypeVar("_Item", ContactPhone, ContactEmail)


def _copy_missing(
    model: type[_Item],
    field: str,
    survivor: Contact,
    merged_ids: Sequence[int],
) -> list[int]:
    """Give the survivor the phones (or emails) of the merged contacts it lacks; returns the
    ids of the rows added, so an undo can remove exactly those."""
    known = set(model.objects.filter(contact=survivor).values_list(field, flat=True))
    position = len(known)
    added: list[_Item] = []
    for value in model.objects.filter(contact_id__in=merged_ids).values_list(field, flat=True):
        if value not in known:
            known.add(value)
            position += 1
            added.append(model(contact=survivor, position=position, **{field: value}))
    return [row.pk for row in model.objects.bulk_create(added)]


def contacts_merge(
    *,
    actor: User,
    survivor: Contact,
    others: Sequence[Contact],
    choices: Mapping[str, int] | None = None,
) -> ContactMerge:
    """Merge ``others`` into ``survivor``; ``choices`` maps a field to the id of the record
    whose value it keeps (default: :func:`merge_choices`). All records must be visible to
    the actor (callers fetch them through ``contacts_visible_to``)."""
    require_permission(actor, "delete", "contacts")
    # Each record once: a repeated id must not be merged (and listed in the event) twice.
    others = list({other.pk: other for other in others if other.pk != survivor.pk}.values())
    if not others:
        raise ValidationError({"contacts": [_("Choose at least two different contacts.")]})
    records = {contact.pk: contact for contact in [survivor, *others]}
    for field, source_id in (choices or {}).items():
        if field not in MERGE_FIELDS or source_id not in records:
            raise ValidationError({field: [_("Choose a value from one of the contacts.")]})
    with transaction.atomic():
        locked = {
            contact.pk: contact
            for contact in Contact.objects.select_for_update().filter(pk__in=list(records))
        }
        if any(contact.merged_into_id for contact in locked.values()) or len(locked) != len(
            records
        ):
            raise ValidationError({"contacts": [_("One of the contacts was already merged.")]})
        survivor = locked[survivor.pk]
        merged = [locked[other.pk] for other in others]
        # Default picks judge the stored values (the caller's copies may be stale).
        picks = {**merge_choices([survivor, *merged]), **(choices or {})}
        before = snapshot(survivor, MERGE_FIELDS)
        before["custom_fields"] = dict(survivor.custom_fields)
        for field, source_id in picks.items():
            attribute = _field(field).attname
            setattr(survivor, attribute, getattr(locked[source_id], attribute))
        custom = {}
        for contact in reversed([survivor, *merged]):
            custom.update({k: v for k, v in contact.custom_fields.items() if v not in (None, "")})
        survivor.custom_fields = {**custom, **before["custom_fields"]}
        survivor.save()

        merge = ContactMerge(survivor=survivor, created_by=actor, survivor_before=before)
        merge.merged_ids = [contact.pk for contact in merged]
        merged_ids = merge.merged_ids
        merge.added_phone_ids = _copy_missing(ContactPhone, "number", survivor, merged_ids)
        merge.added_email_ids = _copy_missing(ContactEmail, "address", survivor, merged_ids)
        current_tags = set(survivor.tags.values_list("pk", flat=True))
        added_tags = sorted(
            set(
                Contact.tags.through.objects.filter(contact_id__in=merged_ids).values_list(
                    "tag_id", flat=True
                )
            )
            - current_tags
        )
        survivor.tags.add(*added_tags)
        merge.added_tag_ids = added_tags
        moved: dict[str, dict[str, int]] = {}
        for model, label in _movable():
            rows = dict(
                model._default_manager.filter(contact_id__in=merged_ids).values_list(
                    "pk", "contact_id"
                )
            )
            model._default_manager.filter(pk__in=list(rows)).update(contact=survivor)
            moved[label] = {str(pk): contact_id for pk, contact_id in rows.items()}
        # Contacts merged earlier into one of these now belong to the survivor.
        chained = dict(
            Contact.objects.filter(merged_into_id__in=merged_ids).values_list(
                "pk", "merged_into_id"
            )
        )
        Contact.objects.filter(pk__in=list(chained)).update(merged_into=survivor)
        moved["merged_contact"] = {str(pk): parent for pk, parent in chained.items()}
        merge.moved = moved
        Contact.objects.filter(pk__in=merged_ids).update(merged_into=survivor)
        merge.save()
        _refresh_search(survivor)
        DuplicateCandidate.objects.filter(
            status=DuplicateStatus.OPEN, first_id__in=[survivor.pk, *merged_ids]
        ).filter(second_id__in=[survivor.pk, *merged_ids]).update(
            status=DuplicateStatus.MERGED, reviewed_by=actor
        )
        after = snapshot(survivor, MERGE_FIELDS)
        after["custom_fields"] = dict(survivor.custom_fields)
        event_record(
            actor=actor,
            verb="contact.merged",
            subject=merge,
            contact=survivor,
            company=survivor.company,
            summary="، ".join(contact.full_name or f"#{contact.pk}" for contact in merged),
            payload={
                "merged": merged_ids,
                "changes": field_changes(before, after),
                "moved": {label: len(rows) for label, rows in moved.items()},
            },
        )
    return merge


def contact_merge_undo(*, actor: User, merge: ContactMerge) -> Contact:
    """Undo a merge: the merged contacts come back with their own notes, calls and tasks,
    and the survivor gets its previous values, phones, emails and tags back. Merges are
    undone newest first: not while the survivor was merged away or took in others since."""
    require_permission(actor, "delete", "contacts")
    with transaction.atomic():
        merge = ContactMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at is not None:
            raise ValidationError({"merge": [_("This merge was already undone.")]})
        survivor = Contact.objects.select_for_update().get(pk=merge.survivor_id)
        # A later merge, of this contact into another or of others into it, took its
        # "before" values from the state this merge made: undo that one first.
        later = ContactMerge.objects.filter(
            survivor_id=survivor.pk, undone_at__isnull=True, pk__gt=merge.pk
        )
        if survivor.merged_into_id is not None or later.exists():
            raise ValidationError({"merge": [_("Undo the later merge of this contact first.")]})
        before = merge.survivor_before
        for field in MERGE_FIELDS:
            model_field = _field(field)
            value: Any = before.get(field)
            if model_field.get_internal_type() == "DateField" and value:
                value = model_field.to_python(value)
            if isinstance(model_field, models.ForeignKey) and value is not None:
                # Deleted since the merge (the company, the owner): empty, as SET_NULL would
                # have left it had the survivor still pointed to it.
                related = model_field.remote_field.model
                if not related._default_manager.filter(pk=value).exists():
                    value = None
            setattr(survivor, model_field.attname, value)
        survivor.custom_fields = before.get("custom_fields", {})
        survivor.save()
        ContactPhone.objects.filter(pk__in=merge.added_phone_ids).delete()
        ContactEmail.objects.filter(pk__in=merge.added_email_ids).delete()
        survivor.tags.remove(*merge.added_tag_ids)
        for model, label in _movable():
            for pk, contact_id in merge.moved.get(label, {}).items():
                model._default_manager.filter(pk=int(pk)).update(contact_id=contact_id)
        for pk, parent in merge.moved.get("merged_contact", {}).items():
            Contact.objects.filter(pk=int(pk)).update(merged_into_id=parent)
        Contact.objects.filter(pk__in=merge.merged_ids).update(merged_into=None)
        _refresh_search(survivor)
        merge.undone_at = timezone.now()
        merge.save(update_fields=["undone_at"])
        event_record(
            actor=actor,
            verb="contact.merge_undone",
            subject=merge,
            contact=survivor,
            company=survivor.company,
            summary=", ".join(f"#{pk}" for pk in merge.merged_ids),
            payload={"restored": merge.merged_ids},
        )
        DuplicateCandidate.objects.filter(
            status=DuplicateStatus.MERGED,
            first_id__in=[survivor.pk, *merge.merged_ids],
            second_id__in=[survivor.pk, *merge.merged_ids],
        ).update(status=DuplicateStatus.OPEN)
    return survivor


def duplicate_dismiss(*, actor: User, candidate: DuplicateCandidate) -> DuplicateCandidate:
    """Mark a suggested pair as two different people; the scan will not suggest it again."""
    require_permission(actor, "write", "contacts")
    candidate.status = DuplicateStatus.DISMISSED
    candidate.reviewed_by = actor
    candidate.save(update_fields=["status", "reviewed_by"])
    return candidate


def duplicates_scan(*, threshold: float | None = None) -> int:
    """Find likely duplicate contacts across the database and queue them for review.

    Pairs already dismissed or merged are left alone; open pairs get their new score and
    reasons; pairs no longer found are dropped from the queue. Returns the open pairs.
    """
    from .duplicates import DEFAULT_THRESHOLD, find_person_duplicates, person_records

    pairs = find_person_duplicates(
        person_records(Contact.objects.filter(merged_into__isnull=True)),
        threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
    )
    found = {(pair.first_id, pair.second_id): pair for pair in pairs}
    with transaction.atomic():
        reviewed = set(
            DuplicateCandidate.objects.exclude(status=DuplicateStatus.OPEN).values_list(
                "first_id", "second_id"
            )
        )
        DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).delete()
        DuplicateCandidate.objects.bulk_create(
            [
                DuplicateCandidate(
                    first_id=first,
                    second_id=second,
                    score=round(pair.score, 4),
                    reasons=[
                        {"code": reason.code, "similarity": reason.similarity}
                        for reason in pair.reasons
                    ],
                )
                for (first, second), pair in found.items()
                if (first, second) not in reviewed
            ],
            batch_size=2000,
        )
    return DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).count()


def _best_effort(normalizer: Any, raw_values: Any) -> tuple[str, ...]:
    cleaned = []
    for raw in raw_values or ():
        try:
            cleaned.append(normalizer(str(raw)))
        except ValidationError:
            continue  # the service reports it; here it just cannot match anything
    return tuple(cleaned)


def possible_duplicates(
    user: User, values: Mapping[str, Any], *, exclude_id: int | None = None
) -> list[tuple[Contact, float, list[str]]]:
    """Visible contacts that the values of a contact being saved likely duplicate, with the
    reasons in the active language: the warning shown before a form or API call saves."""
    from peyvand.common.persian import clean_persian
    from peyvand.common.validators import normalize_email, normalize_national_id, normalize_phone

    from .duplicates import PersonRecord, likely_duplicates_for
    from .selectors import contacts_visible_to

    national_ids = _best_effort(normalize_national_id, [values.get("national_id") or ""])
    record = PersonRecord(
        id=exclude_id or 0,
        first_name=clean_persian(str(values.get("first_name") or "")),
        last_name=clean_persian(str(values.get("last_name") or "")),
        phones=_best_effort(normalize_phone, values.get("phones")),
        emails=_best_effort(normalize_email, values.get("emails")),
        national_id=national_ids[0] if national_ids else "",
        city=clean_persian(str(values.get("city") or "")),
    )
    visible = contacts_visible_to(user)
    matches = likely_duplicates_for(record, visible)
    contacts = visible.in_bulk([contact_id for contact_id, _score, _reasons in matches])
    return [
        (contacts[contact_id], score, [reason.text() for reason in reasons])
        for contact_id, score, reasons in matches
        if contact_id in contacts
    ]
