"""Files attached to ticket messages, from every channel (email, the customer portal, an
agent's upload): one check and one way to store them.

A file is accepted when its size is within ``PEYVAND_ATTACHMENT_MAX_BYTES`` (10 MB by
default) and its name's extension, the type it was declared as, and its content (sniffed from
the first bytes, or the zip directory of office documents) all agree on one allowed kind:
images (JPEG, PNG, GIF, WebP), PDF, plain text and CSV, office documents (Word, Excel,
PowerPoint, old and new, and OpenDocument) and zip archives. SVG, HTML and executables are
never accepted: they can run code when opened. The stored type is ours, never the sender's.

Looking into a zip archive reads its directory and at most the first bytes of one entry,
never a whole entry: a small archive can unpack to gigabytes. A file is written to storage
only once every file of the message passed, and the files written are deleted again when a
later step fails (see :func:`attachments_store_all` and
:func:`attachment_files_discarded_on_error`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import lzma
import os
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import models, transaction
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peyvand.common.persian import ZWNJ, clean_persian

from .models import Ticket, TicketAttachment, TicketMessage

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_NAME_LENGTH = 200

# Declared types that say nothing: mail clients and browsers send them for any file.
_GENERIC_TYPES = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/x-download"}
)


@dataclass(frozen=True)
class FileKind:
    """An accepted kind of file: what its content looks like (``family``), the type it is
    stored and served as, and other types senders declare it as."""

    family: str
    content_type: str
    also_declared: frozenset[str] = frozenset()

    def accepts_declared(self, declared: str) -> bool:
        return (
            declared in _GENERIC_TYPES
            or declared == self.content_type
            or (declared in self.also_declared)
        )


_ZIP_TYPES = frozenset(
    {"application/zip", "application/x-zip-compressed", "application/x-zip", "multipart/x-zip"}
)
_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"

KINDS: dict[str, FileKind] = {
    ".jpg": FileKind("jpeg", "image/jpeg", frozenset({"image/jpg", "image/pjpeg"})),
    ".jpeg": FileKind("jpeg", "image/jpeg", frozenset({"image/jpg", "image/pjpeg"})),
    ".png": FileKind("png", "image/png", frozenset({"image/x-png"})),
    ".gif": FileKind("gif", "image/gif"),
    ".webp": FileKind("webp", "image/webp"),
    ".pdf": FileKind("pdf", "application/pdf", frozenset({"application/x-pdf"})),
    ".txt": FileKind("text", "text/plain"),
    # Windows declares CSV files as Excel sheets.
    ".csv": FileKind(
        "text", "text/csv", frozenset({"text/plain", "application/vnd.ms-excel", "text/x-csv"})
    ),
    ".doc": FileKind("ole2", "application/msword"),
    ".xls": FileKind("ole2", "application/vnd.ms-excel"),
    ".ppt": FileKind("ole2", "application/vnd.ms-powerpoint"),
    ".docx": FileKind("ooxml-word", f"{_OOXML}.wordprocessingml.document", _ZIP_TYPES),
    ".xlsx": FileKind("ooxml-excel", f"{_OOXML}.spreadsheetml.sheet", _ZIP_TYPES),
    ".pptx": FileKind("ooxml-powerpoint", f"{_OOXML}.presentationml.presentation", _ZIP_TYPES),
    ".odt": FileKind("odf-text", f"{_ODF}.text", _ZIP_TYPES),
    ".ods": FileKind("odf-spreadsheet", f"{_ODF}.spreadsheet", _ZIP_TYPES),
    ".odp": FileKind("odf-presentation", f"{_ODF}.presentation", _ZIP_TYPES),
    ".zip": FileKind("zip", "application/zip", _ZIP_TYPES),
}
# A file sent without an extension gets the one its (binary) content shows.
_EXTENSION_FOR_FAMILY = {
    "jpeg": ".jpg",
    "png": ".png",
    "gif": ".gif",
    "webp": ".webp",
    "pdf": ".pdf",
    "ooxml-word": ".docx",
    "ooxml-excel": ".xlsx",
    "ooxml-powerpoint": ".pptx",
    "odf-text": ".odt",
    "odf-spreadsheet": ".ods",
    "odf-presentation": ".odp",
}
# A zip archive may hold anything, office documents included.
_OOXML_FOLDERS = {"word/": "ooxml-word", "xl/": "ooxml-excel", "ppt/": "ooxml-powerpoint"}
_ODF_TYPES = {
    f"{_ODF}.text": "odf-text",
    f"{_ODF}.spreadsheet": "odf-spreadsheet",
    f"{_ODF}.presentation": "odf-presentation",
}
_ZIP_FAMILIES = frozenset({"zip", *_OOXML_FOLDERS.values(), *_ODF_TYPES.values()})
# Characters Windows refuses in a file name; a download named with them fails there.
_RESERVED_IN_NAMES = frozenset('<>:"|?*')
# How much of an OpenDocument's "mimetype" entry is read (the longest type is 46 bytes).
_MIMETYPE_BYTES = 100


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed :func:`attachment_check`: its clean name and our type for it."""

    name: str
    content_type: str
    size: int
    sha256: str


