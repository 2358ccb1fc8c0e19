"""Turning a raw email into text: headers and bodies in the charsets mail from Iran comes in
(UTF-8, Windows-1256, ISO-8859-6, encoded as quoted-printable or base64, or as raw 8-bit
bytes by a careless client), HTML into plain text (the standard library's parser), and the
quoted history below the usual reply markers cut off."""

from __future__ import annotations

import re
from email.header import Header, decode_header
from email.message import Message
from html.parser import HTMLParser

# Tried in order when a part names no charset, or a wrong one.
FALLBACK_CHARSETS = ("utf-8", "cp1256")
_CHARSET_ALIASES = {
    "windows-1256": "cp1256",
    "x-cp1256": "cp1256",
    "cp-1256": "cp1256",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
    "arabic": "iso-8859-6",
    "unicode-1-1-utf-8": "utf-8",
    "utf8": "utf-8",
}


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes as text in the declared charset, else UTF-8, else Windows-1256 (which maps
    almost every byte), never failing."""
    tried: list[str] = []
    if charset:
        name = charset.strip().strip('"').lower()
        tried.append(_CHARSET_ALIASES.get(name, name))
    for candidate in (*tried, *FALLBACK_CHARSETS):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


def decode_words(value: str | Header) -> str:
    """A header value as text: RFC 2047 words decoded in their charsets; raw 8-bit bytes
    (which the parser hands over as an ``unknown-8bit`` header) as UTF-8 or Windows-1256."""
    parts = []
    for chunk, charset in decode_header(value):
        data = chunk.encode("ascii", "surrogateescape") if isinstance(chunk, str) else chunk
        parts.append(decode_bytes(data, charset))
    return "".join(parts)


def is_eight_bit(value: object) -> bool:
    """Whether a parsed header value carried raw 8-bit bytes."""
    return isinstance(value, Header) or any("\udc80" <= c <= "\udcff" for c in str(value))


def header_text(message: Message, name: str) -> str:
    """A header as one line of text (see :func:`decode_words`)."""
    value = message.get(name)
    if value is None:
        return ""
    return " ".join(decode_words(value).split())


def part_text(part: Message) -> str:
    """A text part's content (transfer encoding undone) in its charset."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return decode_bytes(payload, part.get_content_charset())


