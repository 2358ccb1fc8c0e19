"""Opt-out replies: does an inbound SMS mean "stop sending me messages"?

Iranian operators require promotional SMS to honour «لغو۱۱» (and the lines print it under
each message), and people answer with «لغو», «۱۱», «انصراف», "stop", "cancel" and so on, in
Persian or Arabic letters and digits, with ZWNJ, spaces, punctuation or emoji around them.

A reply is an opt-out only when, stripped of everything but letters and digits, it *is*
one of the keywords: "لطفاً لغو نکنید" or "I'll stop by tomorrow" are not opt-outs, because
a wrong unsubscribe loses a customer who never asked for it, while a missed one is caught
when the person sends the plain keyword the operator's footer tells them to.
"""

from __future__ import annotations

import re

from peyvand.common.persian import normalize_text

__all__ = ["OPT_OUT_KEYWORDS", "is_opt_out", "keyword_key"]

# Compared after :func:`keyword_key`: Persian and Arabic letters unified, digits ASCII,
# case folded, everything that is not a letter or digit removed.
OPT_OUT_KEYWORDS = frozenset(
    {
        "لغو",
        "لغو11",
        "11",
        "لغوعضویت",
        "لغواشتراک",
        "انصراف",
        "کنسل",
        "stop",
        "stop11",
        "cancel",
        "unsubscribe",
        "optout",
        "lghv",
        "laghv",
        "laghv11",
        "lagv",
    }
)

_NOT_LETTER_OR_DIGIT_RE = re.compile(r"[\W_]+")


def keyword_key(text: str) -> str:
    """``text`` reduced to the letters and digits that decide what it means."""
    return _NOT_LETTER_OR_DIGIT_RE.sub("", normalize_text(text))


def is_opt_out(text: str) -> bool:
    """Whether an inbound message is, as a whole, an opt-out keyword."""
    return keyword_key(text) in OPT_OUT_KEYWORDS
