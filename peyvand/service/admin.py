"""Service desk settings in the admin: calendars with their holidays, SLA policies with
their targets per priority, and support contracts."""

from __future__ import annotations

from django.contrib import admin

from .models import BusinessCalendar, Holiday, SlaPolicy, SlaTarget, SupportContract


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


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "calendar", "customer_tag", "is_default", "is_active", "position")
    inlines = [SlaTargetInline]


@admin.register(SupportContract)
class SupportContractAdmin(admin.ModelAdmin):
    list_display = ("company", "policy", "starts_on", "ends_on")
    autocomplete_fields = ("company",)
