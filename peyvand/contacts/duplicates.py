"""Likely duplicate contacts and companies: Persian-aware, explained, and linear in practice.

How it works
============

1. **Prepare** each record once: names go through :func:`~peyvand.common.persian.search_key`
   (Arabic ي/ك, digits, ZWNJ and spaces inside a name no longer matter; results are memoized
   because real name columns repeat a lot), emails are lower-cased, national IDs that are not
   valid (checksum) are ignored.
2. **Block**: records are grouped by keys that a duplicate very likely shares, and only records
   in one group are compared, so the work is about linear in the number of records:

   * each phone (E.164), each email, the national ID;
   * names, within one city: the order-independent name key
     (:func:`~peyvand.common.persian.name_key`, so swapped first/last names meet) and that key
     with any one character deleted (the "deletion neighbourhood": two names at most one
     insertion, deletion, substitution or adjacent swap apart always share one such key, so a
     typo still meets its original).

   A group larger than :data:`MAX_BLOCK_SIZE` says little (a switchboard number shared by a
   whole company; «محمد محمدی» in Tehran) and would make the work quadratic, so an identifier
   group is split by name key (people sharing the number *and* the name are still compared)
   and a name group is dropped.

   Name groups can only matter when a pair that shares *no* phone, email or national ID can
   reach the threshold. It cannot at :data:`DEFAULT_THRESHOLD` (see below), so they are only
   built for thresholds at or below :data:`NAME_ONLY_MAX_SCORE`; the result is the same either
   way, only faster. Same-name pairs in different cities or without a city are not looked for:
   they score at most 0.27.
3. **Score** each candidate pair once (:func:`score_pair`) as a sum of log-odds weights turned
   into a probability: a shared national ID is near proof and two different valid national
   IDs are a veto; a shared phone or email is strong; name similarity (rapidfuzz on the
   normalized names, in both orders, so swapped first/last names match) decides whether the
   shared identifier belongs to the same person or to a relative; the same city adds a little.
   Over a whole data set the frequency of each name part is known too, so two close but
   established first names («مینا»/«سینا») are told apart from a typo («مینا»/«مینه»).

Decisions worth knowing
=======================

* **A name alone is not enough.** In a real Iranian database thousands of people are called
  «علی محمدی»; the same name in the same city without any shared phone, email or national ID
  scores at most :data:`NAME_ONLY_MAX_SCORE` (about 0.43): a "possible" duplicate that a
  reviewer may list with ``threshold=POSSIBLE_THRESHOLD``, never a likely one.
* **Family members sharing a phone are not duplicates.** A shared phone (or email) with the
  same last name but a different first name (reason ``different_first_name``) scores at most
  about 0.55, below the threshold: such pairs are not returned (merging them would be wrong),
  even though the shared phone is a real link between the records.
* **Different valid national IDs** outweigh everything else: two people.
"""

from __future__ import annotations

import gc
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from rapidfuzz.fuzz import ratio, token_sort_ratio

from peyvand.common.persian import is_farsi, normalize_text, search_key, to_persian_digits
from peyvand.common.validators import normalize_company_national_id, normalize_national_id

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from .models import Company, Contact

__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_BLOCK_SIZE",
    "NAME_ONLY_MAX_SCORE",
    "POSSIBLE_THRESHOLD",
    "CompanyRecord",
    "DuplicatePair",
    "PersonRecord",
    "Reason",
    "company_core_name",
    "company_records",
    "find_company_duplicates",
    "find_person_duplicates",
    "likely_duplicates_for",
    "person_records",
    "score_company_pair",
    "score_pair",
]

