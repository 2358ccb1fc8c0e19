"""Duplicate people across scripts: "Ali Rezaei" and «علی رضایی» are likely one person."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.contacts.duplicates import (
    DEFAULT_THRESHOLD,
    POSSIBLE_THRESHOLD,
    PersonRecord,
    Reason,
    find_person_duplicates,
    score_pair,
)

PHONE = "+989121234567"
OTHER_PHONE = "+989351112233"


def person(record_id: int, first: str, last: str, **values: Any) -> PersonRecord:
    return PersonRecord(id=record_id, first_name=first, last_name=last, **values)


def codes(reasons: tuple[Reason, ...]) -> list[str]:
    return [reason.code for reason in reasons]


def test_a_latin_and_a_persian_spelling_in_one_city_are_a_possible_duplicate() -> None:
    score, reasons = score_pair(
        person(1, "Ali", "Rezaei", city="تهران"), person(2, "علی", "رضایی", city="تهران")
    )

    assert score == 0.4013
    assert POSSIBLE_THRESHOLD <= score < DEFAULT_THRESHOLD
    assert codes(reasons) == ["latin_name", "same_city"]
    assert reasons[0].text("en") == "similar Latin name"


def test_the_city_may_be_in_latin_letters_too() -> None:
    score, reasons = score_pair(
        person(1, "Mohammad", "Hosseini", city="Tehran"),
        person(2, "محمد", "حسینی", city="تهران"),
    )

    assert score == 0.4013
    assert codes(reasons) == ["latin_name", "same_city"]


def test_with_a_shared_phone_it_is_a_likely_duplicate() -> None:
    score, reasons = score_pair(
        person(1, "Zahra", "Kazemi", phones=(PHONE,)),
        person(2, "زهرا", "کاظمی", phones=(PHONE,)),
    )

    assert score == 0.9677
    assert codes(reasons) == ["same_phone", "latin_name"]


def test_swapped_first_and_last_names_still_match_across_scripts() -> None:
    _score, reasons = score_pair(
        person(1, "Rezaee", "Mohamad", city="تهران"), person(2, "محمد", "رضایی", city="تهران")
    )

    assert codes(reasons) == ["latin_name", "same_city"]


def test_without_a_city_or_another_signal_the_name_alone_is_not_enough() -> None:
    score, reasons = score_pair(person(1, "Ali", "Rezaei"), person(2, "علی", "رضایی"))

    assert score == 0.2497
    assert score < POSSIBLE_THRESHOLD
    assert codes(reasons) == ["latin_name"]


def test_different_cities_make_it_unlikely() -> None:
    score, _reasons = score_pair(
        person(1, "Ali", "Rezaei", city="شیراز"), person(2, "علی", "رضایی", city="تهران")
    )

    assert score == 0.1419


@pytest.mark.parametrize(
    ("latin", "persian"),
    [
        (("Reza", "Karimi"), ("رضا", "کریم")),
        (("Hossein", "Ahmadi"), ("حسینی", "احمد")),
        (("Zahra", "Moradi"), ("زهره", "مرادی")),
        (("Mina", "Jafari"), ("مینو", "جعفری")),
    ],
)
def test_close_but_different_names_are_not_matched_across_scripts(
    latin: tuple[str, str], persian: tuple[str, str]
) -> None:
    score, reasons = score_pair(person(1, *latin, city="تهران"), person(2, *persian, city="تهران"))

    assert "latin_name" not in codes(reasons)
    assert score < POSSIBLE_THRESHOLD


def test_two_latin_spellings_are_still_compared_as_spellings() -> None:
    # The phonetic key only bridges scripts; Latin typos keep the usual similarity.
    _score, reasons = score_pair(
        person(1, "Ali", "Rezaei", city="تهران"), person(2, "Ali", "Rezaee", city="تهران")
    )

    assert codes(reasons) == ["similar_name", "same_city"]


def test_the_review_list_finds_cross_script_pairs_by_city_and_key() -> None:
    records = [
        person(1, "علی", "رضایی", city="تهران"),
        person(2, "Ali", "Rezaei", city="Tehran", phones=(OTHER_PHONE,)),
        person(3, "علی", "رضایی", city="شیراز"),
        person(4, "Ali", "Rezaei", city="اصفهان"),
        person(5, "رضا", "علوی", city="تهران"),
    ]

    found = find_person_duplicates(records, threshold=POSSIBLE_THRESHOLD)

    assert [(pair.first_id, pair.second_id, pair.score) for pair in found] == [(1, 2, 0.4013)]
    assert codes(found[0].reasons) == ["latin_name", "same_city"]
