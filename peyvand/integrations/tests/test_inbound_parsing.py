"""Reading raw messages as mail clients in Iran send them: charsets, encodings, HTML-only
bodies, quoted history, attachments, and recognising automatic mail."""

from __future__ import annotations

import pytest

from peyvand.integrations.email_text import html_to_text, strip_quoted
from peyvand.integrations.inbound_email import email_parse, inbound_key, message_ids

from . import samples


def test_gmail_new_message_in_farsi() -> None:
    parsed = email_parse(samples.gmail_new())
    assert parsed.subject == "مشکل در ورود به حساب"
    assert (parsed.from_name, parsed.from_email) == ("علی رضایی", "ali.rezaei@gmail.com")
    assert parsed.message_id == "<CAJx9kq1=new@mail.gmail.com>"
    assert parsed.body == "سلام\nنمی\u200cتوانم وارد حسابم شوم. لطفاً راهنمایی کنید.\nممنون"
    assert parsed.references == []
    assert parsed.attachments == []
    assert parsed.automatic == ""


def test_gmail_reply_in_farsi_loses_the_quoted_history() -> None:
    parsed = email_parse(
        samples.gmail_reply_fa(in_reply_to="<b@peyvand.test>", references="<a@x> <b@peyvand.test>")
    )
    assert parsed.body == "ممنون، مشکل حل شد."
    # In-Reply-To first, then References from the most recent back.
    assert parsed.references == ["<b@peyvand.test>", "<a@x>"]
    assert parsed.subject == "Re: [#1] مشکل در ورود به حساب"


def test_outlook_reply_in_english_quoted_printable() -> None:
    parsed = email_parse(samples.outlook_reply_en())
    assert parsed.body == "Hi,\n\nThe invoice number is 4512. Please check again.\n\nRegards,\nSara"
    assert (parsed.from_name, parsed.from_email) == ("Sara Ahmadi", "sara@company.ir")
    assert parsed.subject == "RE: [#1] Invoice"


def test_outlook_reply_in_farsi_html_only() -> None:
    parsed = email_parse(samples.outlook_reply_fa())
    assert parsed.body == "سلام،\nفاکتور را پیوست کردم."
    assert parsed.from_name == "سارا احمدی"
    assert parsed.subject == "پاسخ: فاکتور"


@pytest.mark.parametrize("raw_header", [False, True])
def test_windows_1256(raw_header: bool) -> None:
    parsed = email_parse(samples.windows_1256(raw_header=raw_header))
    # Arabic Yeh from the Windows code page becomes Farsi Yeh in names and subjects.
    assert parsed.subject == "درخواست پیش\u200cفاکتور"
    assert (parsed.from_name, parsed.from_email) == ("کیوان کاظمی", "keyvan@example.ir")
    assert parsed.body == ("با سلام\nلطفاً پيش\u200cفاکتور 10 عدد چاپگر را بفرستيد.\nکيوان کاظمي")


def test_iso_8859_6_base64() -> None:
    parsed = email_parse(samples.iso_8859_6())
    assert parsed.subject == "الطلب"
    assert parsed.body == "مرحبا، الطلب لم يصل بعد."
    assert (parsed.from_name, parsed.from_email) == ("", "hamed@example.ir")


def test_html_only_becomes_text() -> None:
    parsed = email_parse(samples.html_only())
    assert parsed.subject == "سفارش"
    assert parsed.body == (
        "سلام وقت بخیر،\nسفارش ۱۲۳۴ دو مشکل دارد:\n• بسته آسیب دیده\n• رسید ندارد\n"
        "عکس\u200cها: اینجا (https://photos.example.ir/a1)"
    )