# --- Public data types ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """What duplicate detection knows about one contact.

    ``phones`` are E.164 (as stored), ``emails`` lower-case, ``national_id`` the 10 digits or
    empty. ``id`` is the contact's primary key (``0`` for a contact not saved yet).
    """

    id: int
    first_name: str
    last_name: str
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    national_id: str = ""
    city: str = ""


@dataclass(frozen=True, slots=True)
class CompanyRecord:
    """What duplicate detection knows about one company (phones in E.164)."""

    id: int
    name: str
    national_id: str = ""
    phones: tuple[str, ...] = ()
    city: str = ""


# English source strings; the Persian translation lives in the project's .po file.
_REASON_MESSAGES: dict[str, str] = {
    "same_phone": gettext_noop("same phone"),  # fa: تلفن یکسان
    "same_email": gettext_noop("same email"),  # fa: ایمیل یکسان
    "same_national_id": gettext_noop("same national ID"),  # fa: کد ملی یکسان
    "same_name": gettext_noop("same name"),  # fa: نام یکسان
    "similar_name": gettext_noop("name %(percent)s%% similar"),  # fa: نام %(percent)s٪ مشابه
    "swapped_name": gettext_noop("first and last name swapped"),  # fa: جابه‌جایی نام و نام خانوادگی
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


@dataclass(slots=True)
class _Person:
    """A :class:`PersonRecord` with its matching forms computed once."""

    id: int
    first: str
    last: str
    full: str  # "first last" (search keys)
    reversed: str  # "last first"
    name_key: str  # sorted parts, concatenated: the stored Contact.name_key
    phones: frozenset[str]
    emails: frozenset[str]
    national_id: str
    city: str


def _prepare_person(record: PersonRecord) -> _Person:
    first = _key(record.first_name)
    last = _key(record.last_name)
    return _Person(
        id=record.id,
        first=first,
        last=last,
        full=f"{first} {last}".strip(),
        reversed=f"{last} {first}".strip(),
        name_key="".join(sorted(part for part in (first, last) if part)),
        phones=frozenset(phone for phone in record.phones if phone),
        emails=frozenset(email.strip().lower() for email in record.emails if email.strip()),
        national_id=_valid_national_id(record.national_id),
        city=_key(record.city),
    )


# --- Reasons (shared instances: they are immutable) -----------------------------------------

_SAME_PHONE = Reason("same_phone")
_SAME_EMAIL = Reason("same_email")
_SAME_NATIONAL_ID = Reason("same_national_id")
_SAME_NAME = Reason("same_name")
_SWAPPED_NAME = Reason("swapped_name")
_SAME_CITY = Reason("same_city")
_DIFFERENT_NATIONAL_ID = Reason("different_national_id")
_DIFFERENT_FIRST_NAME = Reason("different_first_name")
_SIMILAR_NAME = {percent: Reason("similar_name", percent) for percent in range(101)}


def _are_distinct_names(first: str, second: str, name_counts: Mapping[str, int] | None) -> bool:
    """Whether two different first names belong to two people rather than one typo.

    Clearly different spellings (under 60% similar) always do. Close ones ("مینا"/"سینا",
    "حمید"/"محمد") do when the whole data set is known (``name_counts``: how often each name
    part occurs) and both are established names of comparable frequency: a typo is rare next
    to the name it was meant to be.
    """
    if ratio(first, second) < _FIRST_NAME_DIFFERENT_PERCENT:
        return True
    if not name_counts:
        return False
    first_count = name_counts.get(first, 0)
    second_count = name_counts.get(second, 0)
    rarer, commoner = sorted((first_count, second_count))
    return rarer >= _ESTABLISHED_NAME_COUNT and commoner <= _TYPO_FREQUENCY_RATIO * rarer


def _name_weight(
    a: _Person, b: _Person, reasons: list[Reason], name_counts: Mapping[str, int] | None
) -> float:
    """The name evidence: exact (in either order), similar, a relative's, or different."""
    if not a.full or not b.full:
        return 0.0
    if a.name_key == b.name_key:
        is_swapped = a.first != b.first and a.first == b.last and a.last == b.first
        reasons.append(_SWAPPED_NAME if is_swapped else _SAME_NAME)
        return _NAME_EXACT
    straight = ratio(a.full, b.full)
    swapped = ratio(a.full, b.reversed)
    is_swapped = swapped > straight
    similarity = swapped if is_swapped else straight
    # A relative: the same family name with another first name.
    other_first, other_last = (b.last, b.first) if is_swapped else (b.first, b.last)
    if (
        a.first
        and a.last
        and other_first
        and other_last
        and a.first != other_first
        and ratio(a.last, other_last) >= _LAST_NAME_SAME_PERCENT
        and _are_distinct_names(a.first, other_first, name_counts)
    ):
        reasons.append(_DIFFERENT_FIRST_NAME)
        return min(_NAME_WEAK, _NAME_WEIGHTS[_name_band(similarity)]) + _FIRST_NAME_DIFFERENT
    band = _name_band(similarity)
    if band != "different":
        if is_swapped:
            reasons.append(_SWAPPED_NAME)
        reasons.append(_SIMILAR_NAME[int(similarity)])
    return _NAME_WEIGHTS[band]


