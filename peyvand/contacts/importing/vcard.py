"""vCard (.vcf) parsing for the import readers: contacts exported by Android, iPhone, Google.

Handles vCard 2.1, 3.0 and 4.0: line unfolding (a line starting with a space or tab
continues the previous one), quoted-printable values with soft line breaks and a CHARSET
(how 2.1 phones export Persian names), property groups (``item1.TEL``), parameters with or
without names (``TYPE=CELL``, ``type=home``, 2.1's bare ``CELL``), and the escapes ``\\,``
``\\;`` ``\\n``. Only the properties a contact import uses are kept.

A card becomes a row under the headers ``first_name``, ``last_name``, ``full_name``,
``phone``, ``phone (2)``…, ``email``, ``email (2)``…, ``birthday``, ``company``,
``job_title``, ``address``, ``note``:

* ``first_name`` is N's given and additional names, ``last_name`` its family name; when N
  has neither, both come from FN by :func:`~.mapping.split_full_name`. ``full_name`` is FN,
  or the parts of N when there is no FN.
* Phones and emails keep their order; a ``tel:``/``mailto:`` prefix is removed.
* ``birthday`` is ``YYYY-MM-DD`` when BDAY is a full date (``19900517``, ``1990-05-17``,
  with or without a time); a date without year stays as written (``--0517``).
* ``company`` is ORG's first part; ``address`` the first ADR's non-empty parts joined with
  "، "; notes are joined by newlines; the other fields take the first occurrence.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from peyvand.contacts.importing.mapping import split_full_name

__all__ = [
    "FIELDS_AFTER_EMAILS",
    "FIELDS_BEFORE_PHONES",
    "VcardProperty",
    "card_values",
    "headers",
    "iter_cards",
    "numbered",
]

FIELDS_BEFORE_PHONES: Final = ("first_name", "last_name", "full_name")
FIELDS_AFTER_EMAILS: Final = ("birthday", "company", "job_title", "address", "note")
_PROPERTIES: Final = frozenset(
    {"BEGIN", "END", "VERSION", "N", "FN", "TEL", "EMAIL", "BDAY", "ORG", "TITLE", "ADR", "NOTE"}
)
_BARE_ENCODINGS: Final = frozenset({"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"})
_ESCAPE_RE = re.compile(r"\\([\\,;:nN])")
_BIRTHDAY_RE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?")
_URI_PREFIX_RE = re.compile(r"^(?:tel|mailto):", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class VcardProperty:
    """One content line: upper-case name without group, parameters, raw value."""

    name: str
    params: dict[str, list[str]]
    value: str


def numbered(name: str, count: int) -> list[str]:
    """``name``, ``name (2)``… ``count`` headers in all."""
    return [name if index == 1 else f"{name} ({index})" for index in range(1, count + 1)]


def _split_unquoted(text: str, separator: str) -> list[str]:
    if '"' not in text:
        return text.split(separator)
    parts: list[str] = []
    start, in_quotes = 0, False
    for index, char in enumerate(text):
        if char == '"':
            in_quotes = not in_quotes
        elif char == separator and not in_quotes:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _property_name(head: str) -> str:
    """``item1.TEL;TYPE=CELL`` → ``TEL``."""
    return head.partition(";")[0].strip().upper().rpartition(".")[2]


def _parse_parameters(head: str) -> dict[str, list[str]]:
    """``NAME;PARAM=a,b;BARE`` → ``{"PARAM": ["a", "b"], "TYPE": ["BARE"]}``."""
    parameters = _split_unquoted(head, ";")[1:]
    params: dict[str, list[str]] = {}
    for parameter in parameters:
        key, has_value, value = parameter.partition("=")
        key = key.strip().upper()
        if has_value:
            values = [item.strip().strip('"') for item in value.split(",")]
        else:  # vCard 2.1 bare parameter: an encoding or a type (TEL;CELL;PREF)
            key, values = ("ENCODING" if key in _BARE_ENCODINGS else "TYPE"), [key]
        params.setdefault(key, []).extend(values)
    return params


def _value_colon(line: str) -> int:
    """Where the value starts: the first ":" outside a quoted parameter value, or -1."""
    colon = line.find(":")
    if colon < 0 or '"' not in line[:colon]:
        return colon
    in_quotes = False
    for index, char in enumerate(line):
        if char == '"':
            in_quotes = not in_quotes
        elif char == ":" and not in_quotes:
            return index
    return -1


def _logical_lines(lines: Iterable[str]) -> Iterator[str]:
    """Unfold physical lines into content lines.

    A line starting with a space or tab continues the previous one (without that first
    character); in a quoted-printable value, a line ending in "=" (a soft line break) is
    continued by the next line whatever it starts with.
    """
    parts: list[str] = []
    is_quoted_printable = False
    for raw in lines:
        line = raw.rstrip("\r\n")
        if parts:
            if is_quoted_printable and parts[-1].endswith("="):
                parts[-1] = parts[-1][:-1]
                parts.append(line)
                continue
            if line[:1] in (" ", "\t"):
                parts.append(line[1:])
                continue
            yield "".join(parts)
        parts = [line]
        is_quoted_printable = "QUOTED-PRINTABLE" in line[: max(_value_colon(line), 0)].upper()
    if parts:
        yield "".join(parts)


def iter_cards(stream: Iterable[str]) -> Iterator[list[VcardProperty]]:
    """Each card's properties of interest; a card cut off at the end of the file counts."""
    card: list[VcardProperty] | None = None
    depth = 0  # vCard 2.1 may nest a card (AGENT); its properties are skipped
    for line in _logical_lines(stream):
        colon = _value_colon(line)
        if colon < 0:
            continue
        head = line[:colon]
        name = _property_name(head)
        if name not in _PROPERTIES:
            continue
        value = line[colon + 1 :]
        marker = value.strip().upper() if name in ("BEGIN", "END") else ""
        if name == "BEGIN" and marker == "VCARD":
            depth += 1
            if depth == 1:
                card = []
        elif name == "END" and marker == "VCARD":
            depth = max(depth - 1, 0)
            if depth == 0 and card is not None:
                yield card
                card = None
        elif card is not None and depth == 1:
            card.append(VcardProperty(name, _parse_parameters(head), value))
    if card is not None:
        yield card


