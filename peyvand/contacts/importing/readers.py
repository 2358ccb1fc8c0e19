"""Streaming row readers for contact files: CSV, Excel (.xlsx) and vCard.

:func:`open_source` opens a file and returns a :class:`RowSource`: its column ``headers``,
what was ``detected`` about it (format, encoding, delimiter…), and an iterator of
:class:`SourceRow`, one per data row, each a ``{header: cell text}`` dict. Rows are read
one at a time, so memory stays flat for files of millions of rows, and each ``iter()``
starts again from the first row. Call ``close()`` when done (or use
``contextlib.closing(open_source(path))``).

Problems with the file itself raise :class:`ImportFileError`, from :func:`open_source` or,
for damage found further into the file (invalid UTF-8 after the first 64 KB, a broken
Excel sheet), while iterating. A missing file raises :class:`OSError` as usual.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from peyvand.contacts.importing import vcard

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = ["ImportFileError", "RowSource", "SourceRow", "open_source"]

MSG_UNSUPPORTED_FORMAT = _(
    # fa: این نوع فایل پشتیبانی نمی‌شود؛ از CSV، اکسل (xlsx) یا vCard استفاده کنید.
    "This type of file is not supported; use CSV, Excel (.xlsx) or vCard."
)
MSG_EMPTY = _("The file is empty.")  # fa: فایل خالی است.
MSG_NO_HEADER = _(
    # fa: ردیف اول فایل باید نام ستون‌ها باشد.
    "The first row of the file must hold the column names."
)
MSG_UNREADABLE = _(
    # fa: فایل خوانده نشد؛ شاید آسیب دیده یا از نوع دیگری باشد.
    "The file could not be read; it may be damaged or of another type."
)

SAMPLE_SIZE: Final = 64 * 1024
CSV_DELIMITERS: Final = (",", ";", "\t", "|")
_DELIMITER_SAMPLE_ROWS: Final = 50

_FORMAT_BY_EXTENSION: Final = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".vcf": "vcard",
    ".vcard": "vcard",
}
_FORMAT_ALIASES: Final = {"csv": "csv", "xlsx": "xlsx", "vcard": "vcard", "vcf": "vcard"}


class ImportFileError(Exception):
    """The file cannot be imported at all: its type, emptiness, header or encoding.

    ``message`` is lazily translated and fit to show; ``code`` is one of
    ``unsupported_format``, ``empty``, ``no_header`` and ``unreadable``.
    """

    def __init__(self, message: StrOrPromise, *, code: str = "unreadable") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row: its 1-based number (the header row excluded) and ``{header: text}``."""

    number: int
    values: dict[str, str]


class RowSource(Protocol):
    """An opened file of rows; see :func:`open_source`."""

    headers: list[str]
    detected: dict[str, str]

    def __iter__(self) -> Iterator[SourceRow]:
        """The data rows, from the first; each call starts again."""
        ...

    def close(self) -> None:
        """Release the file; the source cannot be iterated afterwards."""
        ...


def open_source(path: Path | str, *, file_format: str | None = None) -> RowSource:
    """Open a contact file for reading its rows.

    ``path`` may be a string. ``file_format`` is ``"csv"``, ``"xlsx"`` or ``"vcard"``
    (``"vcf"``); without it (``None`` or ``""``) the extension decides: ``.csv``, ``.txt``,
    ``.tsv``; ``.xlsx``, ``.xlsm``; ``.vcf``, ``.vcard``.

    * CSV: the encoding is UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1256
      (Excel's Persian "CSV" export), chosen on the first 64 KB (further when that part is
      plain ASCII); the delimiter is the one of ``,`` ``;`` tab ``|`` that splits the first
      rows most consistently. Blank rows are skipped and not counted.
    * Excel: the first worksheet; the first non-empty row is the header. Numbers become text
      without a trailing ".0", dates ``YYYY-MM-DD``.
    * vCard (2.1, 3.0, 4.0): one row per card under fixed headers, see :mod:`~.vcard`.

    Duplicate header names get a suffix (``Phone``, ``Phone (2)``); an empty header name
    becomes ``Column N``; empty trailing header cells are dropped. Raises
    :class:`ImportFileError` for an unknown format, an empty file, a first row without any
    text (no header) or content that cannot be read.
    """
    path = Path(path)
    if file_format:
        name = _FORMAT_ALIASES.get(file_format.lower())
    else:
        name = _FORMAT_BY_EXTENSION.get(path.suffix.lower())
    if name is None:
        raise ImportFileError(MSG_UNSUPPORTED_FORMAT, code="unsupported_format")
    if path.stat().st_size == 0:
        raise ImportFileError(MSG_EMPTY, code="empty")
    if name == "csv":
        return _CsvSource(path)
    if name == "xlsx":
        return _XlsxSource(path)
    return _VcardSource(path)