def _name_band(similarity: float) -> str:
    if similarity >= _NAME_CLOSE_PERCENT:
        return "close"
    if similarity >= _NAME_NEAR_PERCENT:
        return "near"
    if similarity >= _NAME_WEAK_PERCENT:
        return "weak"
    return "different"


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


def _score_people(
    a: _Person, b: _Person, name_counts: Mapping[str, int] | None = None
) -> tuple[float, tuple[Reason, ...]]:
    reasons: list[Reason] = []
    log_odds = _PRIOR
    log_odds += _national_id_evidence(a.national_id, b.national_id, reasons)
    shared = 0
    if a.phones and b.phones:
        if a.phones.isdisjoint(b.phones):
            log_odds += _PHONES_DIFFERENT
        else:
            reasons.append(_SAME_PHONE)
            shared += 1
    if a.emails and b.emails:
        if a.emails.isdisjoint(b.emails):
            log_odds += _EMAILS_DIFFERENT
        else:
            reasons.append(_SAME_EMAIL)
            shared += 1
    if shared:
        log_odds += _IDENTIFIER_SHARED + _IDENTIFIER_SHARED_MORE * (shared - 1)
    log_odds += _name_weight(a, b, reasons, name_counts)
    if a.city and b.city:
        if a.city == b.city:
            reasons.append(_SAME_CITY)
            log_odds += _CITY_SAME
        else:
            log_odds += _CITY_DIFFERENT
    return round(_probability(log_odds), 4), tuple(reasons)


def score_pair(
    a: PersonRecord, b: PersonRecord, *, name_counts: Mapping[str, int] | None = None
) -> tuple[float, tuple[Reason, ...]]:
    """How likely ``a`` and ``b`` are one person (0–1), and why.

    Reasons come strongest first: identifiers (same or different national ID, same phone,
    same email), then the name (same, swapped, ``similar_name`` with its percentage, or
    ``different_first_name`` for a relative), then the city. ``name_counts`` (how often each
    normalized name part occurs in the data set, as :func:`find_person_duplicates` computes
    it) lets close but established first names such as «مینا» and «سینا» count as different.
    """
    return _score_people(_prepare_person(a), _prepare_person(b), name_counts)


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


def _person_candidate_pairs(people: Sequence[_Person], *, with_names: bool) -> set[int]:
    """Index pairs sharing a phone, an email or a national ID (and, ``with_names``, a city
    and a name at most one edit apart). The three identifier kinds cannot collide (E.164
    starts with "+", an email has "@", a national ID is 10 digits), so they share one map."""
    count = len(people)
    identifiers = _Blocks()
    for index, person in enumerate(people):
        for phone in person.phones:
            identifiers.add(phone, index)
        for email in person.emails:
            identifiers.add(email, index)
        if person.national_id:
            identifiers.add(person.national_id, index)
    pairs: set[int] = set()
    _add_pairs(identifiers.shared.values(), lambda index: people[index].name_key, pairs, count)
    if with_names:
        names = _Blocks()
        for index, person in enumerate(people):
            if person.name_key and person.city:
                prefix = person.city + "\x1f"
                for key in _deletion_keys(person.name_key):
                    names.add(prefix + key, index)
        _add_pairs(names.shared.values(), None, pairs, count)
    return pairs


