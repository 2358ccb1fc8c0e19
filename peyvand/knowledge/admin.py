"""Admin: articles and categories are written in the app (``/kb/``) so their search
columns and events are kept; here they are read-only lists, like votes, the search log and
answer drafts."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import AnswerDraft, Article, ArticleCategory, ArticleVote, SearchTerm


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


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
