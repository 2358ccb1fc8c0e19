"""Persian number words as written on invoices."""

from __future__ import annotations

import pytest

from peyvand.common.words import number_to_persian_words


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "صفر"),
        (7, "هفت"),
        (12, "دوازده"),
        (20, "بیست"),
        (21, "بیست و یک"),
        (100, "صد"),
        (105, "صد و پنج"),
        (999, "نهصد و نود و نه"),
        (1000, "یک هزار"),
        (1001, "یک هزار و یک"),
        (2_500, "دو هزار و پانصد"),
        (1_250_000, "یک میلیون و دویست و پنجاه هزار"),
        (30_000_017, "سی میلیون و هفده"),
        (4_000_000_000, "چهار میلیارد"),
        (-15, "منفی پانزده"),
    ],
)
def test_numbers_in_persian_words(number: int, words: str) -> None:
    assert number_to_persian_words(number) == words


def test_too_large_numbers_are_refused() -> None:
    with pytest.raises(ValueError):
        number_to_persian_words(10**21)
