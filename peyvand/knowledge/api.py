"""REST endpoints of the knowledge base: ``/api/v1/articles`` (list with filters, or
ranked by ``q``; get; create; change), ``/api/v1/articles/suggest?q=`` (the articles an
agent would suggest for a customer's question) and ``/api/v1/article-categories``."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.api.common import PageOut, cursor_page, page_limit

from .markup import render_markup
from .models import Article, ArticleCategory
from .search import articles_suggest
from .selectors import ARTICLE_SORTS, articles_filtered, articles_ranked, articles_visible_to
from .services import article_save

router = Router(tags=["knowledge"])


class ArticleOut(Schema):
    id: int
    title: str
    body: str
    body_html: str
    category_id: int
    category_name: str
    status: str
    audience: str
    author_id: int | None
    helpful_yes: int
    helpful_no: int
    view_count: int
    published_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_body_html(obj: Article) -> str:
        return str(render_markup(obj.body))

    @staticmethod
    def resolve_category_name(obj: Article) -> str:
        return obj.category.name


class ArticleSummaryOut(Schema):
    id: int
    title: str
    category_id: int
    status: str
    audience: str


class ArticleIn(Schema):
    """Fields of an article; on PATCH send only those to change. A new article is a draft
    unless ``status`` is ``published``."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field("", max_length=200)
    body: str = ""
    category_id: int | None = None
    status: Literal["draft", "published"] = "draft"
    audience: Literal["public", "portal"] = "public"


class ArticleFilters(Schema):
    q: str = Field("", max_length=200)
    category_id: int | None = None
    status: str = ""
    audience: str = ""
    sort: str = "updated"
    cursor: str | None = None
    limit: int = 50


class SuggestFilters(Schema):
    q: str = Field(..., min_length=1, max_length=5000)
    portal: bool = True
    limit: int = Field(3, ge=1, le=10)


class CategoryOut(Schema):
    id: int
    name: str
    position: int


def _saved(*, actor: Any, payload: ArticleIn, article: Article | None = None) -> Article:
    """``article_save`` with the payload, its errors named as the API names the fields
    (``category_id``); an unknown category id is "No such record." with the other errors."""
    values = payload.dict(exclude_unset=True)
    if article is None:
        values = {"status": payload.status, "audience": payload.audience, **values}
    unknown_category = False
    if "category_id" in values:
        category_id = values.pop("category_id")
        category = None
        if category_id is not None:
            category = ArticleCategory.objects.filter(pk=category_id).first()
            unknown_category = category is None
        values["category"] = category
    try:
        return article_save(actor=actor, values=values, article=article)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        errors = {
            ("category_id" if field == "category" else field): messages
            for field, messages in error.error_dict.items()
        }
        if unknown_category:
            errors["category_id"] = [ValidationError(_("No such record."), code="does_not_exist")]
        raise ValidationError(errors) from error


@router.get("/articles", response=PageOut[ArticleOut], summary="List or search articles")
def list_articles(request: AuthenticatedRequest, filters: Query[ArticleFilters]) -> dict[str, Any]:
    """Every article (drafts too) with filters. With ``q`` the matches come ranked by
    relevance, best first, on one page (``next_cursor`` is null)."""
    require_permission(request.user, "read", "articles")
    wanted = {
        "category": "" if filters.category_id is None else str(filters.category_id),
        "status": filters.status,
        "audience": filters.audience,
    }
    if filters.q.strip():
        ranked = articles_ranked(request.user, wanted, filters.q, limit=page_limit(filters.limit))
        return {"items": [item.article for item in ranked], "next_cursor": None}
    page = cursor_page(
        articles_filtered(request.user, wanted),
        ordering=ARTICLE_SORTS.get(filters.sort, ARTICLE_SORTS["updated"]),
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get(
    "/articles/suggest", response=list[ArticleSummaryOut], summary="Suggest articles for a question"
)
def suggest_articles(
    request: AuthenticatedRequest, filters: Query[SuggestFilters]
) -> list[Article]:
    """The published articles that best answer a customer's question (``portal=false``
    leaves out the portal-only ones, as for an anonymous visitor)."""
    require_permission(request.user, "read", "articles")
    require_permission(request.user, "read", "tickets")
    return articles_suggest(filters.q, portal=filters.portal, limit=filters.limit)


@router.get("/articles/{article_id}", response=ArticleOut, summary="Get an article")
def get_article(request: AuthenticatedRequest, article_id: int) -> Article:
    require_permission(request.user, "read", "articles")
    return articles_visible_to(request.user).get(pk=article_id)


@router.post("/articles", response={201: ArticleOut}, summary="Create an article")
def create_article(request: AuthenticatedRequest, payload: ArticleIn) -> Status[Article]:
    require_permission(request.user, "write", "articles")
    return Status(201, _saved(actor=request.user, payload=payload))


@router.patch("/articles/{article_id}", response=ArticleOut, summary="Change an article")
def update_article(request: AuthenticatedRequest, article_id: int, payload: ArticleIn) -> Article:
    require_permission(request.user, "write", "articles")
    article = articles_visible_to(request.user).get(pk=article_id)
    return _saved(actor=request.user, payload=payload, article=article)


@router.get("/article-categories", response=list[CategoryOut], summary="List article categories")
def list_categories(request: AuthenticatedRequest) -> list[ArticleCategory]:
    require_permission(request.user, "read", "articles")
    return list(ArticleCategory.objects.order_by("position", "name"))
