"""Writes: categories, articles (draft, publish, unpublish, validation by field, events,
permissions), votes once per visitor, views, and the search log."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from peyvand.accounts.models import Role, User
from peyvand.knowledge.models import Article, SearchTerm
from peyvand.knowledge.services import (
    article_save,
    article_viewed,
    article_vote,
    category_save,
    search_log_record,
    voter_key,
)
from peyvand.timeline.models import Event

from .factories import make_article, make_category

pytestmark = pytest.mark.django_db


def test_an_article_starts_as_a_draft_with_its_search_columns(
    make_user: Callable[..., User],
) -> None:
    editor = make_user(role=Role.SUPPORT)
    article = article_save(
        actor=editor,
        values={
            "title": "  گارانتي   كالا ",
            "body": "شرايط گارانتی‌ها\n\n\n\nدر ۱۸ ماه",
            "category": make_category(),
        },
    )
    assert (article.title, article.body) == ("گارانتی کالا", "شرایط گارانتی‌ها\n\nدر ۱۸ ماه")
    assert (article.status, article.audience, article.author) == ("draft", "public", editor)
    assert (article.search_title, article.title_length) == (" گارانت کالا ", 2)
    assert (article.search_body, article.body_length) == (" شرایط گارانت 18 ماه ", 4)
    assert article.published_at is None
    event = Event.objects.get(subject_type="article", subject_id=article.pk)
    assert (event.verb, event.actor, event.summary) == ("article.created", editor, "گارانتی کالا")


def test_publishing_stamps_the_time_once_and_each_change_is_one_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    article = make_article(status="draft")
    first = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: first)
    article_save(actor=None, article=article, values={"status": "published"})
    monkeypatch.setattr(timezone, "now", lambda: first + datetime.timedelta(days=3))
    article_save(actor=None, article=article, values={"status": "draft"})
    article_save(actor=None, article=article, values={"status": "published", "title": "تازه"})
    article_save(actor=None, article=article, values={"title": "تازه"})  # no change
    article.refresh_from_db()
    assert article.published_at == first
    events = list(
        Event.objects.filter(subject_type="article", subject_id=article.pk)
        .order_by("id")
        .values_list("verb", "payload")
    )
    assert events == [
        ("article.created", {"status": "draft"}),
        ("article.published", {"changes": {"status": ["draft", "published"]}}),
        ("article.unpublished", {"changes": {"status": ["published", "draft"]}}),
        (
            "article.published",
            {"changes": {"status": ["draft", "published"], "title": ["پیگیری سفارش", "تازه"]}},
        ),
    ]


def test_errors_name_each_field_in_farsi() -> None:
    with translation.override("fa"), pytest.raises(ValidationError) as caught:
        article_save(
            actor=None,
            values={"title": " ", "status": "archived", "audience": "everyone", "category": None},
        )
    errors = caught.value.message_dict
    assert sorted(errors) == ["audience", "body", "category", "status", "title"]
    assert errors["title"] == ["عنوان مقاله را بنویسید."]
    assert not Article.objects.exists()


def test_only_editors_write_articles_and_categories(make_user: Callable[..., User]) -> None:
    for role in (Role.ADMIN, Role.MANAGER, Role.SUPPORT):
        category_save(actor=make_user(role=role), values={"name": f"دسته {role}"})
    for role in (Role.SALES, Role.MARKETING, Role.READ_ONLY):
        with pytest.raises(PermissionDenied):
            make_article(actor=make_user(role=role))
        with pytest.raises(PermissionDenied):
            category_save(actor=make_user(role=role), values={"name": "دسته"})


def test_category_names_are_unique_after_cleaning() -> None:
    category_save(actor=None, values={"name": "حساب كاربري", "position": 2})
    with pytest.raises(ValidationError) as caught:
        category_save(actor=None, values={"name": "حساب  کاربری"})
    assert list(caught.value.message_dict) == ["name"]
    with pytest.raises(ValidationError) as caught:
        category_save(actor=None, values={"name": "دیگر", "position": -1})
    assert list(caught.value.message_dict) == ["position"]


def test_a_visitor_votes_once_per_article() -> None:
    article = make_article()
    other = make_article("دیگر")
    visitor = voter_key("session-1")
    assert article_vote(article=article, voter=visitor, is_helpful=True) is True
    assert article_vote(article=article, voter=visitor, is_helpful=False) is False
    assert article_vote(article=other, voter=visitor, is_helpful=False) is True
    assert article_vote(article=article, voter=voter_key("session-2"), is_helpful=False) is True
    article.refresh_from_db()
    other.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 1)
    assert (other.helpful_yes, other.helpful_no) == (0, 1)
    assert visitor != "session-1" and len(visitor) == 64


def test_views_are_counted() -> None:
    article = make_article()
    article_viewed(article=article)
    article_viewed(article=article)
    article.refresh_from_db()
    assert article.view_count == 2


def test_the_search_log_counts_normalized_queries_and_searches_with_no_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = datetime.datetime(2026, 5, 1, 8, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: start)
    search_log_record(text="گارانتي لپ‌تاپ", result_count=0)
    monkeypatch.setattr(timezone, "now", lambda: start + datetime.timedelta(hours=2))
    search_log_record(text="گارانتی لپ تاپ‌ها", result_count=0)
    term = search_log_record(text="  گارانتی لپتاپ ", result_count=3)
    assert search_log_record(text="سلام!", result_count=0) is None
    assert term is not None
    assert SearchTerm.objects.count() == 2  # «لپتاپ» is one word, «لپ تاپ» two
    row: Any = SearchTerm.objects.get(key="گارانت لپ تاپ")
    assert (row.search_count, row.no_result_count, row.last_result_count) == (2, 2, 0)
    assert (row.text, row.first_searched_at, row.last_searched_at) == (
        "گارانتی لپ تاپ‌ها",
        start,
        start + datetime.timedelta(hours=2),
    )
    assert (term.key, term.search_count, term.no_result_count) == ("گارانت لپتاپ", 1, 0)