# HTML → text ------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "footer",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section",
        "table", "tr", "ul",
    }
)  # fmt: skip
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
# Containers mail clients put the quoted history in (Gmail, Outlook, Apple Mail, Yahoo).
_QUOTE_CLASSES = frozenset({"gmail_quote", "gmail_extra", "yahoo_quoted", "moz-cite-prefix"})
_QUOTE_IDS = frozenset({"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"})


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML body, a line per block; with ``drop_quotes``
    the quoted history containers are left out. Linear in the size of the HTML: whether
    the current line is still empty is a flag, and a skipped element (``<head>``,
    ``<script>`` …) is left at the end tag of its own name, nested ones of that name
    counted, whatever unclosed tags it holds."""

    def __init__(self, *, drop_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.drop_quotes = drop_quotes
        self.chunks: list[str] = []
        self.at_line_start = True
        self.skipped_tag: str | None = None
        self.skip_depth = 0
        self.quoted_from_here = False
        self.link: str | None = None
        self.link_text: list[str] = []

    def _skipping(self) -> bool:
        return self.skipped_tag is not None or self.quoted_from_here

    def _emit(self, chunk: str) -> None:
        self.chunks.append(chunk)
        if chunk.strip(" "):
            self.at_line_start = chunk.endswith("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipped_tag is not None:
            if tag == self.skipped_tag:
                self.skip_depth += 1
            elif tag == "body" and self.skipped_tag == "head":
                # A <head> left open ends where the body starts, as in a browser.
                self.skipped_tag, self.skip_depth = None, 0
            return
        attributes = {key: value or "" for key, value in attrs}
        if tag in _SKIPPED_TAGS:
            self.skipped_tag, self.skip_depth = tag, 1
            return
        if self.drop_quotes and self._is_quote(tag, attributes):
            # Everything from the quoted history on is history, below it too.
            self.quoted_from_here = True
            return
        if tag == "br":
            self._emit("\n")
        elif tag in _BLOCK_TAGS:
            self._line_break()
        if tag == "li":
            self._emit("• ")
        if tag == "a":
            self.link, self.link_text = attributes.get("href", ""), []
        if tag in {"td", "th"}:
            self._emit(" ")

    def _is_quote(self, tag: str, attributes: dict[str, str]) -> bool:
        classes = set(attributes.get("class", "").split())
        if classes & _QUOTE_CLASSES or attributes.get("id", "").lower() in _QUOTE_IDS:
            return True
        return tag == "blockquote" and attributes.get("type", "").lower() == "cite"

    def handle_endtag(self, tag: str) -> None:
        if self.skipped_tag is not None:
            if tag == self.skipped_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skipped_tag = None
            return
        if self.quoted_from_here:
            return
        if tag == "a" and self.link is not None:
            text = "".join(self.link_text).strip()
            if self.link.startswith(("http://", "https://")) and self.link not in text:
                self._emit(f" ({self.link})")
            self.link = None
        if tag in _BLOCK_TAGS:
            self._line_break()

    def _line_break(self) -> None:
        """End the current line unless it is empty (nested blocks make one break)."""
        if not self.at_line_start:
            self._emit("\n")

    def handle_data(self, data: str) -> None:
        if self._skipping():
            return
        text = re.sub(r"\s+", " ", data)
        self._emit(text)
        if self.link is not None:
            self.link_text.append(text)

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.chunks).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str, *, drop_quotes: bool = False) -> str:
    """The readable text of an HTML email body (scripts and styles dropped, a line per
    block, link targets kept in brackets); ``drop_quotes`` leaves out quoted history."""
    parser = _TextExtractor(drop_quotes=drop_quotes)
    parser.feed(html)
    parser.close()
    return parser.text()


# Quoted history ---------------------------------------------------------------------------

_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# A line that starts the quoted message, as the common clients write it.
_REPLY_MARKERS = (
    # Gmail, Thunderbird, Apple Mail: "On Tue, 2 Jan 2024 at 10:00, Ali <a@b.c> wrote:"
    re.compile(r"^On\b.{0,200}\bwrote:\s*$", re.IGNORECASE | re.DOTALL),
    # Gmail in Farsi: "در تاریخ سه‌شنبه ۱۲ دی ۱۴۰۲ ساعت ۱۰:۰۰ علی <a@b.c> نوشت:"
    re.compile(r"^در\s+تاریخ\b.{0,200}نوشت\s*:\s*$", re.DOTALL),
    re.compile(r"^.{0,200}\sنوشت\s*:\s*$", re.DOTALL),
    # Arabic clients: "كتب ... :"
    re.compile(r"^.{0,200}\sكتب\s*:\s*$", re.DOTALL),
    re.compile(r"^-{2,}\s*(Original Message|Forwarded message|پیام اصلی|پیام بازارسال شده)", re.I),
    re.compile(r"^_{10,}\s*$"),
)
# Outlook's header block: "From: …" then "Sent:"/"Date:" within the next lines.
_OUTLOOK_FROM = re.compile(r"^\*?(From|از|فرستنده)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(
    r"^\*?(Sent|Date|ارسال[\s\u200c]?شده|ارسال|تاریخ)\s*:\*?\s", re.IGNORECASE
)


def _is_marker(lines: list[str], index: int) -> bool:
    line = lines[index]
    # Gmail wraps a long "On … wrote:" over two lines.
    two_lines = f"{line} {lines[index + 1]}" if index + 1 < len(lines) else line
    for pattern in _REPLY_MARKERS:
        if pattern.search(line) or (not line.endswith(":") and pattern.search(two_lines)):
            return True
    if _OUTLOOK_FROM.match(line):
        return any(_OUTLOOK_SENT.match(following) for following in lines[index + 1 : index + 4])
    return False


def strip_quoted(text: str) -> str:
    """The new part of a reply: everything from the first reply marker on ("On … wrote:",
    "در تاریخ … نوشت:", Outlook's "From:/Sent:" block or "-----Original Message-----"), and
    trailing "> " lines, cut off. When nothing would be left the whole text is kept."""
    lines = [_BIDI_MARKS.sub("", line).strip() for line in text.splitlines()]
    cut = len(lines)
    for index in range(len(lines)):
        if lines[index] and _is_marker(lines, index):
            cut = index
            break
    kept = text.splitlines()[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or text.strip()