def find_person_duplicates(
    records: Iterable[PersonRecord], *, threshold: float = DEFAULT_THRESHOLD
) -> list[DuplicatePair]:
    """Every pair of records scoring at least ``threshold``, best first, each pair once.

    Only records sharing a block are compared (see the module docstring), so a million
    contacts take a linear pass plus a few hundred thousand pair scores.
    """
    with _without_cyclic_gc():
        people = [_prepare_person(record) for record in records]
        count = len(people)
        name_counts: Counter[str] = Counter(person.first for person in people if person.first)
        name_counts.update(person.last for person in people if person.last)
        with_names = threshold <= NAME_ONLY_MAX_SCORE
        found: list[DuplicatePair] = []
        for code in _person_candidate_pairs(people, with_names=with_names):
            a, b = people[code // count], people[code % count]
            if a.id == b.id:
                continue
            score, reasons = _score_people(a, b, name_counts)
            if score >= threshold:
                low, high = (a.id, b.id) if a.id < b.id else (b.id, a.id)
                found.append(DuplicatePair(low, high, score, reasons))
    found.sort(key=lambda pair: (-pair.score, pair.first_id, pair.second_id))
    return found


# --- Reading from the database ---------------------------------------------------------------

CHUNK_SIZE = 5000


def person_records(
    queryset: QuerySet[Contact], *, chunk_size: int = CHUNK_SIZE
) -> Iterator[PersonRecord]:
    """Stream the contacts of ``queryset`` as :class:`PersonRecord`, in primary key order.

    Three queries per ``chunk_size`` contacts (the rows, their phones, their emails) with
    keyset pagination on the primary key (so memory stays flat on a million rows); no model
    instances are built.
    """
    from .models import ContactEmail, ContactPhone

    rows = queryset.order_by("pk").values_list(
        "pk", "first_name", "last_name", "national_id", "city"
    )
    last_id = 0
    while True:
        chunk = list(rows.filter(pk__gt=last_id)[:chunk_size])
        if not chunk:
            return
        ids = [row[0] for row in chunk]
        phones: dict[int, list[str]] = defaultdict(list)
        for contact_id, number in (
            ContactPhone.objects.filter(contact_id__in=ids)
            .order_by("contact_id", "position", "id")
            .values_list("contact_id", "number")
        ):
            phones[contact_id].append(number)
        emails: dict[int, list[str]] = defaultdict(list)
        for contact_id, address in (
            ContactEmail.objects.filter(contact_id__in=ids)
            .order_by("contact_id", "position", "id")
            .values_list("contact_id", "address")
        ):
            emails[contact_id].append(address)
        for contact_id, first_name, last_name, national_id, city in chunk:
            yield PersonRecord(
                id=contact_id,
                first_name=first_name,
                last_name=last_name,
                phones=tuple(phones.get(contact_id, ())),
                emails=tuple(emails.get(contact_id, ())),
                national_id=national_id,
                city=city,
            )
        if len(chunk) < chunk_size:
            return
        last_id = ids[-1]


_CANDIDATES_PER_KEY = 50


def likely_duplicates_for(
    values: PersonRecord,
    candidates_queryset: QuerySet[Contact],
    *,
    limit: int = 5,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[tuple[int, float, tuple[Reason, ...]]]:
    """Existing contacts that ``values`` (a contact being created or edited) likely duplicates.

    Candidates are looked up only through indexed columns (phone number, email address,
    national ID, name key) and only inside ``candidates_queryset``, which the caller has
    already scoped to what the user may see (``contacts_visible_to(user)``); it is only ever
    narrowed. At most 50 candidates per key are scored (the newest). Returns
    ``(contact_id, score, reasons)`` scoring at least ``threshold``, best first, at most
    ``limit``. The contact itself (``values.id``) is never returned.
    """
    from peyvand.common.persian import name_key

    from .models import ContactEmail, ContactPhone

    scoped = candidates_queryset.order_by()
    if values.id:
        scoped = scoped.exclude(pk=values.id)
    lookups = []
    phones = [phone for phone in values.phones if phone]
    if phones:
        lookups.append(
            scoped.filter(
                pk__in=ContactPhone.objects.filter(number__in=phones).values("contact_id")
            )
        )
    emails = [email.strip().lower() for email in values.emails if email.strip()]
    if emails:
        lookups.append(
            scoped.filter(
                pk__in=ContactEmail.objects.filter(address__in=emails).values("contact_id")
            )
        )
    national_id = _valid_national_id(values.national_id)
    if national_id:
        lookups.append(scoped.filter(national_id=national_id))
    key = name_key(values.first_name, values.last_name)[:200]
    if key and threshold <= NAME_ONLY_MAX_SCORE:
        lookups.append(scoped.filter(name_key=key))
    candidate_ids: set[int] = set()
    for lookup in lookups:
        candidate_ids.update(
            lookup.order_by("-pk").values_list("pk", flat=True)[:_CANDIDATES_PER_KEY]
        )
    if not candidate_ids:
        return []
    target = _prepare_person(values)
    scored: list[tuple[int, float, tuple[Reason, ...]]] = []
    for record in person_records(scoped.filter(pk__in=candidate_ids)):
        score, reasons = _score_people(target, _prepare_person(record))
        if score >= threshold:
            scored.append((record.id, score, reasons))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:limit]


# --- Companies -------------------------------------------------------------------------------

# Words that say what kind of organisation it is, not which one (compared after normalize_text).
_COMPANY_FORM_PHRASES = tuple(
    normalize_text(phrase) for phrase in ("سهامی خاص", "سهامی عام", "مسئولیت محدود")
)
_COMPANY_FORM_WORDS = frozenset(
    normalize_text(word)
    for word in (
        "شرکت",
        "گروه",
        "بازرگانی",
        "تعاونی",
        "مؤسسه",
        "موسسه",
        "هلدینگ",
        "سهامی",
        "co",
        "company",
        "corp",
        "corporation",
        "group",
        "inc",
        "llc",
        "ltd",
        "limited",
        "pjs",
        "plc",
    )
)
_COMPANY_PUNCTUATION = str.maketrans(dict.fromkeys(".,()[]«»\"'-_/\\،؛&", " "))


def company_core_name(name: str) -> str:
    """A company name without legal-form and generic words, normalized, words space-separated.

    «شرکت بازرگانی آریا نوین (سهامی خاص)» and "Arya Novin Co. Ltd" keep only the words that
    say *which* company it is: «اریا نوین» and "arya novin". When nothing else is left the
    normalized name is kept whole.
    """
    text = normalize_text(name).translate(_COMPANY_PUNCTUATION)
    for phrase in _COMPANY_FORM_PHRASES:
        text = text.replace(phrase, " ")
    words = [word for word in text.split() if word not in _COMPANY_FORM_WORDS]
    if not words:
        words = normalize_text(name).translate(_COMPANY_PUNCTUATION).split()
    return " ".join(words)


def _valid_company_id(value: str) -> str:
    if not value:
        return ""
    try:
        return normalize_company_national_id(value)
    except ValidationError:
        return ""


@dataclass(slots=True)
class _Company:
    id: int
    core: str  # words, space separated
    compact: str  # the core without spaces: «آریا نوین» == «آریانوین»
    words: tuple[str, ...]
    phones: frozenset[str]
    national_id: str
    city: str


def _prepare_company(record: CompanyRecord) -> _Company:
    core = company_core_name(record.name)
    return _Company(
        id=record.id,
        core=core,
        compact=core.replace(" ", ""),
        words=tuple(core.split()),
        phones=frozenset(phone for phone in record.phones if phone),
        national_id=_valid_company_id(record.national_id),
        city=_key(record.city),
    )


_COMPANY_NAME_SAME = 5.0
_COMPANY_NAME_CLOSE = 3.0
_COMPANY_NAME_NEAR = 1.5
_COMPANY_NAME_DIFFERENT = -2.0
_COMPANY_CITY_SAME = 0.5
_COMPANY_CITY_DIFFERENT = -1.5  # branches of a chain in other cities
_COMPANY_PHONE_SAME = 4.0


def _score_companies(a: _Company, b: _Company) -> tuple[float, tuple[Reason, ...]]:
    reasons: list[Reason] = []
    log_odds = _PRIOR
    log_odds += _national_id_evidence(a.national_id, b.national_id, reasons)
    if a.phones and b.phones and not a.phones.isdisjoint(b.phones):
        reasons.append(_SAME_PHONE)
        log_odds += _COMPANY_PHONE_SAME
    if a.compact and b.compact:
        if a.compact == b.compact:
            reasons.append(_SAME_NAME)
            log_odds += _COMPANY_NAME_SAME
        else:
            similarity = max(ratio(a.compact, b.compact), token_sort_ratio(a.core, b.core))
            if similarity >= _NAME_CLOSE_PERCENT:
                log_odds += _COMPANY_NAME_CLOSE
            elif similarity >= _NAME_NEAR_PERCENT:
                log_odds += _COMPANY_NAME_NEAR
            else:
                log_odds += _COMPANY_NAME_DIFFERENT
            if similarity >= _NAME_NEAR_PERCENT:
                reasons.append(_SIMILAR_NAME[int(similarity)])
    if a.city and b.city:
        if a.city == b.city:
            reasons.append(_SAME_CITY)
            log_odds += _COMPANY_CITY_SAME
        else:
            log_odds += _COMPANY_CITY_DIFFERENT
    return round(_probability(log_odds), 4), tuple(reasons)


def score_company_pair(a: CompanyRecord, b: CompanyRecord) -> tuple[float, tuple[Reason, ...]]:
    """How likely ``a`` and ``b`` are one company (0–1), and why.

    Names are compared after :func:`company_core_name` (legal-form words removed), so
    «شرکت آریا نوین» and «آریا نوین (سهامی خاص)» are the same name. The same core name in the
    same city is enough; in another city it is a branch or a namesake, not a duplicate.
    """
    return _score_companies(_prepare_company(a), _prepare_company(b))


def find_company_duplicates(
    records: Iterable[CompanyRecord], *, threshold: float = DEFAULT_THRESHOLD
) -> list[DuplicatePair]:
    """Every pair of companies scoring at least ``threshold``, best first, each pair once.

    Blocks: national ID, each phone, the compact core name, and each word of the core name
    (three letters or more) so a typo in one word still meets the others; blocks larger than
    :data:`MAX_BLOCK_SIZE` are split by city, then dropped.
    """
    companies = [_prepare_company(record) for record in records]
    count = len(companies)
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, company in enumerate(companies):
        if company.national_id:
            blocks["n" + company.national_id].append(index)
        for phone in company.phones:
            blocks["p" + phone].append(index)
        if company.compact:
            blocks["k" + company.compact].append(index)
        for word in set(company.words):
            if len(word) >= 3:
                blocks["w" + word].append(index)
    pairs: set[int] = set()
    _add_pairs(
        (members for members in blocks.values() if len(members) > 1),
        lambda index: companies[index].city,
        pairs,
        count,
    )
    found: list[DuplicatePair] = []
    for code in pairs:
        a, b = companies[code // count], companies[code % count]
        if a.id == b.id:
            continue
        score, reasons = _score_companies(a, b)
        if score >= threshold:
            low, high = (a.id, b.id) if a.id < b.id else (b.id, a.id)
            found.append(DuplicatePair(low, high, score, reasons))
    found.sort(key=lambda pair: (-pair.score, pair.first_id, pair.second_id))
    return found


def company_records(
    queryset: QuerySet[Company], *, chunk_size: int = CHUNK_SIZE
) -> Iterator[CompanyRecord]:
    """Stream the companies of ``queryset`` as :class:`CompanyRecord`, in primary key order."""
    rows = queryset.order_by("pk").values_list("pk", "name", "national_id", "phones", "city")
    last_id = 0
    while True:
        chunk = list(rows.filter(pk__gt=last_id)[:chunk_size])
        if not chunk:
            return
        for company_id, name, national_id, phones, city in chunk:
            yield CompanyRecord(
                id=company_id,
                name=name,
                national_id=national_id,
                phones=tuple(str(phone) for phone in phones or ()),
                city=city,
            )
        if len(chunk) < chunk_size:
            return
        last_id = chunk[-1][0]
