"""Merging duplicate contacts into one survivor, and undoing a merge.

The merged contacts are not deleted: they are marked ``merged_into`` the survivor, which
hides them everywhere and shows their events on the survivor's timeline (the event log is
never rewritten). Their notes, calls and tasks move to the survivor; phones, emails and
tags are added to it; for each field the caller chooses whose value survives. Everything
needed to undo is kept on a ``ContactMerge`` row, and the merge is one event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.accounts.permissions import Area, require_permission
from peyvand.common.persian import name_key
from peyvand.timeline.events import event_record, field_changes, snapshot

from .duplicates import DuplicatePair as FoundPair
from .duplicates import Match
from .merge_parts import merge_parts_move, merge_parts_restore
from .models import (
    Company,
    CompanyDuplicateCandidate,
    CompanyMerge,
    Contact,
    ContactEmail,
    ContactMerge,
    ContactPhone,
    DuplicateCandidate,
    DuplicateStatus,
    QueuedPair,
)
from .services import CONTACT_FIELDS, contact_search_text

# Fields whose value the person merging picks from one of the records.
MERGE_FIELDS = CONTACT_FIELDS
# Rows that hang off a contact and move to the survivor of a merge (undo moves them back):
# ``app_label.Model`` and the key under which the merge record keeps their old contacts.
# Other apps carry their rows (outbox messages, segment memberships, journey runs …) by
# registering a part with ``merge_parts`` (orders too, so figures derived from them follow);
# consent is carried there too.
MOVABLE = (
    ("timeline.Activity", "activity"),
    ("timeline.Task", "task"),
    ("sales.Deal", "deal"),
    ("sales.Lead", "lead"),
    ("service.Ticket", "ticket"),
)


_Record = TypeVar("_Record", Contact, Company)
_Merge = TypeVar("_Merge", ContactMerge, CompanyMerge)
_Pair = TypeVar("_Pair", DuplicateCandidate, CompanyDuplicateCandidate)


# --- Pieces shared by contact and company merges --------------------------------------------


def model_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(name)
    return field


def default_picks(fields: Sequence[str], records: Sequence[_Record]) -> dict[str, int]:
    """The default pick per field: the first record (the survivor) unless its value is empty."""
    picks: dict[str, int] = {}
    for name in fields:
        attribute = model_field(type(records[0]), name).attname
        chosen = next((r for r in records if getattr(r, attribute) not in (None, "")), records[0])
        picks[name] = chosen.pk
    return picks


def merge_choices(contacts: Sequence[Contact]) -> dict[str, int]:
    """The default pick per field for a contact merge (see :func:`default_picks`)."""
    return default_picks(MERGE_FIELDS, contacts)


def distinct_others(survivor: _Record, others: Sequence[_Record]) -> list[_Record]:
    """Each other record once, without the survivor: a repeated id is merged once."""
    return list({other.pk: other for other in others if other.pk != survivor.pk}.values())


def check_choices(
    fields: Sequence[str], choices: Mapping[str, int] | None, ids: Sequence[int], message: str
) -> None:
    """Every chosen field must be mergeable and take its value from one of the records."""
    for field, source_id in (choices or {}).items():
        if field not in fields or source_id not in ids:
            raise ValidationError({field: [message]})


def lock_unmerged(
    model: type[_Record], ids: Sequence[int], key: str, message: str
) -> dict[int, _Record]:
    """Lock the records of a merge; all must exist and none be merged already."""
    locked = {
        record.pk: record
        # In id order: two merges of overlapping records lock them in the same order.
        for record in model._default_manager.select_for_update()
        .filter(pk__in=list(ids))
        .order_by("pk")
    }
    if len(locked) != len(set(ids)) or any(record.merged_into_id for record in locked.values()):
        raise ValidationError({key: [message]})
    return locked


def apply_picks(records: Sequence[_Record], picks: Mapping[str, int]) -> None:
    """Give the survivor (``records[0]``) each picked value, and every custom field value it
    lacks (its own non-empty values win, then the other records in order)."""
    survivor = records[0]
    by_id = {record.pk: record for record in records}
    own_custom = dict(survivor.custom_fields)
    for field, source_id in picks.items():
        attribute = model_field(type(survivor), field).attname
        setattr(survivor, attribute, getattr(by_id[source_id], attribute))
    custom: dict[str, Any] = {}
    for record in reversed(records):
        custom.update({k: v for k, v in record.custom_fields.items() if v not in (None, "")})
    survivor.custom_fields = {**custom, **own_custom}


def restore_fields(record: _Record, fields: Sequence[str], before: Mapping[str, Any]) -> None:
    """Set the fields of ``record`` back to a :func:`snapshot` (and its custom fields)."""
    for field in fields:
        definition = model_field(type(record), field)
        value: Any = before.get(field)
        if definition.get_internal_type() == "DateField" and value:
            value = definition.to_python(value)
        if isinstance(definition, models.ForeignKey) and value is not None:
            # Deleted since the merge (the company, the owner): empty, as SET_NULL would
            # have left it had the survivor still pointed to it.
            related = definition.remote_field.model
            found = related._default_manager.filter(pk=value)
            if hasattr(related, "merged_into"):
                # Merged away since (a company merged into another): its survivor now.
                value = found.values_list(Coalesce("merged_into_id", "pk"), flat=True).first()
            elif not found.exists():
                value = None
        setattr(record, definition.attname, value)
    record.custom_fields = before.get("custom_fields", {})


def add_missing_tags(survivor: _Record, merged_ids: Sequence[int]) -> list[int]:
    """Tag the survivor with the merged records' tags it lacks; returns the tags added."""
    through = type(survivor).tags.through
    owner = f"{type(survivor)._meta.model_name}_id"
    current = set(survivor.tags.values_list("pk", flat=True))
    merged_tags = through.objects.filter(**{f"{owner}__in": merged_ids}).values_list(
        "tag_id", flat=True
    )
    added = sorted(set(merged_tags) - current)
    survivor.tags.add(*added)
    return added


