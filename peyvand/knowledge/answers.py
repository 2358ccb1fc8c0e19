"""Answers drafted by a language model for a ticket, and the agent's decision on them.

A draft is built from the ticket's customer messages and the best matching published
articles (:func:`search.ticket_suggestions`), sent to the configured OpenAI-compatible
service (:mod:`llm`) and kept as a pending :class:`AnswerDraft`. Nothing reaches the
customer until an agent approves it, possibly after editing the text: approving sends it
as the agent's public reply through ``service.tickets.ticket_reply``, once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.permissions import require_permission
from peyvand.service.models import Ticket
from peyvand.service.tickets import ticket_reply
from peyvand.timeline.events import event_record

from .llm import LlmError, chat_complete, llm_config
from .markup import plain_text
from .models import AnswerDraft, AnswerDraftStatus, Article
from .search import ticket_customer_text, ticket_suggestions

if TYPE_CHECKING:
    from peyvand.accounts.models import User

# How much of the ticket and of each article goes into the prompt.
MAX_CUSTOMER_TEXT = 6_000
MAX_ARTICLE_TEXT = 4_000
SOURCE_ARTICLES = 3

SYSTEM_PROMPT = (
    "تو دستیار کارشناسان پشتیبانی «{company}» هستی. برای پیام مشتری یک پاسخ فارسی، کوتاه،"
    " مؤدبانه و دقیق بنویس و فقط از مقاله‌های راهنمای داده‌شده استفاده کن. اگر پاسخ در"
    " مقاله‌ها نیست، چیزی از خودت نساز و بنویس که کارشناس موضوع را بررسی می‌کند و خبر می‌دهد."
    " پاسخ تو پیش از ارسال را یک کارشناس می‌خواند و ویرایش می‌کند. فقط متن پاسخ را بنویس."
)


def generated_answers_enabled() -> bool:
    """Whether an answer service is configured (``PEYVAND_LLM_URL`` is set)."""
    return llm_config() is not None


def answer_prompt(
    ticket: Ticket, customer_text: str, articles: list[Article]
) -> list[dict[str, str]]:
    """The chat messages for a ticket: the instructions, then the customer's messages
    (``customer_text``, from ``search.ticket_customer_text``) and the articles to answer
    from."""
    customer = customer_text[:MAX_CUSTOMER_TEXT]
    sources = "\n\n".join(
        f"### {article.title}\n{plain_text(article.body)[:MAX_ARTICLE_TEXT]}"
        for article in articles
    )
    user = (
        f"موضوع درخواست: {ticket.subject}\n\nپیام‌های مشتری:\n{customer}\n\n"
        f"مقاله‌های راهنما:\n{sources or '(مقاله‌ای پیدا نشد)'}"
    )
    return [
        {"role": "system", "content": SYSTEM_PROMPT.format(company=settings.PEYVAND_COMPANY_NAME)},
        {"role": "user", "content": user},
    ]


def _pending_of(ticket_id: int) -> AnswerDraft | None:
    return (
        AnswerDraft.objects.filter(ticket_id=ticket_id, status=AnswerDraftStatus.PENDING)
        .order_by("-id")
        .first()
    )


def answer_draft_create(*, actor: User | None, ticket: Ticket) -> AnswerDraft:
    """Ask the answer service for a reply to ``ticket`` and keep it as a pending draft.

    A ticket has at most one pending draft: when one is waiting (a double click, a second
    agent), that one is returned and nothing new is asked or saved. Raises
    ``ValidationError`` (on ``draft``) when generated answers are off or the service fails
    (no answer in time, an HTTP error, a redirect, an unreadable reply): the message says
    which, and nothing is saved. The HTTP call happens outside any transaction; the ticket
    row is locked while the draft is saved, so two calls at once still keep one draft."""
    if actor is not None:
        require_permission(actor, "write", "tickets")
    config = llm_config()
    if config is None:
        raise ValidationError(
            {"draft": [ValidationError(_("Generated answers are turned off."), code="disabled")]}
        )
    waiting = _pending_of(ticket.pk)
    if waiting is not None:
        return waiting
    customer_text = ticket_customer_text(ticket)
    articles = ticket_suggestions(
        ticket, portal=True, limit=SOURCE_ARTICLES, customer_text=customer_text
    )
    try:
        text = chat_complete(answer_prompt(ticket, customer_text, articles), config=config)
    except LlmError as error:
        raise ValidationError({"draft": [ValidationError(str(error), code="llm")]}) from error
    with transaction.atomic():
        list(Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk"))
        waiting = _pending_of(ticket.pk)
        if waiting is not None:  # another request saved one while this one waited
            return waiting
        draft = AnswerDraft.objects.create(
            ticket=ticket,
            body=text[:50_000],
            model_name=config.model[:100],
            requested_by=actor,
        )
        draft.source_articles.set(articles)
        event_record(
            actor=actor,
            verb="answer_draft.created",
            subject=draft,
            summary=ticket.subject,
            payload={"ticket": ticket.pk, "articles": [article.pk for article in articles]},
        )
    return draft


def _locked_pending(draft: AnswerDraft) -> AnswerDraft:
    locked = AnswerDraft.objects.select_for_update().select_related("ticket").get(pk=draft.pk)
    if locked.status != AnswerDraftStatus.PENDING:
        raise ValidationError(
            {
                "status": [
                    ValidationError(
                        _("This draft has already been decided: %(decision)s.")
                        % {"decision": locked.get_status_display()},
                        code="decided",
                    )
                ]
            }
        )
    return locked


def answer_draft_approve(
    *, actor: User, draft: AnswerDraft, body: str | None = None
) -> AnswerDraft:
    """Send the draft (or the agent's edit of it, ``body``) to the customer as ``actor``'s
    public reply, and mark it approved. A draft is approved once: a second approval (a
    double click, two agents at once) is a ``ValidationError`` and sends nothing."""
    require_permission(actor, "write", "tickets")
    with transaction.atomic():
        locked = _locked_pending(draft)
        text = locked.body if body is None else body
        message = ticket_reply(actor=actor, ticket=locked.ticket, body=text)
        locked.body = message.body
        locked.status = AnswerDraftStatus.APPROVED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.reply = message
        locked.save()
    return locked


def answer_draft_discard(*, actor: User, draft: AnswerDraft) -> AnswerDraft:
    """Throw the draft away; the customer never sees it."""
    require_permission(actor, "write", "tickets")
    with transaction.atomic():
        locked = _locked_pending(draft)
        locked.status = AnswerDraftStatus.DISCARDED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        event_record(
            actor=actor,
            verb="answer_draft.discarded",
            subject=locked,
            summary=locked.ticket.subject,
            payload={"ticket": locked.ticket_id},
        )
    return locked
