from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The audit trail, read-only."""

    list_display = ("occurred_at", "verb", "actor", "subject_type", "subject_id", "summary")
    list_filter = ("verb",)
    readonly_fields = [field.name for field in Event._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
