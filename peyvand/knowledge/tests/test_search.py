"""Ranking: BM25F with the title above the body, published articles only, public or
portal, the same order on SQLite and PostgreSQL (this module runs on both and asserts the
exact order), and the candidate filter in SQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peyvand.knowledge.models import Article
from peyvand.knowledge.search import (
    articles_search,
    articles_suggest,
    bm25f,
    counts_of,
    rank,
    ticket_suggestions,
)
from peyvand.service.tickets import ticket_create, ticket_reply

from .factories import make_article, make_category

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf() -> dict[str, Article]:
    delivery = make_category("ارسال")
    account = make_category("حساب")
    return {
        "delay": make_article(
            "تأخیر در ارسال سفارش",
            "اگر سفارش دیر رسید با پشتیبانی تماس بگیرید.",
            category=delivery,
        ),
        "cost": make_article(
            "هزینه ارسال",
            "ارسال سفارش‌های بالای ۵۰۰ هزار تومان رایگان است. زمان ارسال دو روز است.",
            category=delivery,
        ),
        "password": make_article(
            "بازیابی رمز عبور", "در صفحه ورود فراموشی رمز را بزنید.", category=account
        ),
        "portal": make_article(
            "ارسال سازمانی با قرارداد",
            "ارسال ویژه مشتریان سازمانی.",
            audience="portal",
            category=delivery,
        ),
        "draft": make_article(
            "ارسال بین‌المللی", "به زودی ارسال به خارج.", status="draft", category=delivery
        ),
    }


def _titles(articles: list[Article]) -> list[str]:
    return [article.title for article in articles]


def test_public_search_ranks_title_matches_first_and_leaves_out_portal_and_drafts(
    shelf: dict[str, Article],
) -> None:
    assert _titles(articles_search("ارسال")) == ["هزینه ارسال", "تأخیر در ارسال سفارش"]
    assert _titles(articles_search("ارسال", portal=True)) == [
        "هزینه ارسال",
        "ارسال سازمانی با قرارداد",
        "تأخیر در ارسال سفارش",
    ]


def test_arabic_letters_digits_and_zwnj_find_the_persian_article(
    shelf: dict[str, Article],
) -> None:
    assert _titles(articles_search("تاخير ارسال")) == [
        "تأخیر در ارسال سفارش",
        "هزینه ارسال",
    ]
    assert _titles(articles_search("رمز عبورم را فراموش كردم")) == ["بازیابی رمز عبور"]
    assert _titles(articles_search("۵۰۰ هزار")) == ["هزینه ارسال"]
    assert _titles(articles_search("500 هزار")) == ["هزینه ارسال"]
    assert _titles(articles_search("سفارش‌ها")) == _titles(articles_search("سفارشها"))


def test_scores_are_the_bm25f_formula(shelf: dict[str, Article]) -> None:
    """Two documents, one query word: the title hit outweighs two body hits."""
    terms = ["رمز"]
    scores = bm25f(
        terms,
        [
            counts_of(terms, ["رمز", "عبور"], ["صفحه"]),
            counts_of(terms, ["ورود"], ["رمز", "رمز", "صفحه", "کاربر"]),
        ],
        total=10,
        average_title=2.0,
        average_body=3.0,
    )
    # idf = ln(1 + (10 - 2 + 0.5) / (2 + 0.5)); title tf' = 3 * 1 / 1 = 3
    # body tf' = 2 / (0.25 + 0.75 * 4 / 3) = 1.6
    idf = 1.4816045409242156
    assert scores == pytest.approx([idf * 3 * 2.2 / 4.2, idf * 1.6 * 2.2 / 2.8])


def test_nothing_matches_nothing(shelf: dict[str, Article]) -> None:
    assert articles_search("پیتزا") == []
    assert articles_search("سلام و ممنون") == []


def test_candidates_are_filtered_in_sql_in_two_queries(shelf: dict[str, Article]) -> None:
    with CaptureQueriesContext(connection) as queries:
        ranked = rank(Article.objects.filter(status="published"), "رمز")
    assert [item.article.title for item in ranked] == ["بازیابی رمز عبور"]
    # the collection's figures, the matching rows' search columns, the articles shown
    assert len(queries) == 3
    assert "LIKE" in queries[1]["sql"].upper()


def test_repeated_words_are_counted_exactly() -> None:
    """The stored column is counted with ``str.count``: adjacent repeats must all count."""
    once = make_article("راهنما", "رمز کوتاه و بلند و متن")
    twice = make_article("راهنما", "رمز رمز و بلند و متن")
    scored = {item.article.pk: item.score for item in rank(Article.objects.all(), "رمز")}
    assert scored[twice.pk] > scored[once.pk]


def test_equal_scores_keep_the_newest_first() -> None:
    first = make_article("گارانتی", "متن")
    second = make_article("گارانتی", "متن")
    assert articles_search("گارانتی") == [second, first]


def test_suggestions_are_limited_and_portal_aware(shelf: dict[str, Article]) -> None:
    assert _titles(articles_suggest("ارسال سفارش سازمانی", portal=False, limit=1)) == [
        "تأخیر در ارسال سفارش"
    ]
    assert _titles(articles_suggest("ارسال سفارش سازمانی", portal=True, limit=2)) == [
        "ارسال سازمانی با قرارداد",
        "تأخیر در ارسال سفارش",
    ]


def test_ticket_suggestions_read_the_customer_and_not_the_agent(
    shelf: dict[str, Article], make_user: object
) -> None:
    ticket = ticket_create(
        actor=None,
        values={"subject": "مشکل ورود"},
        body="رمز عبورم را فراموش كرده‌ام",
        channel="email",
        requester_email="customer@example.ir",
    )
    agent = make_user(role="support")  # type: ignore[operator]
    ticket_reply(actor=agent, ticket=ticket, body="هزینه ارسال هزینه ارسال", internal=True)
    assert _titles(ticket_suggestions(ticket)) == ["بازیابی رمز عبور"]
