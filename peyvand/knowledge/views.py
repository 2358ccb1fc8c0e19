"""The editor side of the knowledge base under ``/kb/``: the article list with filters and
search, an article's page (as readers will see it, with its figures), writing and
publishing articles, categories, and the report of searches that found nothing. Everyone
signed in reads; administrators, managers and support write."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.common.pagination import keyset_page
from peyvand.web.form_errors import add_service_errors

from .forms import ArticleForm, CategoryForm
from .markup import render_markup
from .models import Article, ArticleAudience, ArticleCategory, ArticleStatus
from .selectors import (
    ARTICLE_SORTS,
    articles_filtered,
    articles_ranked,
    articles_visible_to,
    categories_with_counts,
    search_terms_without_results,
)
from .services import article_save, category_save

_FILTER_KEYS = ("q", "category", "status", "audience", "sort")


def _can_write(request: AuthenticatedRequest) -> bool:
    return has_permission(request.user, "write", "articles")


@login_required
def article_list(request: AuthenticatedRequest) -> HttpResponse:
    """Articles with filters; a search query ranks them by relevance instead of date."""
    require_permission(request.user, "read", "articles")
    filters = {key: str(request.GET[key]) for key in _FILTER_KEYS if request.GET.get(key)}
    query = filters.get("q", "").strip()
    next_cursor = None
    if query:
        articles = [item.article for item in articles_ranked(request.user, filters, query)]
    else:
        sort = filters.get("sort", "updated")
        try:
            page = keyset_page(
                articles_filtered(request.user, filters),
                ordering=ARTICLE_SORTS.get(sort, ARTICLE_SORTS["updated"]),
                cursor=request.GET.get("cursor") or None,
                limit=50,
            )
        except ValidationError:
            raise Http404 from None
        articles, next_cursor = page.items, page.next_cursor
    context = {
        "articles": articles,
        "filters": filters,
        "next_cursor": next_cursor,
        "next_query": urlencode({**filters, "cursor": next_cursor or ""}),
        "categories": ArticleCategory.objects.order_by("position", "name"),
        "statuses": ArticleStatus.choices,
        "audiences": ArticleAudience.choices,
        "sorts": [
            ("updated", _("Recently changed")),
            ("newest", _("Newest")),
            ("views", _("Most viewed")),
            ("helpful", _("Most helpful")),
        ],
        "can_write": _can_write(request),
    }
    return render(request, "knowledge/article_list.html", context)


def _visible_article(request: AuthenticatedRequest, article_id: int) -> Article:
    article = articles_visible_to(request.user).filter(pk=article_id).first()
    if article is None:
        raise Http404
    return article


@login_required
def article_detail(request: AuthenticatedRequest, article_id: int) -> HttpResponse:
    require_permission(request.user, "read", "articles")
    article = _visible_article(request, article_id)
    context = {
        "article": article,
        "body_html": render_markup(article.body),
        "can_write": _can_write(request),
    }
    return render(request, "knowledge/article_detail.html", context)


def _article_form(request: AuthenticatedRequest, article: Article | None) -> HttpResponse:
    require_permission(request.user, "write", "articles")
    initial = (
        {
            "title": article.title,
            "category": article.category_id,
            "audience": article.audience,
            "status": article.status,
            "body": article.body,
        }
        if article
        else {
            "status": ArticleStatus.DRAFT,
            "audience": ArticleAudience.PUBLIC,
            "title": str(request.GET.get("title", ""))[:200],
        }
    )
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = article_save(actor=request.user, values=form.cleaned_data, article=article)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Published.") if saved.is_published else _("Saved as a draft.")
            )
            return redirect("knowledge:article_detail", saved.pk)
    return render(request, "knowledge/article_form.html", {"form": form, "record": article})


@login_required
def article_create(request: AuthenticatedRequest) -> HttpResponse:
    return _article_form(request, None)


@login_required
def article_edit(request: AuthenticatedRequest, article_id: int) -> HttpResponse:
    require_permission(request.user, "read", "articles")
    return _article_form(request, _visible_article(request, article_id))


@login_required
def category_list(request: AuthenticatedRequest) -> HttpResponse:
    """Categories in order with their article counts, and a form to add one."""
    require_permission(request.user, "read", "articles")
    form = CategoryForm(request.POST or None)
    if request.method == "POST":
        require_permission(request.user, "write", "articles")
        if form.is_valid():
            try:
                category_save(actor=request.user, values=form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("knowledge:category_list")
    context = {
        "categories": categories_with_counts(),
        "form": form,
        "can_write": _can_write(request),
    }
    return render(request, "knowledge/category_list.html", context)


@login_required
def category_edit(request: AuthenticatedRequest, category_id: int) -> HttpResponse:
    require_permission(request.user, "write", "articles")
    category = ArticleCategory.objects.filter(pk=category_id).first()
    if category is None:
        raise Http404
    form = CategoryForm(
        request.POST or None, initial={"name": category.name, "position": category.position}
    )
    if request.method == "POST" and form.is_valid():
        try:
            category_save(actor=request.user, values=form.cleaned_data, category=category)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("knowledge:category_list")
    return render(request, "knowledge/category_form.html", {"form": form, "record": category})


@login_required
def no_result_report(request: AuthenticatedRequest) -> HttpResponse:
    """What visitors searched for on the help centre and found nothing: what to write next."""
    require_permission(request.user, "read", "articles")
    context = {"terms": search_terms_without_results(), "can_write": _can_write(request)}
    return render(request, "knowledge/no_results.html", context)


@login_required
@require_POST
def article_preview(request: AuthenticatedRequest) -> HttpResponse:
    """The text as readers will see it (htmx, from the article form)."""
    require_permission(request.user, "read", "articles")
    return HttpResponse(render_markup(str(request.POST.get("body", ""))[:100_000]))
