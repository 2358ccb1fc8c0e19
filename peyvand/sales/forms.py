"""Forms for deals, leads, conversion and web forms; they parse input and hand it to the
services."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peyvand.accounts.models import User
from peyvand.common.forms import JalaliDateField, MoneyField
from peyvand.common.iran import PROVINCE_CHOICES
from peyvand.common.persian import to_ascii_digits
from peyvand.contacts.models import Source
from peyvand.contacts.selectors import companies_visible_to, contacts_visible_to
from peyvand.web.forms import StyledForm

from .deals import DEAL_FIELDS
from .models import Currency, Deal, ForecastCategory, Lead, LeadStatus, Pipeline, Stage, WebForm
from .web_forms import FIELD_TYPES

_ID_SUFFIX = re.compile(r"#\s*(\d+)\s*$")


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


def record_option(record: Model) -> str:
    """How a contact or company appears in a picker: ``name #id``."""
    return f"{record} #{record.pk}"


def picker_options(user: User) -> dict[str, list[str]]:
    """The newest 200 contacts and companies ``user`` sees, as picker suggestions
    (``contact_options`` and ``company_options`` for the forms' datalists)."""
    return {
        "contact_options": [
            record_option(contact) for contact in contacts_visible_to(user).order_by("-id")[:200]
        ],
        "company_options": [
            record_option(company) for company in companies_visible_to(user).order_by("-id")[:200]
        ],
    }


class RecordPickerField(forms.CharField):
    """A text box with suggestions (``name #id``) that resolves to one visible record; the
    queryset is set per request (what the user may see)."""

    def __init__(self, *args: Any, list_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"list": list_id, "autocomplete": "off"}))
        super().__init__(*args, **kwargs)
        self.queryset: QuerySet[Any] | None = None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Model):
            return record_option(value)
        return value

    def clean(self, value: Any) -> Any:
        text = str(super().clean(value) or "").strip()
        if not text:
            return None
        match = _ID_SUFFIX.search(to_ascii_digits(text))
        record = None
        if match and self.queryset is not None:
            record = self.queryset.filter(pk=int(match.group(1))).first()
        if record is None:
            raise ValidationError(
                _("Choose one of the suggestions (a name followed by #number)."),
                code="does_not_exist",
            )
        return record


class DealForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    pipeline = forms.ModelChoiceField(
        label=gettext_lazy("Pipeline"), queryset=Pipeline.objects.filter(is_active=True)
    )
    stage = forms.ModelChoiceField(
        label=gettext_lazy("Stage"), queryset=Stage.objects.all(), required=False
    )
    amount = MoneyField(label=gettext_lazy("Amount"), required=False)
    currency = forms.ChoiceField(
        label=gettext_lazy("Currency"), choices=Currency.choices, initial=Currency.IRR
    )
    currency_amount = forms.DecimalField(
        label=gettext_lazy("Amount in that currency"),
        required=False,
        max_digits=18,
        decimal_places=2,
        min_value=0,
    )
    exchange_rate = forms.IntegerField(
        label=gettext_lazy("Rate (Rials per unit)"), required=False, min_value=1
    )
    probability = forms.IntegerField(
        label=gettext_lazy("Probability (%)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=gettext_lazy("Leave empty to use the stage's probability."),
    )
    forecast_category = forms.ChoiceField(
        label=gettext_lazy("Forecast category"),
        choices=ForecastCategory.choices,
        initial=ForecastCategory.PIPELINE,
    )
    expected_close_date = JalaliDateField(label=gettext_lazy("Expected close date"), required=False)
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        empty_label=gettext_lazy("Assign by the rules"),
    )
    contact = RecordPickerField(
        label=gettext_lazy("Contact"), required=False, max_length=300, list_id="contact-options"
    )
    company = RecordPickerField(
        label=gettext_lazy("Company"), required=False, max_length=300, list_id="company-options"
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Source"), choices=_blank(Source.choices), required=False
    )
    close_reason = forms.CharField(
        label=gettext_lazy("Won/lost reason"), max_length=250, required=False
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    FIELDS = (*DEAL_FIELDS, "pipeline", "stage", "close_reason")

    def __init__(self, *args: Any, user: User, deal: Deal | None = None, **kwargs: Any) -> None:
        if deal is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(deal, name) for name in self.FIELDS}
        super().__init__(*args, **kwargs)
        contact_field = self.fields["contact"]
        company_field = self.fields["company"]
        assert isinstance(contact_field, RecordPickerField)
        assert isinstance(company_field, RecordPickerField)
        contact_field.queryset = contacts_visible_to(user)
        company_field.queryset = companies_visible_to(user)
        if deal is not None:
            self.fields["owner"].empty_label = "—"  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("amount") is None:
            data["amount"] = 0
        return data

    def service_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.FIELDS}