# --- Shared helpers ----------------------------------------------------------------------


def _unique_headers(cells: Sequence[str]) -> list[str]:
    """Header names from a header row: stripped, named when empty, made unique."""
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    headers: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        base = name or f"Column {position}"
        header, count = base, 1
        while header in seen:
            count += 1
            header = f"{base} ({count})"
        seen.add(header)
        headers.append(header)
    return headers


def _check_header(cells: Sequence[str] | None) -> list[str]:
    if cells is None:
        raise ImportFileError(MSG_EMPTY, code="empty")
    if not any(char.isalpha() for cell in cells for char in cell):
        raise ImportFileError(MSG_NO_HEADER, code="no_header")
    return _unique_headers(cells)


def _row_values(headers: Sequence[str], cells: list[str]) -> dict[str, str]:
    """``{header: stripped cell}``; missing cells are "", cells past the last header ignored."""
    missing = len(headers) - len(cells)
    if missing > 0:
        cells = cells + [""] * missing
    return dict(zip(headers, map(str.strip, cells), strict=False))


def _numbered_rows(
    headers: Sequence[str], rows: Generator[list[str], None, None]
) -> Iterator[SourceRow]:
    """Data rows after the header row as ``SourceRow``s numbered from 1; closes ``rows``."""
    try:
        next(rows, None)  # the header
        for number, cells in enumerate(rows, start=1):
            yield SourceRow(number, _row_values(headers, cells))
    finally:
        rows.close()


def _is_blank(cells: Iterable[str]) -> bool:
    return not any(map(str.strip, cells))


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1256.

    Decided on the first 64 KB; when those are plain ASCII, on the first 64 KB block that
    is not (an ASCII file is reported as UTF-8). NUL bytes without a UTF-16 BOM mean a
    binary file.
    """
    with path.open("rb") as stream:
        block = stream.read(SAMPLE_SIZE)
        if block.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        while True:
            if b"\x00" in block:
                raise ImportFileError(MSG_UNREADABLE, code="unreadable")
            at_end = len(block) < SAMPLE_SIZE
            if not block.isascii() or at_end:
                break
            block = stream.read(SAMPLE_SIZE)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(block, final=at_end)
    except UnicodeDecodeError:
        return "cp1256"
    return "utf-8"


def _text_stream(path: Path, encoding: str, *, newline: str | None) -> io.TextIOWrapper:
    return io.TextIOWrapper(path.open("rb"), encoding=encoding, newline=newline)


class _StreamSource:
    """Keeps track of the streams opened by running iterators, to close them all."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._streams: set[io.TextIOWrapper] = set()
        self._is_closed = False

    def _open(self, encoding: str, *, newline: str | None) -> io.TextIOWrapper:
        if self._is_closed:
            raise ValueError("The row source is closed.")
        stream = _text_stream(self._path, encoding, newline=newline)
        self._streams.add(stream)
        return stream

    def _release(self, stream: io.TextIOWrapper) -> None:
        stream.close()
        self._streams.discard(stream)

    def close(self) -> None:
        """Close the file handles of any iteration still running."""
        self._is_closed = True
        for stream in list(self._streams):
            self._release(stream)


# --- CSV -----------------------------------------------------------------------------------


def _sample_rows(text: str, delimiter: str) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if not _is_blank(cells):
                rows.append(cells)
                if len(rows) > _DELIMITER_SAMPLE_ROWS:
                    break
    except csv.Error:
        pass  # a quoted field cut at the end of the sample: judge on the rows before it
    return rows


