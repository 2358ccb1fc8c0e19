"""RFM runs and scores and recommendation runs in the admin, read-only: the daily jobs
write them."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import CustomerRfm, RecommendationRun, RfmRun


@admin.register(RfmRun)
class RfmRunAdmin(admin.ModelAdmin):
    list_display = ("as_of", "window_days", "customers", "seconds")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CustomerRfm)
class CustomerRfmAdmin(admin.ModelAdmin):
    list_display = ("contact", "segment", "recency_score", "frequency_score", "monetary_score")
    list_filter = ("segment",)
    raw_id_fields = ("contact",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(RecommendationRun)
class RecommendationRunAdmin(admin.ModelAdmin):
    list_display = ("as_of", "customers", "products", "neighbour_pairs", "seconds", "message")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