class LeadForm(StyledForm):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100, required=False)
    phone = forms.CharField(
        label=gettext_lazy("Mobile"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=gettext_lazy("Email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"dir": "ltr"}),
    )
    company_name = forms.CharField(label=gettext_lazy("Company"), max_length=200, required=False)
    job_title = forms.CharField(label=gettext_lazy("Job title"), max_length=120, required=False)
    province = forms.ChoiceField(
        label=gettext_lazy("Province"), choices=_blank(PROVINCE_CHOICES), required=False
    )
    city = forms.CharField(label=gettext_lazy("City"), max_length=80, required=False)
    source = forms.ChoiceField(
        label=gettext_lazy("Source"), choices=_blank(Source.choices), required=False
    )
    estimated_amount = MoneyField(label=gettext_lazy("Estimated value"), required=False)
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        empty_label=gettext_lazy("Assign by the rules"),
    )
    utm_campaign = forms.CharField(label="utm_campaign", max_length=100, required=False)
    consent_given = forms.BooleanField(label=gettext_lazy("Agreed to be contacted"), required=False)
    message = forms.CharField(
        label=gettext_lazy("Message"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, lead: Lead | None = None, **kwargs: Any) -> None:
        if lead is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(lead, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)

    def service_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class LeadStatusForm(StyledForm):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[
            (value, label) for value, label in LeadStatus.choices if value != LeadStatus.CONVERTED
        ],
    )
    status_reason = forms.CharField(label=gettext_lazy("Reason"), max_length=250, required=False)


class LeadConvertForm(StyledForm):
    create_deal = forms.BooleanField(
        label=gettext_lazy("Create a deal"), required=False, initial=True
    )
    deal_title = forms.CharField(label=gettext_lazy("Deal title"), max_length=200, required=False)
    pipeline = forms.ModelChoiceField(
        label=gettext_lazy("Pipeline"), queryset=Pipeline.objects.filter(is_active=True)
    )
    amount = MoneyField(label=gettext_lazy("Amount"), required=False)
    expected_close_date = JalaliDateField(label=gettext_lazy("Expected close date"), required=False)

    def deal_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {"pipeline": data["pipeline"]}
        if data.get("deal_title"):
            values["title"] = data["deal_title"]
        if data.get("amount") is not None:
            values["amount"] = data["amount"]
        if data.get("expected_close_date"):
            values["expected_close_date"] = data["expected_close_date"]
        return values


class WebFormForm(StyledForm):
    """The settings of a public form; its fields come from the builder rows (``field_<name>``
    checkboxes, ``label_<name>`` and ``required_<name>``) in the order posted."""

    name = forms.CharField(label=gettext_lazy("Name (for you)"), max_length=120)
    title = forms.CharField(
        label=gettext_lazy("Title shown on the form"), max_length=200, required=False
    )
    introduction = forms.CharField(
        label=gettext_lazy("Introduction"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=Source.choices)
    consent_text = forms.CharField(
        label=gettext_lazy("Consent checkbox text"), max_length=300, required=False
    )
    consent_required = forms.BooleanField(label=gettext_lazy("Consent is required"), required=False)
    submit_label = forms.CharField(
        label=gettext_lazy("Button label"), max_length=60, required=False
    )
    success_message = forms.CharField(
        label=gettext_lazy("Thank-you message"), max_length=300, required=False
    )
    redirect_url = forms.URLField(
        label=gettext_lazy("Redirect after submitting"), required=False, assume_scheme="https"
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("Accepting submissions"), required=False, initial=True
    )

    def __init__(self, *args: Any, web_form: WebForm | None = None, **kwargs: Any) -> None:
        if web_form is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(web_form, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)

    def field_rows(self) -> list[dict[str, Any]]:
        """The chosen form fields, in the order their rows were posted."""
        order = self.data.getlist("field_order") if hasattr(self.data, "getlist") else []
        names = [name for name in order if name in FIELD_TYPES] or list(FIELD_TYPES)
        return [
            {
                "name": name,
                "label": self.data.get(f"label_{name}", ""),
                "required": bool(self.data.get(f"required_{name}")),
            }
            for name in names
            if self.data.get(f"field_{name}")
        ]
