"""Admin: articles and categories are written in the app (``/kb/``) so their search
columns, counters and events are kept; here they are read-only lists (nothing added,
changed or deleted), like votes, the search log and answer drafts."""

from __future__ import annotations

from django.contrib import admin

from peyvand.common.admin import ReadOnlyAdmin

from .models import AnswerDraft, Article, ArticleCategory, ArticleVote, SearchTerm


@admin.register(ArticleCategory)
class ArticleCategoryAdmin(ReadOnlyAdmin):
    list_display = ("name", "position")


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = (
        "title",
        "category",
        "status",
        "audience",
        "view_count",
        "helpful_yes",
        "helpful_no",
        "updated_at",
    )
    list_filter = ("status", "audience", "category")
    search_fields = ("title",)


@admin.register(ArticleVote)
class ArticleVoteAdmin(ReadOnlyAdmin):
    list_display = ("article", "is_helpful", "created_at")


@admin.register(SearchTerm)
class SearchTermAdmin(ReadOnlyAdmin):
    list_display = ("text", "search_count", "no_result_count", "last_searched_at")
    search_fields = ("key", "text")


@admin.register(AnswerDraft)
class AnswerDraftAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "status", "model_name", "decided_by", "created_at")
    list_filter = ("status",)
