"""Writes of segments: create, change, delete, and adding or removing contacts of a static
list. Each checks the actor's permission, validates with ``full_clean`` and the rule
validator, and appends to the event log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.permissions import require_permission
from peyvand.common.persian import clean_persian
from peyvand.contacts.models import Contact
from peyvand.timeline.events import EventRow, event_record, events_insert, field_changes, snapshot

from .models import Segment, SegmentKind, SegmentMembership
from .rules import clean_rules, rules_condition_count
from .selectors import segment_can_change, segment_members, static_members_q

if TYPE_CHECKING:
    from peyvand.accounts.models import User

SEGMENT_FIELDS = ("name", "description", "kind", "rules", "owner", "is_shared")


def _check_change(actor: User | None, segment: Segment, action: str = "write") -> None:
    if actor is None:
        return
    require_permission(actor, action, "marketing")  # type: ignore[arg-type]
    if not segment_can_change(actor, segment):
        raise PermissionDenied(_("You do not have permission to do this."))


def _assign(segment: Segment, values: Mapping[str, Any], actor: User | None) -> None:
    errors: dict[str, list[ValidationError]] = {}
    for name, value in values.items():
        if name not in SEGMENT_FIELDS or name == "rules":
            continue
        if name == "name" and isinstance(value, str):
            value = clean_persian(value)
        if name == "description" and isinstance(value, str):
            value = clean_persian(value, multiline=True)
        if name == "kind" and segment.pk is not None and value != segment.kind:
            errors["kind"] = [ValidationError(_("A segment's kind cannot change."), code="invalid")]
            continue
        setattr(segment, name, value)
    if "rules" in values:
        if segment.kind == SegmentKind.STATIC:
            if values["rules"] not in (None, {}, {"match": "all", "conditions": []}):
                errors["rules"] = [
                    ValidationError(_("A static list has no rules."), code="invalid")
                ]
        else:
            try:
                segment.rules = clean_rules(values["rules"], user=actor)
            except ValidationError as error:
                errors.update(error.error_dict)
    if segment.kind == SegmentKind.STATIC:
        segment.rules = {"match": "all", "conditions": []}
    try:
        segment.full_clean(exclude=[*errors, "rules"])
    except ValidationError as error:
        for name, messages in error.error_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _refresh_count(segment: Segment) -> None:
    """Cache the unscoped member count (one ``COUNT``); kept on the row for campaigns."""
    segment.last_count = segment_members(segment).count()
    segment.counted_at = timezone.now()
    Segment.objects.filter(pk=segment.pk).update(
        last_count=segment.last_count, counted_at=segment.counted_at
    )


def segment_create(*, actor: User | None, values: Mapping[str, Any]) -> Segment:
    """Create a dynamic segment (with validated rules) or an empty static list; the actor
    owns it unless ``owner`` is given."""
    if actor is not None:
        require_permission(actor, "write", "marketing")
    segment = Segment(owner=actor)
    _assign(segment, values, actor)
    with transaction.atomic():
        segment.save()
        _refresh_count(segment)
        event_record(
            actor=actor,
            verb="segment.created",
            subject=segment,
            summary=segment.name,
            payload={"kind": segment.kind, "conditions": rules_condition_count(segment.rules)},
        )
    return segment


def segment_update(*, actor: User | None, segment: Segment, values: Mapping[str, Any]) -> Segment:
    """Change a segment's name, description, sharing or rules (its kind is fixed)."""
    _check_change(actor, segment)
    before = snapshot(segment, SEGMENT_FIELDS)
    _assign(segment, values, actor)
    with transaction.atomic():
        segment.save()
        _refresh_count(segment)
        changes = field_changes(before, snapshot(segment, SEGMENT_FIELDS))
        if changes:
            event_record(
                actor=actor,
                verb="segment.updated",
                subject=segment,
                summary=segment.name,
                payload={"changes": changes},
            )
    return segment


