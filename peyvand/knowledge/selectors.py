"""Reads of the knowledge base for the people who work in Peyvand (the editor side), and
the report of searches that found nothing. Readers' reads (the help centre, the portal,
suggestions) are in ``search``: published articles only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from peyvand.accounts.permissions import has_permission

from .models import Article, ArticleAudience, ArticleCategory, ArticleStatus, SearchTerm
from .search import Ranked, rank

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from peyvand.accounts.models import User

ARTICLE_SORTS: dict[str, list[str]] = {
    "updated": ["-updated_at", "-id"],
    "newest": ["-id"],
    "views": ["-view_count", "-id"],
    "helpful": ["-helpful_yes", "-id"],
}


def articles_visible_to(user: User | AnonymousUser | None) -> QuerySet[Article]:
    """Every article, drafts included, for a user who may read the knowledge base;
    nothing otherwise (fails closed)."""
    articles = Article.objects.select_related("category", "author")
    if not has_permission(user, "read", "articles"):
        return articles.none()
    return articles


def articles_filtered(
    user: User | AnonymousUser | None, filters: Mapping[str, str]
) -> QuerySet[Article]:
    """Visible articles narrowed by category, status and audience (unknown values match
    nothing)."""
    articles = articles_visible_to(user)
    category = str(filters.get("category") or "")
    if category:
        articles = (
            articles.filter(category_id=int(category))
            if category.isdigit() and len(category) <= 18  # beyond that it is no id
            else articles.none()
        )
    status = str(filters.get("status") or "")
    if status:
        articles = (
            articles.filter(status=status) if status in ArticleStatus.values else articles.none()
        )
    audience = str(filters.get("audience") or "")
    if audience:
        articles = (
            articles.filter(audience=audience)
            if audience in ArticleAudience.values
            else articles.none()
        )
    return articles


def articles_ranked(
    user: User | AnonymousUser | None, filters: Mapping[str, str], query: str, limit: int = 100
) -> list[Ranked]:
    """The filtered articles that match ``query``, best first."""
    return rank(articles_filtered(user, filters), query, limit=limit)


def categories_with_counts() -> QuerySet[ArticleCategory]:
    """Categories in order, each with its number of articles and of published ones."""
    return ArticleCategory.objects.annotate(
        article_total=Count("articles"),
        published_total=Count("articles", filter=Q(articles__status=ArticleStatus.PUBLISHED)),
    ).order_by("position", "name")


def categories_public(*, portal: bool = False) -> QuerySet[ArticleCategory]:
    """Categories that have published articles a reader may see, with their count."""
    condition = Q(articles__status=ArticleStatus.PUBLISHED)
    if not portal:
        condition &= Q(articles__audience=ArticleAudience.PUBLIC)
    return (
        ArticleCategory.objects.annotate(article_total=Count("articles", filter=condition))
        .filter(article_total__gt=0)
        .order_by("position", "name")
    )


def search_terms_without_results(limit: int = 200) -> QuerySet[SearchTerm]:
    """What visitors searched for and did not find, most often first."""
    return SearchTerm.objects.filter(no_result_count__gt=0).order_by(
        "-no_result_count", "-last_searched_at", "id"
    )[:limit]
