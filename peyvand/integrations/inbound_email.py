"""An email to the support mailbox becomes a ticket, or a message on the ticket it answers.

:func:`inbound_email_receive` takes the raw RFC 5322 bytes (from the IMAP poller, the inbound
webhook or the command line) and, in one transaction:

1. records the message under the SHA-256 of its Message-ID (or of its bytes), so the same
   message delivered twice adds nothing;
2. skips automatic replies, bounces and mail loops;
3. finds the ticket it answers: by ``In-Reply-To``/``References`` against the Message-IDs
   we stored and sent, else by a ``[#123]`` subject token; either way only when the sender
   is that ticket's requester (nobody can write into another customer's ticket by guessing
   a number or answering a forwarded thread: they get a ticket of their own); a closed
   ticket is not reopened, a new one is opened instead;
4. links the sender to a contact by email (creating one through the contacts service) for
   a new ticket, then calls ``ticket_create(channel="email")`` or ``ticket_customer_message``
   with the text cleaned first and then cut to the longest a message may be ("(no text)"
   when nothing is left); a message the ticket services still refuse is recorded as
   rejected with their reason, so it never blocks the mailbox or the webhook;
5. keeps the attachments through ``attachment_store``; a refused file becomes an internal
   note on the ticket with the reason, the message itself is kept; when the transaction
   fails the files it wrote are deleted again;
6. queues the "we received your request" email, after commit, for a new ticket.

A message that keeps failing for another reason (a bug, a full disk) is recorded as failed
by :func:`inbound_email_fail`, so the IMAP poller can move past it; handing it in again
(``peyvand mail receive``) tries it once more.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.utils import parseaddr

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from peyvand.common.persian import clean_persian, to_ascii_digits
from peyvand.common.validators import normalize_email
from peyvand.contacts.models import Contact
from peyvand.contacts.services import contact_create
from peyvand.sales.leads import matching_contact
from peyvand.service.attachments import attachment_files_discarded_on_error, attachment_store
from peyvand.service.models import Ticket, TicketChannel, TicketMessage, TicketStatus
from peyvand.service.tickets import (
    MAX_BODY,
    ticket_create,
    ticket_customer_message,
    ticket_reply,
    ticket_survivor,
)

from .config import support_email
from .email_text import (
    decode_words,
    header_text,
    html_to_text,
    is_eight_bit,
    part_text,
    strip_quoted,
)
from .models import InboundEmail, InboundOutcome, TicketAcknowledgement

# Senders that are mail systems, not people: their messages are bounces.
_SYSTEM_SENDERS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Peyvand-Ticket")
_MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")
_TICKET_TOKEN_RE = re.compile(r"\[#\s*([0-9۰-۹٠-٩]{1,12})\s*\]")
_REPLY_PREFIX_RE = re.compile(
    r"^\s*((re|fw|fwd|aw|sv|tr|پاسخ|جواب|ارجاع|بازارسال|باز ارسال)\s*(\[\d+\])?\s*[::]\s*)+",
    re.IGNORECASE,
)
# How many references are followed (a long thread carries dozens).
_MAX_REFERENCES = 50
# How much of a body is cleaned at most: cleaning may shorten it (runs of spaces, tatweel)
# or lengthen it (NFKC folds one presentation form into up to 18 letters); this bounds the
# work on a huge body and still leaves more than MAX_BODY after the cut.
_MAX_BODY_CLEANED = 4 * MAX_BODY
# The reason recorded for a message without a usable sender.
NO_SENDER_REASON = "no valid From address"


@dataclass(frozen=True)
class InboundAttachment:
    """A file found in an inbound message, as the sender named and typed it."""

    name: str
    content: bytes
    content_type: str


@dataclass
class ParsedEmail:
    """What the inbound handling needs from a raw message."""

    message_id: str
    from_email: str
    from_name: str
    subject: str
    body: str
    references: list[str]
    attachments: list[InboundAttachment] = field(default_factory=list)
    automatic: str = ""


@dataclass(frozen=True)
class InboundResult:
    """What became of one inbound message. ``duplicate`` is True when it had been handled
    before (the earlier outcome is given); ``reason`` says why it was skipped or rejected."""

    outcome: str
    ticket: Ticket | None = None
    message: TicketMessage | None = None
    reason: str = ""
    duplicate: bool = False


def message_ids(value: str) -> list[str]:
    """The ``<…>`` ids in a Message-ID, In-Reply-To or References header, in order."""
    found = _MESSAGE_ID_RE.findall(value or "")
    if not found and value and value.strip() and " " not in value.strip():
        found = [f"<{value.strip().strip('<>')}>"]
    return [item[:255] for item in found]


def _leaf_parts(message: Message) -> Iterator[Message]:
    """Every non-multipart part, in order; a forwarded message (message/rfc822) counts as
    one part, it is not looked into."""
    if message.get_content_type() == "message/rfc822" or not message.is_multipart():
        yield message
        return
    payload = message.get_payload()
    if isinstance(payload, list):
        for part in payload:
            if isinstance(part, Message):
                yield from _leaf_parts(part)


def _filename(part: Message) -> str:
    name = part.get_filename() or ""
    if "=?" in name or is_eight_bit(name):
        name = decode_words(name)
    return name


def _part_bytes(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            return inner[0].as_bytes(policy=email.policy.compat32)
        return b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _automatic_reason(message: Message, sender: str) -> str:
    """Why the message is an automatic one we must not answer, or ""."""
    auto_submitted = header_text(message, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted}"
    precedence = header_text(message, "Precedence").lower()
    if precedence in _AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in _AUTOREPLY_HEADERS:
        if message.get(name) is not None:
            return f"{name} header"
    if message.get_content_type() == "multipart/report":
        return "delivery report (bounce)"
    if header_text(message, "Return-Path").strip() == "<>":
        return "empty Return-Path (bounce)"
    local_part = sender.partition("@")[0]
    if local_part in _SYSTEM_SENDERS:
        return f"sent by {local_part} (bounce)"
    if sender and sender == support_email():
        return "sent by the support address itself (loop)"
    return ""


def _sender(message: Message) -> tuple[str, str]:
    """The sender's (display name, normalized address); the address is "" when invalid."""
    value = message.get("From")
    if value is None:
        return "", ""
    if is_eight_bit(value):
        name, address = parseaddr(decode_words(value))
    else:
        name, address = parseaddr(str(value))
        name = decode_words(name)
    try:
        address = normalize_email(address)
    except ValidationError:
        address = ""
    return clean_persian(name.strip().strip("'\"")), address