def segment_delete(*, actor: User | None, segment: Segment) -> None:
    """Delete a segment (and a static list's memberships)."""
    _check_change(actor, segment, "delete")
    with transaction.atomic():
        event_record(
            actor=actor,
            verb="segment.deleted",
            subject=segment,
            summary=segment.name,
            payload={"kind": segment.kind},
        )
        segment.delete()


def _static(segment: Segment) -> None:
    if not segment.is_static:
        raise ValidationError(
            {"segment": [ValidationError(_("Only a static list has members to change."))]}
        )


def _scoped(actor: User | None, contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    from peyvand.contacts.selectors import contacts_visible_to

    base = (
        contacts_visible_to(actor)
        if actor is not None
        else Contact.objects.filter(merged_into__isnull=True)
    )
    return base.filter(pk__in=contacts.values("pk"))


def _member_events(
    actor: User | None, segment: Segment, verb: str, contact_ids: Iterable[int]
) -> None:
    # One summary event per contact touched, written in one bulk insert (as imports do).
    events_insert(
        actor=actor,
        verb=verb,
        rows=(
            EventRow("segment", segment.pk, contact_id, None, segment.name, {"segment": segment.pk})
            for contact_id in contact_ids
        ),
    )


def segment_add_contacts(
    *, actor: User | None, segment: Segment, contacts: QuerySet[Contact]
) -> int:
    """Add to a static list every contact of ``contacts`` the actor may see and that is not
    on it yet (a filtered list or a set of ids); returns how many were added."""
    _check_change(actor, segment)
    _static(segment)
    with transaction.atomic():
        new_ids = list(
            _scoped(actor, contacts)
            .exclude(static_members_q(segment.pk))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        SegmentMembership.objects.bulk_create(
            [
                SegmentMembership(segment=segment, contact_id=contact_id, added_by=actor)
                for contact_id in new_ids
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        _member_events(actor, segment, "segment.contact_added", new_ids)
        _refresh_count(segment)
    return len(new_ids)


def segment_remove_contacts(
    *, actor: User | None, segment: Segment, contacts: QuerySet[Contact]
) -> int:
    """Take off a static list every contact of ``contacts`` the actor may see; returns how
    many were removed."""
    _check_change(actor, segment)
    _static(segment)
    with transaction.atomic():
        memberships = SegmentMembership.objects.filter(
            segment=segment, contact_id__in=_scoped(actor, contacts).values("pk")
        )
        removed_ids = list(memberships.order_by("contact_id").values_list("contact_id", flat=True))
        SegmentMembership.objects.filter(segment=segment, contact_id__in=removed_ids).delete()
        _member_events(actor, segment, "segment.contact_removed", removed_ids)
        _refresh_count(segment)
    return len(removed_ids)


def contacts_by_ids(actor: User | None, ids: Iterable[int]) -> QuerySet[Contact]:
    """The contacts with ``ids``; any id the actor may not see (or that does not exist) is a
    field error on ``contact_ids``, never a hint of which."""
    from peyvand.contacts.selectors import contacts_visible_to

    wanted = sorted(set(ids))
    base = (
        contacts_visible_to(actor)
        if actor is not None
        else Contact.objects.filter(merged_into__isnull=True)
    )
    queryset = base.filter(pk__in=wanted)
    found = set(queryset.values_list("pk", flat=True))
    missing = [contact_id for contact_id in wanted if contact_id not in found]
    if missing:
        raise ValidationError(
            {
                "contact_ids": [
                    ValidationError(
                        _("No such record: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
                        code="does_not_exist",
                    )
                ]
            }
        )
    return Contact.objects.filter(pk__in=wanted)


def segment_refresh_count(*, segment: Segment) -> int:
    """Recount a segment's members (unscoped) and cache it; for a nightly task or a campaign."""
    _refresh_count(segment)
    return segment.last_count or 0
