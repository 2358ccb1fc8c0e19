"""The read-only admin lists, and the demo articles (made once, through the services)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from peyvand.accounts.models import User
from peyvand.knowledge.demo_data import seed_knowledge_demo
from peyvand.knowledge.models import Article, ArticleCategory, ArticleVote
from peyvand.knowledge.services import article_vote, voter_key

from .factories import make_article

pytestmark = pytest.mark.django_db


def test_the_admin_lists_are_read_only(
    logged_in: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    article = make_article()
    client = logged_in(make_user(is_staff=True, is_superuser=True))
    for name in ("articlecategory", "article", "articlevote", "searchterm", "answerdraft"):
        assert client.get(f"/admin/knowledge/{name}/").status_code == 200
    assert client.get("/admin/knowledge/article/add/").status_code == 403
    assert (
        client.post(f"/admin/knowledge/article/{article.pk}/change/", {"title": "x"}).status_code
        == 403
    )


def test_nothing_is_deleted_in_the_admin(
    logged_in: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    article = make_article()
    assert article_vote(article=article, voter=voter_key("session-1"), is_helpful=True)
    vote = ArticleVote.objects.get()
    client = logged_in(make_user(is_staff=True, is_superuser=True))
    for name, pk in (("articlevote", vote.pk), ("article", article.pk)):
        response = client.post(f"/admin/knowledge/{name}/{pk}/delete/", {"post": "yes"})
        assert response.status_code == 403
        listing = client.get(f"/admin/knowledge/{name}/").content.decode()
        assert "delete_selected" not in listing
    client.post(
        "/admin/knowledge/articlevote/",
        {"action": "delete_selected", "_selected_action": [vote.pk], "post": "yes"},
    )
    article.refresh_from_db()
    assert (ArticleVote.objects.count(), article.helpful_yes) == (1, 1)


def test_the_demo_articles_are_made_once() -> None:
    assert seed_knowledge_demo() == 16
    assert seed_knowledge_demo() == 0
    assert ArticleCategory.objects.count() == 4
    counts = {
        (status, audience): Article.objects.filter(status=status, audience=audience).count()
        for status, audience in (
            ("published", "public"),
            ("published", "portal"),
            ("draft", "public"),
        )
    }
    assert counts == {
        ("published", "public"): 14,
        ("published", "portal"): 1,
        ("draft", "public"): 1,
    }
    assert all(article.search_title for article in Article.objects.all())
