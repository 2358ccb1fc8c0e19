"""Running an import: batches of parsed rows matched, merged and written in bulk.

Each batch is one transaction that also advances ``ImportJob.rows_done``; a crash or kill
leaves whole batches only, and running the job again continues after the last one. On
PostgreSQL a batch commits without waiting for its WAL flush (``synchronous_commit = off``
for that transaction only): a crash of the database server may then lose the last batches
committed before it, but never part of one, and their checkpoint is lost with them, so a
resume imports them again; the job's last save (``done``) is a normal commit, which flushes
everything before it.
Existing contacts are matched on national ID, phone and email (and on name + city as a
weaker rule) among the contacts the importing user may see; rows of the same file match
each other the same way. A row's company is linked only when the importer may see it (or
this run created it); otherwise a new one is created. One summary event
(``contact.imported``) is written per record touched, not one per field. A dry run writes
nothing and counts what the real run would, repeats far down the file included, from a
ledger of hashes (``preview.py``).

The file is read and its rows parsed and normalized in a background thread, a batch or two
ahead of the one being written (``read_ahead.py``), so Python's work and the database's
overlap.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone, translation

from peyvand.accounts.models import User
from peyvand.common.bulk import (
    analyze_if_stale,
    insert_rows,
    links_insert,
    list_items_matching,
    values_matching,
)
from peyvand.common.persian import clean_persian, name_key, normalize_text, search_key
from peyvand.contacts.custom_fields import searchable_custom_keys, searchable_values
from peyvand.contacts.models import (
    Company,
    Contact,
    ContactEmail,
    ContactPhone,
    DuplicatePolicy,
    ImportJob,
    ImportObjectType,
    ImportStatus,
    Tag,
)
from peyvand.contacts.selectors import companies_visible_to, contacts_visible_to
from peyvand.contacts.services import (
    company_search_text_for,
    contact_search_text,
    search_text_for,
    tags_resolve,
)
from peyvand.timeline.events import EventRow, events_insert, events_record_bulk

from .preview import PreviewLedger
from .read_ahead import read_ahead
from .readers import RowSource, open_source
from .rows import CompanyRowParser, LeadRowParser, ParsedRow, RowParser

# Rows per batch (one transaction, one checkpoint): big enough that per-batch queries and
# commits cost little per row, small enough to keep memory flat and resumes short.
BATCH_SIZE = 5000
# Parsed batches kept ready ahead of the one being written.
READ_AHEAD_BATCHES = 2
SCALAR_FIELDS = (
    "first_name",
    "last_name",
    "national_id",
    "birthday",
    "gender",
    "job_title",
    "province",
    "city",
    "address",
    "postal_code",
    "source",
    "lifecycle_stage",
    "description",
)
COMPANY_SCALAR_FIELDS = (
    "name",
    "national_id",
    "economic_code",
    "industry",
    "website",
    "email",
    "province",
    "city",
    "address",
    "postal_code",
    "description",
)
Progress = Callable[[ImportJob], None]


@dataclass
class BatchOutcome:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: list[ParsedRow] = field(default_factory=list)


@dataclass
class PendingRecord:
    """A new contact to create, possibly merged from several rows of the file."""

    row: ParsedRow
    values: dict[str, Any]


def merge_fields(
    record: Model, values: dict[str, Any], fields: Sequence[str], *, overwrite: bool
) -> dict[str, list[Any]]:
    """Set ``fields`` of ``record`` from the row's non-empty values (only empty fields unless
    ``overwrite``); returns ``{field: [old, new]}``."""
    changes: dict[str, list[Any]] = {}
    for key in fields:
        value = values.get(key)
        current = getattr(record, key)
        if value in (None, "") or value == current:
            continue
        if overwrite or current in (None, ""):
            changes[key] = [current, value]
            setattr(record, key, value)
    return changes


def _merge_into(target: dict[str, Any], incoming: dict[str, Any], *, overwrite: bool) -> None:
    for key, value in incoming.items():
        if key in {"phones", "emails", "tags"}:
            items = target.setdefault(key, [])
            items.extend(item for item in value if item not in items)
        elif value not in (None, "") and (overwrite or target.get(key) in (None, "")):
            target[key] = value


def _takes_company(contact: Contact, name: str, overwrite: bool) -> bool:
    """Whether a row naming company ``name`` links ``contact`` to it: when the contact has
    no company (or always with ``overwrite``), unless its company already has that name,
    perhaps one the importer cannot see, which is kept."""
    if not name or not (overwrite or contact.company_id is None):
        return False
    return contact.company is None or contact.company.name_key != name_key(name)[:200]


class ImportRunner:
    """Runs one ``ImportJob`` (dry or real) from its checkpoint to the end of the file."""

    # The tables each batch looks rows up in: their statistics are refreshed when an import
    # (this one or an earlier one) has outgrown them (``common.bulk.analyze_if_stale``).
    looked_up_models: tuple[type[Model], ...] = (Contact, ContactPhone, ContactEmail)

    def __init__(self, job: ImportJob, *, progress: Progress | None = None) -> None:
        self.job = job
        self.actor: User | None = job.created_by
        self.parser = RowParser(job.mapping)
        self.progress = progress
        self.visible: QuerySet[Contact] = contacts_visible_to(self.actor)
        self.searchable_keys = searchable_custom_keys("contact")
        # Dry runs write nothing, so rows of the file are matched against what earlier
        # batches would have written: their keys and records' states, kept as hashes.
        self.ledger = PreviewLedger((*SCALAR_FIELDS, "company"))
        # Companies this run created, by name key (one entry per distinct company name).
        self.run_companies: dict[str, Company] = {}
        self.rejects: Any = None
        self.rejects_text: Any = None
        self.rejects_writer: Any = None
        self.rejects_headers: list[str] = []

    # --- the loop ------------------------------------------------------------------------

    def run(self) -> ImportJob:
        job = self.job
        if job.total_rows is None:
            counter = open_source(job.file.path, file_format=job.file_format)
            try:
                job.total_rows = sum(1 for _row in counter)
            finally:
                counter.close()
        if job.is_dry_run:
            self._reset_counts()
        job.status = ImportStatus.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["total_rows", "status", "started_at", "rows_done"])
        source = open_source(job.file.path, file_format=job.file_format)
        self._open_rejects(source.headers)
        # Lazy messages cast while parsing take the language active here.
        language = translation.get_language()
        batches = read_ahead(
            lambda: self._parsed_batches(source, after=job.rows_done, language=language),
            depth=READ_AHEAD_BATCHES,
            name=f"import-{job.pk}-reader",
        )
        try:
            analyze_if_stale(*self.looked_up_models)
            for batch in batches:
                self._run_batch(batch)
                analyze_if_stale(*self.looked_up_models)
        finally:
            batches.close()  # type: ignore[attr-defined]  # stops and joins the reader
            source.close()
            self._close_rejects()
        job.status = ImportStatus.PREVIEWED if job.is_dry_run else ImportStatus.DONE
        job.finished_at = timezone.now()
        job.save()
        return job

    def _parsed_batches(
        self, source: RowSource, *, after: int, language: str | None
    ) -> Iterator[list[ParsedRow]]:
        """The rows after row ``after`` parsed, in batches of ``BATCH_SIZE`` (in the reader
        thread: no database here)."""
        with translation.override(language):
            parse = self.parser.parse
            batch: list[ParsedRow] = []
            for source_row in source:
                if source_row.number <= after:
                    continue
                batch.append(parse(source_row.number, source_row.values))
                if len(batch) >= BATCH_SIZE:
                    yield batch
                    batch = []
            if batch:
                yield batch

    def _reset_counts(self) -> None:
        job = self.job
        job.rows_done = 0
        job.created_count = job.updated_count = job.skipped_count = job.rejected_count = 0

    def _run_batch(self, rows: list[ParsedRow]) -> None:
        job = self.job
        # Only a batch that is its own transaction relaxes its commit: inside a caller's
        # transaction the setting would last until that one ends.
        relax_commit = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic():
            if relax_commit:
                # See the module docstring: a lost batch is lost with its checkpoint.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            outcome = self._apply(rows)
            self._write_rejects(outcome.rejected)
            job.rows_done = rows[-1].number
            job.created_count += outcome.created
            job.updated_count += outcome.updated
            job.skipped_count += outcome.skipped
            job.rejected_count += len(outcome.rejected)
            job.save(
                update_fields=[
                    "rows_done",
                    "created_count",
                    "updated_count",
                    "skipped_count",
                    "rejected_count",
                    "rejects_file",
                    "rejects_bytes",
                ]
            )
        if self.progress is not None:
            self.progress(job)

    # --- matching and writing --------------------------------------------------------------

    def _apply(self, rows: list[ParsedRow]) -> BatchOutcome:
        outcome = BatchOutcome()
        valid = []
        for row in rows:
            if row.is_valid:
                valid.append(row)
            else:
                outcome.rejected.append(row)
        policy = self.job.duplicate_policy
        existing = self._existing_matches(valid) if policy != DuplicatePolicy.CREATE else {}
        pending: list[PendingRecord] = []
        pending_by_key: dict[tuple[str, str], PendingRecord] = {}
        updates: dict[int, dict[str, Any]] = {}
        rows_per_target: dict[int, int] = {}
        overwrite = policy == DuplicatePolicy.OVERWRITE
        for row in valid:
            keys = self._keys(row) if policy != DuplicatePolicy.CREATE else []
            match_id = next((existing[key] for key in keys if key in existing), None)
            if match_id is None and self.job.is_dry_run:
                # A record an earlier batch of this preview would have created.
                match_id = self.ledger.match(keys)
            if match_id is not None:
                if self.job.is_dry_run and policy != DuplicatePolicy.SKIP:
                    # The real run adds the row's phones and emails to the record it joins.
                    self.ledger.add_keys(match_id, keys)
                if policy == DuplicatePolicy.SKIP:
                    outcome.skipped += 1
                else:
                    _merge_into(updates.setdefault(match_id, {}), row.values, overwrite=overwrite)
                    rows_per_target[match_id] = rows_per_target.get(match_id, 0) + 1
                continue
            twin = next((pending_by_key[key] for key in keys if key in pending_by_key), None)
            if twin is not None:
                # A repeat of an earlier row of this file: its values join that row's.
                if policy != DuplicatePolicy.SKIP:
                    _merge_into(twin.values, row.values, overwrite=overwrite)
                outcome.skipped += 1
                continue
            item = PendingRecord(row=row, values=dict(row.values))
            pending.append(item)
            for key in keys:
                pending_by_key.setdefault(key, item)
        if self.job.is_dry_run:
            outcome.created = len(pending)
            changed = self._preview_update(updates, policy)
            for item in pending:
                record_id = self.ledger.new_id()
                self.ledger.add_keys(record_id, self._keys(item.row))
                self.ledger.set_state(record_id, self._preview_values(item.values))
        else:
            outcome.created = self._create(pending)
            changed = self._update(updates, policy, write=True)
        for target, count in rows_per_target.items():
            if target in changed:
                outcome.updated += count
            else:
                outcome.skipped += count
        return outcome

    def _preview_update(self, updates: dict[int, dict[str, Any]], policy: str) -> set[int]:
        """The ids of the records the real run would change with ``updates``, worked out on
        the ledger: a record changed earlier in the preview is judged on its changed state,
        so a repeat far down the file counts as skipped, as in the real run."""
        unknown = [record_id for record_id in updates if not self.ledger.has_state(record_id)]
        for record_id, values in self._preview_states(unknown).items():
            self.ledger.set_state(record_id, values)
        overwrite = policy == DuplicatePolicy.OVERWRITE
        return {
            record_id
            for record_id, values in updates.items()
            if self.ledger.apply(record_id, self._preview_values(values), overwrite=overwrite)
        }

    def _preview_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """A row's values as the ledger compares them: the company by its name's key, tags
        (the row's and the job's) by theirs."""
        company = values.get("company")
        return {
            **values,
            "company": name_key(company)[:200] if company else "",
            "tags": self._preview_tags(values),
        }

    def _preview_tags(self, values: dict[str, Any]) -> list[str]:
        return [search_key(name) for name in map(clean_persian, self._tag_names(values)) if name]

    def _preview_states(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """The ledger's view of existing contacts: their fields, company, phones, emails and
        tags as they are in the database."""
        contacts = (
            Contact.objects.filter(pk__in=ids)
            .select_related("company")
            .prefetch_related("phones", "emails", "tags")
        )
        return {
            contact.pk: {
                **{key: getattr(contact, key) for key in SCALAR_FIELDS},
                "company": contact.company.name_key if contact.company is not None else "",
                "phones": [phone.number for phone in contact.phones.all()],
                "emails": [email.address for email in contact.emails.all()],
                "tags": [search_key(tag.name) for tag in contact.tags.all()],
            }
            for contact in contacts
        }

    def _keys(self, row: ParsedRow) -> list[tuple[str, str]]:
        keys = list(row.match_keys)
        weak = row.weak_key
        if weak is not None:
            keys.append(("name_city", f"{weak[0]}|{weak[1]}"))
        return keys

    def _existing_matches(self, rows: list[ParsedRow]) -> dict[tuple[str, str], int]:
        """Key → id of a visible contact that has it (the oldest one when several do)."""
        wanted: dict[str, set[str]] = {"national_id": set(), "phone": set(), "email": set()}
        names: set[str] = set()
        for row in rows:
            for kind, value in row.match_keys:
                wanted[kind].add(value)
            weak = row.weak_key
            if weak is not None:
                names.add(weak[0])
        national_ids, phones, emails = wanted["national_id"], wanted["phone"], wanted["email"]
        # Look candidates up by the indexed columns alone, then keep those the importer may
        # see in one query on their ids: a join on the visibility subquery would make the
        # planner scan the whole contact table for every batch.
        candidates: list[tuple[str, str, int]] = [
            ("national_id", value, pk)
            for value, pk in values_matching(
                Contact.objects.all(), "national_id", national_ids, "national_id", "pk"
            )
        ]
        candidates += [
            ("phone", value, pk)
            for value, pk in values_matching(
                ContactPhone.objects.all(), "number", phones, "number", "contact_id"
            )
        ]
        candidates += [
            ("email", value, pk)
            for value, pk in values_matching(
                ContactEmail.objects.all(), "address", emails, "address", "contact_id"
            )
        ]
        candidates += [
            ("name_city", f"{key}|{normalize_text(city)}", pk)
            for key, city, pk in values_matching(
                Contact.objects.all(), "name_key", names, "name_key", "city", "pk"
            )
        ]
        if not candidates:
            return {}
        visible = {
            pk
            for (pk,) in values_matching(
                self.visible, "pk", {pk for _kind, _value, pk in candidates}, "pk"
            )
        }
        found: dict[tuple[str, str], int] = {}
        for kind, value, pk in candidates:
            if pk in visible:
                key = (kind, value)
                found[key] = min(found.get(key, pk), pk)
        return found

    def _companies(self, names: Iterable[str]) -> dict[str, Company]:
        """Companies by name (matched on their normalized key), created when missing.

        Only companies the importing user may see are linked (the oldest when several share
        the key), and those this run created; a company of the same name the importer cannot
        see is never linked nor revealed: a new one, owned like the contacts, is created.
        """
        wanted = {name_key(name): name for name in names if name}
        found = {key: self.run_companies[key] for key in wanted if key in self.run_companies}
        lookup = [key for key in wanted if key not in found]
        if lookup:
            visible = companies_visible_to(self.actor).filter(name_key__in=lookup)
            for company in visible.order_by("pk"):
                found.setdefault(company.name_key, company)
        missing = [
            Company(
                name=name,
                name_key=key,
                search_text=key,
                owner=self.job.owner,
                created_by=self.actor,
            )
            for key, name in wanted.items()
            if key not in found
        ]
        for company in Company.objects.bulk_create(missing):
            found[company.name_key] = company
            # The job's owner may be someone whose companies the importer cannot see.
            self.run_companies[company.name_key] = company
        if missing:
            events_record_bulk(
                actor=self.actor,
                verb="company.imported",
                subjects=(
                    (company, None, company, company.name, {"import": self.job.pk})
                    for company in missing
                ),
            )
        return {wanted[key]: company for key, company in found.items() if key in wanted}

    def _create(self, pending: list[PendingRecord]) -> int:
        if not pending:
            return 0
        companies = self._companies(item.values.get("company", "") for item in pending)
        owner_id = self.job.owner_id
        actor_id = self.actor.pk if self.actor is not None else None
        rows = []
        for item in pending:
            values = item.values
            first, last = values.get("first_name", ""), values.get("last_name", "")
            company = companies.get(values.get("company", ""))
            row = {key: values[key] for key in SCALAR_FIELDS if key in values}
            row.update(
                owner_id=owner_id,
                created_by_id=actor_id,
                company_id=company.pk if company is not None else None,
                name_key=name_key(first, last)[:200],
                search_text=search_text_for(
                    full_name=f"{first} {last}".strip(),
                    national_id=values.get("national_id", ""),
                    phones=values.get("phones", []),
                    emails=values.get("emails", []),
                ),
            )
            rows.append(row)
        ids = insert_rows(Contact, rows)
        phones: list[dict[str, Any]] = []
        emails: list[dict[str, Any]] = []
        tag_links: list[tuple[int, str]] = []
        for contact_id, item in zip(ids, pending, strict=True):
            phones += [
                {"contact_id": contact_id, "number": number, "position": index}
                for index, number in enumerate(item.values.get("phones", []))
            ]
            emails += [
                {"contact_id": contact_id, "address": address, "position": index}
                for index, address in enumerate(item.values.get("emails", []))
            ]
            tag_links += [(contact_id, name) for name in self._tag_names(item.values)]
        insert_rows(ContactPhone, phones, need_ids=False)
        insert_rows(ContactEmail, emails, need_ids=False)
        self._link_tags(tag_links)
        events_insert(
            actor=self.actor,
            verb="contact.imported",
            rows=(
                EventRow(
                    "contact",
                    contact_id,
                    contact_id,
                    row["company_id"],
                    f"{row.get('first_name', '')} {row.get('last_name', '')}".strip(),
                    {"import": self.job.pk, "action": "created", "row": item.row.number},
                )
                for contact_id, row, item in zip(ids, rows, pending, strict=True)
            ),
        )
        return len(ids)

    def _tag_names(self, values: dict[str, Any]) -> list[str]:
        return [*values.get("tags", []), *self.job.tags]

    def _missing_tags(
        self, record: Contact | Company, values: dict[str, Any], changes: dict[str, list[Any]]
    ) -> list[tuple[int, str]]:
        """Tags of the row (and of the job) the record lacks, compared by normalized key, as
        links to add; records them in ``changes``."""
        tags = sorted(tag.name for tag in record.tags.all())
        tag_keys = {search_key(name) for name in tags}
        added: list[str] = []
        for name in map(clean_persian, self._tag_names(values)):
            if name and search_key(name) not in tag_keys:
                tag_keys.add(search_key(name))
                added.append(name)
        if added:
            changes["tags"] = [tags, sorted(tags + added)]
        return [(record.pk, name) for name in added]

    def _link_tags(
        self, links: list[tuple[int, str]], model: type[Contact | Company] = Contact
    ) -> None:
        if not links:
            return
        # Tags are unique by their normalized key: "VIP" is the existing tag named "vip".
        tags = {tag.key: tag.pk for tag in tags_resolve({name for _id, name in links})}
        through: type[Model] = model.tags.through
        tag_ids = {name: tags.get(search_key(name)) for name in {name for _id, name in links}}
        links_insert(
            through,
            f"{model._meta.model_name}_id",
            "tag_id",
            (
                (record_id, tag_id)
                for record_id, name in links
                if (tag_id := tag_ids[name]) is not None
            ),
        )

    def _update(self, updates: dict[int, dict[str, Any]], policy: str, *, write: bool) -> set[int]:
        """Apply matched rows to existing contacts; returns the ids of those that changed.

        With ``write=False`` (a preview) the changes are worked out but nothing is saved.
        """
        if not updates:
            return set()
        overwrite = policy == DuplicatePolicy.OVERWRITE
        # The company comes along: each updated contact's event names it (no query per row).
        contacts_query = (
            Contact.objects.filter(pk__in=list(updates))
            .select_related("company")
            .prefetch_related("phones", "emails", "tags")
        )
        if write:
            contacts_query = contacts_query.select_for_update(of=("self",))
        contacts = {contact.pk: contact for contact in contacts_query}
        # Only the companies a contact would be linked to are looked up (or created).
        companies = (
            self._companies(
                values.get("company", "")
                for contact_id, values in updates.items()
                if _takes_company(contacts[contact_id], values.get("company", ""), overwrite)
            )
            if write
            else {}
        )
        changed_contacts, new_phones, new_emails, events = [], [], [], []
        tag_links: list[tuple[int, str]] = []
        for contact_id, values in updates.items():
            contact = contacts[contact_id]
            changes = merge_fields(contact, values, SCALAR_FIELDS, overwrite=overwrite)
            company = companies.get(values.get("company", ""))
            if (
                company is not None
                and _takes_company(contact, values["company"], overwrite)
                and contact.company_id != company.pk
            ):
                changes["company"] = [contact.company_id, company.pk]
                contact.company = company
            phones = [phone.number for phone in contact.phones.all()]
            added_phones = [number for number in values.get("phones", []) if number not in phones]
            emails = [email.address for email in contact.emails.all()]
            added_emails = [item for item in values.get("emails", []) if item not in emails]
            new_phones += [
                ContactPhone(contact=contact, number=number, position=len(phones) + index)
                for index, number in enumerate(added_phones)
            ]
            new_emails += [
                ContactEmail(contact=contact, address=address, position=len(emails) + index)
                for index, address in enumerate(added_emails)
            ]
            if added_phones:
                changes["phones"] = [phones, phones + added_phones]
            if added_emails:
                changes["emails"] = [emails, emails + added_emails]
            tag_links += self._missing_tags(contact, values, changes)
            if not changes:
                continue
            if not write:
                changed_contacts.append(contact)
                continue
            contact.name_key = name_key(contact.first_name, contact.last_name)[:200]
            contact.search_text = contact_search_text(
                contact,
                phones + added_phones,
                emails + added_emails,
                searchable_keys=self.searchable_keys,
            )
            contact.updated_at = timezone.now()
            changed_contacts.append(contact)
            events.append(
                (
                    contact,
                    contact,
                    contact.company,
                    contact.full_name,
                    {"import": self.job.pk, "action": "updated", "changes": changes},
                )
            )
        if not write:
            return {contact.pk for contact in changed_contacts}
        Contact.objects.bulk_update(
            changed_contacts,
            [*SCALAR_FIELDS, "company", "name_key", "search_text", "updated_at"],
            batch_size=500,
        )
        ContactPhone.objects.bulk_create(new_phones, batch_size=2000)
        ContactEmail.objects.bulk_create(new_emails, batch_size=2000)
        self._link_tags(tag_links)
        events_record_bulk(actor=self.actor, verb="contact.imported", subjects=events)
        return {contact.pk for contact in changed_contacts}

    # --- rejects ---------------------------------------------------------------------------

    def _open_rejects(self, headers: list[str]) -> None:
        """Open the rejects file for appending, cut back to the last checkpoint."""
        job = self.job
        relative = f"imports/rejects/import-{job.pk}-{'preview' if job.is_dry_run else 'run'}.csv"
        path = Path(settings.MEDIA_ROOT) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        resume = job.rows_done > 0 and path.exists()
        self.rejects = path.open("r+b" if resume else "wb")
        if resume:
            self.rejects.truncate(job.rejects_bytes)
            self.rejects.seek(job.rejects_bytes)
        else:
            job.rejects_bytes = 0
        job.rejects_file.name = relative
        self.rejects_text = io.TextIOWrapper(self.rejects, encoding="utf-8", newline="")
        self.rejects_writer = csv.writer(self.rejects_text)
        self.rejects_headers = headers

    def _write_rejects(self, rows: list[ParsedRow]) -> None:
        if not rows:
            return
        if self.job.rejects_bytes == 0 and self.rejects.tell() == 0:
            self.rejects_text.write("\ufeff")
            self.rejects_writer.writerow(
                [*self.rejects_headers, REJECT_COLUMN_FA, REJECT_COLUMN_EN]
            )
        for row in rows:
            self.rejects_writer.writerow(
                [
                    *(row.raw.get(header, "") for header in self.rejects_headers),
                    row.error_text("fa"),
                    row.error_text("en"),
                ]
            )
        self.rejects_text.flush()
        os.fsync(self.rejects.fileno())
        self.job.rejects_bytes = self.rejects.tell()

    def _close_rejects(self) -> None:
        self.rejects_text.flush()
        self.rejects_text.detach()
        self.rejects.close()
        if self.job.rejects_bytes == 0:
            Path(settings.MEDIA_ROOT, self.job.rejects_file.name).unlink(missing_ok=True)
            self.job.rejects_file.name = ""


class CompanyImportRunner(ImportRunner):
    """Runs an import of companies: the same batches, checkpoints, policies and rejects.

    Rows match visible companies on the national ID, then on a phone (any item of the
    company's ``phones`` list), then on the name's key together with the city (an empty city
    matching only an empty city).
    """

    looked_up_models = (Company,)

    def __init__(self, job: ImportJob, *, progress: Progress | None = None) -> None:
        super().__init__(job, progress=progress)
        self.parser = CompanyRowParser(job.mapping)
        self.companies_visible: QuerySet[Company] = companies_visible_to(self.actor)
        self.searchable_keys = searchable_custom_keys("company")
        self.ledger = PreviewLedger(COMPANY_SCALAR_FIELDS)

    def _preview_values(self, values: dict[str, Any]) -> dict[str, Any]:
        return {**values, "tags": self._preview_tags(values)}

    def _preview_states(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        return {
            company.pk: {
                **{key: getattr(company, key) for key in COMPANY_SCALAR_FIELDS},
                "phones": list(company.phones or ()),
                "tags": [search_key(tag.name) for tag in company.tags.all()],
            }
            for company in Company.objects.filter(pk__in=ids).prefetch_related("tags")
        }

    def _existing_matches(self, rows: list[ParsedRow]) -> dict[tuple[str, str], int]:
        """Key → id of a visible company that has it (the oldest one when several do)."""
        national_ids: set[str] = set()
        phones: set[str] = set()
        names: set[str] = set()
        for row in rows:
            for kind, value in row.match_keys:
                if kind == "national_id":
                    national_ids.add(value)
                elif kind == "phone":
                    phones.add(value)
            if row.values.get("name"):
                names.add(name_key(row.values["name"])[:200])
        if not (national_ids or phones or names):
            return {}
        columns = ("pk", "national_id", "name_key", "city", "phones")
        visible = self.companies_visible
        candidates = {
            row[0]: row
            for rows_found in (
                values_matching(visible, "national_id", national_ids, *columns),
                list_items_matching(visible, "phones", phones, *columns),
                values_matching(visible, "name_key", names, *columns),
            )
            for row in rows_found
        }.values()
        found: dict[tuple[str, str], int] = {}

        def add(key: tuple[str, str], pk: int) -> None:
            found[key] = min(found.get(key, pk), pk)

        for pk, national_id, key, city, numbers in candidates:
            if national_id in national_ids:
                add(("national_id", national_id), pk)
            for number in numbers or ():
                if number in phones:
                    add(("phone", number), pk)
            if key in names:
                add(("name", f"{key}|{normalize_text(city)}"), pk)
        return found

    def _create(self, pending: list[PendingRecord]) -> int:
        if not pending:
            return 0
        owner_id = self.job.owner_id
        actor_id = self.actor.pk if self.actor is not None else None
        rows = []
        for item in pending:
            values = item.values
            row = {key: values[key] for key in COMPANY_SCALAR_FIELDS if key in values}
            row.update(
                phones=list(values.get("phones", [])),
                owner_id=owner_id,
                created_by_id=actor_id,
                name_key=name_key(values["name"])[:200],
                search_text=company_search_text_for(
                    name=values["name"],
                    national_id=values.get("national_id", ""),
                    economic_code=values.get("economic_code", ""),
                    email=values.get("email", ""),
                    phones=values.get("phones", []),
                ),
            )
            rows.append(row)
        ids = insert_rows(Company, rows)
        self._link_tags(
            [
                (company_id, name)
                for company_id, item in zip(ids, pending, strict=True)
                for name in self._tag_names(item.values)
            ],
            Company,
        )
        events_insert(
            actor=self.actor,
            verb="company.imported",
            rows=(
                EventRow(
                    "company",
                    company_id,
                    None,
                    company_id,
                    row["name"],
                    {"import": self.job.pk, "action": "created", "row": item.row.number},
                )
                for company_id, row, item in zip(ids, rows, pending, strict=True)
            ),
        )
        return len(ids)

    def _update(self, updates: dict[int, dict[str, Any]], policy: str, *, write: bool) -> set[int]:
        """Apply matched rows to existing companies; returns the ids of those that changed."""
        if not updates:
            return set()
        overwrite = policy == DuplicatePolicy.OVERWRITE
        query = Company.objects.filter(pk__in=list(updates)).prefetch_related("tags")
        if write:
            query = query.select_for_update(of=("self",))
        companies = {company.pk: company for company in query}
        changed: list[Company] = []
        events: list[EventRow] = []
        tag_links: list[tuple[int, str]] = []
        for company_id, values in updates.items():
            company = companies[company_id]
            changes = merge_fields(company, values, COMPANY_SCALAR_FIELDS, overwrite=overwrite)
            phones = list(company.phones)
            added_phones = [number for number in values.get("phones", []) if number not in phones]
            if added_phones:
                changes["phones"] = [phones, phones + added_phones]
                company.phones = phones + added_phones
            tag_links += self._missing_tags(company, values, changes)
            if not changes:
                continue
            changed.append(company)
            if not write:
                continue
            company.name_key = name_key(company.name)[:200]
            company.search_text = company_search_text_for(
                name=company.name,
                national_id=company.national_id,
                economic_code=company.economic_code,
                email=company.email,
                phones=company.phones,
                custom_values=searchable_values(company.custom_fields, self.searchable_keys),
            )
            company.updated_at = timezone.now()
            events.append(
                EventRow(
                    "company",
                    company.pk,
                    None,
                    company.pk,
                    company.name,
                    {"import": self.job.pk, "action": "updated", "changes": changes},
                )
            )
        if write:
            Company.objects.bulk_update(
                changed,
                [*COMPANY_SCALAR_FIELDS, "phones", "name_key", "search_text", "updated_at"],
                batch_size=500,
            )
            self._link_tags(tag_links, Company)
            events_insert(actor=self.actor, verb="company.imported", rows=events)
        return {company.pk for company in changed}


def runner_for(job: ImportJob, *, progress: Progress | None = None) -> ImportRunner:
    """The runner for the job's kind of records (contacts, companies or leads)."""
    if job.object_type == ImportObjectType.LEAD:
        # Leads belong to the sales app, which builds on this one.
        from peyvand.sales.lead_import import LeadImportRunner

        return LeadImportRunner(job, progress=progress)
    if job.object_type == ImportObjectType.COMPANY:
        return CompanyImportRunner(job, progress=progress)
    return ImportRunner(job, progress=progress)


def parser_for(job: ImportJob) -> RowParser:
    """The row parser for the job's kind of records."""
    if job.object_type == ImportObjectType.LEAD:
        return LeadRowParser(job.mapping)
    if job.object_type == ImportObjectType.COMPANY:
        return CompanyRowParser(job.mapping)
    return RowParser(job.mapping)


# The rejects file keeps the original columns and adds the reasons; the mapping guesser
# ignores these two headers, so a fixed rejects file imports as is.
REJECT_COLUMN_FA = "خطا"
REJECT_COLUMN_EN = "error"


def rows_of(job: ImportJob) -> Iterator[ParsedRow]:
    """Parsed rows of a job's file (for previews)."""
    parser = parser_for(job)
    source = open_source(job.file.path, file_format=job.file_format)
    try:
        for row in source:
            yield parser.parse(row.number, row.values)
    finally:
        source.close()


__all__ = [
    "BATCH_SIZE",
    "CompanyImportRunner",
    "ImportRunner",
    "Tag",
    "parser_for",
    "rows_of",
    "runner_for",
]