def test_attachments_with_encoded_persian_names() -> None:
    parsed = email_parse(samples.with_attachments())
    assert parsed.body == "فاکتور و عکس پیوست است."
    assert [(item.name, item.content_type) for item in parsed.attachments] == [
        ("فاکتور آذر.pdf", "application/pdf"),
        ("عکس.png", "image/png"),
        ("invoice.pdf.exe", "application/pdf"),
    ]
    assert parsed.attachments[0].content == samples.PDF
    assert parsed.attachments[1].content == samples.PNG


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (samples.auto_reply(), "Auto-Submitted: auto-replied"),
        (samples.auto_reply("Precedence: bulk"), "Precedence: bulk"),
        (samples.auto_reply("Precedence: junk"), "Precedence: junk"),
        (samples.auto_reply("Precedence: list"), "Precedence: list"),
        (samples.auto_reply("X-Autoreply: yes"), "X-Autoreply header"),
        (samples.auto_reply("Return-Path: <>"), "empty Return-Path (bounce)"),
        (samples.bounce(), "delivery report (bounce)"),
        (samples.plain(sender="postmaster@example.ir"), "sent by postmaster (bounce)"),
        (
            samples.plain(sender="Support <SUPPORT@peyvand.test>"),
            "sent by the support address itself (loop)",
        ),
    ],
)
def test_automatic_mail_is_recognised(raw: bytes, reason: str) -> None:
    assert email_parse(raw).automatic == reason


def test_auto_submitted_no_is_a_person() -> None:
    assert email_parse(samples.auto_reply("Auto-Submitted: no")).automatic == ""


def test_message_without_id_is_keyed_by_its_bytes() -> None:
    raw = samples.plain(message_id=None)
    assert email_parse(raw).message_id == ""
    assert inbound_key(raw, "") != inbound_key(raw + b" ", "")
    assert inbound_key(raw, "<a@b>") == inbound_key(raw + b" ", "<a@b>")


def test_message_ids() -> None:
    assert message_ids(" <a@b>\r\n\t<c@d> ") == ["<a@b>", "<c@d>"]
    assert message_ids("bare@id") == ["<bare@id>"]
    assert message_ids("") == []


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "Thanks!\n\nOn Sat, Nov 22, 2026 at 10:15 AM Peyvand Support <support@peyvand.test>\n"
            "wrote:\n\n> old",
            "Thanks!",
        ),
        ("بله\n\nدر تاریخ شنبه ۱ آذر ۱۴۰۵، پشتیبانی نوشت:\n> قبلی", "بله"),
        ("OK\n\n-----Original Message-----\nFrom: a\nSent: b\n", "OK"),
        ("OK\n________________________________\nFrom: a\n", "OK"),
        ("بله\n\nاز: پشتیبانی\nارسال\u200cشده: شنبه\nبه: من\n", "بله"),
        ("My answer\n> quoted line\n> more", "My answer"),
        ("> only quoted\n> lines", "> only quoted\n> lines"),
        ("From: me, the story\nno sent line", "From: me, the story\nno sent line"),
    ],
)
def test_strip_quoted(text: str, kept: str) -> None:
    assert strip_quoted(text) == kept


def test_html_to_text_drops_scripts_and_keeps_entities() -> None:
    html = "<p>A&amp;B&nbsp;C</p><script>x()</script><table><tr><td>۱</td><td>۲</td></tr></table>"
    assert html_to_text(html) == "A&B C\n۱ ۲"


def test_html_to_text_of_two_megabytes_of_nested_blocks() -> None:
    # Each block tag used to look back through every chunk written so far: quadratic.
    count = 2 * 1024 * 1024 // len("<td><p>ab")
    assert html_to_text("<td><p>ab" * count) == "\n".join(["ab"] * count)
    assert html_to_text("<td><p>" * (2 * 1024 * 1024 // 7)) == ""


def test_html_to_text_of_a_head_with_many_unclosed_tags() -> None:
    # Each end tag inside a skipped element used to be searched for in a stack of them all.
    count = 100_000
    html = "<head><title>t</title>" + "<div>" * count + "</span>" * count + "</head><p>سلام</p>"
    assert html_to_text(html) == "سلام"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        # A <head> left open ends where the body starts, as in a browser.
        ("<html><head><title>t</title><body><p>سلام</p></body></html>", "سلام"),
        ("<div><template><template>x</template>y</template>z</div>", "z"),
        ("<p>a</p><noscript><p>b</p></noscript><p>c</p>", "a\nc"),
        ("<ul><li>one</li><li><b>two</b></li></ul>", "• one\n• two"),
        ("<div><div>  </div><div>a<br>b</div></div>", "a\nb"),
    ],
)
def test_html_to_text_skipped_elements_and_line_breaks(html: str, text: str) -> None:
    assert html_to_text(html) == text
