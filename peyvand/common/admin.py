"""Shared admin helpers."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin list for records that only the app's services may write: nothing is added,
    changed or deleted here, so counters, search columns and the event log stay right (a
    deleted vote would leave its article's counts wrong; a deleted article or draft would
    skip its service and its timeline event)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
