"""Forms for signing in, API tokens and administrator settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from peyvand.contacts.models import CustomFieldObject, CustomFieldType
from peyvand.web.forms import StyledForm, StyledFormMixin

from .models import ObjectType, Role, Team, VisibilityLevel
from .tokens import ALL_SCOPES, DEFAULT_SCOPES


class LoginForm(StyledFormMixin, AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_fields()

    def full_clean(self) -> None:
        super().full_clean()
        self.style_fields()


class TokenForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=[(scope, scope) for scope in ALL_SCOPES],
        initial=list(DEFAULT_SCOPES),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )


class UserForm(StyledForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.SALES)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("fa", "فارسی"), ("en", "English")], initial="fa"
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.all(), required=False
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Required for a new user; leave empty to keep the current password."),
    )


class TeamForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False)


class VisibilityForm(StyledForm):
    object_type = forms.ChoiceField(label=_("Record type"), choices=ObjectType.choices)
    level = forms.ChoiceField(label=_("Who sees records"), choices=VisibilityLevel.choices)


class CustomFieldForm(StyledForm):
    object_type = forms.ChoiceField(label=_("Record type"), choices=CustomFieldObject.choices)
    key = forms.SlugField(label=_("Key (English letters)"), max_length=50)
    label_fa = forms.CharField(label=_("Persian label"), max_length=100)
    label_en = forms.CharField(label=_("English label"), max_length=100, required=False)
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomFieldType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        help_text=_("For choice fields: one option per line."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_required = forms.BooleanField(label=_("Required"), required=False)
    is_searchable = forms.BooleanField(label=_("Searchable"), required=False)
    is_filterable = forms.BooleanField(label=_("Filterable"), required=False, initial=True)
