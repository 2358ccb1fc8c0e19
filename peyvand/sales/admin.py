"""Admin: deals and leads are read-only (changes go through the app so events are written);
pipelines with their stages, assignment rules, scoring rules and lead-source costs are
settings an administrator edits here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import (
    AssignmentRule,
    Deal,
    Lead,
    LeadSourceCost,
    Pipeline,
    ScoringRule,
    Stage,
    StageKind,
)


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


class StageFormSet(forms.BaseInlineFormSet):
    """A pipeline keeps at least one open, one won and one lost stage."""

    def clean(self) -> None:
        super().clean()
        kinds = {
            form.cleaned_data.get("kind")
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        }
        if not {str(kind) for kind in StageKind} <= {str(kind) for kind in kinds}:
            raise ValidationError(
                _("A pipeline needs at least one open stage, one won stage and one lost stage.")
            )


class StageInline(admin.TabularInline):
    model = Stage
    formset = StageFormSet
    fields = ("position", "name", "kind", "probability", "follow_up_days")
    extra = 0


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "is_default", "is_active")
    inlines = [StageInline]

    def save_model(self, request: Any, obj: Pipeline, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.is_default:
            Pipeline.objects.exclude(pk=obj.pk).update(is_default=False)


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "method", "applies_to", "team", "is_active")
    list_editable = ("position", "is_active")
    filter_horizontal = ("users",)


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "field", "operator", "value", "points", "is_active")


@admin.register(LeadSourceCost)
class LeadSourceCostAdmin(admin.ModelAdmin):
    list_display = ("source", "utm_campaign", "start", "end", "amount")
