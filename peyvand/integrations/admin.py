"""The email channel's records in the admin, read-only: what came in and what became of
it, where mailbox polling stands, and the acknowledgements sent."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import ImapMailboxState, InboundEmail, TicketAcknowledgement


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(InboundEmail)
class InboundEmailAdmin(_ReadOnly):
    list_display = ("received_at", "source", "from_email", "subject", "outcome", "ticket")
    list_filter = ("source", "outcome")
    search_fields = ("from_email", "subject", "message_id")


@admin.register(ImapMailboxState)
class ImapMailboxStateAdmin(_ReadOnly):
    list_display = ("mailbox", "uidvalidity", "last_uid", "polled_at", "error")


@admin.register(TicketAcknowledgement)
class TicketAcknowledgementAdmin(_ReadOnly):
    list_display = ("ticket", "to_email", "sent_at", "error")
