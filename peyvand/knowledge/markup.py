"""Article text to HTML, safely: a few marks and nothing else.

Everything is escaped; the only HTML that comes out is

* paragraphs (blocks separated by an empty line; lines inside one are joined),
* headings: a line starting with ``#``, ``##`` or ``###`` (``<h2>``–``<h4>``; the article
  title is the page's ``<h1>``),
* lists: lines starting with ``-`` or ``*`` (``<ul>``), or with a number and a dot, in any
  digits (``1.``, ``۱.``: ``<ol>``),
* bold: ``**text**``,
* links: ``[text](https://…)``, only with an ``http`` or ``https`` address (anything else,
  ``javascript:`` included, stays as plain text), opened with ``rel="nofollow noopener"``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

_HEADING_RE = re.compile(r"^(#{1,3})\s+(.+)$")
_BULLET_RE = re.compile(r"^[-*•]\s+(.+)$")
_NUMBERED_RE = re.compile(r"^[0-9۰-۹٠-٩]+[.)]\s+(.+)$")
_LINK_RE = re.compile(r"\[([^\]\n]+)\]\(([^()\s]+)\)")
_BOLD_RE = re.compile(r"\*\*(.+?)\*\*")


def _safe_url(url: str) -> str | None:
    """The address if it is a plain web address (http/https with a host), else ``None``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return url


def _bold(text: str) -> str:
    """Escape ``text`` and turn ``**…**`` into ``<strong>``."""
    pieces: list[str] = []
    position = 0
    for match in _BOLD_RE.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        pieces.append(format_html("<strong>{}</strong>", match.group(1)))
        position = match.end()
    pieces.append(escape(text[position:]))
    return "".join(pieces)


def render_inline(text: str) -> str:
    """One line's text as safe HTML with bold and http(s) links."""
    pieces: list[str] = []
    position = 0
    for match in _LINK_RE.finditer(text):
        url = _safe_url(match.group(2))
        if url is None:
            continue
        pieces.append(_bold(text[position : match.start()]))
        pieces.append(
            format_html(
                '<a href="{}" rel="nofollow noopener" target="_blank">{}</a>',
                url,
                match.group(1),
            )
        )
        position = match.end()
    pieces.append(_bold(text[position:]))
    return "".join(pieces)


def _blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip()
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _render_block(lines: list[str]) -> list[str]:
    html: list[str] = []
    paragraph: list[str] = []
    list_tag = ""
    items: list[str] = []

    def close_paragraph() -> None:
        if paragraph:
            html.append(f"<p>{' '.join(render_inline(line) for line in paragraph)}</p>")
            paragraph.clear()

    def close_list() -> None:
        nonlocal list_tag
        if items:
            html.append(f"<{list_tag}>{''.join(f'<li>{item}</li>' for item in items)}</{list_tag}>")
            items.clear()
        list_tag = ""

    for line in lines:
        heading = _HEADING_RE.match(line)
        bullet = _BULLET_RE.match(line)
        numbered = _NUMBERED_RE.match(line)
        if heading:
            close_paragraph()
            close_list()
            level = len(heading.group(1)) + 1
            html.append(f"<h{level}>{render_inline(heading.group(2))}</h{level}>")
        elif bullet or numbered:
            close_paragraph()
            tag = "ul" if bullet else "ol"
            if list_tag and list_tag != tag:
                close_list()
            list_tag = tag
            items.append(render_inline((bullet or numbered).group(1)))  # type: ignore[union-attr]
        elif items:
            # A line under a list item continues it.
            items[-1] += " " + render_inline(line)
        else:
            paragraph.append(line)
    close_paragraph()
    close_list()
    return html


def render_markup(text: str) -> SafeString:
    """The article ``text`` as safe HTML (see the module's docstring for the marks)."""
    html: list[str] = []
    for block in _blocks(text or ""):
        html.extend(_render_block(block))
    return mark_safe("\n".join(html))  # every piece above is escaped


def plain_text(text: str) -> str:
    """The text without its marks, for excerpts and prompts."""
    text = _LINK_RE.sub(lambda match: match.group(1), text or "")
    text = _BOLD_RE.sub(lambda match: match.group(1), text)
    lines = []
    for line in text.splitlines():
        line = line.strip()
        marked = _HEADING_RE.match(line) or _BULLET_RE.match(line) or _NUMBERED_RE.match(line)
        lines.append(marked.groups()[-1] if marked else line)
    return "\n".join(lines).strip()


def excerpt(text: str, length: int = 180) -> str:
    """The start of the text without marks, on one line, cut at a word."""
    flat = " ".join(plain_text(text).split())
    if len(flat) <= length:
        return flat
    cut = flat[:length].rsplit(" ", 1)[0]
    return cut + "…"
