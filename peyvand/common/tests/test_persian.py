import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.common.persian import (
    clean_persian,
    is_farsi,
    normalize_text,
    search_key,
    strip_invisible,
    to_ascii_digits,
    to_persian_digits,
)

ZWNJ = "\u200c"
HYPOTHESIS = settings(database=None, deadline=None, max_examples=300)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
        ("۱۲٬۳۴۵٫۶", "12,345.6"),
        ("تلفن: ۰۲۱-۸۸۷۷", "تلفن: 021-8877"),
        ("abc 123", "abc 123"),
        ("", ""),
    ],
)
def test_to_ascii_digits(value: str, expected: str) -> None:
    assert to_ascii_digits(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0123456789", "۰۱۲۳۴۵۶۷۸۹"),
        ("1403/05/12", "۱۴۰۳/۰۵/۱۲"),
        ("٣ و 4", "٣ و ۴"),
        ("abc", "abc"),
    ],
)
def test_to_persian_digits(value: str, expected: str) -> None:
    assert to_persian_digits(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("علي", "علی"),
        ("موسى", "موسی"),
        ("كريم", "کریم"),
        ("  علي   كريمي \t\n", "علی کریمی"),
        ("مـحـمـد", "محمد"),
        ("ﻋﻠﻲ", "علی"),  # presentation forms
        ("ﷲ", "الله"),  # ligature
        ("ﻻ", "لا"),
        (f"می{ZWNJ}{ZWNJ}خواهم", f"می{ZWNJ}خواهم"),
        (f"{ZWNJ}سلام {ZWNJ} دنیا{ZWNJ}", "سلام دنیا"),
        (f"کتاب{ZWNJ} ها", "کتاب ها"),
        (f"کتاب{ZWNJ}ها", f"کتاب{ZWNJ}ها"),
        ("۰۹۱۲ ٣٤٥ 67", "۰۹۱۲ ٣٤٥ 67"),  # digits kept as typed
        ("\ufeffسلام", "سلام"),
        ("Ali  REZA", "Ali REZA"),  # case kept
        ("ｆｕｌｌ", "ｆｕｌｌ"),  # no NFKC outside the Arabic presentation forms
        ("", ""),
    ],
)
def test_clean_persian(value: str, expected: str) -> None:
    assert clean_persian(value) == expected


def test_clean_persian_multiline_keeps_line_breaks() -> None:
    value = "خط  اول\r\n\n\n\nخط دوم \u200c\n  علي  "
    assert clean_persian(value, multiline=True) == "خط اول\n\nخط دوم\nعلی"
    assert clean_persian(value) == "خط اول خط دوم علی"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("علي كريمي", "علی کریمی"),
        ("فاطمة", "فاطمه"),
        ("خانۀ", "خانه"),
        ("خانهٔ", "خانه"),
        ("أحمد", "احمد"),
        ("إبراهيم", "ابراهیم"),
        ("آرش", "ارش"),
        ("ٱلله", "الله"),
        ("مؤمن", "مومن"),
        ("مسئول", "مسیول"),
        ("قُرْآن", "قران"),
        ("مَحَمَّدٌ", "محمد"),
        ("جزء", "جز"),
        ("\u0627\u0670", "ا"),
        (f"عبد{ZWNJ}الله", "عبد الله"),
        ("a\u200bb\u200dc\u200ed\u200ff\u202ag\u2066h", "a b c d f g h"),
        ("a\ufeffb", "ab"),  # a BOM is dropped by clean_persian
        ("soft\u00adhyphen", "softhyphen"),
        ("۰۹۱۲ ٣٤٥", "0912 345"),
        ("  Ali   REZA ", "ali reza"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_normalize_text(value: str, expected: str) -> None:
    assert normalize_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("عبد الله", "عبدالله"),
        (f"عبد{ZWNJ}الله", "عبدالله"),
        ("عبدالله", "عبدالله"),
        ("علي", "علی"),
        ("علی", "علی"),
        ("۰۹۱۲", "0912"),
        ("0912", "0912"),
        ("+98 (912) 123-4567", "989121234567"),
        ("«شرکت» پیوند، (سهامی خاص)", "شرکتپیوندسهامیخاص"),
        ("O'Brien-Smith Jr.", "obriensmithjr"),
        ("a/b_c؛d؟e", "abcde"),
        ("Ali.Reza+crm@Example.COM", "ali.reza+crm@example.com"),
        (" first_last-name@mail.co ", "first_last-name@mail.co"),
        ("«ali»@x.ir", "ali@x.ir"),
        ("", ""),
    ],
)
def test_search_key(value: str, expected: str) -> None:
    assert search_key(value) == expected


def test_search_key_variants_are_equal() -> None:
    assert search_key("علي") == search_key("علی") == search_key("على")
    assert search_key("كيان") == search_key("کیان")
    assert search_key("۰۹۱۲") == search_key("٠٩١٢") == search_key("0912")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fa", True), ("fa-ir", True), ("fa_IR", True), ("en", False), ("", False), (None, False)],
)
def test_is_farsi(language: str | None, expected: bool) -> None:
    assert is_farsi(language) is expected


def test_strip_invisible() -> None:
    assert strip_invisible("\u200f۱۲\u200c۳\u202b\u00ad") == "۱۲۳"


# --- properties ---------------------------------------------------------------------------

