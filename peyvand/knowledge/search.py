"""Persian search and retrieval over articles: the words of a text, and BM25 ranking.

A text becomes search words in the same way on write (``Article.search_title`` /
``search_body``) and for a query, so "گارانتي" (Arabic Yeh) finds "گارانتی", "۷ روز" finds
"7 روز" and "سفارش‌ها", "سفارشها" and "سفارش" are one word:

1. ``clean_persian`` unifies Arabic ي/ك with Persian ی/ک; a suffix or the verb prefix
   «می»/«نمی» joined by a ZWNJ is dropped (``کتاب‌ها`` → ``کتاب``, ``می‌خواهم`` → ``خواهم``);
2. ``normalize_text`` folds digits to ASCII, drops diacritics and hamza forms, casefolds and
   turns the remaining ZWNJ into spaces; the text is split into words and ``search_key``
   removes punctuation from each;
3. stop words go, and a light stemmer strips plural and adjective suffixes written without
   a ZWNJ (ها/های/هایی, ان, ات, ی/ای, the possessive م and the spoken مو) until none is
   left, never below three letters.

Candidate articles are found in SQL (an article whose title or body has any query word:
``LIKE '% word %'`` on the stored columns, which behaves the same on SQLite and
PostgreSQL because the columns are already casefolded) and ranked in Python by BM25F,
title words weighing more than body words. Ties keep the newest article first (by id),
so both databases give the same order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db.models import Avg, Count, Q, QuerySet

from peyvand.common.persian import ZWNJ, clean_persian, normalize_text, search_key

from .models import Article, ArticleAudience, ArticleStatus

if TYPE_CHECKING:
    from peyvand.service.models import Ticket

# BM25F parameters: the usual k1 and b, and how much a word in the title counts against
# the same word in the body.
K1 = 1.2
B = 0.75
TITLE_WEIGHT = 3.0
BODY_WEIGHT = 1.0
# A long ticket is cut to this many distinct words (the first ones) for suggestions.
MAX_QUERY_WORDS = 40
MIN_STEM = 3

_STOP_WORDS_TEXT = (
    # Persian function words, pronouns, question words and greetings
    "و در به از که را با این آن برای تا چه چرا چطور چگونه چطوری چجوری آیا است هست نیست"
    " بود بودم شد شده شود میشود میشه می نمی یک من ما شما او آنها ایشان مرا خود"
    " هم اما ولی یا اگر نیز روی بر پس چی چیه کجا کی کدام چند چقدر دیگر همه هر باید"
    " کنم کنید کند کنیم کرد کردم کردن کرده داشت دارم دارید دارد داریم ها های ای"
    # verb endings and suffixes written apart ("بسته ام", "رفته اند")
    " ام اید ایم اند"
    " تو اون رو یه الان لطفا لطفاً سلام ممنون مرسی خواهش متشکرم باشه باشد"
    # English ones, for the few who search in English
    " a an the is are was to of in on for and or how what why can i my me do does"
)
STOP_WORDS: frozenset[str] = frozenset(map(normalize_text, _STOP_WORDS_TEXT.split()))

# Suffixes joined to their word by a ZWNJ: clearly suffixes, dropped before the split.
_ZWNJ_SUFFIX_RE = re.compile(
    ZWNJ + r"(?:هایی|هایم|هایت|هایش|هایمان|هایتان|هایشان|های|ها|ای|ی|ام|ات|اش|"
    r"مان|تان|شان|تر|ترین|شده|کننده)(?!\w)"
)
_ZWNJ_PREFIX_RE = re.compile(r"(?<!\w)ن?می" + ZWNJ)
# Suffixes written without a ZWNJ, longest first; stripped while the stem keeps three letters.
# «مو» is the spoken possessive with the object marker: «رمزمو» is «رمزم را».
_SUFFIXES: tuple[str, ...] = ("هایی", "های", "ها", "مو", "ان", "ات", "ای", "ی", "م")
_WORD_SPLIT_RE = re.compile(r"[^\w]+")


def stem(word: str) -> str:
    """``word`` without the plural, adjective and possessive suffixes a light stemmer can
    safely strip (``مشتریان`` → ``مشتری`` → ``مشتر``, like ``مشتری`` → ``مشتر``)."""
    for _round in range(3):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
                word = word[: -len(suffix)]
                break
        else:
            return word
    return word


def words(text: str) -> list[str]:
    """The search words of ``text`` in order (stop words out, stemmed)."""
    text = clean_persian(text or "")
    text = _ZWNJ_PREFIX_RE.sub("", _ZWNJ_SUFFIX_RE.sub("", text))
    found: list[str] = []
    for raw in _WORD_SPLIT_RE.split(normalize_text(text)):
        word = search_key(raw)
        if not word or word in STOP_WORDS:
            continue
        word = stem(word)
        if word and word not in STOP_WORDS:
            found.append(word)
    return found


def query_words(text: str, limit: int = MAX_QUERY_WORDS) -> list[str]:
    """The distinct search words of a query, in the order they first appear."""
    return list(dict.fromkeys(words(text)))[:limit]


def query_key(text: str) -> str:
    """The normalized query (its distinct words joined by spaces): one row of the search
    log per key."""
    return " ".join(query_words(text))[:200]


def indexed(text: str) -> tuple[str, int]:
    """The stored search column for ``text`` (its words between spaces, so ``% word %``
    matches whole words only) and how many words it has."""
    found = words(text)
    return (f" {' '.join(found)} " if found else ""), len(found)


@dataclass(frozen=True)
class Ranked:
    """An article with its BM25F score."""

    article: Article
    score: float


@dataclass(frozen=True)
class _Stats:
    documents: int
    average_title: float
    average_body: float


def _stats(queryset: QuerySet[Article]) -> _Stats:
    figures = queryset.aggregate(
        documents=Count("id"), title=Avg("title_length"), body=Avg("body_length")
    )
    return _Stats(
        documents=int(figures["documents"] or 0),
        average_title=float(figures["title"] or 0) or 1.0,
        average_body=float(figures["body"] or 0) or 1.0,
    )


def _matching(terms: Sequence[str]) -> Q:
    condition = Q()
    for term in terms:
        padded = f" {term} "
        condition |= Q(search_title__contains=padded) | Q(search_body__contains=padded)
    return condition


class Counts(NamedTuple):
    """How often each query word occurs in a document's title and body, and their
    lengths in words."""

    title: Mapping[str, int]
    title_length: int
    body: Mapping[str, int]
    body_length: int


def counts_of(terms: Sequence[str], title: Sequence[str], body: Sequence[str]) -> Counts:
    """:class:`Counts` from a document's word lists."""
    return Counts(
        {term: title.count(term) for term in terms},
        len(title),
        {term: body.count(term) for term in terms},
        len(body),
    )


