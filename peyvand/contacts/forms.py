"""Contact and company forms; they parse input and hand it to ``services``."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.common.forms import JalaliDateField
from peyvand.common.iran import PROVINCE_CHOICES
from peyvand.common.persian import search_key
from peyvand.web.forms import MultipleTextField, MultipleTextInput, StyledForm

from .custom_fields import definitions
from .models import (
    Channel,
    Company,
    CompanySize,
    ConsentMethod,
    ConsentStatus,
    Contact,
    CustomField,
    CustomFieldType,
    Gender,
    LifecycleStage,
    Source,
)

_TAG_SPLIT = re.compile(r"[,،;؛\n]+")


def split_tags(text: str) -> list[str]:
    """Tags typed as "a، b, c" → ["a", "b", "c"]."""
    return [part.strip() for part in _TAG_SPLIT.split(text or "") if part.strip()]


def _blank(choices: Any) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


def custom_form_field(definition: CustomField) -> forms.Field:
    """The form field for one admin-defined custom field (values are validated by services)."""
    label = definition.label(get_language() or "fa")
    required = definition.is_required
    if definition.field_type == CustomFieldType.DATE:
        return JalaliDateField(label=label, required=required)
    if definition.field_type == CustomFieldType.BOOLEAN:
        return forms.BooleanField(label=label, required=False)
    if definition.field_type == CustomFieldType.CHOICE:
        choices = [(str(choice), str(choice)) for choice in definition.choices]
        return forms.ChoiceField(label=label, choices=_blank(choices), required=required)
    if definition.field_type == CustomFieldType.NUMBER:
        return forms.CharField(
            label=label, required=required, widget=forms.TextInput(attrs={"inputmode": "decimal"})
        )
    return forms.CharField(label=label, required=required, max_length=500)


class CustomFieldsMixin:
    """Adds ``cf_<key>`` fields for the record type and collects their values."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    object_type = "contact"

    def add_custom_fields(self, current: dict[str, Any] | None) -> None:
        self.custom_definitions = definitions(self.object_type)
        for definition in self.custom_definitions:
            name = f"cf_{definition.key}"
            self.fields[name] = custom_form_field(definition)
            if current and definition.key in current:
                self.initial[name] = current[definition.key]  # type: ignore[attr-defined]

    def custom_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for definition in self.custom_definitions:
            value = self.cleaned_data.get(f"cf_{definition.key}")
            if value is not None and hasattr(value, "isoformat"):
                value = value.isoformat()
            values[definition.key] = value
        return values


