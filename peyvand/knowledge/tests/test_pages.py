"""The editor pages under /kb/ (sign-in, who reads and who writes, list, search, publish,
categories, the no-result report) and the public help centre under /help/ (public
published articles only, search, views and votes once per session, votes with CSRF and a
limit per address) with the number of queries not growing with the rows shown."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peyvand.accounts.models import Role, User
from peyvand.knowledge.models import Article, ArticleCategory, ArticleVote, SearchTerm
from peyvand.knowledge.services import search_log_record

from .factories import make_article, make_category

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles() -> dict[str, Article]:
    return {
        "public": make_article("گارانتی کالا", "کالاهای دیجیتال **۱۸ ماه** گارانتی دارند."),
        "portal": make_article(
            "گارانتی سازمانی", "گارانتی ویژه قرارداد سازمانی.", audience="portal"
        ),
        "draft": make_article("گارانتی تمدیدی", "پیش‌نویس گارانتی.", status="draft"),
    }


# --- the editor side -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/kb/", "/kb/articles/new/", "/kb/categories/", "/kb/searches/no-results/"]
)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_everyone_signed_in_reads_and_only_editors_write(
    logged_in: Callable[[User], Client],
    make_user: Callable[..., User],
    articles: dict[str, Article],
) -> None:
    reader = logged_in(make_user(role=Role.READ_ONLY))
    listing = reader.get("/kb/")
    assert listing.status_code == 200
    assert re.findall(r'data-article="(\d+)"', listing.content.decode()) == [
        str(articles["draft"].pk),
        str(articles["portal"].pk),
        str(articles["public"].pk),
    ]
    assert "new-article" not in listing.content.decode()
    assert reader.get(f"/kb/articles/{articles['draft'].pk}/").status_code == 200
    assert reader.get("/kb/articles/new/").status_code == 403
    assert reader.get(f"/kb/articles/{articles['public'].pk}/edit/").status_code == 403
    assert reader.post("/kb/categories/", {"name": "تازه", "position": 1}).status_code == 403
    assert reader.get("/kb/articles/999999/").status_code == 404


def test_the_list_filters_and_ranks_a_search(
    logged_in: Callable[[User], Client],
    make_user: Callable[..., User],
    articles: dict[str, Article],
) -> None:
    client = logged_in(make_user(role=Role.SALES))

    def ids(query: dict[str, str]) -> list[str]:
        return re.findall(r'data-article="(\d+)"', client.get("/kb/", query).content.decode())

    assert ids({"status": "draft"}) == [str(articles["draft"].pk)]
    assert ids({"audience": "portal"}) == [str(articles["portal"].pk)]
    assert ids({"status": "nonsense"}) == []
    assert ids({"category": "9" * 30}) == []
    assert ids({"q": "گارانتي ديجيتال"}) == [
        str(articles["public"].pk),
        str(articles["draft"].pk),
        str(articles["portal"].pk),
    ]
    assert ids({"q": "گارانتي", "status": "published", "audience": "public"}) == [
        str(articles["public"].pk)
    ]


def test_an_editor_writes_a_draft_then_publishes_it(
    logged_in: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    editor = make_user(role=Role.SUPPORT)
    client = logged_in(editor)
    category = make_category("حساب کاربری")
    response = client.post(
        "/kb/articles/new/",
        {
            "title": "بازیابی رمز عبور",
            "category": category.pk,
            "audience": "public",
            "status": "draft",
            "body": "روی **فراموشی رمز** بزنید.",
        },
    )
    article = Article.objects.get()
    assert response["Location"] == f"/kb/articles/{article.pk}/"
    assert (article.status, article.author) == ("draft", editor)
    page = client.get(f"/kb/articles/{article.pk}/").content.decode()
    assert "<strong>فراموشی رمز</strong>" in page
    assert Client().get(f"/help/articles/{article.pk}/").status_code == 404
    client.post(
        f"/kb/articles/{article.pk}/edit/",
        {
            "title": "بازیابی رمز عبور",
            "category": category.pk,
            "audience": "public",
            "status": "published",
            "body": "روی **فراموشی رمز** بزنید.",
        },
    )
    article.refresh_from_db()
    assert article.status == "published" and article.published_at is not None
    assert Client().get(f"/help/articles/{article.pk}/").status_code == 200


def test_form_errors_show_by_field(
    logged_in: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    client = logged_in(make_user(role=Role.MANAGER))
    response = client.post(
        "/kb/articles/new/", {"title": "", "category": "", "audience": "x", "status": "draft"}
    )
    assert response.status_code == 200
    fields = set(re.findall(r'data-error-for="(\w+)"', response.content.decode()))
    assert fields == {"title", "category", "audience", "body"}
    assert not Article.objects.exists()


def test_the_preview_renders_safely(
    logged_in: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    client = logged_in(make_user(role=Role.SUPPORT))
    response = client.post("/kb/articles/preview/", {"body": "**پررنگ** <script>"})
    assert response.content.decode() == "<p><strong>پررنگ</strong> &lt;script&gt;</p>"


def test_categories_are_added_and_renamed(
    logged_in: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    client = logged_in(make_user(role=Role.ADMIN))
    assert client.post("/kb/categories/", {"name": "پرداخت", "position": 2}).status_code == 302
    category = ArticleCategory.objects.get()
    duplicate = client.post("/kb/categories/", {"name": "پرداخت", "position": 3})
    assert 'data-error-for="name"' in duplicate.content.decode()
    client.post(f"/kb/categories/{category.pk}/edit/", {"name": "پرداخت و فاکتور", "position": 1})
    category.refresh_from_db()
    assert (category.name, category.position) == ("پرداخت و فاکتور", 1)


def test_the_no_result_report_lists_terms_with_jalali_dates(
    logged_in: Callable[[User], Client],
    make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    when = datetime.datetime(2026, 3, 21, 9, 30, tzinfo=datetime.UTC)  # 1 Farvardin 1405
    monkeypatch.setattr(timezone, "now", lambda: when)
    search_log_record(text="اقساط بدون ضامن", result_count=0)
    search_log_record(text="اقساط بدون ضامن", result_count=0)
    search_log_record(text="پیک موتوری", result_count=0)
    search_log_record(text="گارانتی", result_count=4)
    page = logged_in(make_user(role=Role.READ_ONLY)).get("/kb/searches/no-results/")
    html = page.content.decode()
    assert re.findall(r'data-term="([^"]+)"', html) == ["اقساط بدون ضامن", "پیک موتور"]
    assert "۱۴۰۵/۰۱/۰۱" in html
    assert "/kb/articles/new/" not in html  # a reader is not offered to write one


# --- the public help centre ----------------------------------------------------------------


def test_the_help_centre_shows_only_public_published_articles(
    client: Client, articles: dict[str, Article]
) -> None:
    home = client.get("/help/").content.decode()
    assert "گارانتی کالا" in home
    assert "گارانتی سازمانی" not in home and "گارانتی تمدیدی" not in home
    assert client.get(f"/help/articles/{articles['public'].pk}/").status_code == 200
    assert client.get(f"/help/articles/{articles['portal'].pk}/").status_code == 404
    assert client.get(f"/help/articles/{articles['draft'].pk}/").status_code == 404
    category = articles["public"].category_id
    assert client.get(f"/help/categories/{category}/").status_code == 200


def test_public_search_never_shows_portal_or_draft_articles_and_logs_the_query(
    client: Client, articles: dict[str, Article]
) -> None:
    response = client.get("/help/search/", {"q": "گارانتي"})
    found = re.findall(r'data-article="(\d+)"', response.content.decode())
    assert found == [str(articles["public"].pk)]
    missing = client.get("/help/search/", {"q": "پیتزا"})
    assert 'id="no-results"' in missing.content.decode()
    assert sorted(SearchTerm.objects.values_list("key", "last_result_count")) == [
        ("پیتزا", 0),
        ("گارانت", 1),
    ]


def test_the_article_page_counts_views_once_per_session_and_renders_markup(
    client: Client, articles: dict[str, Article]
) -> None:
    url = f"/help/articles/{articles['public'].pk}/"
    page = client.get(url).content.decode()
    assert "<strong>۱۸ ماه</strong>" in page
    client.get(url)  # a reload
    articles["public"].refresh_from_db()
    assert articles["public"].view_count == 1
    Client().get(url)  # another visitor
    articles["public"].refresh_from_db()
    assert articles["public"].view_count == 2
    assert client.session["kb_seen_articles"] == [articles["public"].pk]


def test_a_session_remembers_only_the_latest_articles(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peyvand.knowledge import public_views

    monkeypatch.setattr(public_views, "SEEN_ARTICLES_KEPT", 2)
    first, second, third = (make_article(f"مقاله {name}") for name in ("الف", "ب", "ج"))
    for article in (first, second, third, third):
        client.get(f"/help/articles/{article.pk}/")
    assert client.session["kb_seen_articles"] == [second.pk, third.pk]
    client.get(f"/help/articles/{first.pk}/")  # forgotten, so counted again
    views = dict(Article.objects.values_list("pk", "view_count"))
    assert views == {first.pk: 2, second.pk: 1, third.pk: 1}


def test_views_without_a_session_cookie_are_limited_per_address(
    articles: dict[str, Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    from peyvand.knowledge import public_views

    monkeypatch.setattr(public_views, "VIEW_COUNT_LIMIT", 2)
    url = f"/help/articles/{articles['public'].pk}/"
    for _request in range(4):  # a script that drops the cookie every time
        assert Client().get(url).status_code == 200
    articles["public"].refresh_from_db()
    assert articles["public"].view_count == 2


# --- queries do not grow with the rows shown ------------------------------------------------


def _query_count(client: Client, path: str, params: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params or {})
    assert response.status_code == 200
    return len(captured)


def _more_articles(count: int, start: int = 0, category: ArticleCategory | None = None) -> None:
    for number in range(start, start + count):
        make_article(
            f"گارانتی شماره {number}",
            "گارانتی کالا",
            category=category or make_category(f"دسته {number % 3}"),
        )


def test_the_help_category_page_reads_the_same_number_of_rows_for_2_or_10_articles(
    client: Client,
) -> None:
    category = make_category("لوازم")
    _more_articles(2, category=category)
    few = _query_count(client, f"/help/categories/{category.pk}/")
    _more_articles(8, start=2, category=category)
    many = client.get(f"/help/categories/{category.pk}/")
    assert len(re.findall(r'data-article="(\d+)"', many.content.decode())) == 10
    assert _query_count(client, f"/help/categories/{category.pk}/") == few


def test_the_help_search_reads_the_same_number_of_rows_for_2_or_10_results(
    client: Client,
) -> None:
    _more_articles(2)
    client.get("/help/search/", {"q": "گارانتی"})  # the first search creates its log row
    few = _query_count(client, "/help/search/", {"q": "گارانتی"})
    _more_articles(8, start=2)
    many = client.get("/help/search/", {"q": "گارانتی"})
    assert len(re.findall(r'data-article="(\d+)"', many.content.decode())) == 10
    assert _query_count(client, "/help/search/", {"q": "گارانتی"}) == few


@pytest.mark.parametrize("params", [{}, {"q": "گارانتی"}])
def test_the_article_list_reads_the_same_number_of_rows_for_2_or_10_articles(
    logged_in: Callable[[User], Client],
    make_user: Callable[..., User],
    params: dict[str, str],
) -> None:
    client = logged_in(make_user(role=Role.SUPPORT))
    _more_articles(2)
    few = _query_count(client, "/kb/", params)
    _more_articles(8, start=2)
    many = client.get("/kb/", params)
    assert len(re.findall(r'data-article="(\d+)"', many.content.decode())) == 10
    assert _query_count(client, "/kb/", params) == few


def test_votes_need_the_csrf_token(articles: dict[str, Article]) -> None:
    browser = Client(enforce_csrf_checks=True)
    url = f"/help/articles/{articles['public'].pk}/"
    assert browser.post(url + "vote/", {"helpful": "yes"}).status_code == 403
    page = browser.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = browser.post(url + "vote/", {"helpful": "yes", "csrfmiddlewaretoken": token[1]})
    assert response.status_code == 302
    articles["public"].refresh_from_db()
    assert articles["public"].helpful_yes == 1


def test_one_vote_per_visitor_and_article(client: Client, articles: dict[str, Article]) -> None:
    url = f"/help/articles/{articles['public'].pk}/"
    first = client.post(url + "vote/", {"helpful": "no"})
    assert first["Location"] == url + "?voted=1#vote"
    client.post(url + "vote/", {"helpful": "yes"})
    client.post(url + "vote/", {"helpful": "maybe"})
    articles["public"].refresh_from_db()
    assert (articles["public"].helpful_yes, articles["public"].helpful_no) == (0, 1)
    assert ArticleVote.objects.count() == 1
    page = client.get(first["Location"]).content.decode()
    assert 'id="vote-done"' in page and 'id="vote-form"' not in page
    Client().post(url + "vote/", {"helpful": "yes"})  # another visitor
    articles["public"].refresh_from_db()
    assert (articles["public"].helpful_yes, articles["public"].helpful_no) == (1, 1)
    assert articles["public"].view_count == 0  # the page after a vote is not a view


def test_votes_on_hidden_articles_are_404(client: Client, articles: dict[str, Article]) -> None:
    for key in ("portal", "draft"):
        response = client.post(f"/help/articles/{articles[key].pk}/vote/", {"helpful": "yes"})
        assert response.status_code == 404
    assert not ArticleVote.objects.exists()


def test_votes_are_limited_per_address(settings: object, articles: dict[str, Article]) -> None:
    settings.PEYVAND_KB_VOTES_PER_ADDRESS = 2  # type: ignore[attr-defined]
    url = f"/help/articles/{articles['public'].pk}/vote/"
    for _visitor in range(2):
        assert Client().post(url, {"helpful": "yes"}).status_code == 302
    refused = Client().post(url, {"helpful": "yes"})
    assert refused.status_code == 429
    assert 'id="vote-throttled"' in refused.content.decode()
    articles["public"].refresh_from_db()
    assert articles["public"].helpful_yes == 2
