"""The attachment check every channel uses: size limit, allowed kinds agreed on by the
extension, the declared type and the content, clean names, SHA-256, zip archives looked
into without unpacking them, and storage under a random name: all files checked before any
is written, none left on disk when a later step fails, none checked twice."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import translation

from peyvand.service import attachments
from peyvand.service.attachments import (
    AttachmentsField,
    CheckedFile,
    IncomingFile,
    attachment_check,
    attachment_files_discarded_on_error,
    attachment_name_clean,
    attachment_store,
    attachments_store_all,
    sniff_family,
)
from peyvand.service.models import TicketAttachment, TicketChannel
from peyvand.service.tickets import ticket_create

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})
ZIP = zipped({"photos/a.txt": b"hello"})
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("content", "family"),
    [
        (PDF, "pdf"),
        (PNG, "png"),
        (JPEG, "jpeg"),
        (b"GIF89a\x01\x00", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (OLE2, "ole2"),
        (DOCX, "ooxml-word"),
        (XLSX, "ooxml-excel"),
        (ODT, "odf-text"),
        (ZIP, "zip"),
        ("نام,تلفن\nعلی,0912\n".encode(), "text"),
        ("نام,تلفن\nعلي,0912\n".encode("cp1256"), "text"),
        (EXE, None),
        (b"\x00\x01\x02binary", None),
    ],
)
def test_sniff_family(content: bytes, family: str | None) -> None:
    assert sniff_family(content) == family


@pytest.mark.parametrize(
    ("name", "content", "declared", "stored_name", "stored_type"),
    [
        ("scan.PDF", PDF, "application/pdf", "scan.pdf", "application/pdf"),
        ("photo.jpg", JPEG, "image/jpeg", "photo.jpg", "image/jpeg"),
        ("photo.jpeg", JPEG, "image/pjpeg", "photo.jpeg", "image/jpeg"),
        ("عکس.png", PNG, "application/octet-stream", "عکس.png", "image/png"),
        ("گزارش.docx", DOCX, "application/zip", "گزارش.docx", DOCX_TYPE),
        ("لیست.csv", "نام\nعلی\n".encode(), "application/vnd.ms-excel", "لیست.csv", "text/csv"),
        ("old.doc", OLE2, "application/msword", "old.doc", "application/msword"),
        ("archive.zip", DOCX, "application/x-zip-compressed", "archive.zip", "application/zip"),
        ("image001", PNG, "image/png", "image001.png", "image/png"),
        ("notes.txt", b"plain text\r\n", "text/plain; charset=utf-8", "notes.txt", "text/plain"),
    ],
)
def test_accepted_files(
    name: str, content: bytes, declared: str, stored_name: str, stored_type: str
) -> None:
    checked = attachment_check(name=name, content=content, content_type=declared)
    assert (checked.name, checked.content_type, checked.size) == (
        stored_name,
        stored_type,
        len(content),
    )
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


NOT_ACCEPTED = (
    "“{}”: files of this type are not accepted (allowed: images, PDF, text, office documents "
    "and zip archives)."
)
NOT_WHAT_IT_HOLDS = "“{}”: its content is not what a {} file holds."


@pytest.mark.parametrize(
    ("name", "content", "declared", "code", "message"),
    [
        ("setup.exe", EXE, "", "type_not_allowed", NOT_ACCEPTED.format("setup.exe")),
        (
            "invoice.pdf",
            EXE,
            "",
            "content_mismatch",
            NOT_WHAT_IT_HOLDS.format("invoice.pdf", ".pdf"),
        ),
        (
            "page.svg",
            b"<svg/>",
            "image/svg+xml",
            "type_not_allowed",
            NOT_ACCEPTED.format("page.svg"),
        ),
        (
            "report.docx",
            ZIP,
            "",
            "content_mismatch",
            NOT_WHAT_IT_HOLDS.format("report.docx", ".docx"),
        ),
        (
            "photo.png",
            PNG,
            "text/html",
            "declared_mismatch",
            "“photo.png” was sent as text/html, which does not match its name.",
        ),
        ("empty.txt", b"", "text/plain", "empty", "“empty.txt” is empty."),
        (
            "noext",
            EXE,
            "application/octet-stream",
            "type_not_allowed",
            NOT_ACCEPTED.format("noext"),
        ),
    ],
)
def test_refused_files(name: str, content: bytes, declared: str, code: str, message: str) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        attachment_check(name=name, content=content, content_type=declared)
    assert caught.value.code == code
    assert caught.value.messages == [message]


def test_size_limit_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEYVAND_ATTACHMENT_MAX_BYTES", "1000")
    content = b"a" * 1001
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        attachment_check(name="big.txt", content=content, content_type="text/plain")
    assert caught.value.code == "too_large"
    assert caught.value.messages == [
        "“big.txt” is 1001\xa0bytes; a file may be at most 1000\xa0bytes."
    ]
    assert attachment_check(name="ok.txt", content=b"a" * 1000, content_type="").size == 1000


def test_default_size_limit_is_ten_megabytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PEYVAND_ATTACHMENT_MAX_BYTES", raising=False)
    big = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))
    assert attachment_check(name="a.pdf", content=big, content_type="application/pdf").size == (
        10 * 1024 * 1024
    )
    with pytest.raises(ValidationError):
        attachment_check(name="a.pdf", content=big + b"0", content_type="application/pdf")


def test_errors_in_farsi() -> None:
    with translation.override("fa"), pytest.raises(ValidationError) as caught:
        attachment_check(name="setup.exe", content=EXE, content_type="")
    assert caught.value.messages == [
        "«setup.exe»: این نوع پرونده پذیرفته نمی‌شود (مجاز: تصویر، PDF، متن، سندهای اداری و "
        "بایگانی zip)."
    ]


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\Ali\\Desktop\\گزارش مالی.pdf", "گزارش مالی.pdf"),
        ("نامه\u200cها.docx", "نامه\u200cها.docx"),
        ("cod\u202efdp.exe", "codfdp.exe"),  # a right-to-left override hides ".exe"
        ("tab\there\x00.png", "tabhere.png"),
        ("..hidden.txt", "hidden.txt"),
        ('a<b>c:"d|e?.txt', "a_b_c__d_e_.txt"),
        ("گزارش  علي.PDF", "گزارش علی.pdf"),
        ("", "attachment"),
        (".pdf", "attachment.pdf"),
        ("ن" * 300 + ".pdf", "ن" * 196 + ".pdf"),
    ],
)
def test_name_clean(given: str, clean: str) -> None:
    assert attachment_name_clean(given) == clean


@pytest.mark.django_db
def test_store_keeps_the_file_under_a_random_name(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    ticket = ticket_create(
        actor=None, values={"subject": "فاکتور"}, body="سلام", channel=TicketChannel.EMAIL
    )
    message = ticket.messages.get()
    stored = attachment_store(
        ticket=ticket,
        message=message,
        name="../فاکتور آذر.pdf",
        content=PDF,
        content_type="application/pdf",
    )
    row = TicketAttachment.objects.get()
    assert row.pk == stored.pk
    assert (row.name, row.content_type, row.size) == ("فاکتور آذر.pdf", "application/pdf", len(PDF))
    assert row.sha256 == hashlib.sha256(PDF).hexdigest()
    assert row.file.name.startswith(f"tickets/{ticket.pk}/")
    assert "فاکتور" not in row.file.name and not row.file.name.endswith(".pdf")
    assert (tmp_path / row.file.name).read_bytes() == PDF


@pytest.mark.django_db
def test_store_refuses_and_writes_nothing(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    ticket = ticket_create(
        actor=None, values={"subject": "x"}, body="سلام", channel=TicketChannel.EMAIL
    )
    with pytest.raises(ValidationError):
        attachment_store(
            ticket=ticket,
            message=ticket.messages.get(),
            name="virus.exe",
            content=EXE,
            content_type="application/x-msdownload",
        )
    assert TicketAttachment.objects.count() == 0
    assert not (tmp_path / "tickets").exists()


def test_a_zip_bomb_is_never_unpacked() -> None:
    # 64 MB of padding after the type in an OpenDocument's "mimetype" entry: a 64 KB file.
    padding = 64 * 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text" + b" " * padding)
        archive.writestr("content.xml", b"<x/>")
    bomb = buffer.getvalue()
    assert len(bomb) < 100 * 1024
    tracemalloc.start()
    try:
        family = sniff_family(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert family == "odf-text"
    assert peak < 1024 * 1024  # the entry was not unpacked (it used to take 128 MB)


def test_a_corrupt_zip_entry_is_not_an_office_document() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text" * 50)
    good = buffer.getvalue()
    start = good.index(b"PK\x03\x04") + 30 + len("mimetype")  # the entry's deflated data
    corrupt = good[:start] + b"\xff" * 20 + good[start + 20 :]
    assert sniff_family(corrupt) is None  # zlib.error used to escape
    with pytest.raises(ValidationError) as refused:
        attachment_check(name="x.odt", content=corrupt, content_type="")
    assert refused.value.code == "content_mismatch"


def stored_files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


@pytest.mark.django_db
def test_store_all_checks_every_file_before_writing_any(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    ticket = ticket_create(
        actor=None, values={"subject": "x"}, body="سلام", channel=TicketChannel.EMAIL
    )
    files = [
        IncomingFile(name="a.pdf", content=PDF, content_type="application/pdf"),
        IncomingFile(name="virus.exe", content=EXE, content_type=""),
        IncomingFile(name="b.png", content=PNG, content_type="image/png"),
        IncomingFile(name="fake.pdf", content=PNG, content_type="application/pdf"),
    ]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        attachments_store_all(ticket=ticket, message=ticket.messages.get(), files=files)
    assert [error.code for error in refused.value.error_list] == [
        "type_not_allowed",
        "content_mismatch",
    ]
    assert refused.value.messages[1] == "“fake.pdf”: its content is not what a .pdf file holds."
    assert TicketAttachment.objects.count() == 0
    assert stored_files(tmp_path) == []


@pytest.mark.django_db
def test_store_all_deletes_the_files_it_wrote_when_one_fails(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MEDIA_ROOT = tmp_path
    ticket = ticket_create(
        actor=None, values={"subject": "x"}, body="سلام", channel=TicketChannel.EMAIL
    )
    real_save = FileSystemStorage._save
    calls: list[str] = []

    def full_disk_on_the_third(self: FileSystemStorage, name: str, content: Any) -> str:
        calls.append(name)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", full_disk_on_the_third)
    files = [
        IncomingFile(name=f"{index}.pdf", content=PDF, content_type="application/pdf")
        for index in range(4)
    ]
    with pytest.raises(OSError, match="No space left"):
        attachments_store_all(ticket=ticket, message=ticket.messages.get(), files=files)
    assert len(calls) == 3
    assert TicketAttachment.objects.count() == 0
    assert stored_files(tmp_path) == []


@pytest.mark.django_db
def test_files_written_in_a_block_that_fails_are_deleted(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    ticket = ticket_create(
        actor=None, values={"subject": "x"}, body="سلام", channel=TicketChannel.EMAIL
    )
    message = ticket.messages.get()

    def store(name: str) -> TicketAttachment:
        return attachment_store(
            ticket=ticket, message=message, name=name, content=PDF, content_type=""
        )

    with (
        pytest.raises(RuntimeError),
        attachment_files_discarded_on_error(),
        transaction.atomic(),
    ):
        store("a.pdf")
        with attachment_files_discarded_on_error():
            store("b.pdf")  # the inner block succeeds: the outer one answers for it
        raise RuntimeError("a later step failed")
    assert TicketAttachment.objects.count() == 0
    assert stored_files(tmp_path) == []

    with attachment_files_discarded_on_error(), transaction.atomic():
        kept = store("c.pdf")
    assert stored_files(tmp_path) == [kept.file.name]


@pytest.mark.django_db
def test_a_file_checked_by_the_form_is_not_checked_again(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MEDIA_ROOT = tmp_path
    ticket = ticket_create(
        actor=None, values={"subject": "x"}, body="سلام", channel=TicketChannel.EMAIL
    )
    upload = SimpleUploadedFile("فاکتور.pdf", PDF, content_type="application/pdf")
    [incoming] = AttachmentsField().clean([upload])
    assert incoming.checked == CheckedFile(
        name="فاکتور.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
    )
    sniffed: list[int] = []
    real_sniff = attachments.sniff_family
    monkeypatch.setattr(
        attachments,
        "sniff_family",
        lambda content: sniffed.append(len(content)) or real_sniff(content),
    )
    [stored] = attachments_store_all(ticket=ticket, message=ticket.messages.get(), files=[incoming])
    assert sniffed == []
    assert (stored.name, stored.sha256) == ("فاکتور.pdf", hashlib.sha256(PDF).hexdigest())

    # A file nobody checked yet is checked once.
    plain = IncomingFile(name="b.pdf", content=PDF, content_type="application/pdf")
    attachments_store_all(ticket=ticket, message=ticket.messages.get(), files=[plain])
    assert sniffed == [len(PDF)]
