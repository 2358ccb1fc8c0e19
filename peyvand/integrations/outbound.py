"""Emails the service desk sends: an agent's public reply to the requester, and the
acknowledgement of a ticket opened by email. Both come from the support address, carry a
fresh Message-ID (stored, so the customer's answer threads back to the ticket) and the
thread's In-Reply-To/References, a text and a right-to-left HTML part.

Each is sent at most once: the row is claimed by a conditional ``UPDATE`` (``emailed_at`` of
the reply, ``sent_at`` of the acknowledgement) before the SMTP conversation, so a repeated or
duplicated task finds it claimed and sends nothing. A failed send releases the claim and
records the error, whatever the failure; an SMTP or network failure is raised as
:class:`EmailNotSentError` (the task tries again a bounded number of times), any other
error as it is, so a bug never leaves an email claimed and silently unsent."""

from __future__ import annotations

import datetime
import smtplib
from email.utils import make_msgid
from typing import NoReturn

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from peyvand.common.jalali import format_datetime
from peyvand.common.persian import to_persian_digits
from peyvand.service.models import MessageKind, Ticket, TicketMessage

from .config import support_domain, support_email
from .models import TicketAcknowledgement

# How many earlier Message-IDs go into References (RFC 5322 lets clients trim it).
MAX_REFERENCES = 20


class EmailNotSentError(Exception):
    """The SMTP server refused the message or could not be reached; the claim is released."""


def new_message_id(ticket: Ticket) -> str:
    """A fresh, unguessable Message-ID in the support address's domain."""
    return make_msgid(idstring=f"ticket{ticket.pk}", domain=support_domain())


def portal_link(ticket: Ticket) -> str:
    """The customer's link to the ticket in the portal (``PEYVAND_PUBLIC_URL`` + its page;
    the portal asks them to sign in, and shows only their own tickets)."""
    return settings.PEYVAND_PUBLIC_URL + reverse("portal:ticket", args=[ticket.pk])


def _sender() -> str:
    return f"{settings.PEYVAND_COMPANY_NAME} <{support_email()}>"


def _subject(ticket: Ticket) -> str:
    return f"Re: [#{ticket.pk}] {ticket.subject}"


def _thread_headers(ticket: Ticket, *, before: TicketMessage | None = None) -> dict[str, str]:
    """In-Reply-To: the customer's latest message; References: the thread so far."""
    messages = TicketMessage.objects.filter(
        ticket=ticket, kind__in=[MessageKind.CUSTOMER, MessageKind.REPLY]
    ).exclude(message_id="")
    if before is not None:
        messages = messages.filter(pk__lt=before.pk)
    thread = list(messages.order_by("id").values_list("kind", "message_id"))
    acknowledgement = TicketAcknowledgement.objects.filter(ticket=ticket).first()
    ids = [message_id for _kind, message_id in thread]
    if acknowledgement is not None and thread:
        ids.insert(1, acknowledgement.message_id)
    headers = {"X-Peyvand-Ticket": str(ticket.pk)}
    customer_ids = [message_id for kind, message_id in thread if kind == MessageKind.CUSTOMER]
    if customer_ids:
        headers["In-Reply-To"] = customer_ids[-1]
    if ids:
        headers["References"] = " ".join(list(dict.fromkeys(ids))[-MAX_REFERENCES:])
    return headers


def _html(paragraphs: list[str]) -> str:
    body = "".join(linebreaks(escape(text)) for text in paragraphs if text)
    return (
        '<!DOCTYPE html><html lang="fa" dir="rtl"><head><meta charset="utf-8"></head>'
        '<body dir="rtl" style="direction:rtl;text-align:right;'
        'font-family:Vazirmatn,Tahoma,sans-serif;line-height:1.8">'
        f"{body}</body></html>"
    )


def _footer(ticket: Ticket) -> str:
    lines = [
        _("Ticket #%(number)s: %(subject)s")
        % {"number": to_persian_digits(str(ticket.pk)), "subject": ticket.subject},
        _("Reply to this email to add to your request."),
    ]
    lines.append(_("Follow your request online: %(link)s") % {"link": portal_link(ticket)})
    return "\n".join(lines)


