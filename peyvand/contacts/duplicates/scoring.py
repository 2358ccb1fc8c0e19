"""Shared pieces of duplicate detection: reasons, scoring weights, normalized keys, blocks."""

from __future__ import annotations

import gc
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from peyvand.common.persian import is_farsi, search_key, to_persian_digits
from peyvand.common.transliteration import phonetic_key
from peyvand.common.validators import normalize_national_id

_REASON_MESSAGES: dict[str, str] = {
    "same_phone": gettext_noop("same phone"),  # fa: تلفن یکسان
    "same_email": gettext_noop("same email"),  # fa: ایمیل یکسان
    "same_national_id": gettext_noop("same national ID"),  # fa: کد ملی یکسان
    "same_name": gettext_noop("same name"),  # fa: نام یکسان
    "similar_name": gettext_noop("name %(percent)s%% similar"),  # fa: نام %(percent)s٪ مشابه
    "swapped_name": gettext_noop("first and last name swapped"),  # fa: جابه‌جایی نام و نام خانوادگی
    "latin_name": gettext_noop("similar Latin name"),  # fa: نام لاتین مشابه
    "same_city": gettext_noop("same city"),  # fa: شهر یکسان
    "different_national_id": gettext_noop("different national IDs"),  # fa: کد ملی متفاوت
    "different_first_name": gettext_noop("different first names"),  # fa: نام کوچک متفاوت
}


