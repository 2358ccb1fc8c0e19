"""Template tags for the knowledge base hooks on other pages (the agent's ticket page, the
customer portal): suggested articles, pending answer drafts, an article's public address
and safe article text.

    {% load knowledge %}
    {% ticket_suggestions ticket as suggestions %}
    {% include "knowledge/_suggestions.html" %}
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString

from peyvand.service.models import Ticket

from ..answers import generated_answers_enabled
from ..markup import excerpt, render_markup
from ..models import AnswerDraft, AnswerDraftStatus, Article
from ..search import ticket_suggestions as suggestions_for_ticket

register = template.Library()


@register.simple_tag(name="ticket_suggestions")
def ticket_suggestions_tag(ticket: Ticket, portal: bool = True, limit: int = 3) -> list[Article]:
    """The best published articles for a ticket's subject and customer messages."""
    return suggestions_for_ticket(ticket, portal=portal, limit=limit)


@register.simple_tag(name="pending_answer_drafts")
def pending_answer_drafts_tag(ticket: Ticket) -> list[AnswerDraft]:
    return list(
        ticket.answer_drafts.filter(status=AnswerDraftStatus.PENDING)
        .prefetch_related("source_articles")
        .order_by("-id")
    )


@register.simple_tag(name="generated_answers_enabled")
def generated_answers_enabled_tag() -> bool:
    return generated_answers_enabled()


@register.filter(name="article_public_url")
def article_public_url(article: Article) -> str:
    """The article's address in the help centre for a customer: ``PEYVAND_PUBLIC_URL`` and
    its path, as in survey and reply emails, whatever host the agent's page came from."""
    return str(settings.PEYVAND_PUBLIC_URL) + reverse("help:article", args=[article.pk])


@register.filter(name="article_html")
def article_html(text: str) -> SafeString:
    """Article text as safe HTML (see ``markup.render_markup``)."""
    return render_markup(str(text or ""))


@register.filter(name="article_excerpt")
def article_excerpt(text: str, length: int = 180) -> str:
    return excerpt(str(text or ""), int(length))