def max_attachment_bytes() -> int:
    """The size limit of one file (``PEYVAND_ATTACHMENT_MAX_BYTES``, 10 MB by default)."""
    value = os.environ.get("PEYVAND_ATTACHMENT_MAX_BYTES", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_MAX_BYTES


def attachment_name_clean(name: str) -> str:
    """The file name to keep and show: no folders, no control or bidi-override characters
    (a right-to-left override can make ``cod.exe`` look like ``exe.doc``), no characters
    Windows refuses, no leading dots; Persian letters and the ZWNJ between them are kept."""
    text = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char == ZWNJ:
            kept.append(char)
        elif category in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}:
            continue
        elif char in _RESERVED_IN_NAMES:
            kept.append("_")
        else:
            kept.append(char)
    cleaned = clean_persian("".join(kept)).strip(" ")
    if cleaned.startswith(".") and cleaned.count(".") == 1:  # ".pdf": only an extension
        cleaned = f"attachment{cleaned}"
    stem, extension = os.path.splitext(cleaned.strip(". "))
    stem = stem or "attachment"
    extension = extension.lower() if extension.lower() in KINDS else extension
    room = MAX_NAME_LENGTH - len(extension)
    return f"{stem[:room].rstrip('. ')}{extension}"[:MAX_NAME_LENGTH]


