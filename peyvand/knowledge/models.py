"""The knowledge base: articles in categories (draft or published, for everyone or only for
signed-in portal customers), the votes of "was this helpful?", the log of what visitors
searched for, and answers drafted by a language model that wait for an agent's approval."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleCategory(models.Model):
    """A shelf of the help centre (delivery, payments, account…), shown in ``position``
    order."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")

    def __str__(self) -> str:
        return self.name


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ArticleAudience(models.TextChoices):
    PUBLIC = "public", _("Everyone (public help centre)")
    PORTAL = "portal", _("Customer portal only")


class Article(models.Model):
    """A help article. ``body`` is plain text with a few marks (headings, lists, bold,
    links), rendered safely by ``markup.render_markup``. ``search_title`` and
    ``search_body`` hold the normalized, stemmed words of the text (written by the service
    on every save) that search filters on; ``title_length``/``body_length`` count them for
    BM25."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    category = models.ForeignKey(
        ArticleCategory,
        on_delete=models.PROTECT,
        related_name="articles",
        verbose_name=_("category"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    audience = models.CharField(
        _("audience"),
        max_length=10,
        choices=ArticleAudience.choices,
        default=ArticleAudience.PUBLIC,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("author"),
    )
    search_title = models.TextField(editable=False, default="")
    search_body = models.TextField(editable=False, default="")
    title_length = models.PositiveIntegerField(editable=False, default=0)
    body_length = models.PositiveIntegerField(editable=False, default=0)
    helpful_yes = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    helpful_no = models.PositiveIntegerField(_("not helpful"), default=0, editable=False)
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["status", "audience"], name="article_status_audience")]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED

    @property
    def is_public(self) -> bool:
        """Shown on the public help centre (published, for everyone)."""
        return self.is_published and self.audience == ArticleAudience.PUBLIC


class ArticleVote(models.Model):
    """One visitor's answer to "was this helpful?" on one article. ``voter`` is a hash of
    the visitor's session key; the unique constraint keeps a second vote out."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=64)
    is_helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "voter"], name="article_vote_once")
        ]
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.is_helpful else '-'}"


class SearchTerm(models.Model):
    """What visitors searched for, counted per normalized query (its search words in
    order, so "گارانتي" and "گارانتی‌ها" are one row), with how many results the last search
    got and how many searches found nothing: editors see the terms that need an article."""

    key = models.CharField(_("normalized query"), max_length=200, unique=True)
    text = models.CharField(_("query as typed"), max_length=200)
    search_count = models.PositiveIntegerField(_("searches"), default=0)
    no_result_count = models.PositiveIntegerField(_("searches with no result"), default=0)
    last_result_count = models.PositiveIntegerField(_("results last time"), default=0)
    first_searched_at = models.DateTimeField(_("first searched at"))
    last_searched_at = models.DateTimeField(_("last searched at"))

    class Meta:
        ordering = ["-no_result_count", "-last_searched_at"]
        indexes = [
            models.Index(fields=["no_result_count", "last_searched_at"], name="search_no_result")
        ]
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")

    def __str__(self) -> str:
        return self.text


class AnswerDraftStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an agent")
    APPROVED = "approved", _("Approved and sent")
    DISCARDED = "discarded", _("Discarded")


class AnswerDraft(models.Model):
    """An answer to a ticket written by the configured language model from the customer's
    messages and the best matching articles. It is never sent by itself: an agent reads it,
    may edit it, and approves it (it then goes out as the agent's public reply) or discards
    it."""

    ticket = models.ForeignKey(
        "service.Ticket",
        on_delete=models.CASCADE,
        related_name="answer_drafts",
        verbose_name=_("ticket"),
    )
    body = models.TextField(_("text"))
    source_articles = models.ManyToManyField(
        Article, blank=True, related_name="+", verbose_name=_("source articles")
    )
    model_name = models.CharField(_("model"), max_length=100, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AnswerDraftStatus.choices,
        default=AnswerDraftStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reply = models.OneToOneField(
        "service.TicketMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answer_draft",
        verbose_name=_("reply sent"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("answer draft")
        verbose_name_plural = _("answer drafts")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_status_display()}"
