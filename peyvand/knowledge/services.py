"""Every write to the knowledge base: categories, articles (draft and publish), the
visitors' "was this helpful?" votes and views, and the search log. Editors' writes check the
"articles" permission and append one event to the log (the audit trail)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.permissions import require_permission
from peyvand.common.persian import clean_persian
from peyvand.timeline.events import event_record, field_changes, snapshot

from .models import (
    Article,
    ArticleAudience,
    ArticleCategory,
    ArticleStatus,
    ArticleVote,
    SearchTerm,
)
from .search import indexed, query_key

if TYPE_CHECKING:
    from peyvand.accounts.models import User

ARTICLE_FIELDS = ("title", "body", "category", "status", "audience")
MAX_BODY = 100_000


def _check(actor: User | None) -> None:
    """``None`` is the system (demo data, a migration); people always need the grant."""
    if actor is not None:
        require_permission(actor, "write", "articles")


def _required(message: str) -> list[ValidationError]:
    return [ValidationError(message, code="required")]


def category_save(
    *, actor: User | None, values: Mapping[str, Any], category: ArticleCategory | None = None
) -> ArticleCategory:
    """Create or rename a category (names are unique, compared after Persian cleaning)."""
    _check(actor)
    item = category or ArticleCategory()
    errors: dict[str, list[ValidationError]] = {}
    if "name" in values:
        item.name = clean_persian(str(values["name"] or ""))[:120]
    if "position" in values:
        position = values["position"]
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            errors["position"] = [
                ValidationError(_("Enter a whole number, 0 or more."), code="invalid")
            ]
        else:
            item.position = position
    if not item.name:
        errors["name"] = _required(_("Name the category."))
    elif ArticleCategory.objects.filter(name=item.name).exclude(pk=item.pk).exists():
        errors["name"] = [
            ValidationError(_("A category with this name already exists."), code="unique")
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        created = item.pk is None
        item.save()
        event_record(
            actor=actor,
            verb="article_category.created" if created else "article_category.updated",
            subject=item,
            summary=item.name,
        )
    return item


def _set_article_values(
    article: Article, values: Mapping[str, Any]
) -> dict[str, list[ValidationError]]:
    errors: dict[str, list[ValidationError]] = {}
    if "title" in values:
        article.title = clean_persian(str(values["title"] or ""))
        if not article.title:
            errors["title"] = _required(_("Write the article's title."))
        elif len(article.title) > 200:
            errors["title"] = [ValidationError(_("At most 200 characters."), code="max_length")]
    if "body" in values:
        article.body = clean_persian(str(values["body"] or ""), multiline=True)
        if not article.body:
            errors["body"] = _required(_("Write the article's text."))
        elif len(article.body) > MAX_BODY:
            errors["body"] = [
                ValidationError(
                    _("At most %(limit)s characters.") % {"limit": MAX_BODY}, code="max_length"
                )
            ]
    if "category" in values:
        category = values["category"]
        if not isinstance(category, ArticleCategory):
            errors["category"] = _required(_("Choose a category."))
        else:
            article.category = category
    for name, choices in (("status", ArticleStatus), ("audience", ArticleAudience)):
        if name in values:
            if values[name] not in choices.values:
                errors[name] = [
                    ValidationError(_("Choose one of the allowed values."), code="invalid_choice")
                ]
            else:
                setattr(article, name, values[name])
    return errors


def article_save(
    *, actor: User | None, values: Mapping[str, Any], article: Article | None = None
) -> Article:
    """Create an article (a draft unless ``status`` says published) or change one.

    The search columns are rebuilt from the title and text; publishing for the first time
    stamps ``published_at``. One event: ``article.created``, ``article.published``,
    ``article.unpublished`` or ``article.updated`` with the changed fields. Raises
    ``ValidationError`` by field; nothing is saved then."""
    _check(actor)
    creating = article is None
    item = article or Article(author=actor)
    before = {} if creating else snapshot(item, ARTICLE_FIELDS)
    errors = _set_article_values(item, values)
    if creating:
        for name, message in (
            ("title", _("Write the article's title.")),
            ("body", _("Write the article's text.")),
            ("category", _("Choose a category.")),
        ):
            if name not in values and name not in errors:
                errors[name] = _required(message)
    if errors:
        raise ValidationError(errors)
    item.search_title, item.title_length = indexed(item.title)
    item.search_body, item.body_length = indexed(item.body)
    was_published = before.get("status") == ArticleStatus.PUBLISHED
    if item.status == ArticleStatus.PUBLISHED and item.published_at is None:
        item.published_at = timezone.now()
    with transaction.atomic():
        item.save()
        changes = field_changes(before, snapshot(item, ARTICLE_FIELDS))
        if creating:
            verb = "article.created"
        elif item.is_published and not was_published:
            verb = "article.published"
        elif was_published and not item.is_published:
            verb = "article.unpublished"
        else:
            verb = "article.updated"
        if creating or changes:
            event_record(
                actor=actor,
                verb=verb,
                subject=item,
                summary=item.title,
                payload={"changes": changes} if not creating else {"status": item.status},
            )
    return item


def voter_key(session_key: str) -> str:
    """The stored identity of a voter: a hash of their session key (never the key)."""
    return hashlib.sha256(f"kb-vote:{session_key}".encode()).hexdigest()


def article_vote(*, article: Article, voter: str, is_helpful: bool) -> bool:
    """Count one visitor's "was this helpful?" answer. ``voter`` is from
    :func:`voter_key`. Returns ``False`` (and counts nothing) when this visitor has already
    voted on this article."""
    counter = "helpful_yes" if is_helpful else "helpful_no"
    try:
        with transaction.atomic():
            ArticleVote.objects.create(article=article, voter=voter, is_helpful=is_helpful)
            Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    except IntegrityError:
        return False
    return True


def article_viewed(*, article: Article) -> None:
    """One more view of a published article (an atomic ``UPDATE``, safe under load)."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


def search_log_record(*, text: str, result_count: int) -> SearchTerm | None:
    """Count a visitor's search under its normalized query, with how many results it got.
    A query with no search words (only stop words or punctuation) is not logged."""
    key = query_key(text)
    if not key:
        return None
    shown = clean_persian(text)[:200]
    now = timezone.now()
    increments: dict[str, Any] = {
        "search_count": F("search_count") + 1,
        "last_result_count": result_count,
        "last_searched_at": now,
        "text": shown,
    }
    if result_count == 0:
        increments["no_result_count"] = F("no_result_count") + 1
    with transaction.atomic():
        if not SearchTerm.objects.filter(key=key).update(**increments):
            try:
                with transaction.atomic():
                    SearchTerm.objects.create(
                        key=key,
                        text=shown,
                        search_count=1,
                        no_result_count=1 if result_count == 0 else 0,
                        last_result_count=result_count,
                        first_searched_at=now,
                        last_searched_at=now,
                    )
            except IntegrityError:
                # Another request made the row a moment ago: count on it.
                SearchTerm.objects.filter(key=key).update(**increments)
    return SearchTerm.objects.get(key=key)