def _stored_counts(terms: Sequence[str], row: tuple[Any, ...]) -> Counts:
    """:class:`Counts` from the stored columns (`` a b a ``), counted in C: with every
    space doubled each word has its own two spaces, so ``str.count`` is exact."""
    _pk, search_title, search_body, title_length, body_length = row
    title = search_title.replace(" ", "  ")
    body = search_body.replace(" ", "  ")
    return Counts(
        {term: title.count(f" {term} ") for term in terms},
        title_length,
        {term: body.count(f" {term} ") for term in terms},
        body_length,
    )


def bm25f(
    terms: Sequence[str],
    documents: Sequence[Counts],
    *,
    total: int,
    average_title: float,
    average_body: float,
) -> list[float]:
    """BM25F scores of ``documents`` for ``terms``. Document frequencies are counted among
    ``documents`` (every document that has a query word must be among them); ``total`` is
    the size of the collection."""
    frequency = {
        term: sum(1 for doc in documents if doc.title[term] or doc.body[term]) for term in terms
    }
    idf = {
        term: math.log(1 + (total - frequency[term] + 0.5) / (frequency[term] + 0.5))
        for term in terms
        if frequency[term]
    }
    scores = []
    for doc in documents:
        title_norm = 1 - B + B * doc.title_length / average_title
        body_norm = 1 - B + B * doc.body_length / average_body
        score = 0.0
        for term, weight in idf.items():
            weighted = (
                TITLE_WEIGHT * doc.title[term] / title_norm
                + BODY_WEIGHT * doc.body[term] / body_norm
            )
            if weighted:
                score += weight * weighted * (K1 + 1) / (weighted + K1)
        scores.append(score)
    return scores


