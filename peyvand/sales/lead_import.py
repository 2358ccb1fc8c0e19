"""Importing leads from a file: the contact import's batches, checkpoints, duplicate
policies and rejects file, with each lead written by the lead services.

A row is matched to an open lead the importer can see with the same (normalized) phone or
email; converted and disqualified leads are history, so a row for the same person makes a
new lead. New leads go through :func:`~peyvand.sales.leads.lead_create`, exactly as a lead
typed in the form: linked to an existing contact with that phone or email, given to the
import's owner or (with no owner chosen) to the assignment rules, scored, and recorded as
``lead.created`` with the import's id and row. Each owner gets one notification per batch
rather than one per lead.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import ngettext

from peyvand.accounts.models import User
from peyvand.common.bulk import values_matching
from peyvand.contacts.importing.engine import (
    BatchOutcome,
    ImportRunner,
    PendingRecord,
    Progress,
    merge_fields,
)
from peyvand.contacts.importing.preview import PreviewLedger
from peyvand.contacts.importing.rows import LeadRowParser, ParsedRow
from peyvand.contacts.models import DuplicatePolicy, ImportJob, Source

from .leads import lead_create, lead_update
from .models import OPEN_LEAD_STATUSES, Lead
from .selectors import leads_visible_to
from .service_helpers import notify_assignee

# Lead fields a row fills directly (``phone`` and ``email`` come from the row's lists).
LEAD_SCALAR_FIELDS = (
    "first_name",
    "last_name",
    "company_name",
    "job_title",
    "province",
    "city",
    "message",
    "estimated_amount",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
)
# How the lead is reached: only ever filled when empty on a matched lead (one of them is
# what matched), even when the import overwrites.
_CONTACT_FIELDS = ("phone", "email")


def _lead_values(values: dict[str, Any]) -> dict[str, Any]:
    """The lead service's values for a parsed row: the first phone and email on the lead,
    any others kept among its other answers."""
    result = {key: values[key] for key in LEAD_SCALAR_FIELDS if key in values}
    phones, emails = values.get("phones", []), values.get("emails", [])
    result["phone"] = phones[0] if phones else ""
    result["email"] = emails[0] if emails else ""
    extra = {}
    if len(phones) > 1:
        extra["other_phones"] = phones[1:]
    if len(emails) > 1:
        extra["other_emails"] = emails[1:]
    if extra:
        result["extra"] = extra
    return result


def _matched_values(values: dict[str, Any]) -> dict[str, Any]:
    """A row's values as they are applied to a lead it matched (other phones are not kept)."""
    incoming = _lead_values(values)
    incoming.pop("extra", None)
    return incoming


class LeadImportRunner(ImportRunner):
    """Runs an import of leads (see the module docstring)."""

    looked_up_models = (Lead,)

    def __init__(self, job: ImportJob, *, progress: Progress | None = None) -> None:
        super().__init__(job, progress=progress)
        self.parser = LeadRowParser(job.mapping)
        self.leads = leads_visible_to(self.actor).filter(status__in=OPEN_LEAD_STATUSES)
        self.late_rejects: list[ParsedRow] = []
        self.ledger = PreviewLedger(
            (*LEAD_SCALAR_FIELDS, *_CONTACT_FIELDS), fill_only=_CONTACT_FIELDS
        )

    def _apply(self, rows: list[ParsedRow]) -> BatchOutcome:
        self.late_rejects = []
        outcome = super()._apply(rows)
        outcome.rejected += self.late_rejects
        return outcome

    def _existing_matches(self, rows: list[ParsedRow]) -> dict[tuple[str, str], int]:
        """Key → id of a visible open lead with that phone or email (the oldest one)."""
        wanted = {key for row in rows for key in row.match_keys}
        if not wanted:
            return {}
        phones = {value for kind, value in wanted if kind == "phone"}
        emails = {value for kind, value in wanted if kind == "email"}
        found: dict[tuple[str, str], int] = {}
        candidates = {
            row[0]: row
            for field, values in (("phone", phones), ("email", emails))
            for row in values_matching(self.leads, field, values, "pk", "phone", "email")
        }
        for pk, phone, email in candidates.values():
            for key in (("phone", phone), ("email", email)):
                if key in wanted:
                    found[key] = min(found.get(key, pk), pk)
        return found

    def _create(self, pending: list[PendingRecord]) -> int:
        created = 0
        per_owner: Counter[int] = Counter()
        owner = self.job.owner
        for item in pending:
            # A row without a source of its own came from an import.
            values = {"source": Source.IMPORT, **_lead_values(item.values), "owner": owner}
            try:
                # A savepoint per lead: a row the service refuses is rejected alone.
                with transaction.atomic():
                    lead = lead_create(
                        actor=self.actor,
                        values=values,
                        origin={"import": self.job.pk, "row": item.row.number},
                        notify=False,
                    )
            except ValidationError as error:
                for field_name, messages in error.message_dict.items():
                    for message in messages:
                        item.row.add_error(field_name, message)
                self.late_rejects.append(item.row)
                continue
            created += 1
            if lead.owner_id is not None:
                per_owner[lead.owner_id] += 1
        self._notify_owners(per_owner)
        return created

    def _notify_owners(self, per_owner: Counter[int]) -> None:
        owners = User.objects.in_bulk(list(per_owner))
        for owner_id, count in per_owner.items():
            notify_assignee(
                owner=owners.get(owner_id),
                actor=self.actor,
                title=ngettext(
                    "%(count)d imported lead was assigned to you.",
                    "%(count)d imported leads were assigned to you.",
                    count,
                )
                % {"count": count},
                url=f"{reverse('sales:lead_list')}?owner={owner_id}&status=open",
            )

    def _preview_values(self, values: dict[str, Any]) -> dict[str, Any]:
        return _matched_values(values)

    def _preview_states(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        fields = self.ledger.scalar_fields
        return {
            lead.pk: {key: getattr(lead, key) for key in fields}
            for lead in Lead.objects.filter(pk__in=ids).only("pk", *fields)
        }

    def _update(self, updates: dict[int, dict[str, Any]], policy: str, *, write: bool) -> set[int]:
        """Apply matched rows to open leads; returns the ids of those that changed. A lead's
        phone and email are only filled when empty (one of them is what matched)."""
        if not updates:
            return set()
        overwrite = policy == DuplicatePolicy.OVERWRITE
        leads = Lead.objects.in_bulk(list(updates))
        changed: set[int] = set()
        for lead_id, values in updates.items():
            lead = leads[lead_id]
            incoming = _matched_values(values)
            changes = merge_fields(lead, incoming, LEAD_SCALAR_FIELDS, overwrite=overwrite)
            for key in _CONTACT_FIELDS:
                if incoming[key] and not getattr(lead, key):
                    changes[key] = ["", incoming[key]]
            if not changes:
                continue
            changed.add(lead_id)
            if write:
                lead_update(
                    actor=self.actor,
                    lead=lead,
                    values={key: new for key, (_old, new) in changes.items()},
                    origin={"import": self.job.pk},
                )
        return changed


__all__ = ["LeadImportRunner"]
