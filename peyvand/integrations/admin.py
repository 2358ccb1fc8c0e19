"""The email channel's records in the admin, read-only (nothing added, changed or
deleted): what came in and what became of it, where mailbox polling stands, and the
acknowledgements sent."""

from __future__ import annotations

from django.contrib import admin

from peyvand.common.admin import ReadOnlyAdmin

from .models import ImapMailboxState, InboundEmail, TicketAcknowledgement


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "source", "from_email", "subject", "outcome", "ticket")
    list_filter = ("source", "outcome")
    search_fields = ("from_email", "subject", "message_id")


@admin.register(ImapMailboxState)
class ImapMailboxStateAdmin(ReadOnlyAdmin):
    list_display = (
        "mailbox",
        "uidvalidity",
        "last_uid",
        "polled_at",
        "error",
        "failing_uid",
        "failures",
    )


@admin.register(TicketAcknowledgement)
class TicketAcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "to_email", "sent_at", "error")
