"""Public web forms: which fields a form may have, the Django form a visitor fills in, and
the submission that turns into a lead (honeypot and per-address rate limit included)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peyvand.common.iran import PROVINCE_CHOICES
from peyvand.common.persian import clean_persian
from peyvand.web.forms import StyledForm

from .leads import lead_create
from .models import Lead, WebForm
from .service_helpers import check_permission, error

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from peyvand.accounts.models import User


@dataclass(frozen=True)
class FieldType:
    """A field a web form can ask for; ``lead_field`` is where the answer is stored (empty:
    kept in ``Lead.extra``)."""

    label: Promise
    lead_field: str
    kind: str = "text"  # text, email, tel, textarea, province


FIELD_TYPES: dict[str, FieldType] = {
    "first_name": FieldType(gettext_lazy("First name"), "first_name"),
    "last_name": FieldType(gettext_lazy("Last name"), "last_name"),
    "phone": FieldType(gettext_lazy("Mobile"), "phone", "tel"),
    "email": FieldType(gettext_lazy("Email"), "email", "email"),
    "company_name": FieldType(gettext_lazy("Company"), "company_name"),
    "job_title": FieldType(gettext_lazy("Job title"), "job_title"),
    "province": FieldType(gettext_lazy("Province"), "province", "province"),
    "city": FieldType(gettext_lazy("City"), "city"),
    "message": FieldType(gettext_lazy("Message"), "message", "textarea"),
    "question_1": FieldType(gettext_lazy("Your own question 1"), ""),
    "question_2": FieldType(gettext_lazy("Your own question 2"), ""),
}
DEFAULT_FIELDS: tuple[dict[str, Any], ...] = (
    {"name": "first_name", "label": "", "required": False},
    {"name": "last_name", "label": "", "required": True},
    {"name": "phone", "label": "", "required": True},
    {"name": "email", "label": "", "required": False},
    {"name": "message", "label": "", "required": False},
)
HONEYPOT_FIELD = "website_url"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def clean_field_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Check a form's field list: known names, each once, labels trimmed, and a way to reach
    the person (a phone or an email field)."""
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        name = str(row.get("name") or "")
        if name not in FIELD_TYPES:
            raise error(f"fields.{index}.name", _("Unknown field."), "invalid_choice")
        if name in seen:
            raise error(f"fields.{index}.name", _("This field is already on the form."), "unique")
        seen.add(name)
        label = clean_persian(str(row.get("label") or ""))[:120]
        if not FIELD_TYPES[name].lead_field and not label:
            raise error(
                f"fields.{index}.label", _("Write the question for this field."), "required"
            )
        cleaned.append({"name": name, "label": label, "required": bool(row.get("required"))})
    if not seen & {"phone", "email"}:
        raise error("fields", _("A form needs a mobile or an email field."), "no_contact_field")
    if not seen & {"first_name", "last_name", "company_name"}:
        raise error("fields", _("A form needs a name or a company field."), "no_name_field")
    return cleaned


def web_form_save(
    *,
    actor: User | None,
    values: Mapping[str, Any],
    web_form: WebForm | None = None,
) -> WebForm:
    """Create or change a web form (its public key is made once and never changes)."""
    check_permission(actor, "write", "leads")
    form = web_form or WebForm(created_by=actor, key=secrets.token_urlsafe(12))
    for name in (
        "name",
        "title",
        "introduction",
        "consent_text",
        "consent_required",
        "submit_label",
        "success_message",
        "redirect_url",
        "source",
        "is_active",
    ):
        if name in values:
            value = values[name]
            setattr(form, name, clean_persian(value) if isinstance(value, str) else value)
    rows = values.get("fields", form.fields or DEFAULT_FIELDS)
    form.fields = clean_field_rows(rows)
    if form.consent_required and not form.consent_text:
        raise error("consent_text", _("Write the consent text the visitor agrees to."), "required")
    form.full_clean(exclude=["key", "fields"])
    with transaction.atomic():
        form.save()
    return form


def public_form_class(web_form: WebForm) -> type[forms.Form]:
    """The Django form a visitor fills in, built from the web form's field list."""
    attributes: dict[str, Any] = {}
    for row in web_form.fields:
        field_type = FIELD_TYPES.get(row["name"])
        if field_type is None:
            continue
        label: Any = row.get("label") or field_type.label
        required = bool(row.get("required"))
        field: forms.Field
        if field_type.kind == "province":
            field = forms.ChoiceField(
                label=label, required=required, choices=[("", "—"), *PROVINCE_CHOICES]
            )
        elif field_type.kind == "textarea":
            field = forms.CharField(
                label=label,
                required=required,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        else:
            attrs = {"dir": "ltr", "inputmode": "tel"} if field_type.kind == "tel" else {}
            if field_type.kind == "email":
                attrs = {"dir": "ltr", "inputmode": "email"}
            field = forms.CharField(
                label=label,
                required=required,
                max_length=200,
                widget=forms.TextInput(attrs={**attrs, "autocomplete": "on"}),
            )
        attributes[row["name"]] = field
    if web_form.consent_text:
        attributes["consent"] = forms.BooleanField(
            label=web_form.consent_text, required=web_form.consent_required
        )
    # Hidden from people by CSS; bots that fill every input give themselves away.
    attributes[HONEYPOT_FIELD] = forms.CharField(
        required=False,
        label=gettext_lazy("Leave this empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    return type("PublicWebForm", (StyledForm,), attributes)


def is_spam(data: Mapping[str, Any]) -> bool:
    return bool(str(data.get(HONEYPOT_FIELD) or "").strip())


def web_form_submit(
    *,
    web_form: WebForm,
    answers: Mapping[str, Any],
    tracking: Mapping[str, str] | None = None,
) -> Lead:
    """Turn a visitor's (already form-validated) answers into a lead: mapped fields to their
    columns, own questions to ``extra``, UTM and referrer from ``tracking``. Errors from the
    lead's own checks (an invalid mobile) come back keyed by the form's field names."""
    values: dict[str, Any] = {"source": web_form.source, "extra": {}}
    for row in web_form.fields:
        field_type = FIELD_TYPES.get(row["name"])
        answer = answers.get(row["name"])
        if field_type is None or answer in (None, ""):
            continue
        if field_type.lead_field:
            values[field_type.lead_field] = answer
        else:
            values["extra"][row.get("label") or row["name"]] = clean_persian(str(answer))
    values["consent_given"] = bool(answers.get("consent"))
    for key in (*UTM_KEYS, "referrer"):
        value = (tracking or {}).get(key, "")
        if value:
            values[key] = str(value)[: 500 if key == "referrer" else 100]
    return lead_create(actor=None, values=values, web_form=web_form)