@dataclass(frozen=True, slots=True)
class Reason:
    """One piece of evidence for (or against) a pair, e.g. ``Reason("similar_name", 92)``.

    ``code`` is stable for programs; :meth:`text` is the sentence for people.
    ``similarity`` is a percentage, set for ``similar_name``.
    """

    code: str
    similarity: int | None = None

    def text(self, language: str | None = None) -> str:
        """The translated sentence, in ``language`` or else the active language."""
        if language is not None:
            with translation.override(language):
                return self.text()
        message = gettext(_REASON_MESSAGES.get(self.code, self.code))
        if self.similarity is None:
            return message
        percent = str(self.similarity)
        if is_farsi(translation.get_language()):
            percent = to_persian_digits(percent)
        return message % {"percent": percent}

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two records that are likely the same person (or company): ``first_id < second_id``,
    ``score`` in 0–1 and the reasons, strongest first."""

    first_id: int
    second_id: int
    score: float
    reasons: tuple[Reason, ...]


# --- Scoring weights (log-odds) ---------------------------------------------------------------
# Chosen by reasoning about the cases below, then checked and adjusted on a 20,000-contact
# synthetic set (bench/dedupe.py --seed 11; reported runs use another seed): F1 is flat for
# thresholds 0.5-0.9, so 0.7 sits in the middle of a wide margin. The prior is the log-odds
# that two records sharing a block are one person before looking at them.

_PRIOR = -4.0
_NATIONAL_ID_SAME = 8.0
_NATIONAL_ID_DIFFERENT = -12.0
_IDENTIFIER_SHARED = 4.5  # the first shared phone or email
_IDENTIFIER_SHARED_MORE = 1.5  # each further one: they are correlated evidence
_PHONES_DIFFERENT = -1.0  # both have phones and none is shared (people do change numbers)
_EMAILS_DIFFERENT = -0.5
_NAME_EXACT = 3.0
_NAME_CLOSE = 2.5  # one typo
_NAME_NEAR = 1.5  # two typos
_NAME_WEAK = 0.0
_NAME_DIFFERENT = -3.0
# One name in Latin letters, the other in Persian, with one phonetic key ("Ali Rezaei",
# «علی رضایی»): a shade weaker than the same name, since keys drop vowels. With the same
# city the pair is a possible duplicate (≈ 0.40); with a shared phone or email, a likely one.
_NAME_TRANSLITERATED = 2.9
_FIRST_NAME_DIFFERENT = -2.5  # same family name, different person (a relative)
_CITY_SAME = 0.7
_CITY_DIFFERENT = -0.7

_NAME_WEIGHTS = {
    "close": _NAME_CLOSE,
    "near": _NAME_NEAR,
    "weak": _NAME_WEAK,
    "different": _NAME_DIFFERENT,
}
_NAME_CLOSE_PERCENT = 88
_NAME_NEAR_PERCENT = 80
_NAME_WEAK_PERCENT = 70
_FIRST_NAME_DIFFERENT_PERCENT = 60
_LAST_NAME_SAME_PERCENT = 80
_ESTABLISHED_NAME_COUNT = 3  # seen at least this often in the data set: a real name
_TYPO_FREQUENCY_RATIO = 10  # a name this many times rarer than a similar one may be its typo


def _probability(log_odds: float) -> float:
    return 1.0 / (1.0 + math.exp(-log_odds))


DEFAULT_THRESHOLD = 0.7
"""Pairs at or above this score are "likely duplicates"."""
POSSIBLE_THRESHOLD = 0.4
"""A lower bar for a review list of "possible duplicates" (it includes name-only matches)."""
NAME_ONLY_MAX_SCORE = _probability(_PRIOR + _NAME_EXACT + _CITY_SAME)
"""The best score a pair can get without a shared phone, email or national ID (≈ 0.43)."""
MAX_BLOCK_SIZE = 200
"""Blocks larger than this are split by a second key, and skipped when still larger."""


# --- Preparing records ---------------------------------------------------------------------

_SEARCH_KEYS: dict[str, str] = {}


def _key(value: str) -> str:
    """Memoized :func:`search_key`: first names, last names and cities repeat a lot."""
    key = _SEARCH_KEYS.get(value)
    if key is None:
        key = search_key(value)
        if len(_SEARCH_KEYS) < 500_000:
            _SEARCH_KEYS[value] = key
    return key


_PHONETIC_KEYS: dict[str, str] = {}


def _phonetic(value: str) -> str:
    """Memoized :func:`phonetic_key` without spaces, of a search key: the key on which a
    Latin spelling and a Persian one of a name or a city meet."""
    key = _PHONETIC_KEYS.get(value)
    if key is None:
        key = phonetic_key(value).replace(" ", "")
        if len(_PHONETIC_KEYS) < 500_000:
            _PHONETIC_KEYS[value] = key
    return key


def _valid_national_id(value: str) -> str:
    """The 10-digit national ID, or "" when missing or not valid (it then proves nothing)."""
    if not value:
        return ""
    if len(value) == 10 and value.isascii() and value.isdigit():  # as stored: skip parsing
        total = sum(int(digit) * (10 - index) for index, digit in enumerate(value[:9])) % 11
        check = total if total < 2 else 11 - total
        is_valid = int(value[9]) == check and value.count(value[0]) != 10
        return value if is_valid else ""
    try:
        return normalize_national_id(value)
    except ValidationError:
        return ""


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while building millions of small objects.

    Prepared records, frozensets and pair codes hold no reference cycles, yet the collector
    would rescan them again and again as they grow (about 70% of the preparation time for
    a million contacts on Python 3.11). Reference counting still frees memory as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- Reasons (shared instances: they are immutable) -----------------------------------------

_SAME_PHONE = Reason("same_phone")
_SAME_EMAIL = Reason("same_email")
_SAME_NATIONAL_ID = Reason("same_national_id")
_SAME_NAME = Reason("same_name")
_SWAPPED_NAME = Reason("swapped_name")
_LATIN_NAME = Reason("latin_name")
_SAME_CITY = Reason("same_city")
_DIFFERENT_NATIONAL_ID = Reason("different_national_id")
_DIFFERENT_FIRST_NAME = Reason("different_first_name")
_SIMILAR_NAME = {percent: Reason("similar_name", percent) for percent in range(101)}


def _national_id_evidence(first: str, second: str, reasons: list[Reason]) -> float:
    """Log-odds from two (valid or empty) national IDs: the same is near proof, different
    ones rule a pair out; the reason is appended to ``reasons``."""
    if not (first and second):
        return 0.0
    if first == second:
        reasons.append(_SAME_NATIONAL_ID)
        return _NATIONAL_ID_SAME
    reasons.append(_DIFFERENT_NATIONAL_ID)
    return _NATIONAL_ID_DIFFERENT


# --- Blocking ------------------------------------------------------------------------------


def _deletion_keys(value: str) -> set[str]:
    """The value and every string made by deleting one character from it."""
    keys = {value}
    keys.update(value[:index] + value[index + 1 :] for index in range(len(value)))
    return keys


class _Blocks:
    """Record indexes grouped by key; a list is only made for a key seen twice.

    Most keys (a phone, an email) belong to one record; not allocating a list for each of
    them saves a third of the blocking time for a million contacts.
    """

    __slots__ = ("first", "shared")

    def __init__(self) -> None:
        self.first: dict[str, int] = {}
        self.shared: dict[str, list[int]] = {}

    def add(self, key: str, index: int) -> None:
        seen = self.first.setdefault(key, index)
        if seen != index:
            self.shared.setdefault(key, [seen]).append(index)


def _add_pairs(
    blocks: Iterable[list[int]],
    split_key: Callable[[int], str] | None,
    pairs: set[int],
    count: int,
) -> None:
    """Add every index pair (encoded ``low * count + high``) of each block to ``pairs``.

    A block larger than :data:`MAX_BLOCK_SIZE` is split by ``split_key(index)`` (or dropped
    when ``split_key`` is None); a part still too large is dropped. Indexes in a block are
    in increasing order, so ``low < high``.
    """
    for members in blocks:
        if len(members) > MAX_BLOCK_SIZE:
            if split_key is not None:
                parts: dict[str, list[int]] = defaultdict(list)
                for index in members:
                    key = split_key(index)
                    if key:
                        parts[key].append(index)
                _add_pairs(parts.values(), None, pairs, count)
            continue
        for position, low in enumerate(members):
            base = low * count
            pairs.update(base + high for high in members[position + 1 :])


_Prepared = TypeVar("_Prepared")
Match = tuple[int, float, tuple[Reason, ...]]


def best_matches(
    target: _Prepared,
    candidates: Iterable[_Prepared],
    score: Callable[[_Prepared, _Prepared], tuple[float, tuple[Reason, ...]]],
    *,
    record_id: Callable[[_Prepared], int],
    threshold: float,
    limit: int,
) -> list[Match]:
    """``(id, score, reasons)`` of the candidates scoring at least ``threshold`` against
    ``target``: best first (the older record first on a tie), at most ``limit``."""
    scored: list[Match] = []
    for candidate in candidates:
        value, reasons = score(target, candidate)
        if value >= threshold:
            scored.append((record_id(candidate), value, reasons))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:limit]
