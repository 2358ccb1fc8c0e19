"""Contacts and companies out: CSV (Excel-friendly UTF-8 with BOM), XLSX and vCard 3.0.

Rows are read in chunks with their phones, emails and tags prefetched, so memory stays
flat; small exports stream straight to the browser, large ones are written to a file by a
background task (``contacts.tasks.build_export``) and downloaded from a link.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.db.models import QuerySet

from .models import Company, Contact, ExportFormat

CHUNK = 2000

CONTACT_COLUMNS = [
    "id",
    "first_name",
    "last_name",
    "phones",
    "emails",
    "national_id",
    "birthday",
    "city",
    "province",
    "lifecycle_stage",
    "owner",
    "company",
    "tags",
]
COMPANY_COLUMNS = [
    "id",
    "name",
    "national_id",
    "economic_code",
    "industry",
    "phones",
    "email",
    "website",
    "city",
    "province",
    "owner",
    "tags",
]


def contacts_for_export(queryset: QuerySet[Contact]) -> QuerySet[Contact]:
    return (
        queryset.select_related("owner", "company")
        .prefetch_related("phones", "emails", "tags")
        .order_by("id")
    )


def contact_rows(queryset: QuerySet[Contact]) -> Iterator[list[str]]:
    """The header, then one row per contact (several phones/emails joined by spaces)."""
    yield CONTACT_COLUMNS
    for contact in contacts_for_export(queryset).iterator(chunk_size=CHUNK):
        yield [
            str(contact.pk),
            contact.first_name,
            contact.last_name,
            " ".join(phone.number for phone in contact.phones.all()),
            " ".join(email.address for email in contact.emails.all()),
            contact.national_id,
            contact.birthday.isoformat() if contact.birthday else "",
            contact.city,
            contact.province,
            contact.lifecycle_stage,
            contact.owner.username if contact.owner else "",
            contact.company.name if contact.company else "",
            "، ".join(tag.name for tag in contact.tags.all()),
        ]


def company_rows(queryset: QuerySet[Company]) -> Iterator[list[str]]:
    yield COMPANY_COLUMNS
    rows = queryset.select_related("owner").prefetch_related("tags").order_by("id")
    for company in rows.iterator(chunk_size=CHUNK):
        yield [
            str(company.pk),
            company.name,
            company.national_id,
            company.economic_code,
            company.industry,
            " ".join(company.phones),
            company.email,
            company.website,
            company.city,
            company.province,
            company.owner.username if company.owner else "",
            "، ".join(tag.name for tag in company.tags.all()),
        ]


class _Echo:
    """A file-like object whose write returns what was written (for streaming CSV)."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterable[list[str]]) -> Iterator[str]:
    """CSV text, starting with a BOM so Excel reads Persian text as UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(row)


def _vcard_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def vcard_chunks(queryset: QuerySet[Contact]) -> Iterator[str]:
    """vCard 3.0, one card per contact, UTF-8 (phones and Google/Apple contacts read it)."""
    for contact in contacts_for_export(queryset).iterator(chunk_size=CHUNK):
        lines = [
            "BEGIN:VCARD",
            "VERSION:3.0",
            f"N:{_vcard_escape(contact.last_name)};{_vcard_escape(contact.first_name)};;;",
            f"FN:{_vcard_escape(contact.full_name or str(contact.pk))}",
        ]
        lines += [f"TEL;TYPE=CELL:{phone.number}" for phone in contact.phones.all()]
        lines += [f"EMAIL;TYPE=INTERNET:{email.address}" for email in contact.emails.all()]
        if contact.birthday:
            lines.append(f"BDAY:{contact.birthday.isoformat()}")
        if contact.company:
            lines.append(f"ORG:{_vcard_escape(contact.company.name)}")
        if contact.job_title:
            lines.append(f"TITLE:{_vcard_escape(contact.job_title)}")
        if contact.address or contact.city:
            street, city = _vcard_escape(contact.address), _vcard_escape(contact.city)
            lines.append(f"ADR;TYPE=HOME:;;{street};{city};;{contact.postal_code};IR")
        tags = [tag.name for tag in contact.tags.all()]
        if tags:
            lines.append("CATEGORIES:" + ",".join(_vcard_escape(tag) for tag in tags))
        lines.append("END:VCARD")
        yield "\r\n".join(lines) + "\r\n"


def write_xlsx(rows: Iterable[list[str]], target: IO[bytes] | Path) -> int:
    """Write rows to an XLSX workbook in write-only (streaming) mode; returns data rows."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("export")
    sheet.sheet_view.rightToLeft = True
    count = -1
    for row in rows:
        sheet.append(row)
        count += 1
    workbook.save(target)
    return max(count, 0)


def write_export(
    *, object_type: str, file_format: str, queryset: QuerySet[Any], target: Path
) -> int:
    """Write a whole export to ``target``; returns the number of records."""
    rows = contact_rows(queryset) if object_type == "contact" else company_rows(queryset)
    if file_format == ExportFormat.XLSX:
        return write_xlsx(rows, target)
    count = 0
    with target.open("w", encoding="utf-8", newline="") as handle:
        if file_format == ExportFormat.VCARD:
            for card in vcard_chunks(queryset):
                handle.write(card)
                count += 1
            return count
        for chunk in csv_chunks(rows):
            handle.write(chunk)
            count += 1
    return max(count - 2, 0)  # minus the BOM and the header


def xlsx_bytes(rows: Iterable[list[str]]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(rows, buffer)
    return buffer.getvalue()