PERSIAN_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیآ"
PERSIAN_ALPHABET = PERSIAN_LETTERS + "۰۱۲۳۴۵۶۷۸۹" + " " + ZWNJ
DECORATIONS = ("\u0640", "\u064b", "\u064c", "\u064d", "\u064e", "\u064f", "\u0650", "\u0651")
_ARABIC_DIGITS = dict(zip("۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩", strict=True))
_ASCII_DIGITS = dict(zip("۰۱۲۳۴۵۶۷۸۹", "0123456789", strict=True))


def _presentation_forms(letter: str) -> list[str]:
    name = unicodedata.name(letter)
    forms = []
    for suffix in ("ISOLATED", "FINAL", "INITIAL", "MEDIAL"):
        try:
            forms.append(unicodedata.lookup(f"{name} {suffix} FORM"))
        except KeyError:
            continue
    return forms


def _variants(char: str) -> tuple[str, ...]:
    options = [char, *_presentation_forms(char)] if char in PERSIAN_LETTERS else [char]
    extra = {
        "ی": ["ي", "ى", "ئ", "ﻱ", "ﻲ"],
        "ک": ["ك", "ﻙ", "ﻛ"],
        "ا": ["أ", "إ", "ٱ"],
        "ه": ["ة", "ۀ"],
        "و": ["ؤ"],
        " ": [ZWNJ, "", "  ", "\t", "\u200f"],
        ZWNJ: [" ", "", ZWNJ * 2, "\u200b"],
    }.get(char, [])
    if char in _ARABIC_DIGITS:
        extra = [_ARABIC_DIGITS[char], _ASCII_DIGITS[char]]
    return tuple(options + extra)


@st.composite
def persian_with_arabic_variant(draw: st.DrawFn) -> tuple[str, str]:
    chars = draw(st.lists(st.sampled_from(PERSIAN_ALPHABET), max_size=30))
    variant = []
    for char in chars:
        variant.append(draw(st.sampled_from(_variants(char))))
        if char in PERSIAN_LETTERS and draw(st.booleans()):
            variant.append(draw(st.sampled_from(DECORATIONS)))
    return "".join(chars), "".join(variant)


@HYPOTHESIS
@given(st.text())
def test_clean_persian_is_idempotent(value: str) -> None:
    once = clean_persian(value)
    assert clean_persian(once) == once
    multi = clean_persian(value, multiline=True)
    assert clean_persian(multi, multiline=True) == multi


@HYPOTHESIS
@given(st.text())
def test_normalize_text_is_idempotent(value: str) -> None:
    once = normalize_text(value)
    assert normalize_text(once) == once


@HYPOTHESIS
@given(st.text())
def test_search_key_is_idempotent(value: str) -> None:
    once = search_key(value)
    assert search_key(once) == once
    assert not any(char.isspace() for char in once)


@HYPOTHESIS
@given(st.text(alphabet=PERSIAN_ALPHABET + "يىكةأإؤئـ\u064e\u0650"))
def test_persian_text_properties_are_idempotent(value: str) -> None:
    for function in (clean_persian, normalize_text, search_key):
        assert function(function(value)) == function(value)


@HYPOTHESIS
@given(persian_with_arabic_variant())
def test_search_key_ignores_arabic_variants(pair: tuple[str, str]) -> None:
    original, variant = pair
    assert search_key(variant) == search_key(original)


@HYPOTHESIS
@given(st.text())
def test_digits_round_trip(value: str) -> None:
    assert to_ascii_digits(to_persian_digits(value)) == to_ascii_digits(value)
    persian = to_persian_digits(to_ascii_digits(value))
    assert to_persian_digits(to_ascii_digits(persian)) == persian


@HYPOTHESIS
@given(st.integers(min_value=0))
def test_integer_digits_round_trip(number: int) -> None:
    persian = to_persian_digits(str(number))
    assert all(char in "۰۱۲۳۴۵۶۷۸۹" for char in persian)
    assert int(to_ascii_digits(persian)) == number


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("علي", "رضايي"), ("رضایی", "علی")),
        (("عبد الله", "کریمی"), ("کريمي", "عبد‌الله")),
        (("۰۹۱۲ نام",), ("0912نام",)),
    ],
)
def test_name_key_ignores_part_order_letter_forms_and_spacing(
    first: tuple[str, ...], second: tuple[str, ...]
) -> None:
    from peyvand.common.persian import name_key

    assert name_key(*first) == name_key(*second) != ""


def test_name_key_of_a_name_without_letters_is_empty() -> None:
    from peyvand.common.persian import name_key

    assert name_key(" - ", "، ") == ""


def test_remembered_results_are_the_computed_ones() -> None:
    """The normalizers remember short plain strings; long and multi-line text are computed
    each time, with the same results."""
    from peyvand.common import persian

    name = "  علي   رضايي "
    long_name = name * 20
    assert persian.clean_persian(name) == persian.clean_persian(name) == "علی رضایی"
    assert persian.clean_persian(long_name) == persian._clean_persian.__wrapped__(long_name, False)
    assert persian.search_key(name) == persian.search_key(name) == "علیرضایی"
    assert persian.normalize_text("ALI ۱۲") == persian.normalize_text("ALI ۱۲") == "ali 12"
    assert persian.clean_persian("خط ۱\n\n\n\nخط ۲", multiline=True) == "خط ۱\n\nخط ۲"
