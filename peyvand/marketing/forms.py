"""The segment form (name, kind, sharing); the rules come from the rule builder."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.web.forms import StyledForm

from .models import SegmentKind


class SegmentForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=SegmentKind.choices,
        # The page shows the rule builder for dynamic segments only.
        widget=forms.Select(attrs={"x-model": "kind"}),
    )
    is_shared = forms.BooleanField(label=_("Shared with the team"), required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # A segment's kind is fixed once made.
            del self.fields["kind"]
