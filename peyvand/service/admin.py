"""Service desk settings in the admin: calendars with their holidays, SLA policies with
their targets per priority and escalation rules, support contracts, ticket categories with
their skilled agents, and canned responses."""

from __future__ import annotations

from django.contrib import admin

from .models import (
    BusinessCalendar,
    CannedResponse,
    EscalationRule,
    Holiday,
    SlaPolicy,
    SlaTarget,
    SupportContract,
    TicketCategory,
)


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "is_default")
    inlines = [HolidayInline]


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


class EscalationRuleInline(admin.TabularInline):
    model = EscalationRule
    extra = 0
    autocomplete_fields = ("notify_user", "reassign_to")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "calendar", "customer_tag", "is_default", "is_active", "position")
    inlines = [SlaTargetInline, EscalationRuleInline]


@admin.register(SupportContract)
class SupportContractAdmin(admin.ModelAdmin):
    list_display = ("company", "policy", "starts_on", "ends_on")
    autocomplete_fields = ("company",)


@admin.register(TicketCategory)
class TicketCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "assignment", "is_active")
    filter_horizontal = ("agents",)


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "owner", "is_shared")
    list_filter = ("is_shared", "category")
