"""Duplicate detection: Persian-aware matching, explained reasons, blocking, and DB lookups."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from peyvand.accounts.models import User
from peyvand.common.validators import normalize_phone
from peyvand.contacts.demo_data import random_national_id
from peyvand.contacts.duplicates import (
    DEFAULT_THRESHOLD,
    MAX_BLOCK_SIZE,
    NAME_ONLY_MAX_SCORE,
    POSSIBLE_THRESHOLD,
    CompanyRecord,
    DuplicatePair,
    PersonRecord,
    Reason,
    company_core_name,
    company_records,
    find_company_duplicates,
    find_person_duplicates,
    likely_duplicates_for,
    person_records,
    score_company_pair,
    score_pair,
)
from peyvand.contacts.models import Company, Contact
from peyvand.contacts.selectors import contacts_visible_to
from peyvand.contacts.tests.factories import make_company, make_contact

PHONE = "+989121234567"
OTHER_PHONE = "+989351112233"

_ids = random.Random(5)
NATIONAL_ID = random_national_id(_ids)  # "9458073022"
OTHER_NATIONAL_ID = random_national_id(_ids)  # "1573681938"


def person(record_id: int, first: str, last: str, **values: Any) -> PersonRecord:
    return PersonRecord(id=record_id, first_name=first, last_name=last, **values)


def codes(reasons: tuple[Reason, ...]) -> list[str]:
    return [reason.code for reason in reasons]


# --- Persian-aware name matching -------------------------------------------------------------


def test_arabic_and_persian_letters_are_the_same_name() -> None:
    score, reasons = score_pair(
        person(1, "علي", "كريمي", phones=(PHONE,)), person(2, "علی", "کریمی", phones=(PHONE,))
    )
    assert score == 0.9707
    assert codes(reasons) == ["same_phone", "same_name"]


def test_phone_digit_forms_meet_once_normalized_by_the_caller() -> None:
    typed = ("۰۹۱۲ ۱۲۳ ۴۵۶۷", "+98 912 123 4567", "00989121234567", "0912-123-4567")
    records = [
        person(index, "مریم", "رضایی", phones=(normalize_phone(number),))
        for index, number in enumerate(typed, start=1)
    ]
    found = find_person_duplicates(records)
    assert [(pair.first_id, pair.second_id) for pair in found] == [
        (1, 2),
        (1, 3),
        (1, 4),
        (2, 3),
        (2, 4),
        (3, 4),
    ]
    assert {pair.score for pair in found} == {0.9707}
    assert all(codes(pair.reasons) == ["same_phone", "same_name"] for pair in found)


@pytest.mark.parametrize("spelling", ["عبد الله", "عبد\u200cالله", "عبدالله\u200c", " عبدالله "])
def test_zwnj_and_spaces_inside_a_name_do_not_matter(spelling: str) -> None:
    score, reasons = score_pair(
        person(1, "عبدالله", "نیک‌نام", emails=("a@example.ir",)),
        person(2, spelling, "نیک نام", emails=("A@Example.ir",)),
    )
    assert score == 0.9707
    assert codes(reasons) == ["same_email", "same_name"]


def test_swapped_first_and_last_name() -> None:
    score, reasons = score_pair(
        person(1, "کریمی", "علی", phones=(PHONE,)), person(2, "علي", "كريمي", phones=(PHONE,))
    )
    assert score == 0.9707
    assert codes(reasons) == ["same_phone", "swapped_name"]


def test_swapped_names_with_a_typo_are_similar_in_the_swapped_order() -> None:
    score, reasons = score_pair(
        person(1, "کریمی", "علی", phones=(PHONE,)), person(2, "علی", "کرمی", phones=(PHONE,))
    )
    assert score == 0.9526
    assert reasons == (Reason("same_phone"), Reason("swapped_name"), Reason("similar_name", 94))


def test_one_letter_typo_in_the_last_name_with_the_same_city_and_phone() -> None:
    score, reasons = score_pair(
        person(1, "مریم", "کاظمی", phones=(PHONE,), city="شیراز"),
        person(2, "مریم", "کازمی", phones=(PHONE,), city="شيراز"),
    )
    assert score == 0.9759
    assert reasons == (Reason("same_phone"), Reason("similar_name", 90), Reason("same_city"))


def test_a_typo_alone_is_only_a_possible_duplicate_found_through_the_fuzzy_name_block() -> None:
    records = [
        person(1, "مریم", "کاظمی", city="شیراز"),
        person(2, "مریم", "کازمی", city="شیراز"),
        person(3, "مریم", "کازمی", city="تبریز"),  # another city: not even possible
    ]
    assert score_pair(records[0], records[1])[0] == 0.31
    assert find_person_duplicates(records) == []
    assert find_person_duplicates(records, threshold=0.3) == [
        DuplicatePair(1, 2, 0.31, (Reason("similar_name", 90), Reason("same_city")))
    ]


def test_the_same_name_in_the_same_city_without_an_identifier_is_only_possible() -> None:
    records = [
        person(1, "علی", "محمدی", phones=(PHONE,), city="تهران"),
        person(2, "علي", "محمدي", city="تهران"),
    ]
    assert NAME_ONLY_MAX_SCORE < DEFAULT_THRESHOLD
    assert score_pair(*records) == (0.4256, (Reason("same_name"), Reason("same_city")))
    assert find_person_duplicates(records) == []
    assert [
        (p.first_id, p.second_id)
        for p in find_person_duplicates(records, threshold=POSSIBLE_THRESHOLD)
    ] == [(1, 2)]


def test_namesakes_with_different_phones_are_not_duplicates() -> None:
    score, reasons = score_pair(
        person(1, "علی", "محمدی", phones=(PHONE,), city="تهران"),
        person(2, "علی", "محمدی", phones=(OTHER_PHONE,), city="تهران"),
    )
    assert score == 0.2142
    assert codes(reasons) == ["same_name", "same_city"]


# --- Identifiers -------------------------------------------------------------------------------


def test_family_members_sharing_a_phone_are_not_duplicates() -> None:
    """Decision: a shared home phone with another first name is a relative, not a duplicate.
    score_pair still explains the link (same_phone, different_first_name); the pair is not
    returned at the default threshold."""
    father = person(1, "علی", "کریمی", phones=(PHONE,), city="شیراز")
    daughter = person(2, "مریم", "کریمی", phones=(PHONE,), city="شیراز")
    score, reasons = score_pair(father, daughter)
    assert score == 0.2142
    assert codes(reasons) == ["same_phone", "different_first_name", "same_city"]
    assert find_person_duplicates([father, daughter]) == []


def test_close_first_names_are_relatives_when_both_are_established_names() -> None:
    mina = person(1, "مینا", "شریفی", phones=(PHONE,), city="شیراز")
    sina = person(2, "سینا", "شریفی", phones=(PHONE,), city="شیراز")
    # Alone, "مینا"/"سینا" could be a typo...
    assert score_pair(mina, sina)[0] == 0.9759
    # ...but in a data set where both are common names, they are two people.
    assert score_pair(mina, sina, name_counts={"مینا": 40, "سینا": 35}) == (
        0.2142,
        (Reason("same_phone"), Reason("different_first_name"), Reason("same_city")),
    )
    # A rare spelling next to a common one is still a typo.
    typo = person(3, "مینه", "شریفی", phones=(PHONE,), city="شیراز")
    assert score_pair(mina, typo, name_counts={"مینا": 40, "مینه": 1})[0] == 0.9759
    many = [mina, sina] + [
        person(10 + index, name, "احمدی", phones=(f"+98912000{index:04d}",))
        for index, name in enumerate(["مینا", "سینا"] * 3)
    ]
    assert find_person_duplicates(many) == []


def test_different_national_ids_are_two_people_even_with_the_same_name_and_phone() -> None:
    score, reasons = score_pair(
        person(1, "علی", "کریمی", phones=(PHONE,), national_id=NATIONAL_ID, city="قم"),
        person(2, "علی", "کریمی", phones=(PHONE,), national_id=OTHER_NATIONAL_ID, city="قم"),
    )
    assert score == 0.0004
    assert codes(reasons) == ["different_national_id", "same_phone", "same_name", "same_city"]


def test_an_invalid_national_id_proves_nothing() -> None:
    score, reasons = score_pair(
        person(1, "علی", "کریمی", phones=(PHONE,), national_id=NATIONAL_ID),
        person(2, "علی", "کریمی", phones=(PHONE,), national_id="1234567890"),
    )
    assert score == 0.9707
    assert codes(reasons) == ["same_phone", "same_name"]


def test_the_same_national_id_is_a_duplicate_whatever_the_names() -> None:
    score, reasons = score_pair(
        person(1, "علی", "کریمی", national_id=NATIONAL_ID),
        person(2, "بهرام", "طاهری", national_id=NATIONAL_ID),
    )
    assert score == 0.7311
    assert codes(reasons) == ["same_national_id"]


def test_phone_and_email_together_are_stronger_than_either() -> None:
    both = score_pair(
        person(1, "سارا", "امینی", phones=(PHONE,), emails=("sara@example.ir",)),
        person(2, "سارا", "امینی", phones=(PHONE,), emails=("sara@example.ir",)),
    )
    assert both == (0.9933, (Reason("same_phone"), Reason("same_email"), Reason("same_name")))


# --- The whole-data-set search --------------------------------------------------------------


def test_each_pair_once_best_first_with_the_lower_id_first() -> None:
    records = [
        person(7, "سارا", "امینی", phones=(PHONE,), emails=("sara@example.ir",)),
        person(3, "سارا", "امینی", phones=(PHONE,)),
        person(5, "سارا", "امیني", emails=("sara@example.ir",), city="کرج"),
        person(9, "کامران", "نوری", phones=(OTHER_PHONE,)),
    ]
    found = find_person_duplicates(records)
    assert [(pair.first_id, pair.second_id, pair.score) for pair in found] == [
        (3, 7, 0.9707),
        (5, 7, 0.9707),
    ]


def test_a_huge_block_is_split_by_name_so_a_switchboard_number_does_not_pair_everyone() -> None:
    staff = [
        person(index, f"کارمند{index}", f"شماره{index}", phones=(PHONE,))
        for index in range(1, MAX_BLOCK_SIZE + 10)
    ]
    staff.append(person(1000, "کارمند1", "شماره1", phones=(PHONE,)))
    found = find_person_duplicates(staff)
    assert [(pair.first_id, pair.second_id) for pair in found] == [(1, 1000)]


def test_records_with_the_same_id_are_never_paired() -> None:
    record = person(1, "مریم", "رضایی", phones=(PHONE,))
    assert find_person_duplicates([record, record]) == []


# --- Reasons in words --------------------------------------------------------------------------


def test_reason_text_in_english() -> None:
    with translation.override("en"):
        assert str(Reason("same_phone")) == "same phone"
        assert str(Reason("similar_name", 92)) == "name 92% similar"
        assert str(Reason("swapped_name")) == "first and last name swapped"
        assert str(Reason("different_national_id")) == "different national IDs"
    assert Reason("same_city").text("en") == "same city"
    assert Reason("same_national_id").text("en") == "same national ID"


def test_reason_text_in_persian_does_not_crash_and_uses_persian_digits() -> None:
    with translation.override("fa"):
        for code in ("same_phone", "same_email", "same_name", "same_city", "swapped_name"):
            assert str(Reason(code))
        assert "۹۲" in str(Reason("similar_name", 92))
    assert "۹۲" in Reason("similar_name", 92).text("fa")


# --- Reading from the database -------------------------------------------------------------


@pytest.mark.django_db
def test_person_records_streams_contacts_with_phones_and_emails(
    django_assert_num_queries: Any,
) -> None:
    first = make_contact(
        first_name="علي",
        last_name="کریمی",
        phones=["۰۹۱۲ ۱۲۳ ۴۵۶۷", "09351112233"],
        emails=["Ali@Example.ir"],
        national_id=NATIONAL_ID,
        city="شیراز",
    )
    others = [make_contact(first_name=f"نفر{index}") for index in range(4)]
    with django_assert_num_queries(3 * 3):  # 2 + 2 + 1 contacts: three chunks, 3 queries each
        records = list(person_records(Contact.objects.all(), chunk_size=2))
    assert [record.id for record in records] == [first.pk, *(other.pk for other in others)]
    assert records[0] == PersonRecord(
        id=first.pk,
        first_name="علی",
        last_name="کریمی",
        phones=(PHONE, OTHER_PHONE),
        emails=("ali@example.ir",),
        national_id=NATIONAL_ID,
        city="شیراز",
    )
    assert records[1].emails == ()


@pytest.mark.django_db
def test_find_duplicates_over_database_rows() -> None:
    kept = make_contact(first_name="علي", last_name="كريمي", phones=["09121234567"])
    again = make_contact(first_name="کریمی", last_name="علی", phones=["+98 912 123 4567"])
    make_contact(first_name="مریم", last_name="کریمی")
    found = find_person_duplicates(person_records(Contact.objects.all()))
    assert found == [
        DuplicatePair(kept.pk, again.pk, 0.9707, (Reason("same_phone"), Reason("swapped_name")))
    ]


@pytest.mark.django_db
def test_likely_duplicates_for_a_new_contact(
    admin_user: User, django_assert_num_queries: Any
) -> None:
    same_phone = make_contact(first_name="علی", last_name="کریمی", phones=["09121234567"])
    same_email = make_contact(
        first_name="علی", last_name="کریمی", phones=[], emails=["ali@example.ir"], city="قم"
    )
    make_contact(first_name="علی", last_name="کریمی", phones=["09350000000"])  # a namesake
    relative = make_contact(first_name="مریم", last_name="کریمی", phones=["09121234567"])
    new = person(0, "علي", "كريمي", phones=(PHONE,), emails=("Ali@Example.ir",), city="قم")
    scoped = contacts_visible_to(admin_user)
    with django_assert_num_queries(2 + 3):  # ids by phone, by email; then the candidates' rows
        found = likely_duplicates_for(new, scoped)
    assert found == [
        (same_email.pk, 0.9852, (Reason("same_email"), Reason("same_name"), Reason("same_city"))),
        (same_phone.pk, 0.9707, (Reason("same_phone"), Reason("same_name"))),
    ]
    assert relative.pk not in [contact_id for contact_id, _score, _reasons in found]
    assert likely_duplicates_for(new, contacts_visible_to(admin_user), limit=1) == found[:1]


@pytest.mark.django_db
def test_likely_duplicates_for_an_edited_contact_skips_itself(admin_user: User) -> None:
    contact = make_contact(first_name="سارا", last_name="امینی", national_id=NATIONAL_ID)
    twin = make_contact(first_name="سارا", last_name="امینی", national_id=NATIONAL_ID)
    values = person(contact.pk, "سارا", "امینی", national_id=NATIONAL_ID)
    found = likely_duplicates_for(values, contacts_visible_to(admin_user))
    assert [(contact_id, score) for contact_id, score, _reasons in found] == [(twin.pk, 0.9991)]


@pytest.mark.django_db
def test_likely_duplicates_for_never_looks_outside_the_scoped_queryset(
    make_user: Callable[..., User],
) -> None:
    owner = make_user()
    stranger = make_user()
    hidden = make_contact(actor=owner, first_name="پنهان", last_name="کریمی")
    hidden_phone = hidden.phones.get().number
    new = person(0, "پنهان", "کریمی", phones=(hidden_phone,))
    assert likely_duplicates_for(new, contacts_visible_to(stranger)) == []
    assert [item[0] for item in likely_duplicates_for(new, contacts_visible_to(owner))] == [
        hidden.pk
    ]


@pytest.mark.django_db
def test_likely_duplicates_for_finds_namesakes_only_with_a_low_threshold(
    admin_user: User,
) -> None:
    namesake = make_contact(first_name="علی", last_name="کریمی", phones=[], city="قم")
    new = person(0, "کریمی", "علي", city="قم")
    assert likely_duplicates_for(new, contacts_visible_to(admin_user)) == []
    assert likely_duplicates_for(
        new, contacts_visible_to(admin_user), threshold=POSSIBLE_THRESHOLD
    ) == [(namesake.pk, 0.4256, (Reason("swapped_name"), Reason("same_city")))]


# --- Companies ---------------------------------------------------------------------------------


def test_company_core_name_drops_legal_form_words() -> None:
    assert company_core_name("شرکت بازرگانی آریا نوین (سهامی خاص)") == "اریا نوین"
    assert company_core_name("گروه صنعتی كيان مسئولیت محدود") == "صنعتی کیان"
    assert company_core_name("Arya Novin Co. Ltd") == "arya novin"
    assert company_core_name("شرکت") == "شرکت"


def test_companies_with_the_same_core_name_in_the_same_city() -> None:
    score, reasons = score_company_pair(
        CompanyRecord(1, "شرکت آریا نوین", city="تهران"),
        CompanyRecord(2, "آريا‌نوين (سهامی خاص)", city="تهران"),
    )
    assert score == 0.8176
    assert codes(reasons) == ["same_name", "same_city"]


def test_companies_with_the_same_name_in_other_cities_are_branches() -> None:
    score, _reasons = score_company_pair(
        CompanyRecord(1, "شرکت آریا نوین", city="تهران"),
        CompanyRecord(2, "آریا نوین", city="تبریز"),
    )
    assert score == 0.3775
    assert score < DEFAULT_THRESHOLD


def test_company_national_ids_decide() -> None:
    same = score_company_pair(
        CompanyRecord(1, "پارس", national_id="10103015546"),
        CompanyRecord(2, "مهر ایده", national_id="10103015546"),
    )
    assert same == (0.8808, (Reason("same_national_id"),))
    different = score_company_pair(
        CompanyRecord(1, "شرکت پارس", national_id="10103015546", city="تهران"),
        CompanyRecord(2, "پارس", national_id="10101234546", city="تهران"),
    )
    assert different[0] < 0.01


def test_company_typo_with_the_same_phone() -> None:
    found = find_company_duplicates(
        [
            CompanyRecord(1, "شرکت فناوری رایان سپهر", phones=("+982188776655",), city="تهران"),
            CompanyRecord(2, "فناوری رایان سپهز", phones=("+982188776655",), city="تهران"),
            CompanyRecord(3, "فناوری رایان سپهر", phones=("+982155554444",), city="شیراز"),
        ]
    )
    assert [(pair.first_id, pair.second_id) for pair in found] == [(1, 2)]
    assert codes(found[0].reasons) == ["same_phone", "similar_name", "same_city"]


@pytest.mark.django_db
def test_company_records_and_duplicates_from_the_database() -> None:
    first = make_company(name="شرکت آریا نوین", phones=["021-88776655"], city="تهران")
    second = make_company(name="آریا نوین (سهامی خاص)", city="تهران")
    make_company(name="کلینیک مهر", city="تهران")
    records = list(company_records(Company.objects.all(), chunk_size=2))
    assert records[0] == CompanyRecord(
        id=first.pk, name="شرکت آریا نوین", national_id="", phones=("+982188776655",), city="تهران"
    )
    found = find_company_duplicates(records)
    assert [(pair.first_id, pair.second_id, pair.score) for pair in found] == [
        (first.pk, second.pk, 0.8176)
    ]
