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

from .companies import (
    CompanyRecord,
    company_core_name,
    company_records,
    find_company_duplicates,
    likely_company_duplicates_for,
    score_company_pair,
)
from .people import (
    PersonRecord,
    find_person_duplicates,
    likely_duplicates_for,
    person_records,
    score_pair,
)
from .scoring import (
    DEFAULT_THRESHOLD,
    MAX_BLOCK_SIZE,
    NAME_ONLY_MAX_SCORE,
    POSSIBLE_THRESHOLD,
    DuplicatePair,
    Match,
    Reason,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_BLOCK_SIZE",
    "NAME_ONLY_MAX_SCORE",
    "POSSIBLE_THRESHOLD",
    "CompanyRecord",
    "DuplicatePair",
    "Match",
    "PersonRecord",
    "Reason",
    "company_core_name",
    "company_records",
    "find_company_duplicates",
    "find_person_duplicates",
    "likely_company_duplicates_for",
    "likely_duplicates_for",
    "person_records",
    "score_company_pair",
    "score_pair",
]
