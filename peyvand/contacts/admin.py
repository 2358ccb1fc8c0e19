"""Admin views are read-mostly: customer data is changed through the app so events are written."""

from django.contrib import admin

from .models import Company, Contact, CustomField, Tag


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("id", "first_name", "last_name", "lifecycle_stage", "owner", "city")
    list_filter = ("lifecycle_stage", "province")
    search_fields = ("search_text",)
    readonly_fields = [field.name for field in Contact._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "industry", "owner")
    search_fields = ("search_text",)
    readonly_fields = [field.name for field in Company._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


admin.site.register(Tag)
admin.site.register(CustomField)
