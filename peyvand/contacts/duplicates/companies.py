"""Duplicate companies: legal-form words stripped, then national ID, phone and name."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from rapidfuzz.fuzz import ratio, token_sort_ratio

from peyvand.common.bulk import list_items_matching
from peyvand.common.persian import normalize_text, search_key
from peyvand.common.validators import normalize_company_national_id

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from peyvand.contacts.models import Company

from .people import _CANDIDATES_PER_KEY, CHUNK_SIZE
from .scoring import (
    _NAME_CLOSE_PERCENT,
    _NAME_NEAR_PERCENT,
    _PRIOR,
    _SAME_CITY,
    _SAME_NAME,
    _SAME_PHONE,
    _SIMILAR_NAME,
    DEFAULT_THRESHOLD,
    DuplicatePair,
    Match,
    Reason,
    _add_pairs,
    _key,
    _national_id_evidence,
    _probability,
    best_matches,
)


@dataclass(frozen=True, slots=True)
class CompanyRecord:
    """What duplicate detection knows about one company (phones in E.164)."""

    id: int
    name: str
    national_id: str = ""
    phones: tuple[str, ...] = ()
    city: str = ""


# English source strings; the Persian translation lives in the project's .po file.

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


# A name shorter than this (its core, without spaces) finds too many companies to be a clue.
_MIN_NAME_CLUE = 3


def likely_company_duplicates_for(
    values: CompanyRecord,
    candidates_queryset: QuerySet[Company],
    *,
    limit: int = 5,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Match]:
    """Existing companies that ``values`` (a company being created) likely duplicates.

    As :func:`~.people.likely_duplicates_for`: candidates only inside
    ``candidates_queryset`` (already scoped to what the user may see), found by indexed
    lookups: national ID, any phone, and names holding the core name (legal-form words
    removed, so «شرکت آریا نوین» finds «آریا نوین (سهامی خاص)»; a trigram index serves it
    on PostgreSQL); the newest 50 per clue are scored. Returns ``(company_id, score,
    reasons)`` scoring at least ``threshold``, best first, at most ``limit``.
    """
    scoped = candidates_queryset.order_by()
    if values.id:
        scoped = scoped.exclude(pk=values.id)
    candidate_ids: set[int] = set()
    lookups = []
    national_id = _valid_company_id(values.national_id)
    if national_id:
        lookups.append(scoped.filter(national_id=national_id))
    core = search_key(company_core_name(values.name))
    if len(core) >= _MIN_NAME_CLUE:
        lookups.append(scoped.filter(search_text__contains=core))
    for lookup in lookups:
        candidate_ids.update(
            lookup.order_by("-pk").values_list("pk", flat=True)[:_CANDIDATES_PER_KEY]
        )
    phones = [phone for phone in values.phones if phone]
    found_by_phone = sorted(pk for (pk,) in list_items_matching(scoped, "phones", phones, "pk"))
    candidate_ids.update(found_by_phone[-_CANDIDATES_PER_KEY:])
    if not candidate_ids:
        return []
    return best_matches(
        _prepare_company(values),
        map(_prepare_company, company_records(scoped.filter(pk__in=candidate_ids))),
        _score_companies,
        record_id=lambda company: company.id,
        threshold=threshold,
        limit=limit,
    )
