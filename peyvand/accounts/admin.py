from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, Notification, Team, User, VisibilityPolicy


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (  # type: ignore[misc]
        *BaseUserAdmin.fieldsets,
        ("Peyvand", {"fields": ("role", "teams", "language", "phone")}),
        (
            "Availability",
            {"fields": ("absent_until", "work_days", "work_start", "work_end")},
        ),
    )
    list_display = ("username", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active", "teams")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "secret_hash", "created_at", "last_used_at")


admin.site.register(VisibilityPolicy)
admin.site.register(Notification)
