import re

import pytest

from peyvand.common.iran import (
    CITIES,
    PROVINCE_CHOICES,
    PROVINCES,
    PROVINCES_BY_CODE,
    Province,
    city_choices,
    province_name,
)
from peyvand.common.persian import clean_persian


def test_there_are_31_provinces_with_unique_codes_and_names() -> None:
    assert len(PROVINCES) == 31
    assert len({p.code for p in PROVINCES}) == 31
    assert len({p.name_fa for p in PROVINCES}) == 31
    assert len({p.name_en for p in PROVINCES}) == 31
    assert set(PROVINCES_BY_CODE) == {p.code for p in PROVINCES}


def test_codes_are_lowercase_ascii_slugs() -> None:
    for province in PROVINCES:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", province.code), province.code


def test_known_codes() -> None:
    for code in ("tehran", "isfahan", "khorasan-razavi", "azarbaijan-sharghi", "alborz", "qom"):
        assert code in PROVINCES_BY_CODE


def test_province_is_frozen() -> None:
    province = PROVINCES_BY_CODE["tehran"]
    assert province == Province("tehran", "تهران", "Tehran")
    with pytest.raises(AttributeError):
        province.code = "x"  # type: ignore[misc]


def test_province_choices() -> None:
    assert len(PROVINCE_CHOICES) == 31
    assert ("tehran", "تهران") in PROVINCE_CHOICES
    assert ("khorasan-razavi", "خراسان رضوی") in PROVINCE_CHOICES
    assert [code for code, _ in PROVINCE_CHOICES] == [p.code for p in PROVINCES]


def test_every_province_has_a_capital_and_three_to_eight_more_cities() -> None:
    assert set(CITIES) == set(PROVINCES_BY_CODE)
    for code, cities in CITIES.items():
        assert 4 <= len(cities) <= 9, code
        assert len(set(cities)) == len(cities), code


@pytest.mark.parametrize(
    ("code", "capital"),
    [
        ("tehran", "تهران"),
        ("isfahan", "اصفهان"),
        ("khorasan-razavi", "مشهد"),
        ("azarbaijan-sharghi", "تبریز"),
        ("azarbaijan-gharbi", "ارومیه"),
        ("alborz", "کرج"),
        ("fars", "شیراز"),
        ("khuzestan", "اهواز"),
        ("gilan", "رشت"),
        ("mazandaran", "ساری"),
        ("hormozgan", "بندرعباس"),
        ("markazi", "اراک"),
        ("lorestan", "خرم\u200cآباد"),
    ],
)
def test_capital_first(code: str, capital: str) -> None:
    assert CITIES[code][0] == capital


def test_tehran_cities() -> None:
    assert CITIES["tehran"] == (
        "تهران",
        "ری",
        "شمیرانات",
        "اسلامشهر",
        "شهریار",
        "ورامین",
        "پاکدشت",
        "دماوند",
    )


def test_names_are_clean_persian() -> None:
    names = [p.name_fa for p in PROVINCES] + [c for cities in CITIES.values() for c in cities]
    for name in names:
        assert clean_persian(name) == name, name
        assert not set(name) & set("يىك"), name


def test_province_name() -> None:
    assert province_name("tehran", "fa") == "تهران"
    assert province_name("tehran", "en") == "Tehran"
    assert province_name("khorasan-razavi", "fa-ir") == "خراسان رضوی"
    assert province_name("azarbaijan-sharghi", "en-us") == "East Azerbaijan"
    assert province_name("atlantis", "fa") == "atlantis"
    assert province_name("", "en") == ""


def test_city_choices() -> None:
    assert city_choices("qom")[0] == ("قم", "قم")
    assert len(city_choices("qom")) == len(CITIES["qom"])
    assert city_choices("atlantis") == []
