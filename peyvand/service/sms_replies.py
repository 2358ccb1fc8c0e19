"""Tickets over SMS: an agent's public reply goes out as a transactional SMS through the
outbox when the ticket came by SMS, or when there is no email to answer to; and a message
the customer texts to our line lands on their open SMS ticket.

The reply's outbox row is written in the reply's own transaction with the purpose
``ticket-reply:<message id>``, so a reply is one SMS however often anything is retried,
and the outbox worker sends it (transactional: no consent, quiet hours or caps)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from peyvand.common.persian import to_persian_digits
from peyvand.contacts.models import ContactEmail, ContactPhone

from .models import MessageKind, Ticket, TicketChannel, TicketMessage, TicketStatus

if TYPE_CHECKING:
    from peyvand.messaging.models import OutboxMessage
    from peyvand.messaging.sms.base import InboundSms

# The longest reply text put in an SMS (about four Persian SMS parts); the rest is in the
# portal, which the message links to.
SMS_REPLY_MAX_CHARACTERS = 250


def _first_mobile(contact_id: int | None) -> str:
    if contact_id is None:
        return ""
    numbers = ContactPhone.objects.filter(
        contact_id=contact_id, number__startswith="+989"
    ).values_list("number", flat=True)
    return next(iter(numbers), "")


def reply_sms_number(ticket: Ticket) -> str:
    """The mobile number an agent's public reply on ``ticket`` is texted to, or ``""``
    (no SMS gateway, or the reply goes by email). SMS when the ticket came by SMS, or when
    there is no email to answer to (no requester address and none on the contact): the
    requester's number, else the contact's first mobile."""
    from peyvand.messaging.sms.base import gateway_config

    if gateway_config() is None:
        return ""
    if ticket.channel != TicketChannel.SMS:
        if ticket.requester_email:
            return ""
        if (
            ticket.contact_id is not None
            and ContactEmail.objects.filter(contact_id=ticket.contact_id).exists()
        ):
            return ""
    if ticket.requester_phone.startswith("+989"):
        return ticket.requester_phone
    return _first_mobile(ticket.contact_id)


def reply_sms_text(message: TicketMessage) -> str:
    """The reply (cut to :data:`SMS_REPLY_MAX_CHARACTERS`) and the request's number and
    portal link, in the site's language."""
    from peyvand.integrations.outbound import portal_link

    ticket = message.ticket
    body = message.body.strip()
    if len(body) > SMS_REPLY_MAX_CHARACTERS:
        body = body[: SMS_REPLY_MAX_CHARACTERS - 1].rstrip() + "…"
    with translation.override(settings.LANGUAGE_CODE):
        footer = _("Request #%(number)s at %(company)s: %(link)s") % {
            "number": to_persian_digits(str(ticket.pk)),
            "company": settings.PEYVAND_COMPANY_NAME,
            "link": portal_link(ticket),
        }
    return f"{body}\n\n{footer}"


def reply_sms_enqueue(*, message: TicketMessage, number: str) -> OutboxMessage:
    """Queue the SMS of an agent's public reply (idempotent: the purpose names the reply).
    Called inside the reply's transaction, so the reply and its SMS commit together."""
    from peyvand.messaging.models import MessageCategory, MessageChannel
    from peyvand.messaging.outbox import outbox_enqueue

    return outbox_enqueue(
        purpose=f"ticket-reply:{message.pk}",
        channel=MessageChannel.SMS,
        recipient=number,
        category=MessageCategory.TRANSACTIONAL,
        contact=message.ticket.contact,
        body_text=reply_sms_text(message),
    )


def open_sms_ticket_of(sender: str) -> Ticket | None:
    """The SMS ticket a message from ``sender`` (E.164) continues: the most recently
    updated one that is not closed, asked by that number or by a contact who has it."""
    contacts = ContactPhone.objects.filter(number=sender, contact__merged_into__isnull=True).values(
        "contact_id"
    )
    return (
        Ticket.objects.filter(channel=TicketChannel.SMS, merged_into__isnull=True)
        .filter(Q(requester_phone=sender) | Q(contact_id__in=contacts))
        .exclude(status=TicketStatus.CLOSED)
        .order_by("-updated_at", "-id")
        .first()
    )


def inbound_sms_to_ticket(message: InboundSms) -> TicketMessage | None:
    """Add a texted message to the sender's open SMS ticket as the customer's message (a
    waiting or resolved ticket opens again); ``None`` when they have none. The provider's
    message id is kept, so a callback delivered twice adds it once."""
    from .tickets import ticket_customer_message

    ticket = open_sms_ticket_of(message.sender)
    if ticket is None or not message.text.strip():
        return None
    message_id = f"sms:{message.provider_message_id}" if message.provider_message_id else ""
    if message_id:
        known = TicketMessage.objects.filter(
            ticket=ticket, kind=MessageKind.CUSTOMER, message_id=message_id
        ).first()
        if known is not None:
            return known
    return ticket_customer_message(ticket=ticket, body=message.text, message_id=message_id)
