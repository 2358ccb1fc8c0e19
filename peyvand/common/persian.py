"""Persian text normalization: the one place in Peyvand that knows about Arabic vs Persian.

Three levels, from lightest to heaviest:

* :func:`clean_persian` tidies text that is *shown* (names, titles): it unifies the Arabic
  forms of Yeh and Kaf, folds presentation forms, strips tatweel and fixes whitespace and
  ZWNJ, but keeps the text as the user meant it (digits, ZWNJ between letters, case).
* :func:`normalize_text` is for *matching*: it also drops diacritics and hamza variants,
  turns every digit into ASCII, every zero-width or bidi control into a space, and casefolds.
* :func:`search_key` is :func:`normalize_text` without any whitespace or name punctuation, so
  "عبد الله", "عبد‌الله" and "عبدالله" give one key.

Digits are converted with :func:`to_ascii_digits` and :func:`to_persian_digits`.

The three (and :func:`name_key`) are pure functions of their text and run for every name,
city and tag of an import; the same values come back again and again (a million contacts
share a few thousand first names), so each remembers its last results (``lru_cache``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "ZERO_WIDTH_AND_BIDI",
    "ZWNJ",
    "clean_persian",
    "is_farsi",
    "normalize_text",
    "search_key",
    "strip_invisible",
    "to_ascii_digits",
    "to_persian_digits",
]

ZWNJ = "\u200c"
TATWEEL = "\u0640"

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"  # U+06F0..U+06F9
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"  # U+0660..U+0669
ASCII_DIGITS = "0123456789"

_TO_ASCII_DIGITS = str.maketrans(
    PERSIAN_DIGITS + ARABIC_INDIC_DIGITS + "\u066b\u066c",  # ٫ decimal, ٬ thousands separator
    ASCII_DIGITS + ASCII_DIGITS + ".,",
)
_TO_PERSIAN_DIGITS = str.maketrans(ASCII_DIGITS, PERSIAN_DIGITS)

# Letters typed on an Arabic keyboard that have a distinct Persian code point.
_CLEAN_LETTERS = str.maketrans(
    {
        "\u064a": "\u06cc",  # ي Arabic Yeh -> ی Farsi Yeh
        "\u0649": "\u06cc",  # ى Alef Maksura -> ی
        "\u0643": "\u06a9",  # ك Arabic Kaf -> ک Keheh
        TATWEEL: None,  # ـ kashida is decoration only
        "\ufeff": None,  # BOM / zero width no-break space pasted at the start of text
    }
)

# Zero-width and bidirectional control characters. For matching they separate words.
ZERO_WIDTH_AND_BIDI = (
    "".join(chr(c) for c in range(0x200B, 0x2010))  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    + "".join(chr(c) for c in range(0x202A, 0x202F))  # LRE, RLE, PDF, LRO, RLO
    + "".join(chr(c) for c in range(0x2066, 0x206A))  # LRI, RLI, FSI, PDI
    + "\ufeff"
)
# Invisible characters that sit *inside* a word: removed rather than turned into a space.
_INVISIBLE_IN_WORD = "\u00ad\u061c\u2060"  # soft hyphen, Arabic letter mark, word joiner

_NORMALIZE_LETTERS = str.maketrans(
    {
        "\u0629": "\u0647",  # ة Teh Marbuta -> ه
        "\u06c0": "\u0647",  # ۀ Heh with Yeh above -> ه
        "\u0623": "\u0627",  # أ -> ا
        "\u0625": "\u0627",  # إ -> ا
        "\u0671": "\u0627",  # ٱ Alef Wasla -> ا
        "\u0622": "\u0627",  # آ -> ا
        "\u0624": "\u0648",  # ؤ -> و
        "\u0626": "\u06cc",  # ئ -> ی
        "\u0621": None,  # ء hamza
        "\u0670": None,  # superscript alef
        **{chr(c): None for c in range(0x064B, 0x0660)},  # harakat, tanwin, shadda, sukun...
        **dict.fromkeys(ZERO_WIDTH_AND_BIDI, " "),
        **dict.fromkeys(_INVISIBLE_IN_WORD),
    }
)

_STRIP_INVISIBLE = str.maketrans(dict.fromkeys(ZERO_WIDTH_AND_BIDI + _INVISIBLE_IN_WORD))

_WHITESPACE_RE = re.compile(r"\s+")
_ZWNJ_RUN_RE = re.compile(ZWNJ + "{2,}")
_ZWNJ_AROUND_SPACE_RE = re.compile(f"[ {ZWNJ}]* [ {ZWNJ}]*")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_PRESENTATION_FORMS_RE = re.compile("[\ufb50-\ufdff\ufe70-\ufefe]")

# Punctuation that does not matter when matching names (removed by search_key).
_NAME_PUNCTUATION = (
    ".,-_()[]{}/\\«»\"'`?!;:+"
    "\u060c\u061b\u061f"  # ، ؛ ؟
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # hyphens, dashes, minus sign
    "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f"  # curly quotes
)
# In an email address these are part of the address and are kept.
_EMAIL_PUNCTUATION = "@+._-"
_SEARCH_KEY_STRIP = str.maketrans(dict.fromkeys(_NAME_PUNCTUATION))
_SEARCH_KEY_STRIP_EMAIL = str.maketrans(
    {ch: None for ch in _NAME_PUNCTUATION if ch not in _EMAIL_PUNCTUATION}
)
# Results remembered per function: enough for the distinct names, cities and tags of a
# large import, small in memory (a few MB each at most): long or multi-line text (addresses,
# notes) is rarely repeated and is not remembered, nor anything but a plain ``str`` (a lazy
# translation's text depends on the active language).
_CACHE_SIZE = 1 << 16
_CACHED_LENGTH = 100


def _is_cacheable(value: object) -> bool:
    return type(value) is str and len(value) <= _CACHED_LENGTH


def is_farsi(language: str | None) -> bool:
    """Whether a Django language code (``"fa"``, ``"fa-ir"``…) means Persian."""
    return bool(language) and str(language).lower().replace("_", "-").split("-")[0] == "fa"


def to_ascii_digits(value: str) -> str:
    """Turn Persian (۰-۹) and Arabic-Indic (٠-٩) digits into ASCII 0-9.

    The Arabic decimal separator ``٫`` becomes ``.`` and the thousands separator ``٬``
    becomes ``,``. Everything else is left alone.
    """
    return value.translate(_TO_ASCII_DIGITS)


def to_persian_digits(value: str) -> str:
    """Turn ASCII digits 0-9 into Persian digits ۰-۹, leaving everything else alone."""
    return value.translate(_TO_PERSIAN_DIGITS)


def strip_invisible(value: str) -> str:
    """Remove zero-width, bidi-control and other invisible formatting characters."""
    return value.translate(_STRIP_INVISIBLE)


def _fold_presentation_forms(value: str) -> str:
    return _PRESENTATION_FORMS_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), value)


def _clean_line(value: str) -> str:
    value = _WHITESPACE_RE.sub(" ", value)
    value = _ZWNJ_RUN_RE.sub(ZWNJ, value)
    value = _ZWNJ_AROUND_SPACE_RE.sub(" ", value)
    return value.strip(" " + ZWNJ)


def clean_persian(value: str, *, multiline: bool = False) -> str:
    """Tidy Persian text for display, keeping it as typed.

    Arabic Yeh/Alef Maksura become Farsi Yeh (ی) and Arabic Kaf becomes Keheh (ک); Arabic
    presentation forms (U+FB50–U+FDFF, U+FE70–U+FEFF) are folded with NFKC, other characters
    are not; tatweel is removed; runs of whitespace become one space, repeated ZWNJ become one
    and ZWNJ next to a space or at either end is dropped; the result is stripped. ZWNJ between
    letters and digits (Persian or ASCII) are kept as they are.

    With ``multiline=True`` line breaks survive: each line is cleaned on its own and runs of
    blank lines collapse to a single blank line (for notes and descriptions).
    """
    if multiline or not _is_cacheable(value):
        return _clean_persian.__wrapped__(value, multiline)
    return _clean_persian(value, multiline)


@lru_cache(maxsize=_CACHE_SIZE)
def _clean_persian(value: str, multiline: bool) -> str:
    value = _fold_presentation_forms(value).translate(_CLEAN_LETTERS)
    if not multiline:
        return _clean_line(value)
    lines = [_clean_line(line) for line in value.splitlines()]
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip("\n")


def normalize_text(value: str) -> str:
    """Normalize text for search and matching (never for display).

    :func:`clean_persian`, then ة/ۀ → ه, أ/إ/ٱ/آ → ا, ؤ → و, ئ → ی; diacritics (U+064B–U+065F,
    U+0670) and hamza ء are removed; all digits become ASCII; zero-width and bidi control
    characters become spaces; whitespace is collapsed; the text is casefolded and stripped.
    """
    if not _is_cacheable(value):
        return _normalize_text.__wrapped__(value)
    return _normalize_text(value)


@lru_cache(maxsize=_CACHE_SIZE)
def _normalize_text(value: str) -> str:
    value = to_ascii_digits(clean_persian(value).translate(_NORMALIZE_LETTERS))
    return _WHITESPACE_RE.sub(" ", value).casefold().strip()


def search_key(value: str) -> str:
    """A compact key for matching: :func:`normalize_text` without whitespace or punctuation.

    Name punctuation (``. , - _ ( ) / « » " '``, ``، ؛ ؟`` and the like, and ``+``) is
    removed, except that in an email-like string (one that contains ``@``) the characters
    ``@ + . _ -`` are kept. So "عبد الله", "عبد‌الله" and "عبدالله" share a key, as do
    "علي" and "علی", and "۰۹۱۲" and "0912".
    """
    if not _is_cacheable(value):
        return _search_key.__wrapped__(value)
    return _search_key(value)


@lru_cache(maxsize=_CACHE_SIZE)
def _search_key(value: str) -> str:
    value = _WHITESPACE_RE.sub("", normalize_text(value))
    table = _SEARCH_KEY_STRIP_EMAIL if "@" in value else _SEARCH_KEY_STRIP
    return value.translate(table)


def name_key(*parts: str) -> str:
    """An order-independent key for a name given in parts, for duplicate blocking.

    The :func:`search_key` of each part (so spacing, ZWNJ, letter forms and digits inside a
    part do not matter), sorted and joined: a person's ``("علي", "رضايي")`` and
    ``("رضایی", "علی")`` share one key, as do ``("عبد الله", …)`` and ``("عبدالله", …)``.
    Empty when no part has letters or digits.
    """
    return "".join(sorted(key for key in map(search_key, parts) if key))