def move_related(
    movable: Sequence[tuple[str, str]], field: str, survivor: _Record, merged_ids: Sequence[int]
) -> dict[str, dict[str, int]]:
    """Point the rows of each ``movable`` model at the survivor; also re-point records merged
    earlier into one of the merged ones. Returns ``{key: {row id: old owner id}}``."""
    from django.apps import apps

    moved: dict[str, dict[str, int]] = {}
    column = f"{field}_id"
    for label, key in movable:
        manager = apps.get_model(label)._default_manager
        rows = dict(manager.filter(**{f"{column}__in": merged_ids}).values_list("pk", column))
        # By owner, not by row ids: a big company's rows must not hit the bind-parameter
        # limit of the database.
        manager.filter(**{f"{column}__in": merged_ids}).update(**{column: survivor.pk})
        moved[key] = {str(pk): owner for pk, owner in rows.items()}
    manager = type(survivor)._default_manager
    chained = dict(
        manager.filter(merged_into_id__in=merged_ids).values_list("pk", "merged_into_id")
    )
    manager.filter(pk__in=list(chained)).update(merged_into=survivor)
    moved[f"merged_{type(survivor)._meta.model_name}"] = {
        str(pk): parent for pk, parent in chained.items()
    }
    manager.filter(pk__in=merged_ids).update(merged_into=survivor)
    return moved


def restore_related(
    movable: Sequence[tuple[str, str]],
    field: str,
    model: type[_Record],
    moved: Mapping[str, Mapping[str, int]],
    merged_ids: Sequence[int],
    survivor_id: int,
) -> None:
    """Undo :func:`move_related`: every row still on the survivor back to its own record
    (one statement per old owner; a row someone moved elsewhere since stays there), the
    merged ones shown."""
    from django.apps import apps

    for label, key in movable:
        manager = apps.get_model(label)._default_manager
        by_owner: dict[int, list[int]] = defaultdict(list)
        for pk, owner in moved.get(key, {}).items():
            by_owner[owner].append(int(pk))
        for owner, pks in by_owner.items():
            manager.filter(pk__in=pks, **{f"{field}_id": survivor_id}).update(
                **{f"{field}_id": owner}
            )
    for pk, parent in moved.get(f"merged_{model._meta.model_name}", {}).items():
        model._default_manager.filter(pk=int(pk)).update(merged_into_id=parent)
    model._default_manager.filter(pk__in=merged_ids).update(merged_into=None)


