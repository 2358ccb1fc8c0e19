"""How text becomes search words: Persian letters, digits, ZWNJ, suffixes and stop words."""

from __future__ import annotations

import pytest

from peyvand.knowledge.search import indexed, query_key, stem, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Arabic Yeh and Kaf are the Persian letters
        ("گارانتي كالا", ["گارانت", "کالا"]),
        # plurals with ZWNJ, with a space, and joined
        ("سفارش‌ها", ["سفارش"]),
        ("سفارش ها", ["سفارش"]),
        ("سفارشها", ["سفارش"]),
        ("سفارش‌های من", ["سفارش"]),
        # possessive and -ات plural
        ("سفارشم", ["سفارش"]),
        ("سفارشات", ["سفارش"]),
        # -ان plural then -ی: the same stem as the singular
        ("مشتریان", ["مشتر"]),
        ("مشتری", ["مشتر"]),
        # verb prefix joined by ZWNJ
        ("نمی‌رسد", ["رسد"]),
        ("می‌خواهم", ["خواه"]),
        # digits in any script are ASCII
        ("۷ روز", ["7", "روز"]),
        ("٧ روز", ["7", "روز"]),
        # diacritics, tatweel, hamza forms and punctuation go
        ("تأخیرِ  ارسـال؟!", ["تاخیر", "ارسال"]),
        # stop words and greetings go
        ("سلام، چطور رمز عبور را عوض کنم؟", ["رمز", "عبور", "عوض"]),
        ("", []),
        ("؟!...", []),
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_the_stemmer_keeps_three_letters() -> None:
    assert stem("زمان") == "زمان"
    assert stem("کالاها") == "کالا"
    assert stem("نام") == "نام"


def test_the_query_key_is_the_distinct_words_in_order() -> None:
    assert query_key("گارانتي گارانتی‌ها كالا") == "گارانت کالا"
    assert query_key("سلام!") == ""


def test_the_stored_column_has_words_between_spaces() -> None:
    assert indexed("مرجوع کردن کالاها") == (" مرجوع کالا ", 2)
    assert indexed("و") == ("", 0)