class ContactForm(CustomFieldsMixin, StyledForm):
    """Create or edit a contact. Phones and emails accept any digit form; dates are Jalali."""

    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100, required=False)
    phones = MultipleTextField(
        label=gettext_lazy("Phones"), required=False, widget=MultipleTextInput(input_type="tel")
    )
    emails = MultipleTextField(
        label=gettext_lazy("Emails"), required=False, widget=MultipleTextInput(input_type="email")
    )
    national_id = forms.CharField(
        label=gettext_lazy("National ID"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}),
    )
    birthday = JalaliDateField(label=gettext_lazy("Birthday"), required=False)
    gender = forms.ChoiceField(
        label=gettext_lazy("Gender"), choices=_blank(Gender.choices), required=False
    )
    job_title = forms.CharField(label=gettext_lazy("Job title"), max_length=120, required=False)
    company_name = forms.CharField(
        label=gettext_lazy("Company"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "company-options", "autocomplete": "off"}),
    )
    lifecycle_stage = forms.ChoiceField(
        label=gettext_lazy("Lifecycle stage"), choices=LifecycleStage.choices, initial="lead"
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Source"), choices=_blank(Source.choices), required=False
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner (account manager)"),
        queryset=User.objects.filter(is_active=True),
        required=False,
    )
    province = forms.ChoiceField(
        label=gettext_lazy("Province"), choices=_blank(PROVINCE_CHOICES), required=False
    )
    city = forms.CharField(label=gettext_lazy("City"), max_length=80, required=False)
    postal_code = forms.CharField(
        label=gettext_lazy("Postal code"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}),
    )
    address = forms.CharField(
        label=gettext_lazy("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        help_text=gettext_lazy("Separate tags with commas."),
    )
    interests = forms.CharField(
        label=gettext_lazy("Interests"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    concerns = forms.CharField(
        label=gettext_lazy("Concerns"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: Any, contact: Contact | None = None, **kwargs: Any):
        self.user = user
        if contact is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(contact)
        super().__init__(*args, **kwargs)
        self.add_custom_fields(contact.custom_fields if contact else None)
        self.style_fields()

    @staticmethod
    def initial_from(contact: Contact) -> dict[str, Any]:
        return {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "phones": [phone.number for phone in contact.phones.all()],
            "emails": [email.address for email in contact.emails.all()],
            "national_id": contact.national_id,
            "birthday": contact.birthday,
            "gender": contact.gender,
            "job_title": contact.job_title,
            "company_name": contact.company.name if contact.company else "",
            "lifecycle_stage": contact.lifecycle_stage,
            "source": contact.source,
            "owner": contact.owner,
            "province": contact.province,
            "city": contact.city,
            "postal_code": contact.postal_code,
            "address": contact.address,
            "tags": "، ".join(tag.name for tag in contact.tags.all()),
            "interests": contact.interests,
            "concerns": contact.concerns,
            "description": contact.description,
        }

    def clean_company_name(self) -> Company | None:
        from .selectors import companies_visible_to

        name = self.cleaned_data.get("company_name", "").strip()
        if not name:
            return None
        key = search_key(name)
        company = (
            companies_visible_to(self.user).filter(search_text__startswith=key + "|").first()
            or companies_visible_to(self.user).filter(search_text=key).first()
        )
        if company is None:
            raise ValidationError(
                _("No company with this name; create the company first."), code="does_not_exist"
            )
        return company

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {
            name: data.get(name)
            for name in (
                "first_name",
                "last_name",
                "phones",
                "emails",
                "national_id",
                "birthday",
                "gender",
                "job_title",
                "lifecycle_stage",
                "source",
                "owner",
                "province",
                "city",
                "postal_code",
                "address",
                "interests",
                "concerns",
                "description",
            )
        }
        values["company"] = data.get("company_name")
        values["tags"] = split_tags(data.get("tags", ""))
        values["custom_fields"] = self.custom_values()
        return values


class CompanyForm(CustomFieldsMixin, StyledForm):
    """Create or edit a company."""

    object_type = "company"

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    national_id = forms.CharField(
        label=gettext_lazy("Company national ID"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}),
    )
    economic_code = forms.CharField(
        label=gettext_lazy("Economic code"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}),
    )
    industry = forms.CharField(label=gettext_lazy("Industry"), max_length=100, required=False)
    size = forms.ChoiceField(
        label=gettext_lazy("Size"), choices=_blank(CompanySize.choices), required=False
    )
    website = forms.CharField(
        label=gettext_lazy("Website"), required=False, widget=forms.URLInput(attrs={"dir": "ltr"})
    )
    email = forms.CharField(
        label=gettext_lazy("Email"), required=False, widget=forms.EmailInput(attrs={"dir": "ltr"})
    )
    phones = MultipleTextField(
        label=gettext_lazy("Phones"), required=False, widget=MultipleTextInput(input_type="tel")
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner (account manager)"),
        queryset=User.objects.filter(is_active=True),
        required=False,
    )
    is_key_account = forms.BooleanField(label=gettext_lazy("Key account"), required=False)
    account_team = forms.ModelChoiceField(
        label=gettext_lazy("Account team"),
        queryset=Team.objects.all(),
        required=False,
        help_text=gettext_lazy("Members of this team see the company, its people and its deals."),
    )
    province = forms.ChoiceField(
        label=gettext_lazy("Province"), choices=_blank(PROVINCE_CHOICES), required=False
    )
    city = forms.CharField(label=gettext_lazy("City"), max_length=80, required=False)
    postal_code = forms.CharField(
        label=gettext_lazy("Postal code"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}),
    )
    address = forms.CharField(
        label=gettext_lazy("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    tags = forms.CharField(label=gettext_lazy("Tags"), required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, company: Company | None = None, **kwargs: Any):
        if company is not None and "initial" not in kwargs:
            initial = {name: getattr(company, name) for name in self.base_fields if name != "tags"}
            initial["tags"] = "، ".join(tag.name for tag in company.tags.all())
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.add_custom_fields(company.custom_fields if company else None)
        self.style_fields()

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        values = {name: data.get(name) for name in self.base_fields if name != "tags"}
        values["tags"] = split_tags(data.get("tags", ""))
        values["custom_fields"] = self.custom_values()
        return values


class ConsentForm(StyledForm):
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=Channel.choices)
    status = forms.ChoiceField(label=gettext_lazy("Consent"), choices=ConsentStatus.choices)
    method = forms.ChoiceField(
        label=gettext_lazy("How"), choices=ConsentMethod.choices, initial=ConsentMethod.AGENT
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=250, required=False)


class BulkActionForm(forms.Form):
    """Bulk assign, tag or change stage of the selected contacts."""

    action = forms.ChoiceField(
        choices=[("assign", "assign"), ("tag", "tag"), ("stage", "stage"), ("export", "export")]
    )
    selected = forms.ModelMultipleChoiceField(queryset=Contact.objects.none(), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)
    tags = forms.CharField(required=False)
    stage = forms.ChoiceField(choices=_blank(LifecycleStage.choices), required=False)

    def __init__(self, *args: Any, visible: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["selected"].queryset = visible  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action != "export" and not data.get("selected"):
            raise ValidationError(_("Select at least one contact."))
        if action == "tag" and not split_tags(data.get("tags", "")):
            self.add_error("tags", _("Enter at least one tag."))
        if action == "stage" and not data.get("stage"):
            self.add_error("stage", _("Choose a stage."))
        return data