def _detect_delimiter(text: str) -> str:
    """The delimiter giving a header of several columns and data rows of the same width.

    Among the delimiters that split the header into several columns, scored by (share of
    sample rows as wide as the header, header width); ties go to the earlier of
    ``, ; tab |``. A comma when none splits the header (a file of one column).
    """
    best, best_score = ",", (0.0, 1)
    for delimiter in CSV_DELIMITERS:
        rows = _sample_rows(text, delimiter)
        width = len(rows[0]) if rows else 0
        if width < 2:
            continue
        others = rows[1:]
        consistency = sum(len(row) == width for row in others) / len(others) if others else 1.0
        score = (consistency, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


class _CsvSource(_StreamSource):
    """A delimited text file, read with :mod:`csv` in the detected encoding."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._encoding = _detect_encoding(path)
        with _text_stream(path, self._encoding, newline="") as stream:
            try:
                sample = stream.read(SAMPLE_SIZE)
                if len(sample) == SAMPLE_SIZE and "\n" in sample:
                    sample = sample[: sample.rindex("\n") + 1]  # whole lines only
            except UnicodeDecodeError as error:
                raise ImportFileError(MSG_UNREADABLE, code="unreadable") from error
        self._delimiter = _detect_delimiter(sample)
        rows = self._rows()
        try:
            header = next(rows, None)
        finally:
            rows.close()
        self.headers: list[str] = _check_header(header)
        self.detected: dict[str, str] = {
            "format": "csv",
            "encoding": self._encoding,
            "delimiter": self._delimiter,
        }

    def _rows(self) -> Generator[list[str], None, None]:
        """The non-blank rows, the header row included."""
        stream = self._open(self._encoding, newline="")
        try:
            for cells in csv.reader(stream, delimiter=self._delimiter):
                if not _is_blank(cells):
                    yield cells
        except (UnicodeDecodeError, csv.Error) as error:
            raise ImportFileError(MSG_UNREADABLE, code="unreadable") from error
        finally:
            self._release(stream)

    def __iter__(self) -> Iterator[SourceRow]:
        """The data rows, numbered from 1, blank rows skipped."""
        yield from _numbered_rows(self.headers, self._rows())


# --- Excel ---------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    """A cell's value as text: integral numbers without ".0", dates as ``YYYY-MM-DD``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


class _XlsxSource:
    """The first worksheet of an Excel workbook, read with openpyxl in read-only mode."""

    def __init__(self, path: Path) -> None:
        try:
            # openpyxl raises many kinds of errors (zip, XML, KeyError…) on damaged files.
            self._workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as error:
            raise ImportFileError(MSG_UNREADABLE, code="unreadable") from error
        self._is_closed = False
        try:
            self._sheet: Any = self._workbook.worksheets[0]
            # Exporters often write a wrong sheet size; without this rows may be cut off.
            self._sheet.reset_dimensions()
            rows = self._rows()
            header = next(rows, None)
            rows.close()
            self.headers: list[str] = _check_header(header)
        except ImportFileError:
            self.close()
            raise
        except Exception as error:
            self.close()
            raise ImportFileError(MSG_UNREADABLE, code="unreadable") from error
        self.detected: dict[str, str] = {"format": "xlsx", "sheet": str(self._sheet.title)}

    def _rows(self) -> Generator[list[str], None, None]:
        try:
            for values in self._sheet.iter_rows(values_only=True):
                cells = [_cell_text(value) for value in values]
                if not _is_blank(cells):
                    yield cells
        except ImportFileError:
            raise
        except Exception as error:
            raise ImportFileError(MSG_UNREADABLE, code="unreadable") from error

    def __iter__(self) -> Iterator[SourceRow]:
        """The data rows after the header row, numbered from 1, empty rows skipped."""
        if self._is_closed:
            raise ValueError("The row source is closed.")
        yield from _numbered_rows(self.headers, self._rows())

    def close(self) -> None:
        """Close the workbook file."""
        self._is_closed = True
        self._workbook.close()


# --- vCard ---------------------------------------------------------------------------------


class _VcardSource(_StreamSource):
    """Contacts exported from phones and Google: one row per BEGIN:VCARD…END:VCARD.

    The headers and values are described in :mod:`~.vcard`; there are as many phone and
    email columns as the card with most of them has (at least one each), found by a first
    pass over the file.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._encoding = _detect_encoding(path)
        phones = emails = cards = 0
        version = ""
        has_text = False
        stream = self._open(self._encoding, newline=None)
        try:
            for card in vcard.iter_cards(stream):
                cards += 1
                phones = max(phones, sum(prop.name == "TEL" for prop in card))
                emails = max(emails, sum(prop.name == "EMAIL" for prop in card))
                if not version:
                    version = next((p.value.strip() for p in card if p.name == "VERSION"), "")
            if not cards:
                stream.seek(0)
                has_text = any(line.strip() for line in stream)
        except UnicodeDecodeError as error:
            raise ImportFileError(MSG_UNREADABLE, code="unreadable") from error
        finally:
            self._release(stream)
        if not cards and has_text:
            raise ImportFileError(MSG_UNREADABLE, code="unreadable")
        if not cards:
            raise ImportFileError(MSG_EMPTY, code="empty")
        self._phone_headers = vcard.numbered("phone", max(phones, 1))
        self._email_headers = vcard.numbered("email", max(emails, 1))
        self.headers: list[str] = vcard.headers(self._phone_headers, self._email_headers)
        self.detected: dict[str, str] = {
            "format": "vcard",
            "encoding": self._encoding,
            "version": version,
        }

    def __iter__(self) -> Iterator[SourceRow]:
        """One row per card, numbered from 1."""
        stream = self._open(self._encoding, newline=None)
        try:
            for number, card in enumerate(vcard.iter_cards(stream), start=1):
                values = vcard.card_values(
                    card, phone_headers=self._phone_headers, email_headers=self._email_headers
                )
                yield SourceRow(number, values)
        except UnicodeDecodeError as error:
            raise ImportFileError(MSG_UNREADABLE, code="unreadable") from error
        finally:
            self._release(stream)
