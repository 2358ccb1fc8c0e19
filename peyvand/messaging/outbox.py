"""Putting messages in the outbox: one at a time (:func:`outbox_enqueue`, idempotent by the
key) or a campaign's worth at once (:func:`outbox_enqueue_bulk`, set-based, chunked), and
the staff's hand resend of an uncertain or failed message."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from peyvand.accounts.permissions import require_permission
from peyvand.common.validators import normalize_phone
from peyvand.timeline.events import event_record

from .models import (
    MessageCategory,
    MessageChannel,
    MessageStatus,
    OutboxMessage,
    SenderIdentity,
)

if TYPE_CHECKING:
    from peyvand.accounts.models import User
    from peyvand.contacts.models import Contact

BULK_CHUNK = 2000
# Messages whose purpose starts with this carry a one-time secret (a sign-in code): the
# worker sends the text as queued but, once the row is final (sent or failed), keeps only a
# redacted copy, and the ``message.*`` event never holds the secret.
SECRET_PURPOSE_PREFIX = "otp:"
_SECRET_RE = re.compile(r"[0-9\u06f0-\u06f9\u0660-\u0669]{4,}")


def is_secret_purpose(purpose: str) -> bool:
    """Whether a message with ``purpose`` carries a one-time secret."""
    return purpose.startswith(SECRET_PURPOSE_PREFIX)


def secret_redacted(text: str) -> str:
    """``text`` with every run of four or more digits (any script) replaced by ``••••``."""
    return _SECRET_RE.sub("••••", text)


def normalize_recipient(channel: str, address: str) -> str:
    """The recipient as stored in the key: a lower-cased email or an E.164 number."""
    if channel == MessageChannel.EMAIL:
        value = address.strip().lower()
        validate_email(value)
        return value
    if channel == MessageChannel.SMS:
        return normalize_phone(address)
    raise ValidationError({"channel": [ValidationError(_("Unknown channel."), code="invalid")]})


# A name, or a dotted path into a mapping (``custom.code``: a custom field).
_PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}")


def _placeholder_value(values: Mapping[str, object], name: str) -> object:
    value: object = values
    for part in name.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
        if value is None:
            return ""
    return value


def render_placeholders(template_text: str, values: Mapping[str, object], *, html: bool) -> str:
    """``{{ first_name }}``-style placeholders filled from ``values`` (escaped in HTML; an
    unknown name becomes empty). Deliberately not the Django template language: message
    bodies are written by staff and must not reach tags, filters or other templates."""
    if "{{" not in template_text:
        return template_text

    def fill(match: re.Match[str]) -> str:
        value = str(_placeholder_value(values, match.group(1)))
        return escape(value) if html else value

    return _PLACEHOLDER_RE.sub(fill, template_text)


class TemplatePart(NamedTuple):
    """A piece of a message template: literal ``text``, or the placeholder ``name``."""

    text: str
    name: str | None


def template_parts(template_text: str) -> list[TemplatePart]:
    """The template as :func:`render_placeholders` reads it: literal text and placeholder
    names in order (for renderers that fill the same placeholders elsewhere, e.g. in SQL)."""
    parts: list[TemplatePart] = []
    position = 0
    for match in _PLACEHOLDER_RE.finditer(template_text):
        if match.start() > position:
            parts.append(TemplatePart(template_text[position : match.start()], None))
        parts.append(TemplatePart("", match.group(1)))
        position = match.end()
    if position < len(template_text):
        parts.append(TemplatePart(template_text[position:], None))
    return parts


def placeholder_values(message: OutboxMessage, **extra: object) -> dict[str, object]:
    """What ``{{ … }}`` in a queued subject or body may name: the contact's ``first_name``,
    ``last_name`` and ``full_name`` (empty without a contact) and ``extra``."""
    contact = message.contact
    values: dict[str, object] = {
        "first_name": contact.first_name if contact is not None else "",
        "last_name": contact.last_name if contact is not None else "",
        "full_name": contact.full_name if contact is not None else "",
    }
    values.update(extra)
    return values


@dataclass(frozen=True)
class OutgoingMessage:
    """What one message says and to whom; the input of both enqueue services."""

    purpose: str
    channel: str
    recipient: str
    category: str = MessageCategory.TRANSACTIONAL
    contact_id: int | None = None
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    sender_id: int | None = None
    track_opens: bool = False
    track_clicks: bool = False
    not_before: datetime.datetime | None = field(default=None)


def _row(message: OutgoingMessage, now: datetime.datetime) -> OutboxMessage:
    return OutboxMessage(
        purpose=message.purpose[:120],
        channel=message.channel,
        recipient=message.recipient,
        category=message.category,
        contact_id=message.contact_id,
        sender_id=message.sender_id,
        subject=message.subject[:250],
        body_text=message.body_text,
        body_html=message.body_html,
        track_opens=message.track_opens,
        track_clicks=message.track_clicks,
        next_attempt_at=message.not_before or now,
    )


def outbox_enqueue(
    *,
    purpose: str,
    channel: str,
    recipient: str,
    category: str = MessageCategory.TRANSACTIONAL,
    contact: Contact | None = None,
    subject: str = "",
    body_text: str = "",
    body_html: str = "",
    sender: SenderIdentity | None = None,
    track_opens: bool = False,
    track_clicks: bool = False,
    not_before: datetime.datetime | None = None,
) -> OutboxMessage:
    """Queue one message; the same (purpose, channel, recipient) queued again returns the
    row already there, unchanged, so a retried caller never makes a second message."""
    errors: dict[str, list[ValidationError]] = {}
    if not purpose.strip():
        errors["purpose"] = [ValidationError(_("Say what the message is for."), code="required")]
    if category not in MessageCategory.values:
        errors["category"] = [ValidationError(_("Unknown category."), code="invalid_choice")]
    try:
        recipient = normalize_recipient(channel, recipient)
    except ValidationError as error:
        errors["recipient"] = error.error_list
    if errors:
        raise ValidationError(errors)
    message = OutgoingMessage(
        purpose=purpose.strip(),
        channel=channel,
        recipient=recipient,
        category=category,
        contact_id=contact.pk if contact is not None else None,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        sender_id=sender.pk if sender is not None else None,
        track_opens=track_opens,
        track_clicks=track_clicks,
        not_before=not_before,
    )
    with transaction.atomic():
        existing = OutboxMessage.objects.filter(
            purpose=message.purpose, channel=channel, recipient=recipient
        ).first()
        if existing is not None:
            return existing
        row = _row(message, timezone.now())
        row.full_clean(validate_unique=False, validate_constraints=False)
        # A concurrent caller may insert the same key between the look-up and here: the
        # conflict is ignored and its row returned.
        OutboxMessage.objects.bulk_create([row], ignore_conflicts=True)
        return OutboxMessage.objects.get(
            purpose=message.purpose, channel=channel, recipient=recipient
        )


def _chunks(items: Iterable[OutgoingMessage], size: int) -> Iterator[list[OutgoingMessage]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def outbox_enqueue_bulk(
    *, messages: Iterable[OutgoingMessage], chunk_size: int = BULK_CHUNK
) -> int:
    """Queue many messages (a campaign), ``chunk_size`` rows per INSERT with conflicts on
    the key ignored, so running it again adds only what is missing. Recipients must already
    be normalized (:func:`normalize_recipient`). Returns how many rows it tried to insert
    (duplicates are skipped silently by the database)."""
    now = timezone.now()
    total = 0
    for chunk in _chunks(messages, chunk_size):
        with transaction.atomic():
            if connection.vendor == "postgresql":
                _copy_chunk(chunk, now)
            else:
                OutboxMessage.objects.bulk_create(
                    [_row(message, now) for message in chunk], ignore_conflicts=True
                )
        total += len(chunk)
    return total


# The columns a bulk enqueue writes on PostgreSQL (the rest take these defaults).
_COPY_COLUMNS = (
    "purpose",
    "channel",
    "recipient",
    "category",
    "contact_id",
    "sender_id",
    "subject",
    "body_text",
    "body_html",
    "track_opens",
    "track_clicks",
    "next_attempt_at",
)
# What an ``outbox_enqueue_select`` query yields, in order.
OUTBOX_SELECT_COLUMNS = _COPY_COLUMNS
_COPY_DEFAULTS: dict[str, str | int] = {
    "status": MessageStatus.PENDING.value,
    "suppression_reason": "",
    "attempts": 0,
    "provider_message_id": "",
    "error": "",
}


def _copy_chunk(chunk: list[OutgoingMessage], now: datetime.datetime) -> None:
    """One chunk on PostgreSQL: ``COPY`` into a session temporary table, then one
    ``INSERT … SELECT … ON CONFLICT DO NOTHING`` on the key: the outcome of
    ``bulk_create(ignore_conflicts=True)`` without a model object per row (a campaign to a
    million contacts queues several times faster)."""
    table = OutboxMessage._meta.db_table
    columns = ", ".join(_COPY_COLUMNS)
    defaults = ", ".join(_COPY_DEFAULTS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS outbox_incoming AS SELECT {columns} "
            f"FROM {table} WITH NO DATA"
        )
        with cursor.copy(f"COPY outbox_incoming ({columns}) FROM STDIN") as copy:
            for message in chunk:
                copy.write_row(
                    (
                        message.purpose[:120],
                        message.channel,
                        message.recipient,
                        message.category,
                        message.contact_id,
                        message.sender_id,
                        message.subject[:250],
                        message.body_text,
                        message.body_html,
                        message.track_opens,
                        message.track_clicks,
                        message.not_before or now,
                    )
                )
        placeholders = ", ".join(["%s"] * (len(_COPY_DEFAULTS) + 1))
        cursor.execute(
            f"INSERT INTO {table} ({columns}, {defaults}, created_at) "
            f"SELECT {columns}, {placeholders} FROM outbox_incoming "
            "ON CONFLICT (purpose, channel, recipient) DO NOTHING",
            [*_COPY_DEFAULTS.values(), now],
        )
        cursor.execute("TRUNCATE outbox_incoming")


def outbox_enqueue_select(*, select_sql: str, params: Sequence[Any]) -> int:
    """Queue the rows a ``SELECT`` yields, in one ``INSERT … SELECT`` with conflicts on the
    key ignored (PostgreSQL; messages personalized by the database itself). The ``SELECT``
    gives the columns of :data:`OUTBOX_SELECT_COLUMNS` in that order, recipients already
    normalized, purpose and subject within their lengths. Returns how many rows were
    inserted."""
    table = OutboxMessage._meta.db_table
    columns = ", ".join(OUTBOX_SELECT_COLUMNS)
    defaults = ", ".join(_COPY_DEFAULTS)
    placeholders = ", ".join(["%s"] * (len(_COPY_DEFAULTS) + 1))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}, {defaults}, created_at) "
            f"SELECT q.*, {placeholders} FROM ({select_sql}) q "
            "ON CONFLICT (purpose, channel, recipient) DO NOTHING",
            [*_COPY_DEFAULTS.values(), timezone.now(), *params],
        )
        return max(cursor.rowcount, 0)


def outbox_resend(*, actor: User, message: OutboxMessage) -> OutboxMessage:
    """Put an uncertain or failed message back in the queue, by a person's decision (the
    risk of a second copy is theirs to take); records one event."""
    require_permission(actor, "write", "settings")
    resendable = [MessageStatus.UNCERTAIN, MessageStatus.FAILED]
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(pk=message.pk, status__in=resendable).update(
            status=MessageStatus.PENDING,
            next_attempt_at=timezone.now(),
            claimed_until=None,
            send_started_at=None,
            attempts=0,
            error="",
        )
        if not updated:
            raise ValidationError(
                {"status": [_("Only uncertain or failed messages can be sent again.")]}
            )
        message.refresh_from_db()
        event_record(
            actor=actor,
            verb="message.resend",
            subject=message,
            contact=message.contact,
            summary=message.purpose,
            payload={"channel": message.channel, "purpose": message.purpose},
        )
    return message
