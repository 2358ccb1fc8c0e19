"""Opt-out keywords: every way people write them, and sentences that only contain them."""

from __future__ import annotations

import pytest

from peyvand.messaging.sms.keywords import is_opt_out, keyword_key


@pytest.mark.parametrize(
    "text",
    [
        "لغو",
        "لغو۱۱",
        "لغو 11",
        "لغو١١",  # Arabic-Indic digits
        "لغو\u200c۱۱",  # ZWNJ between
        " لغو. ",
        "«لغو»",
        "لغو!!",
        "لـــغو",  # tatweel
        "۱۱",
        "11",
        "١١",
        "انصراف",
        "لغو عضویت",
        "لغو‌عضويت",  # ZWNJ and Arabic Yeh
        "کنسل",
        "كنسل",  # Arabic Kaf
        "STOP",
        "Stop.",
        "stop 11",
        "cancel",
        "CANCEL!",
        "unsubscribe",
        "opt-out",
        "\u200fلغو\u200f",  # right-to-left marks around it
        "لغو 🙏",
    ],
)
def test_opt_out_replies(text: str) -> None:
    assert is_opt_out(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "سلام",
        "لطفاً لغو نکنید",
        "سفارشم را لغو کنید",  # cancelling an order is not unsubscribing
        "لغو سفارش",
        "۱۱ عدد سفارش دادم",
        "111",
        "1",
        "I'll stop by tomorrow",
        "don't cancel my booking",
        "stopwatch",
        "لغوی",
        "بله",
        "ok",
    ],
)
def test_replies_that_only_contain_a_keyword_are_not_opt_outs(text: str) -> None:
    assert is_opt_out(text) is False


def test_keyword_key_keeps_only_letters_and_digits() -> None:
    assert keyword_key(" لغو‌ ۱۱! ") == "لغو11"
    assert keyword_key("Stop.") == "stop"