def reply_email_build(message: TicketMessage) -> EmailMultiAlternatives:
    """The email of an agent's public reply, with the reply's attachments."""
    ticket = message.ticket
    with translation.override(settings.LANGUAGE_CODE):
        footer = _footer(ticket)
    email = EmailMultiAlternatives(
        subject=_subject(ticket),
        body=f"{message.body}\n\n-- \n{footer}\n",
        from_email=_sender(),
        to=[ticket.requester_email],
        headers={"Message-ID": message.message_id, **_thread_headers(ticket, before=message)},
    )
    email.attach_alternative(_html([message.body, "—", footer]), "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as stored:
            email.attach(attachment.name, stored.read(), attachment.content_type)
    return email


def acknowledgement_email_build(acknowledgement: TicketAcknowledgement) -> EmailMultiAlternatives:
    """ "We received your request #N", in the site's language (Farsi), with the expected
    first-response time as a Jalali date and time."""
    ticket = acknowledgement.ticket
    with translation.override(settings.LANGUAGE_CODE):
        name = ticket.contact.full_name if ticket.contact is not None else ""
        greeting = _("Hello %(name)s,") % {"name": name} if name else _("Hello,")
        lines = [
            _("We received your request #%(number)s (“%(subject)s”).")
            % {"number": to_persian_digits(str(ticket.pk)), "subject": ticket.subject}
        ]
        if ticket.first_response_due is not None:
            lines.append(
                _("You will hear from us by %(due)s.")
                % {"due": format_datetime(ticket.first_response_due)}
            )
        paragraphs = [greeting, "\n".join(lines), _footer(ticket), settings.PEYVAND_COMPANY_NAME]
    email = EmailMultiAlternatives(
        subject=_subject(ticket),
        body="\n\n".join(paragraphs) + "\n",
        from_email=_sender(),
        to=[acknowledgement.to_email],
        headers={
            "Message-ID": acknowledgement.message_id,
            **_thread_headers(ticket),
            # RFC 3834: an automatic answer; Exchange's own auto-replies stay quiet.
            "Auto-Submitted": "auto-replied",
            "X-Auto-Response-Suppress": "All",
        },
    )
    email.attach_alternative(_html(paragraphs), "text/html")
    return email


def _failure_text(failure: BaseException) -> str:
    return (str(failure) or type(failure).__name__)[:300]


def _raise_unsent(failure: Exception) -> NoReturn:
    """Raise a send's failure, once its claim is released: SMTP and network errors as
    :class:`EmailNotSentError`, any other as it is."""
    if isinstance(failure, OSError | smtplib.SMTPException):
        raise EmailNotSentError(_failure_text(failure)) from failure
    raise failure


def reply_email_send(message_pk: int) -> str:
    """Email one public reply to the ticket's requester, once: ``"sent"``, ``"already
    sent"`` or ``"nothing to send"`` (a note, or no requester address). Raises
    :class:`EmailNotSentError` when SMTP fails, any other error as it is; either way the
    claim is released and the error kept on the message."""
    message = (
        TicketMessage.objects.select_related("ticket", "ticket__contact")
        .filter(pk=message_pk, kind=MessageKind.REPLY)
        .first()
    )
    if message is None or not message.ticket.requester_email:
        return "nothing to send"
    message.message_id = message.message_id or new_message_id(message.ticket)
    claimed_at = timezone.now()
    claimed = TicketMessage.objects.filter(pk=message_pk, emailed_at__isnull=True).update(
        emailed_at=claimed_at, message_id=message.message_id, email_error=""
    )
    if not claimed:
        return "already sent"
    try:
        reply_email_build(message).send(fail_silently=False)
    except Exception as failure:
        TicketMessage.objects.filter(pk=message_pk, emailed_at=claimed_at).update(
            emailed_at=None, email_error=_failure_text(failure)
        )
        _raise_unsent(failure)
    return "sent"


def acknowledgement_send(acknowledgement_pk: int) -> str:
    """Send a ticket's acknowledgement once: ``"sent"`` or ``"already sent"``. Raises
    :class:`EmailNotSentError` when SMTP fails, any other error as it is; either way the
    claim is released and the error kept on the row."""
    claimed_at = timezone.now()
    claimed = TicketAcknowledgement.objects.filter(
        pk=acknowledgement_pk, sent_at__isnull=True
    ).update(sent_at=claimed_at, error="")
    if not claimed:
        return "already sent"
    try:
        acknowledgement = TicketAcknowledgement.objects.select_related(
            "ticket", "ticket__contact"
        ).get(pk=acknowledgement_pk)
        acknowledgement_email_build(acknowledgement).send(fail_silently=False)
    except Exception as failure:
        TicketAcknowledgement.objects.filter(pk=acknowledgement_pk, sent_at=claimed_at).update(
            sent_at=None, error=_failure_text(failure)
        )
        _raise_unsent(failure)
    return "sent"


def retry_delay(attempt: int) -> datetime.timedelta:
    """The wait before try ``attempt + 1``: 1, 2, 4, 8 … minutes, at most an hour."""
    return datetime.timedelta(minutes=min(60, 2 ** (attempt - 1)))
