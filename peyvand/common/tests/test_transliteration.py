"""Transliteration: Latin and Persian spellings of Iranian names meet on one phonetic key."""

from __future__ import annotations

import pytest

from peyvand.common.transliteration import has_persian_letters, phonetic_key, transliterate

# (Latin spellings, Persian, the key all of them share)
SAME_NAME = [
    (("Mohammad", "Mohamad", "Muhammad", "Mohammed"), "محمد", "mhmd"),
    (("Hosseini", "Hoseini", "Husseini"), "حسینی", "hsnI"),
    (("Hossein", "Hosein", "Hussein"), "حسین", "hsn"),
    (("Rezaei", "Rezaee", "Rezayi", "Rezaie"), "رضایی", "rzI"),
    (("Zahra",), "زهرا", "zhrA"),
    (("Kazemi", "Kazemy"), "کاظمی", "kzmI"),
    (("Ali",), "علی", "lI"),
    (("Reza",), "رضا", "rzA"),
    (("Fatemeh", "Fateme"), "فاطمه", "ftmE"),
    (("Zohreh", "Zohre"), "زهره", "zhrE"),
    (("Maryam",), "مریم", "mrm"),
    (("Mostafa", "Mustafa"), "مصطفی", "mstfA"),
    (("Morteza",), "مرتضی", "mrtzA"),
    (("Ghasemi", "Qasemi"), "قاسمی", "qsmI"),
    (("Sadeghi", "Sadeqi"), "صادقی", "sdqI"),
    (("Khosro", "Khosrow"), "خسرو", "xsrU"),
    (("Yousef", "Yusef"), "یوسف", "sf"),
    (("Saeed", "Said", "Sa'eed"), "سعید", "sd"),
    (("Masoud", "Massoud", "Masood"), "مسعود", "msd"),
    (("Esmaeil", "Esmail", "Ismail"), "اسماعیل", "sml"),
    (("Ebrahimi",), "ابراهیمی", "brhmI"),
    (("Jafari", "Jaafari"), "جعفری", "jfrI"),
    (("Abbas",), "عباس", "bs"),
    (("Davood", "Davoud", "Dawood"), "داوود", "dd"),
    (("Heydari", "Heidari", "Haidari"), "حیدری", "hdrI"),
    (("Kourosh", "Kurosh"), "کوروش", "krS"),
    (("Niloufar", "Nilufar", "Niloofar"), "نیلوفر", "nlfr"),
    (("Shirin",), "شیرین", "Srn"),
    (("Mousavi", "Musavi", "Moosavi"), "موسوی", "msI"),
    (("Zarei",), "زارعی", "zrI"),
    (("Abdollah", "Abdolah"), "عبدالله", "bdlh"),
    (("Tehran",), "تهران", "thrn"),
    (("Mashhad",), "مشهد", "mShd"),
    (("Isfahan", "Esfahan"), "اصفهان", "sfhn"),
]


@pytest.mark.parametrize(("latin", "persian", "key"), SAME_NAME, ids=[row[1] for row in SAME_NAME])
def test_latin_and_persian_spellings_of_a_name_share_its_key(
    latin: tuple[str, ...], persian: str, key: str
) -> None:
    assert phonetic_key(persian) == key
    for spelling in latin:
        assert phonetic_key(spelling) == key, spelling
        assert phonetic_key(spelling.upper()) == key, spelling


@pytest.mark.parametrize(
    ("latin", "persian"),
    [
        ("Reza", "رضایی"),  # a first name and the family name made from it
        ("Hossein", "حسینی"),
        ("Karim", "کریمی"),
        ("Zahra", "زهره"),
        ("Mina", "مینو"),
        ("Nima", "مینا"),
        ("Sara", "زهرا"),
        ("Ali Rezaei", "علی رضوانی"),
        ("Maryam", "مرجان"),
        ("Fatemeh", "فاطیما"),
    ],
)
def test_different_names_do_not_share_a_key(latin: str, persian: str) -> None:
    assert phonetic_key(latin) != phonetic_key(persian)


def test_a_full_name_keys_each_word_and_ignores_letter_forms_and_spacing() -> None:
    assert phonetic_key("Ali  Rezaei") == "lI rzI"
    assert phonetic_key("علی رضایی") == "lI rzI"
    assert phonetic_key("علي رضايي") == "lI rzI"  # Arabic Yeh
    assert phonetic_key("Mohammad-Reza") == "mhmd rzA"
    assert phonetic_key("محمد\u200cرضا") == "mhmd rzA"
    assert phonetic_key("محمدرضا") == "mhmdrzA"
    assert phonetic_key("Shah") == phonetic_key("شاه") == "Sh"
    assert phonetic_key("") == ""
    assert phonetic_key("  ۱۲۳ ") == ""


def test_transliterate_writes_persian_letters_in_latin() -> None:
    assert transliterate("علی رضایی") == "li rzayi"
    assert transliterate("محمد") == "mhmd"
    assert transliterate("یوسف") == "yusf"
    assert transliterate("داوود") == "davud"
    assert transliterate("فاطمه") == "fatme"
    assert transliterate("خسرو") == "khsro"
    assert transliterate("شاه ژاله چمران") == "shah zhale chmran"
    assert transliterate("Ali") == "ali"


def test_has_persian_letters() -> None:
    assert has_persian_letters("Ali علی")
    assert not has_persian_letters("Ali Rezaei 123")