def rank(queryset: QuerySet[Article], text: str, *, limit: int | None = 20) -> list[Ranked]:
    """The articles of ``queryset`` that share a word with ``text``, best first.

    The statistics (collection size, average lengths) are those of ``queryset``, so an
    article's score does not depend on drafts or articles the reader cannot see. Only the
    search columns of the candidates are read; the articles shown are fetched after."""
    terms = query_words(text)
    if not terms:
        return []
    stats = _stats(queryset)
    rows = list(
        queryset.filter(_matching(terms)).values_list(
            "pk", "search_title", "search_body", "title_length", "body_length"
        )
    )
    if not rows:
        return []
    scores = bm25f(
        terms,
        [_stored_counts(terms, row) for row in rows],
        total=stats.documents,
        average_title=stats.average_title,
        average_body=stats.average_body,
    )
    best = sorted(
        ((round(score, 9), row[0]) for row, score in zip(rows, scores, strict=True)),
        key=lambda pair: (-pair[0], -pair[1]),
    )
    if limit is not None:
        best = best[:limit]
    articles = queryset.model.objects.select_related("category").in_bulk(
        [pk for _score, pk in best]
    )
    return [Ranked(articles[pk], score) for score, pk in best if pk in articles]


def articles_published(*, portal: bool) -> QuerySet[Article]:
    """Published articles a reader may see: everyone's (the public help centre), plus the
    portal-only ones for a signed-in portal customer (``portal=True``)."""
    articles = Article.objects.filter(status=ArticleStatus.PUBLISHED)
    if not portal:
        articles = articles.filter(audience=ArticleAudience.PUBLIC)
    return articles


def articles_search(text: str, *, portal: bool = False, limit: int = 20) -> list[Article]:
    """Published articles for a reader's query, best first (public ones only unless
    ``portal``)."""
    return [item.article for item in rank(articles_published(portal=portal), text, limit=limit)]


def articles_suggest(text: str, *, portal: bool, limit: int = 3) -> list[Article]:
    """The best matching published articles for a ticket or a portal question: shown to
    the customer (``portal=True`` lets portal-only articles in) and to the agent."""
    return articles_search(text, portal=portal, limit=limit)


def ticket_customer_text(ticket: Ticket) -> str:
    """The customer's messages of a ticket in order, a blank line between them (never
    agents' replies or internal notes)."""
    from peyvand.service.models import MessageKind

    bodies = ticket.messages.filter(kind=MessageKind.CUSTOMER).values_list("body", flat=True)
    return "\n\n".join(bodies)


def ticket_question(ticket: Ticket, customer_text: str | None = None) -> str:
    """What a ticket asks: its subject and the customer's messages. Pass
    ``customer_text`` (from :func:`ticket_customer_text`) when it has been read already."""
    if customer_text is None:
        customer_text = ticket_customer_text(ticket)
    return f"{ticket.subject}\n{customer_text}"


def ticket_suggestions(
    ticket: Ticket,
    *,
    portal: bool = True,
    limit: int = 3,
    customer_text: str | None = None,
) -> list[Article]:
    """:func:`articles_suggest` for a ticket's subject and customer messages. The agent and
    the ticket's customer (a portal customer) may both read portal-only articles, hence
    ``portal=True`` by default."""
    return articles_suggest(ticket_question(ticket, customer_text), portal=portal, limit=limit)
