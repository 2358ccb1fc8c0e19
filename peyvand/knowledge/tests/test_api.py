"""``/api/v1/articles`` (list, search, get, create, change), ``/articles/suggest`` and
``/article-categories``: permissions, scopes and field errors in Farsi and English."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.accounts.models import Role
from peyvand.api.tests import (
    get,
    has_persian_letters,
    patch_json,
    post_json,
    quick_user,
    token_client,
)
from peyvand.knowledge.models import Article

from .factories import make_article, make_category

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor() -> Any:
    return quick_user(Role.SUPPORT)


def test_create_then_publish_an_article(editor: Any) -> None:
    category = make_category()
    response = post_json(
        token_client(editor),
        "/articles",
        {"title": "گارانتي", "body": "**۱۸** ماه", "category_id": category.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["status"], body["audience"]) == ("گارانتی", "draft", "public")
    assert (body["body_html"], body["category_name"], body["author_id"]) == (
        "<p><strong>۱۸</strong> ماه</p>",
        category.name,
        editor.pk,
    )
    changed = patch_json(token_client(editor), f"/articles/{body['id']}", {"status": "published"})
    assert changed.status_code == 200
    assert changed.json()["status"] == "published"
    assert changed.json()["title"] == "گارانتی"
    assert changed.json()["published_at"] is not None


def test_field_errors_in_farsi_and_english(editor: Any) -> None:
    english = post_json(token_client(editor), "/articles", {"title": "", "category_id": 999999})
    assert english.status_code == 422
    detail = {item["field"]: item["msg"] for item in english.json()["detail"]}
    assert detail == {
        "title": "Write the article's title.",
        "body": "Write the article's text.",
        "category_id": "No such record.",
    }
    farsi = post_json(
        token_client(editor, language="fa"),
        "/articles",
        {"title": "", "category_id": make_category().pk},
    )
    detail = {item["field"]: item["msg"] for item in farsi.json()["detail"]}
    assert sorted(detail) == ["body", "title"]
    assert all(has_persian_letters(message) for message in detail.values()), detail
    missing = post_json(token_client(editor), "/articles", {"title": "x", "body": "y"})
    assert [item["field"] for item in missing.json()["detail"]] == ["category_id"]
    bad = post_json(token_client(editor), "/articles", {"status": "archived", "extra": 1})
    assert sorted(item["field"] for item in bad.json()["detail"]) == ["extra", "status"]
    assert not Article.objects.exists()


def test_only_editors_write(editor: Any) -> None:
    category = make_category()
    for role in (Role.SALES, Role.READ_ONLY, Role.MARKETING):
        response = post_json(
            token_client(quick_user(role)),
            "/articles",
            {"title": "x", "body": "y", "category_id": category.pk},
        )
        assert response.status_code == 403
    read_only_token = token_client(editor, scopes=("articles:read",))
    refused = post_json(
        read_only_token, "/articles", {"title": "x", "body": "y", "category_id": category.pk}
    )
    assert refused.status_code == 403
    assert get(read_only_token, "/articles").status_code == 200
    assert get(token_client(editor, scopes=("contacts:read",)), "/articles").status_code == 403


def test_list_filters_search_and_pages(editor: Any) -> None:
    published = make_article("گارانتی کالا", "گارانتی ۱۸ ماهه")
    portal = make_article("گارانتی سازمانی", "قرارداد", audience="portal")
    draft = make_article("پیش‌نویس", "متن", status="draft")
    client = token_client(quick_user(Role.READ_ONLY))
    everything = get(client, "/articles", {"limit": 2}).json()
    assert [item["id"] for item in everything["items"]] == [draft.pk, portal.pk]
    rest = get(client, "/articles", {"limit": 2, "cursor": everything["next_cursor"]}).json()
    assert ([item["id"] for item in rest["items"]], rest["next_cursor"]) == ([published.pk], None)
    found = get(client, "/articles", {"q": "گارانتي كالا"}).json()
    assert [item["id"] for item in found["items"]] == [published.pk, portal.pk]
    drafts = get(client, "/articles", {"status": "draft"}).json()
    assert [item["id"] for item in drafts["items"]] == [draft.pk]
    assert get(client, f"/articles/{draft.pk}").json()["title"] == "پیش‌نویس"
    assert get(client, "/articles/999999").status_code == 404
    assert get(client, "/articles", {"cursor": "garbage"}).status_code == 422


def test_suggest_for_agents(editor: Any) -> None:
    password = make_article("بازیابی رمز عبور", "فراموشی رمز")
    portal = make_article("رمز پورتال سازمانی", "ورود به پورتال", audience="portal")
    make_article("رمز پیش‌نویس", "رمز", status="draft")
    client = token_client(editor)
    suggested = get(client, "/articles/suggest", {"q": "رمزم را فراموش كردم"}).json()
    assert [item["id"] for item in suggested] == [password.pk, portal.pk]
    public_only = get(client, "/articles/suggest", {"q": "رمز", "portal": "false"}).json()
    assert [item["id"] for item in public_only] == [password.pk]
    empty = get(client, "/articles/suggest", {"q": ""})
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["field"] == "q"
    assert (
        get(token_client(editor), "/articles/suggest", {"q": "x", "limit": 50}).status_code == 422
    )


def test_categories_are_listed_in_order(editor: Any) -> None:
    make_category("دوم", position=2)
    make_category("اول", position=1)
    listed = get(token_client(editor), "/article-categories").json()
    assert [row["name"] for row in listed] == ["اول", "دوم"]
