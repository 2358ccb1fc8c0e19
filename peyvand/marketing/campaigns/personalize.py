"""Personalizing a campaign's message for one recipient: the placeholder values of a
contact (names, today's Jalali date, custom fields, their next best product, the
unsubscribe link) filled in through the outbox's one placeholder renderer, and the SMS
length in characters and parts."""

from __future__ import annotations

import datetime
import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from peyvand.common.jalali import format_date
from peyvand.messaging.models import MessageChannel
from peyvand.messaging.outbox import render_placeholders

# Left in an email as written: the email channel fills it with the row's own link when it
# sends (the link needs the outbox row's id). SMS recipients opt out by keyword instead.
UNSUBSCRIBE_PLACEHOLDER = "{{ unsubscribe_url }}"

# The placeholders offered in the editor, with what each one says.
PLACEHOLDERS: list[tuple[str, Any]] = [
    ("{{ first_name }}", _("First name")),
    ("{{ last_name }}", _("Last name")),
    ("{{ full_name }}", _("Full name")),
    ("{{ today }}", _("Today's date (Jalali)")),
    ("{{ custom.<key> }}", _("A custom field, by its key")),
    ("{{ next_product }}", _("Next best product (a best seller for new customers)")),
    ("{{ unsubscribe_url }}", _("Unsubscribe link (email)")),
]


_NEXT_PRODUCT_RE = re.compile(r"\{\{\s*next_product\s*\}\}")


def mentions_next_product(*texts: str) -> bool:
    """Whether any of ``texts`` uses ``{{ next_product }}`` (only then are recommendations
    looked up)."""
    return any(_NEXT_PRODUCT_RE.search(text) for text in texts)


@functools.lru_cache(maxsize=64)
def _today_text(today: datetime.date, language: str) -> str:
    return format_date(today, language or "fa")


def placeholder_values(
    *,
    channel: str,
    first_name: str,
    last_name: str,
    custom_fields: Mapping[str, Any] | None,
    language: str,
    today: datetime.date,
    next_product: str = "",
) -> dict[str, object]:
    """The values one contact's message is filled from. Missing values are empty strings
    (a placeholder never shows raw); dates follow the contact's language (Jalali for fa);
    ``next_product`` is the name of the contact's best next product
    (``intelligence.product_recommendations.next_product_names``)."""
    custom = {
        str(key): ("" if value is None else value) for key, value in (custom_fields or {}).items()
    }
    return {
        "first_name": first_name or "",
        "last_name": last_name or "",
        "full_name": f"{first_name or ''} {last_name or ''}".strip(),
        "today": _today_text(today, language),
        "custom": custom,
        "next_product": next_product,
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER if channel == MessageChannel.EMAIL else "",
    }


@dataclass(frozen=True)
class Rendered:
    """One recipient's message, as it will be queued."""

    subject: str
    body_text: str
    body_html: str


class VariantRenderer:
    """A variant's subject and bodies, rendered per recipient."""

    def __init__(self, *, subject: str, body_text: str, body_html: str) -> None:
        self.subject = subject
        self.body_text = body_text
        self.body_html = body_html

    @property
    def mentions_next_product(self) -> bool:
        return mentions_next_product(self.subject, self.body_text, self.body_html)

    def render(self, values: dict[str, object]) -> Rendered:
        return Rendered(
            subject=render_placeholders(self.subject, values, html=False),
            body_text=render_placeholders(self.body_text, values, html=False),
            body_html=render_placeholders(self.body_html, values, html=True),
        )


# GSM 03.38 basic and extension characters; anything else (Persian) needs UCS-2.
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = set("^{}\\[~]|€")


@dataclass(frozen=True)
class SmsLength:
    """How long an SMS is: characters (code units), parts, and the encoding."""

    characters: int
    parts: int
    encoding: str  # "gsm7" or "ucs2"
    per_part: int


def sms_length(text: str) -> SmsLength:
    """Persian text goes as UCS-2: 70 characters in one part, 67 per part when split;
    plain Latin text as GSM-7: 160, and 153 per part."""
    if all(char in _GSM7 or char in _GSM7_EXTENSION for char in text):
        units = len(text) + sum(1 for char in text if char in _GSM7_EXTENSION)
        single, multi, encoding = 160, 153, "gsm7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "ucs2"
    if units == 0:
        parts = 0
    elif units <= single:
        parts = 1
    else:
        parts = math.ceil(units / multi)
    return SmsLength(
        characters=units, parts=parts, encoding=encoding, per_part=single if parts <= 1 else multi
    )
