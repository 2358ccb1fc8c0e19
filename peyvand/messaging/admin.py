"""Admin for the outbox, sender identities and the suppression list (read-mostly: sending
state is the worker's to change)."""

from django.contrib import admin

from .models import EmailBounce, OutboxMessage, SenderIdentity, Suppression


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    list_display = ("id", "purpose", "channel", "recipient", "category", "status", "attempts")
    list_filter = ("status", "channel", "category", "suppression_reason")
    search_fields = ("purpose", "recipient", "provider_message_id")
    raw_id_fields = ("contact",)
    readonly_fields = (
        "status",
        "attempts",
        "claimed_until",
        "send_started_at",
        "provider_message_id",
        "sent_at",
        "delivered_at",
        "opened_at",
        "clicked_at",
    )


@admin.register(SenderIdentity)
class SenderIdentityAdmin(admin.ModelAdmin[SenderIdentity]):
    list_display = ("name", "address", "user", "is_shared", "is_verified")
    list_filter = ("is_shared", "is_verified")


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin[Suppression]):
    list_display = ("channel", "address", "reason", "created_at")
    list_filter = ("channel", "reason")
    search_fields = ("address",)


@admin.register(EmailBounce)
class EmailBounceAdmin(admin.ModelAdmin[EmailBounce]):
    list_display = ("address", "kind", "reason", "created_at")
    list_filter = ("kind",)
    search_fields = ("address",)
