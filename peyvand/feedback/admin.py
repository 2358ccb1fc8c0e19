"""Surveys in the admin, read-only: answers come from customers, never from staff."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import Survey


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("ticket", "kind", "recipient", "sent_at", "score", "effort", "answered_at")
    list_filter = ("kind", "channel")
    exclude = ("token",)  # the customer's secret stays out of sight
    readonly_fields = [field.name for field in Survey._meta.fields if field.name != "token"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
