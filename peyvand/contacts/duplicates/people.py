"""Duplicate people: scoring pairs of contacts, blocking, the database readers."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz.fuzz import ratio

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from peyvand.contacts.models import Contact

from .scoring import (
    _CITY_DIFFERENT,
    _CITY_SAME,
    _DIFFERENT_FIRST_NAME,
    _EMAILS_DIFFERENT,
    _ESTABLISHED_NAME_COUNT,
    _FIRST_NAME_DIFFERENT,
    _FIRST_NAME_DIFFERENT_PERCENT,
    _IDENTIFIER_SHARED,
    _IDENTIFIER_SHARED_MORE,
    _LAST_NAME_SAME_PERCENT,
    _LATIN_NAME,
    _NAME_CLOSE_PERCENT,
    _NAME_EXACT,
    _NAME_NEAR_PERCENT,
    _NAME_TRANSLITERATED,
    _NAME_WEAK,
    _NAME_WEAK_PERCENT,
    _NAME_WEIGHTS,
    _PHONES_DIFFERENT,
    _PRIOR,
    _SAME_CITY,
    _SAME_EMAIL,
    _SAME_NAME,
    _SAME_PHONE,
    _SIMILAR_NAME,
    _SWAPPED_NAME,
    _TYPO_FREQUENCY_RATIO,
    DEFAULT_THRESHOLD,
    MAX_BLOCK_SIZE,
    NAME_ONLY_MAX_SCORE,
    DuplicatePair,
    Match,
    Reason,
    _add_pairs,
    _Blocks,
    _deletion_keys,
    _key,
    _national_id_evidence,
    _phonetic,
    _probability,
    _valid_national_id,
    _without_cyclic_gc,
    best_matches,
)

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
    is_latin: bool  # the name is written in Latin letters (phonetic keys come on demand)


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
        # Search keys are case-folded: a Latin name's are ASCII, a Persian one's are not.
        is_latin=first.isascii() and last.isascii(),
    )


def _name_phonetic(person: _Person) -> str:
    """The phonetic keys of the first and last name, sorted (so a swap still matches)."""
    return "|".join(sorted(key for key in (_phonetic(person.first), _phonetic(person.last)) if key))


def _is_cross_script(a: _Person, b: _Person) -> bool:
    """One name in Latin letters and the other in Persian."""
    return a.is_latin != b.is_latin


def _same_city(a: _Person, b: _Person) -> bool:
    """The same city, also across scripts ("Tehran", «تهران») when the names are."""
    if a.city == b.city:
        return True
    if not _is_cross_script(a, b):
        return False
    key = _phonetic(a.city)
    return bool(key) and key == _phonetic(b.city)


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
    if _is_cross_script(a, b) and (key := _name_phonetic(a)) and key == _name_phonetic(b):
        # "Ali Rezaei" and «علی رضایی» (in either order): the same name in two scripts.
        reasons.append(_LATIN_NAME)
        return _NAME_TRANSLITERATED
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
        if _same_city(a, b):
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
        _add_cross_script_pairs(people, pairs)
    return pairs


def _add_cross_script_pairs(people: Sequence[_Person], pairs: set[int]) -> None:
    """Pairs of a Latin-lettered name and a Persian one with the same phonetic keys of name
    and city. Only the (usually few) Latin names are indexed; Persian ones are looked up,
    and only when there is a Latin name at all."""
    count = len(people)
    latin: dict[str, list[int]] = defaultdict(list)
    for index, person in enumerate(people):
        if person.is_latin and person.full and person.city:
            latin[f"{_phonetic(person.city)}\x1f{_name_phonetic(person)}"].append(index)
    if not latin:
        return
    for index, person in enumerate(people):
        if person.is_latin or not (person.full and person.city):
            continue
        matches = latin.get(f"{_phonetic(person.city)}\x1f{_name_phonetic(person)}")
        if matches and len(matches) <= MAX_BLOCK_SIZE:
            pairs.update(min(index, other) * count + max(index, other) for other in matches)


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
    from peyvand.contacts.models import ContactEmail, ContactPhone

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
) -> list[Match]:
    """Existing contacts that ``values`` (a contact being created or edited) likely duplicates.

    Candidates are looked up only through indexed columns (phone number, email address,
    national ID, name key) and only inside ``candidates_queryset``, which the caller has
    already scoped to what the user may see (``contacts_visible_to(user)``); it is only ever
    narrowed. At most 50 candidates per key are scored (the newest). Returns
    ``(contact_id, score, reasons)`` scoring at least ``threshold``, best first, at most
    ``limit``. The contact itself (``values.id``) is never returned.
    """
    from peyvand.common.persian import name_key
    from peyvand.contacts.models import ContactEmail, ContactPhone

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
    return best_matches(
        _prepare_person(values),
        map(_prepare_person, person_records(scoped.filter(pk__in=candidate_ids))),
        _score_people,
        record_id=lambda person: person.id,
        threshold=threshold,
        limit=limit,
    )
