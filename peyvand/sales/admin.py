"""Admin views are read-only for deals and leads (changes go through the app so events are
written); scoring rules are plain settings."""

from django.contrib import admin

from .models import Deal, Lead, ScoringRule


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "pipeline", "stage", "status", "amount", "owner")
    list_filter = ("status", "pipeline")
    search_fields = ("search_text",)
    readonly_fields = [field.name for field in Deal._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("id", "first_name", "last_name", "company_name", "status", "score", "owner")
    list_filter = ("status", "source")
    search_fields = ("search_text",)
    readonly_fields = [field.name for field in Lead._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


admin.site.register(ScoringRule)
