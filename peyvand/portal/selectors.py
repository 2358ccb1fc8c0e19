"""What a signed-in customer may read: their own tickets (only the messages meant for
them) and the quotes sent to them. Every lookup starts from the contact, so another
customer's record is simply not found (a 404). Plus the knowledge base's published
articles suggested for the question the customer is typing."""

from __future__ import annotations

from django.db.models import QuerySet

from peyvand.contacts.models import Contact
from peyvand.knowledge.models import Article
from peyvand.knowledge.search import articles_suggest
from peyvand.sales.models import Quote, QuoteStatus
from peyvand.service.models import MessageKind, Ticket, TicketAttachment, TicketMessage

# Internal notes are for staff only; everything else on a ticket is the conversation.
CUSTOMER_VISIBLE_KINDS = (MessageKind.CUSTOMER, MessageKind.REPLY)
# Suggestions look at this much of what the customer typed.
SUGGESTION_TEXT_LIMIT = 2000


def portal_tickets(contact: Contact) -> QuerySet[Ticket]:
    """The contact's tickets, newest first (tickets merged into another are the survivor's
    now, and are not listed)."""
    return Ticket.objects.filter(contact=contact, merged_into__isnull=True).order_by("-id")


def portal_ticket(contact: Contact, ticket_id: int) -> Ticket | None:
    """One of the contact's tickets (merged ones too, so old links still lead somewhere)."""
    return Ticket.objects.filter(contact=contact, pk=ticket_id).first()


def portal_messages(ticket: Ticket) -> QuerySet[TicketMessage]:
    """The conversation on ``ticket`` as the customer sees it: their messages and public
    replies, oldest first; never internal notes."""
    return (
        TicketMessage.objects.filter(ticket=ticket, kind__in=CUSTOMER_VISIBLE_KINDS)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def portal_quotes(contact: Contact) -> QuerySet[Quote]:
    """Quotes on the contact's deals that were sent to them (drafts never show)."""
    return (
        Quote.objects.filter(deal__contact=contact)
        .exclude(status=QuoteStatus.DRAFT)
        .order_by("-issued_on", "-id")
    )


def portal_quote(contact: Contact, quote_id: int) -> Quote | None:
    return portal_quotes(contact).select_related("deal").filter(pk=quote_id).first()


def portal_attachment(contact: Contact, attachment_id: int) -> TicketAttachment | None:
    """A file on one of the contact's tickets, on a message the customer may see."""
    return (
        TicketAttachment.objects.filter(
            pk=attachment_id,
            ticket__contact=contact,
            message__kind__in=CUSTOMER_VISIBLE_KINDS,
        )
        .only("file", "name")
        .first()
    )


def knowledge_suggestions(text: str) -> list[Article]:
    """Published articles (public and portal-only) that may answer the customer's question,
    best first; none for an empty question."""
    text = str(text or "").strip()[:SUGGESTION_TEXT_LIMIT]
    return articles_suggest(text, portal=True) if text else []
