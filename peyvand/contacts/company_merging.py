"""Merging duplicate companies into one survivor, and undoing a merge.

The same rules as contact merges (:mod:`peyvand.contacts.merging`, whose pieces this
reuses): the merged companies are kept as hidden rows ``merged_into`` the survivor, so their
events show on its timeline; their people, deals, tickets, support contracts, activities and
tasks move to the survivor; phones, tags and custom fields are united; for each field the
caller chooses whose value survives. The merge is one event and can be undone, newest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.accounts.permissions import require_permission
from peyvand.common.persian import name_key
from peyvand.timeline.events import event_record, field_changes, snapshot

from .merging import (
    add_missing_tags,
    apply_picks,
    check_choices,
    default_picks,
    distinct_others,
    lock_undo,
    lock_unmerged,
    mark_pairs,
    move_related,
    restore_fields,
    restore_related,
)
from .models import Company, CompanyDuplicateCandidate, CompanyMerge, DuplicateStatus
from .services import COMPANY_FIELDS, company_search_text

# Fields whose value the person merging picks from one of the companies.
COMPANY_MERGE_FIELDS = COMPANY_FIELDS
# Rows that hang off a company (by a ``company`` foreign key) and move to the survivor:
# ``app_label.Model`` and the key under which the merge keeps their old companies.
# (Leads keep only a company *name*, so they have nothing to move.)
COMPANY_MOVABLE = (
    ("contacts.Contact", "contact"),
    ("sales.Deal", "deal"),
    ("service.Ticket", "ticket"),
    ("service.SupportContract", "support_contract"),
    ("timeline.Activity", "activity"),
    ("timeline.Task", "task"),
)


def company_merge_choices(companies: Sequence[Company]) -> dict[str, int]:
    """The default pick per field: the survivor's value unless it is empty."""
    return default_picks(COMPANY_MERGE_FIELDS, companies)


def _state(company: Company) -> dict[str, object]:
    state = snapshot(company, COMPANY_MERGE_FIELDS)
    state["phones"] = list(company.phones)
    state["custom_fields"] = dict(company.custom_fields)
    return state


def _save_with_search(company: Company) -> None:
    company.search_text = company_search_text(company)
    company.name_key = name_key(company.name)[:200]
    company.save()


def companies_merge(
    *,
    actor: User,
    survivor: Company,
    others: Sequence[Company],
    choices: Mapping[str, int] | None = None,
) -> CompanyMerge:
    """Merge ``others`` into ``survivor``; ``choices`` maps a field to the id of the company
    whose value it keeps (default: :func:`company_merge_choices`). All companies must be
    visible to the actor (callers fetch them through ``companies_visible_to``)."""
    require_permission(actor, "delete", "companies")
    others = distinct_others(survivor, others)
    if not others:
        raise ValidationError({"companies": [_("Choose at least two different companies.")]})
    ids = [survivor.pk, *(other.pk for other in others)]
    check_choices(
        COMPANY_MERGE_FIELDS, choices, ids, _("Choose a value from one of the companies.")
    )
    with transaction.atomic():
        locked = lock_unmerged(
            Company, ids, "companies", _("One of the companies was already merged.")
        )
        survivor = locked[survivor.pk]
        merged = [locked[other.pk] for other in others]
        # Default picks judge the stored values (the caller's copies may be stale).
        picks = {**company_merge_choices([survivor, *merged]), **(choices or {})}
        before = _state(survivor)
        apply_picks([survivor, *merged], picks)
        phones = list(survivor.phones)
        for company in merged:
            phones.extend(phone for phone in company.phones if phone not in phones)
        survivor.phones = phones
        _save_with_search(survivor)

        merge = CompanyMerge(survivor=survivor, created_by=actor, survivor_before=before)
        merge.merged_ids = merged_ids = [company.pk for company in merged]
        merge.added_tag_ids = add_missing_tags(survivor, merged_ids)
        merge.moved = moved = move_related(COMPANY_MOVABLE, "company", survivor, merged_ids)
        merge.save()
        mark_pairs(
            CompanyDuplicateCandidate,
            ids,
            status=DuplicateStatus.OPEN,
            new_status=DuplicateStatus.MERGED,
            actor=actor,
        )
        event_record(
            actor=actor,
            verb="company.merged",
            subject=merge,
            company=survivor,
            summary="، ".join(company.name for company in merged),
            payload={
                "merged": merged_ids,
                "changes": field_changes(before, _state(survivor)),
                "moved": {label: len(rows) for label, rows in moved.items()},
            },
        )
    return merge


def company_merge_undo(*, actor: User, merge: CompanyMerge) -> Company:
    """Undo a company merge: the merged companies come back with their own people, deals,
    tickets, contracts, activities and tasks, and the survivor gets its previous values,
    phones and tags back. Not while the survivor was merged away or took in others since."""
    require_permission(actor, "delete", "companies")
    with transaction.atomic():
        merge, survivor = lock_undo(
            CompanyMerge, merge, Company, _("Undo the later merge of this company first.")
        )
        before = merge.survivor_before
        restore_fields(survivor, COMPANY_MERGE_FIELDS, before)
        survivor.phones = list(before.get("phones", []))
        _save_with_search(survivor)
        survivor.tags.remove(*merge.added_tag_ids)
        restore_related(
            COMPANY_MOVABLE, "company", Company, merge.moved, merge.merged_ids, merge.survivor_id
        )
        merge.undone_at = timezone.now()
        merge.save(update_fields=["undone_at"])
        event_record(
            actor=actor,
            verb="company.merge_undone",
            subject=merge,
            company=survivor,
            summary=", ".join(f"#{pk}" for pk in merge.merged_ids),
            payload={"restored": merge.merged_ids},
        )
        mark_pairs(
            CompanyDuplicateCandidate,
            [survivor.pk, *merge.merged_ids],
            status=DuplicateStatus.MERGED,
            new_status=DuplicateStatus.OPEN,
        )
    return survivor