def _decoded(prop: VcardProperty) -> str:
    """The value with quoted-printable decoded (in its CHARSET, UTF-8 by default)."""
    encodings = {encoding.upper() for encoding in prop.params.get("ENCODING", [])}
    if "QUOTED-PRINTABLE" not in encodings:
        return prop.value
    raw = binascii.a2b_qp(prop.value.encode("utf-8"))
    charset = (prop.params.get("CHARSET") or ["utf-8"])[0]
    try:
        return raw.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return raw.decode("utf-8", errors="replace")


def _unescape(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), text).strip()


def _components(text: str) -> list[str]:
    """Split a structured value (N, ADR, ORG) at unescaped ";", then unescape each part."""
    parts, start, index = [], 0, 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == ";":
            parts.append(text[start:index])
            start = index + 1
        index += 1
    parts.append(text[start:])
    return [_unescape(part) for part in parts]


def _birthday(prop: VcardProperty) -> str:
    """``YYYY-MM-DD`` when the value is a full date; a date without year stays ``--MMDD``.

    iPhone marks a birthday without year with ``X-APPLE-OMIT-YEAR=<placeholder year>``.
    """
    text = _unescape(_decoded(prop))
    match = _BIRTHDAY_RE.fullmatch(text)
    if match is None:
        return text
    year, month, day = match.groups()
    if year in prop.params.get("X-APPLE-OMIT-YEAR", []):
        return f"--{month}{day}"
    return f"{year}-{month}-{day}"


def headers(phone_headers: Sequence[str], email_headers: Sequence[str]) -> list[str]:
    """The row headers for the given phone and email columns."""
    return [*FIELDS_BEFORE_PHONES, *phone_headers, *email_headers, *FIELDS_AFTER_EMAILS]


def card_values(
    card: Sequence[VcardProperty], *, phone_headers: Sequence[str], email_headers: Sequence[str]
) -> dict[str, str]:
    """A card as ``{header: text}`` under :func:`headers` (see the module docstring).

    Phones and emails beyond ``phone_headers``/``email_headers`` are left out.
    """
    values = dict.fromkeys(headers(phone_headers, email_headers), "")
    first: dict[str, VcardProperty] = {}
    phones: list[str] = []
    emails: list[str] = []
    notes: list[str] = []
    for prop in card:
        if prop.name == "TEL":
            phones.append(_URI_PREFIX_RE.sub("", _unescape(_decoded(prop))).strip())
        elif prop.name == "EMAIL":
            emails.append(_URI_PREFIX_RE.sub("", _unescape(_decoded(prop))).strip())
        elif prop.name == "NOTE":
            notes.append(_unescape(_decoded(prop)))
        else:
            first.setdefault(prop.name, prop)
    for header, phone in zip(phone_headers, filter(None, phones), strict=False):
        values[header] = phone
    for header, email in zip(email_headers, filter(None, emails), strict=False):
        values[header] = email
    values["note"] = "\n".join(filter(None, notes))

    family = given = ""
    if "N" in first:
        parts = [*_components(_decoded(first["N"])), "", "", ""]
        family, given = parts[0], " ".join(filter(None, parts[1:3]))
    full_name = _unescape(_decoded(first["FN"])) if "FN" in first else ""
    if not (family or given):
        given, family = split_full_name(full_name)
    values["first_name"], values["last_name"] = given, family
    values["full_name"] = full_name or " ".join(filter(None, (given, family)))
    if "BDAY" in first:
        values["birthday"] = _birthday(first["BDAY"])
    if "ORG" in first:
        values["company"] = _components(_decoded(first["ORG"]))[0]
    if "TITLE" in first:
        values["job_title"] = _unescape(_decoded(first["TITLE"]))
    if "ADR" in first:
        values["address"] = "، ".join(filter(None, _components(_decoded(first["ADR"]))))
    return values