def lock_undo(
    merge_model: type[_Merge], merge: _Merge, record_model: type[_Record], message: str
) -> tuple[_Merge, _Record]:
    """Lock a merge and its survivor for undo. Merges are undone newest first: a later merge,
    of the survivor into another or of others into it, took its "before" values from the
    state this merge made, so it must be undone first."""
    merge = merge_model._default_manager.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError({"merge": [_("This merge was already undone.")]})
    survivor = record_model._default_manager.select_for_update().get(pk=merge.survivor_id)
    later = merge_model._default_manager.filter(
        survivor_id=survivor.pk, undone_at__isnull=True, pk__gt=merge.pk
    )
    if survivor.merged_into_id is not None or later.exists():
        raise ValidationError({"merge": [message]})
    return merge, survivor


def mark_pairs(
    model: type[_Pair],
    ids: Sequence[int],
    *,
    status: str,
    new_status: str,
    actor: User | None = None,
) -> None:
    """Move the queued pairs among ``ids`` from ``status`` to ``new_status``."""
    changes: dict[str, Any] = {"status": new_status}
    if actor is not None:
        changes["reviewed_by"] = actor
    model._default_manager.filter(
        status=status, first_id__in=list(ids), second_id__in=list(ids)
    ).update(**changes)


# --- Contacts ----------------------------------------------------------------------------


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
    others = distinct_others(survivor, others)
    if not others:
        raise ValidationError({"contacts": [_("Choose at least two different contacts.")]})
    ids = [survivor.pk, *(other.pk for other in others)]
    check_choices(MERGE_FIELDS, choices, ids, _("Choose a value from one of the contacts."))
    with transaction.atomic():
        locked = lock_unmerged(
            Contact, ids, "contacts", _("One of the contacts was already merged.")
        )
        survivor = locked[survivor.pk]
        merged = [locked[other.pk] for other in others]
        # Default picks judge the stored values (the caller's copies may be stale).
        picks = {**merge_choices([survivor, *merged]), **(choices or {})}
        before = snapshot(survivor, MERGE_FIELDS)
        before["custom_fields"] = dict(survivor.custom_fields)
        apply_picks([survivor, *merged], picks)
        survivor.save()

        merge = ContactMerge(survivor=survivor, created_by=actor, survivor_before=before)
        merge.merged_ids = merged_ids = [contact.pk for contact in merged]
        merge.added_phone_ids = _copy_missing(ContactPhone, "number", survivor, merged_ids)
        merge.added_email_ids = _copy_missing(ContactEmail, "address", survivor, merged_ids)
        merge.added_tag_ids = add_missing_tags(survivor, merged_ids)
        moved = move_related(MOVABLE, "contact", survivor, merged_ids)
        moved.update(merge_parts_move(survivor_id=survivor.pk, merged_ids=merged_ids))
        merge.moved = moved
        merge.save()
        _refresh_search(survivor)
        mark_pairs(
            DuplicateCandidate,
            ids,
            status=DuplicateStatus.OPEN,
            new_status=DuplicateStatus.MERGED,
            actor=actor,
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
    """Undo a merge: the merged contacts come back with their own notes, calls and tasks
    (and everything the merge parts carried: consent, segment memberships, campaign
    recipients, journey runs, outbox rows), and the survivor gets its previous values,
    phones, emails, tags and consent back. Merges are
    undone newest first: not while the survivor was merged away or took in others since."""
    require_permission(actor, "delete", "contacts")
    with transaction.atomic():
        merge, survivor = lock_undo(
            ContactMerge, merge, Contact, _("Undo the later merge of this contact first.")
        )
        restore_fields(survivor, MERGE_FIELDS, merge.survivor_before)
        survivor.save()
        ContactPhone.objects.filter(pk__in=merge.added_phone_ids).delete()
        ContactEmail.objects.filter(pk__in=merge.added_email_ids).delete()
        survivor.tags.remove(*merge.added_tag_ids)
        merge_parts_restore(moved=merge.moved, survivor_id=merge.survivor_id)
        restore_related(
            MOVABLE, "contact", Contact, merge.moved, merge.merged_ids, merge.survivor_id
        )
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
        mark_pairs(
            DuplicateCandidate,
            [survivor.pk, *merge.merged_ids],
            status=DuplicateStatus.MERGED,
            new_status=DuplicateStatus.OPEN,
        )
    return survivor


def duplicate_dismiss(*, actor: User, candidate: QueuedPair) -> QueuedPair:
    """Mark a suggested pair as two different people (or companies); the scan will not
    suggest it again."""
    kind: Area = "companies" if isinstance(candidate, CompanyDuplicateCandidate) else "contacts"
    require_permission(actor, "write", kind)
    candidate.status = DuplicateStatus.DISMISSED
    candidate.reviewed_by = actor
    candidate.save(update_fields=["status", "reviewed_by"])
    return candidate


def _queue_pairs(model: type[_Pair], pairs: Sequence[FoundPair]) -> int:
    """Replace the open pairs of ``model`` with ``pairs``, leaving reviewed ones alone;
    returns the open pairs."""
    manager = model._default_manager
    reviewed = set(
        manager.exclude(status=DuplicateStatus.OPEN).values_list("first_id", "second_id")
    )
    manager.filter(status=DuplicateStatus.OPEN).delete()
    manager.bulk_create(
        [
            model(
                first_id=pair.first_id,
                second_id=pair.second_id,
                score=round(pair.score, 4),
                reasons=[
                    {"code": reason.code, "similarity": reason.similarity}
                    for reason in pair.reasons
                ],
            )
            for pair in {(pair.first_id, pair.second_id): pair for pair in pairs}.values()
            if (pair.first_id, pair.second_id) not in reviewed
        ],
        batch_size=2000,
    )
    return manager.filter(status=DuplicateStatus.OPEN).count()


def duplicates_scan(*, threshold: float | None = None) -> int:
    """Find likely duplicate contacts and companies across the database and queue them for
    review.

    Pairs already dismissed or merged are left alone; open pairs get their new score and
    reasons; pairs no longer found are dropped from the queue. Merged records are not
    scanned. Returns the open pairs of both kinds.
    """
    from .duplicates import (
        DEFAULT_THRESHOLD,
        company_records,
        find_company_duplicates,
        find_person_duplicates,
        person_records,
    )

    bar = DEFAULT_THRESHOLD if threshold is None else threshold
    people = find_person_duplicates(
        person_records(Contact.objects.filter(merged_into__isnull=True)), threshold=bar
    )
    companies = find_company_duplicates(
        company_records(Company.objects.filter(merged_into__isnull=True)), threshold=bar
    )
    with transaction.atomic():
        return _queue_pairs(DuplicateCandidate, people) + _queue_pairs(
            CompanyDuplicateCandidate, companies
        )


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
    return _with_records(visible, likely_duplicates_for(record, visible))


def possible_company_duplicates(
    user: User, values: Mapping[str, Any], *, exclude_id: int | None = None
) -> list[tuple[Company, float, list[str]]]:
    """Visible companies that the values of a company being saved likely duplicate, with the
    reasons in the active language: the warning shown before a form or API call saves."""
    from peyvand.common.persian import clean_persian
    from peyvand.common.validators import normalize_phone

    from .duplicates import CompanyRecord, likely_company_duplicates_for
    from .selectors import companies_visible_to

    record = CompanyRecord(
        id=exclude_id or 0,
        name=clean_persian(str(values.get("name") or "")),
        national_id=str(values.get("national_id") or ""),
        phones=_best_effort(normalize_phone, values.get("phones")),
        city=clean_persian(str(values.get("city") or "")),
    )
    visible = companies_visible_to(user)
    return _with_records(visible, likely_company_duplicates_for(record, visible))


def _with_records(
    visible: QuerySet[Any], matches: list[Match]
) -> list[tuple[Any, float, list[str]]]:
    """The matched records themselves (still visible), with their reasons as text."""
    records = visible.in_bulk([record_id for record_id, _score, _reasons in matches])
    return [
        (records[record_id], score, [reason.text() for reason in reasons])
        for record_id, score, reasons in matches
        if record_id in records
    ]