def _zip_family(content: bytes) -> str | None:
    """The family of a zip archive from its directory, and the first bytes of its
    "mimetype" entry (OpenDocument); no entry is ever unpacked in full."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = archive.namelist()
        if "mimetype" in names:
            with archive.open("mimetype") as entry:
                head = entry.read(_MIMETYPE_BYTES)
            mimetype = head.decode("ascii", "replace").strip()
            if mimetype in _ODF_TYPES:
                return _ODF_TYPES[mimetype]
    except (
        zipfile.BadZipFile,
        OSError,
        ValueError,
        KeyError,
        RuntimeError,  # encrypted, or an unsupported compression (NotImplementedError)
        EOFError,
        zlib.error,
        lzma.LZMAError,
    ):
        return None
    if "[Content_Types].xml" in names:
        for folder, family in _OOXML_FOLDERS.items():
            if any(item.startswith(folder) for item in names):
                return family
    return "zip"


def _is_text(content: bytes) -> bool:
    """Plain text: no NUL byte and no control characters but tabs and line breaks, in
    UTF-8 (with or without a BOM), UTF-16 with a BOM, or Windows-1256 (Excel's Farsi CSV)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            return False
    else:
        if b"\x00" in content:
            return False
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("cp1256")
            except UnicodeDecodeError:
                return False
    return not any(ord(char) < 32 and char not in "\t\n\r\f" for char in text)


def sniff_family(content: bytes) -> str | None:
    """What the bytes are, from their signature: a family name of :data:`KINDS` or None."""
    head = content[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return "webp"
    if b"%PDF-" in content[:1024]:
        return "pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole2"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_family(content)
    if _is_text(content):
        return "text"
    return None


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def attachment_check(*, name: str, content: bytes, content_type: str) -> CheckedFile:
    """Check one file against the size limit and the allowed kinds; its clean name, our
    content type, size and SHA-256. Raises ``ValidationError`` naming the file and the
    reason (codes ``empty``, ``too_large``, ``type_not_allowed``, ``content_mismatch``,
    ``declared_mismatch``)."""
    clean_name = attachment_name_clean(name)
    size = len(content)
    limit = max_attachment_bytes()
    if size == 0:
        raise _refuse(_("“%(name)s” is empty.") % {"name": clean_name}, "empty")
    if size > limit:
        raise _refuse(
            _("“%(name)s” is %(size)s; a file may be at most %(limit)s.")
            % {"name": clean_name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            "too_large",
        )
    family = sniff_family(content)
    declared = str(content_type or "").split(";", 1)[0].strip().lower()
    stem, extension = os.path.splitext(clean_name)
    if not extension and family in _EXTENSION_FOR_FAMILY:
        extension = _EXTENSION_FOR_FAMILY[family]
        clean_name = f"{stem[: MAX_NAME_LENGTH - len(extension)]}{extension}"
    kind = KINDS.get(extension.lower())
    if kind is None:
        raise _refuse(
            _(
                "“%(name)s”: files of this type are not accepted (allowed: images, PDF, text, "
                "office documents and zip archives)."
            )
            % {"name": clean_name},
            "type_not_allowed",
        )
    matches = family == kind.family or (kind.family == "zip" and family in _ZIP_FAMILIES)
    if not matches:
        raise _refuse(
            _("“%(name)s”: its content is not what a %(extension)s file holds.")
            % {"name": clean_name, "extension": extension.lower()},
            "content_mismatch",
        )
    if not kind.accepts_declared(declared):
        raise _refuse(
            _("“%(name)s” was sent as %(declared)s, which does not match its name.")
            % {"name": clean_name, "declared": declared},
            "declared_mismatch",
        )
    return CheckedFile(
        name=clean_name,
        content_type=kind.content_type,
        size=size,
        sha256=hashlib.sha256(content).hexdigest(),
    )


# The storage names written by attachment_store inside attachment_files_discarded_on_error.
_written_files: ContextVar[list[str] | None] = ContextVar("attachment_files_written", default=None)


def _storage() -> Storage:
    """Where attachment files are kept (the file field's storage)."""
    field = TicketAttachment._meta.get_field("file")
    assert isinstance(field, models.FileField)
    return field.storage


def _delete_files(names: Sequence[str]) -> None:
    storage = _storage()
    for name in names:
        with contextlib.suppress(OSError):
            storage.delete(name)


@contextlib.contextmanager
def attachment_files_discarded_on_error() -> Iterator[None]:
    """Delete again the files :func:`attachment_store` writes inside the block when the
    block raises. Put it around the transaction the attachments are saved in: the rows go
    with a rollback, and so do their files. Nested blocks hand their files on to the
    enclosing one when they succeed."""
    outer = _written_files.get()
    written: list[str] = []
    token = _written_files.set(written)
    try:
        yield
    except BaseException:
        _delete_files(written)
        raise
    finally:
        _written_files.reset(token)
    if outer is not None:
        outer.extend(written)


def attachment_store(
    *,
    ticket: Ticket,
    message: TicketMessage,
    name: str,
    content: bytes,
    content_type: str,
    checked: CheckedFile | None = None,
) -> TicketAttachment:
    """Check a file (see :func:`attachment_check`; ``checked``, the result of that check
    on this content, spares doing it twice) and keep it with ``message`` under a random
    name in the ticket's folder. Raises ``ValidationError`` when it is refused; nothing is
    written then, nor when saving its row fails."""
    if message.ticket_id != ticket.pk:
        raise ValueError("the message belongs to another ticket")
    if checked is None or checked.size != len(content):
        checked = attachment_check(name=name, content=content, content_type=content_type)
    attachment = TicketAttachment(
        ticket=ticket,
        message=message,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    with transaction.atomic():
        attachment.file.save(checked.name, ContentFile(content), save=False)
        try:
            attachment.save()
        except BaseException:
            attachment.file.delete(save=False)
            raise
    written = _written_files.get()
    if written is not None:
        written.append(attachment.file.name)
    return attachment


MAX_FILES_PER_MESSAGE = 5


@dataclass(frozen=True)
class IncomingFile:
    """A file that came with a message (an upload, an email part), before it is stored;
    ``checked`` is its :func:`attachment_check` result when that was done already."""

    name: str
    content: bytes
    content_type: str
    checked: CheckedFile | None = None


def attachments_store_all(
    *, ticket: Ticket, message: TicketMessage, files: Sequence[IncomingFile]
) -> list[TicketAttachment]:
    """Store every file of a message, inside the caller's transaction (one refused file
    undoes the message too). Every file is checked before any is written: a refusal, which
    names each refused file, writes nothing; when storing one fails, the files already
    written are deleted again."""
    checked: list[tuple[IncomingFile, CheckedFile]] = []
    errors: list[ValidationError] = []
    for incoming in files:
        result = incoming.checked
        if result is None or result.size != len(incoming.content):
            try:
                result = attachment_check(
                    name=incoming.name, content=incoming.content, content_type=incoming.content_type
                )
            except ValidationError as failure:
                errors.append(failure)
                continue
        checked.append((incoming, result))
    if errors:
        raise ValidationError(errors)
    stored: list[TicketAttachment] = []
    try:
        with transaction.atomic():
            for incoming, result in checked:
                stored.append(
                    attachment_store(
                        ticket=ticket,
                        message=message,
                        name=incoming.name,
                        content=incoming.content,
                        content_type=incoming.content_type,
                        checked=result,
                    )
                )
    except BaseException:
        _delete_files([attachment.file.name for attachment in stored])
        raise
    return stored


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.Field):
    """Up to :data:`MAX_FILES_PER_MESSAGE` uploaded files, each checked like every other
    channel's (size, type by name, declaration and content); the errors name each file."""

    widget = _MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", gettext_lazy("Attachments"))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[IncomingFile]:
        uploads = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if self.required and not uploads:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(uploads) > MAX_FILES_PER_MESSAGE:
            raise ValidationError(
                _("At most %(count)s files with one message.") % {"count": MAX_FILES_PER_MESSAGE},
                code="too_many",
            )
        files: list[IncomingFile] = []
        errors: list[ValidationError] = []
        limit = max_attachment_bytes()
        for upload in uploads:
            name = str(getattr(upload, "name", "") or "")
            if (getattr(upload, "size", 0) or 0) > limit:
                # Refused before reading it into memory.
                clean_name = attachment_name_clean(name)
                errors.append(
                    _refuse(
                        _("“%(name)s” is %(size)s; a file may be at most %(limit)s.")
                        % {
                            "name": clean_name,
                            "size": filesizeformat(upload.size),
                            "limit": filesizeformat(limit),
                        },
                        "too_large",
                    )
                )
                continue
            content = upload.read()
            declared = str(getattr(upload, "content_type", "") or "")
            try:
                checked = attachment_check(name=name, content=content, content_type=declared)
            except ValidationError as failure:
                errors.append(failure)
                continue
            files.append(
                IncomingFile(name=name, content=content, content_type=declared, checked=checked)
            )
        if errors:
            raise ValidationError(errors)
        return files


def attachment_response(attachment: TicketAttachment) -> FileResponse:
    """A stored file as a download, never rendered inline (a customer's HTML or SVG must
    not run in anyone's session), under its clean name."""
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.name
    )
    response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response
