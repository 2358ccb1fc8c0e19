"""The public help centre under ``/help/``: no login, published articles for everyone only
(portal-only articles and drafts are a 404 here), search, and "was this helpful?" votes
(CSRF-protected, one per browser session and article, limited per client address).

An article's views are counted once per browser session (the ids already seen are kept in
the session, the latest ``SEEN_ARTICLES_KEPT``) and at most ``VIEW_COUNT_LIMIT`` times per
address and window, so reloading the page or a script without cookies cannot push an
article up "Most read"."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.throttle import attempt_allowed
from peyvand.accounts.views import client_address

from .markup import excerpt, render_markup
from .models import Article, ArticleCategory, ArticleVote
from .search import articles_published, articles_search
from .selectors import categories_public
from .services import article_viewed, article_vote, search_log_record, voter_key

MAX_QUERY = 200
SEARCH_RESULTS = 20
# Searches logged per address per window: a script cannot flood the editors' report.
SEARCH_LOG_LIMIT = 60
SEARCH_LOG_WINDOW = 600
# Views counted per address per window, and the article ids kept in a session.
VIEW_COUNT_LIMIT = 60
VIEW_COUNT_WINDOW = 600
SEEN_ARTICLES_KEPT = 200
SEEN_SESSION_KEY = "kb_seen_articles"


def help_home(request: HttpRequest) -> HttpResponse:
    """Categories with their articles, and the most read ones."""
    articles = articles_published(portal=False).only("id", "title", "category_id")
    articles = articles.order_by("title", "id")
    by_category: dict[int, list[Article]] = {}
    for article in articles:
        by_category.setdefault(article.category_id, []).append(article)
    categories = [
        (category, by_category.get(category.pk, [])[:6])
        for category in categories_public(portal=False)
    ]
    popular = articles_published(portal=False).order_by("-view_count", "-id")[:5]
    return render(
        request, "knowledge/help_home.html", {"categories": categories, "popular": popular}
    )


def help_category(request: HttpRequest, category_id: int) -> HttpResponse:
    category = ArticleCategory.objects.filter(pk=category_id).first()
    if category is None:
        raise Http404
    articles = (
        articles_published(portal=False)
        .filter(category=category)
        .select_related("category")
        .order_by("title", "id")
    )
    if not articles:
        raise Http404
    rows = [(article, excerpt(article.body)) for article in articles]
    return render(request, "knowledge/help_category.html", {"category": category, "rows": rows})


def help_search(request: HttpRequest) -> HttpResponse:
    """Published public articles for the visitor's query, best first. The query is counted
    in the search log (with how many results it got) for the editors' report."""
    query = str(request.GET.get("q", "")).strip()[:MAX_QUERY]
    results = articles_search(query, portal=False, limit=SEARCH_RESULTS) if query else []
    if query:
        address = client_address(request)
        if attempt_allowed("kb-search", address, limit=SEARCH_LOG_LIMIT, window=SEARCH_LOG_WINDOW):
            search_log_record(text=query, result_count=len(results))
    rows = [(article, excerpt(article.body)) for article in results]
    return render(request, "knowledge/help_search.html", {"q": query, "rows": rows})


def _public_article(article_id: int) -> Article:
    article = articles_published(portal=False).select_related("category").filter(pk=article_id)
    found = article.first()
    if found is None:
        raise Http404
    return found


def _has_voted(request: HttpRequest, article: Article) -> bool:
    session_key = request.session.session_key
    return (
        bool(session_key)
        and ArticleVote.objects.filter(article=article, voter=voter_key(session_key or "")).exists()
    )


def _first_view(request: HttpRequest, article: Article) -> bool:
    """Whether this session has not seen ``article`` yet; remembers it if so."""
    seen = request.session.get(SEEN_SESSION_KEY)
    seen_ids = [item for item in seen if isinstance(item, int)] if isinstance(seen, list) else []
    if article.pk in seen_ids:
        return False
    request.session[SEEN_SESSION_KEY] = [*seen_ids, article.pk][-SEEN_ARTICLES_KEPT:]
    return True


def help_article(request: HttpRequest, article_id: int) -> HttpResponse:
    """A published public article. Its view is counted once per session (see the module
    docstring); the page shown again after a vote is not a view."""
    article = _public_article(article_id)
    if (
        "voted" not in request.GET
        and _first_view(request, article)
        and attempt_allowed(
            "kb-view", client_address(request), limit=VIEW_COUNT_LIMIT, window=VIEW_COUNT_WINDOW
        )
    ):
        article_viewed(article=article)
    return _article_page(request, article)


def _article_page(request: HttpRequest, article: Article, *, status: int = 200) -> HttpResponse:
    related = [
        item
        for item in articles_search(article.title, portal=False, limit=4)
        if item.pk != article.pk
    ][:3]
    context = {
        "article": article,
        "body_html": render_markup(article.body),
        "has_voted": _has_voted(request, article),
        "throttled": status == 429,
        "related": related,
    }
    return render(request, "knowledge/help_article.html", context, status=status)


@require_POST
def help_vote(request: HttpRequest, article_id: int) -> HttpResponse:
    """Count "yes" or "no" once per browser session and article. The session cookie is all
    that tells visitors apart: without it (another browser, cookies cleared) a person can
    answer again, so answers are also limited per client address."""
    article = _public_article(article_id)
    if not attempt_allowed(
        "kb-vote",
        client_address(request),
        limit=settings.PEYVAND_KB_VOTES_PER_ADDRESS,
        window=settings.PEYVAND_KB_VOTE_WINDOW_SECONDS,
    ):
        return _article_page(request, article, status=429)
    answer = request.POST.get("helpful")
    if answer not in {"yes", "no"}:
        messages.error(request, _("Choose yes or no."))
        return redirect(reverse("help:article", args=[article.pk]) + "?voted=1#vote")
    if not request.session.session_key:
        request.session["kb_visitor"] = True
        request.session.save()
    counted = article_vote(
        article=article,
        voter=voter_key(request.session.session_key or ""),
        is_helpful=answer == "yes",
    )
    if counted:
        messages.success(request, _("Thank you for your feedback."))
    else:
        messages.info(request, _("You have already answered for this article."))
    return redirect(reverse("help:article", args=[article.pk]) + "?voted=1#vote")