def email_parse(raw: bytes) -> ParsedEmail:
    """Read a raw RFC 5322 message: sender, subject, the new text of the body (plain text
    preferred, else the HTML as text; quoted history cut), referenced ids and files."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    from_name, from_email = _sender(message)
    references = message_ids(header_text(message, "In-Reply-To"))
    references += list(reversed(message_ids(header_text(message, "References"))))
    text = html = None
    attachments: list[InboundAttachment] = []
    for part in _leaf_parts(message):
        content_type = part.get_content_type()
        name = _filename(part)
        is_attachment = part.get_content_disposition() == "attachment" or bool(name)
        if content_type == "text/plain" and text is None and not is_attachment:
            text = part_text(part)
        elif content_type == "text/html" and html is None and not is_attachment:
            html = part_text(part)
        elif not part.is_multipart() or content_type == "message/rfc822":
            content = _part_bytes(part)
            if content:
                default_name = "forwarded.eml" if content_type == "message/rfc822" else ""
                attachments.append(
                    InboundAttachment(
                        name=name or default_name or "attachment",
                        content=content,
                        content_type=content_type,
                    )
                )
    if text is not None and text.strip():
        body = strip_quoted(text.replace("\r\n", "\n"))
    elif html is not None:
        body = strip_quoted(html_to_text(html, drop_quotes=True))
    else:
        body = ""
    return ParsedEmail(
        message_id=(message_ids(header_text(message, "Message-ID")) or [""])[0],
        from_email=from_email,
        from_name=from_name,
        subject=clean_persian(header_text(message, "Subject"))[:250],
        body=body,
        references=list(dict.fromkeys(references))[:_MAX_REFERENCES],
        attachments=attachments,
        automatic=_automatic_reason(message, from_email),
    )


def inbound_key(raw: bytes, message_id: str) -> str:
    """The idempotency key: SHA-256 of the Message-ID, or of the raw bytes without one."""
    if message_id:
        return hashlib.sha256(f"message-id:{message_id}".encode()).hexdigest()
    return hashlib.sha256(b"raw:" + raw).hexdigest()


def _ticket_by_thread(references: list[str], sender: str) -> Ticket | None:
    """The ticket of the most recent referenced message we stored or sent (the one it was
    merged into, if so), when the sender is its requester or the referenced ticket's;
    otherwise None (anyone can answer a thread forwarded to them)."""
    if not references:
        return None
    owners = dict(
        TicketMessage.objects.filter(message_id__in=references).values_list(
            "message_id", "ticket_id"
        )
    )
    owners.update(
        TicketAcknowledgement.objects.filter(message_id__in=references).values_list(
            "message_id", "ticket_id"
        )
    )
    for reference in references:
        if reference in owners:
            referenced = Ticket.objects.get(pk=owners[reference])
            ticket = ticket_survivor(referenced)
            if _is_requester(ticket, sender) or _is_requester(referenced, sender):
                return ticket
            return None
    return None


def _is_requester(ticket: Ticket, sender: str) -> bool:
    if sender and sender == ticket.requester_email:
        return True
    if ticket.contact_id is None:
        return False
    return ticket.contact.emails.filter(address=sender).exists()  # type: ignore[union-attr]


def _ticket_by_subject(subject: str, sender: str) -> Ticket | None:
    """The ``[#123]`` ticket, when the sender is its requester; otherwise None."""
    match = _TICKET_TOKEN_RE.search(subject)
    if match is None:
        return None
    ticket = Ticket.objects.filter(pk=int(to_ascii_digits(match.group(1)))).first()
    if ticket is None:
        return None
    ticket = ticket_survivor(ticket)
    return ticket if _is_requester(ticket, sender) else None


def _split_name(display_name: str, address: str) -> dict[str, str]:
    """First and last name from "Ali Rezaei", "Rezaei, Ali" or nothing (the address)."""
    name = display_name.strip()
    if not name or "@" in name:
        return {"first_name": "", "last_name": address.partition("@")[0][:100]}
    if "," in name:
        last, _comma, first = name.partition(",")
        return {"first_name": first.strip()[:100], "last_name": last.strip()[:100]}
    words = name.split()
    if len(words) == 1:
        return {"first_name": words[0][:100], "last_name": ""}
    return {"first_name": " ".join(words[:-1])[:100], "last_name": words[-1][:100]}


def _contact_for(parsed: ParsedEmail) -> Contact:
    """The contact with the sender's address, else a new one through the contacts service."""
    contact = matching_contact(phone="", email=parsed.from_email)
    if contact is not None:
        return contact
    values: dict[str, object] = {
        **_split_name(parsed.from_name, parsed.from_email),
        "emails": [parsed.from_email],
    }
    try:
        return contact_create(actor=None, values=values)
    except ValidationError:
        # A display name the contact form refuses: fall back to the address alone.
        fallback = {"last_name": parsed.from_email.partition("@")[0][:100]}
        return contact_create(actor=None, values={**fallback, "emails": [parsed.from_email]})


def _new_ticket_subject(subject: str) -> str:
    """The subject without the ticket token and reply prefixes, cleaned, then cut to the
    field's length; "(no subject)" when nothing is left."""
    text = _REPLY_PREFIX_RE.sub("", _TICKET_TOKEN_RE.sub("", subject))
    return clean_persian(text)[:250].strip() or _("(no subject)")


def _message_text(body: str) -> str:
    """The body as a ticket message keeps it: cleaned first, then cut to ``MAX_BODY`` (cut
    first, a cleaning that lengthens it would make it too long, and one that empties it
    would leave nothing); "(no text)" when nothing is left."""
    text = clean_persian(body[:_MAX_BODY_CLEANED], multiline=True)[:MAX_BODY].rstrip()
    return text or _("(no text)")


def _store_attachments(
    ticket: Ticket, message: TicketMessage, attachments: list[InboundAttachment]
) -> None:
    refused = []
    for item in attachments:
        try:
            attachment_store(
                ticket=ticket,
                message=message,
                name=item.name,
                content=item.content,
                content_type=item.content_type,
            )
        except ValidationError as failure:
            refused.extend(failure.messages)
    if refused:
        note = "\n".join(
            [_("Files in the customer's email that were not kept:"), *(f"- {r}" for r in refused)]
        )
        ticket_reply(actor=None, ticket=ticket, body=note, internal=True)


def _acknowledge(ticket: Ticket) -> None:
    from .outbound import new_message_id
    from .tasks import acknowledgement_send

    acknowledgement = TicketAcknowledgement.objects.create(
        ticket=ticket, to_email=ticket.requester_email, message_id=new_message_id(ticket)
    )
    transaction.on_commit(lambda: acknowledgement_send.enqueue(acknowledgement.pk))


def _deliver(parsed: ParsedEmail) -> tuple[str, Ticket, TicketMessage]:
    """Add the message to the ticket it answers, or open a ticket with it."""
    body = _message_text(parsed.body)
    ticket = _ticket_by_thread(parsed.references, parsed.from_email) or _ticket_by_subject(
        parsed.subject, parsed.from_email
    )
    if ticket is not None and ticket.status != TicketStatus.CLOSED:
        message = ticket_customer_message(
            ticket=ticket, body=body, from_email=parsed.from_email, message_id=parsed.message_id
        )
        _store_attachments(ticket, message, parsed.attachments)
        return InboundOutcome.ADDED, ticket, message
    ticket = ticket_create(
        actor=None,
        values={"subject": _new_ticket_subject(parsed.subject), "contact": _contact_for(parsed)},
        body=body,
        channel=TicketChannel.EMAIL,
        requester_email=parsed.from_email,
        message_id=parsed.message_id,
    )
    first = TicketMessage.objects.filter(ticket=ticket).order_by("id").first()
    assert first is not None
    _store_attachments(ticket, first, parsed.attachments)
    _acknowledge(ticket)
    return InboundOutcome.CREATED, ticket, first


def _refusal_reason(failure: ValidationError) -> str:
    """A ticket service's refusal as one line: "field: message; …"."""
    if hasattr(failure, "error_dict"):
        parts = [
            f"{name}: {message}"
            for name, messages in failure.message_dict.items()
            for message in messages
        ]
    else:
        parts = list(failure.messages)
    return ("; ".join(parts) or "refused")[:300]


def inbound_email_receive(*, raw: bytes, source: str) -> InboundResult:
    """Handle one raw inbound email (see the module's docstring), all in one transaction:
    a failure part way leaves nothing behind (the files it wrote included), and the
    message can be handled again. A message recorded as failed is tried again."""
    parsed = email_parse(raw)
    key = inbound_key(raw, parsed.message_id)
    with attachment_files_discarded_on_error(), transaction.atomic():
        InboundEmail.objects.filter(key=key, outcome=InboundOutcome.FAILED).delete()
        try:
            with transaction.atomic():
                record = InboundEmail.objects.create(
                    key=key,
                    message_id=parsed.message_id,
                    source=source,
                    from_email=parsed.from_email[:254],
                    subject=parsed.subject[:250],
                    outcome=InboundOutcome.SKIPPED,
                )
        except IntegrityError:
            earlier = InboundEmail.objects.select_related("ticket", "ticket_message").get(key=key)
            return InboundResult(
                outcome=earlier.outcome,
                ticket=earlier.ticket,
                message=earlier.ticket_message,
                reason=earlier.reason,
                duplicate=True,
            )
        if not parsed.from_email:
            record.outcome, record.reason = InboundOutcome.REJECTED, NO_SENDER_REASON
        elif parsed.automatic:
            record.outcome, record.reason = InboundOutcome.SKIPPED, parsed.automatic[:300]
        else:
            try:
                with attachment_files_discarded_on_error(), transaction.atomic():
                    record.outcome, record.ticket, record.ticket_message = _deliver(parsed)
            except ValidationError as failure:
                # Refused by the ticket services: kept as rejected, never tried again.
                record.outcome, record.reason = InboundOutcome.REJECTED, _refusal_reason(failure)
        record.save(update_fields=["outcome", "reason", "ticket", "ticket_message"])
    return InboundResult(
        outcome=record.outcome,
        ticket=record.ticket,
        message=record.ticket_message,
        reason=record.reason,
    )


def inbound_email_fail(*, raw: bytes, source: str, reason: str) -> InboundResult:
    """Record a message that could not be handled, after repeated tries, as failed with
    ``reason``, so that whoever hands messages in (the IMAP poller) can move past it. A
    message recorded before keeps its outcome (``duplicate`` is then True)."""
    try:
        parsed: ParsedEmail | None = email_parse(raw)
    except Exception:  # the parsing itself may be what fails
        parsed = None
    message_id = parsed.message_id if parsed is not None else ""
    record, created = InboundEmail.objects.get_or_create(
        key=inbound_key(raw, message_id),
        defaults={
            "message_id": message_id,
            "source": source,
            "from_email": parsed.from_email[:254] if parsed is not None else "",
            "subject": parsed.subject[:250] if parsed is not None else "",
            "outcome": InboundOutcome.FAILED,
            "reason": reason[:300],
        },
    )
    return InboundResult(
        outcome=record.outcome,
        ticket=record.ticket,
        message=record.ticket_message,
        reason=record.reason,
        duplicate=not created,
    )
