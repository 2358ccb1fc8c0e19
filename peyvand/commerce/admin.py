"""Commerce in the admin: the shops that post orders (with their webhook secret, which only
administrators see) and a read-only view of orders; orders change through their services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Order, OrderLine, Refund, ShopConnection, WebhookDelivery


def _is_admin(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_superuser or getattr(user, "role", "") == "admin")


@admin.register(ShopConnection)
class ShopConnectionAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "last_delivery_at")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("last_delivery_at", "created_at")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine


class RefundInline(ReadOnlyInline):
    model = Refund


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("__str__", "contact", "status", "total", "placed_at", "source")
    list_filter = ("status", "source")
    search_fields = ("number", "external_id")
    raw_id_fields = ("contact",)
    inlines = [OrderLineInline, RefundInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("shop", "delivery_id", "topic", "outcome", "order", "received_at")
    list_filter = ("shop", "outcome")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
