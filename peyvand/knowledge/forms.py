"""Forms of the knowledge base pages: articles and categories for editors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from peyvand.web.forms import StyledForm

from .models import ArticleAudience, ArticleCategory, ArticleStatus


class ArticleForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=ArticleCategory.objects.none()
    )
    audience = forms.ChoiceField(label=gettext_lazy("Audience"), choices=ArticleAudience.choices)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=ArticleStatus.choices)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=gettext_lazy(
            "An empty line starts a new paragraph. # Heading, - list item, 1. numbered item, "
            "**bold**, [link text](https://example.com)."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ArticleCategory.objects.order_by(  # type: ignore[attr-defined]
            "position", "name"
        )


class CategoryForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    position = forms.IntegerField(label=gettext_lazy("Order"), min_value=0, initial=0)
