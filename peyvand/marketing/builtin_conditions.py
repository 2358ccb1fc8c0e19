"""The condition kinds Peyvand ships: contact fields, custom fields, tags, consent, the event
log, tickets and deals. Registered by ``MarketingConfig.ready``; other apps add theirs the
same way (see ``conditions.py``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import User
from peyvand.common.persian import to_ascii_digits
from peyvand.contacts.models import (
    CONTACT_LANGUAGES,
    Channel,
    Company,
    ContactConsent,
    ContactEmail,
    ContactPhone,
    CustomField,
    CustomFieldType,
    Gender,
    LifecycleStage,
    PhoneKind,
    Source,
    Tag,
)
from peyvand.contacts.selectors import normalize_city, search_terms

from .conditions import (
    DATE_OPERATORS,
    DAY_OPERATORS,
    IN_OPERATORS,
    ConditionForm,
    ConditionKind,
    DateConditionForm,
    Params,
    YesNoForm,
    date_q,
    days_ago,
    days_field,
    in_q,
    register_condition,
    shown_for,
    yes_no,
)

CONTACT = _("Contact")
ACTIVITY = _("Activity")
SERVICE = _("Support")
SALES = _("Sales")


def choice_form(choices: Any) -> type[ConditionForm]:
    class ChoiceInForm(ConditionForm):
        operator = forms.ChoiceField(label=_("operator"), choices=IN_OPERATORS)
        values = forms.MultipleChoiceField(label=_("values"), choices=choices)

    return ChoiceInForm


def _field_in(field: str) -> Any:
    return lambda params: in_q(field, params)


def _language_q(params: Params) -> Q:
    # A blank language means the default, Farsi.
    values = list(params["values"])
    if "fa" in values:
        values.append("")
    return in_q("language", {**params, "values": values})


# Text on the contact --------------------------------------------------------------------------

TEXT_OPERATORS = [("equals", _("is")), ("contains", _("contains")), ("not_equals", _("is not"))]


class CityForm(ConditionForm):
    operator = forms.ChoiceField(label=_("operator"), choices=TEXT_OPERATORS)
    value = forms.CharField(label=_("city"), max_length=80)

    def clean_value(self) -> str:
        # The same normalization the contacts list's city filter and the contact form use.
        value = normalize_city(self.cleaned_data["value"])
        if not value:
            raise ValidationError(_("This field is required."), code="required")
        return value


def _city_q(params: Params) -> Q:
    value = normalize_city(params["value"])
    if params["operator"] == "contains":
        return Q(city__icontains=value)
    if params["operator"] == "not_equals":
        return ~Q(city=value)
    return Q(city=value)


class SearchForm(ConditionForm):
    value = forms.CharField(label=_("text"), max_length=200)

    def clean_value(self) -> str:
        value = self.cleaned_data["value"].strip()
        if not search_terms(value):
            raise ValidationError(_("Enter a name, phone, email or national ID."), code="invalid")
        return value


def _search_q(params: Params) -> Q:
    # The contacts search: every normalized term must be in the normalized search column.
    condition = Q()
    for term in search_terms(params["value"]):
        condition &= Q(search_text__contains=term)
    return condition


class OwnerForm(ConditionForm):
    operator = forms.ChoiceField(
        label=_("operator"),
        choices=[*IN_OPERATORS, ("none", _("has no owner"))],
    )
    values = shown_for(
        forms.ModelMultipleChoiceField(
            label=_("owners"), queryset=User.objects.filter(is_active=True), required=False
        ),
        "in",
        "not_in",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("operator") in {"in", "not_in"} and not cleaned.get("values"):
            self.add_error("values", ValidationError(_("Choose at least one."), code="required"))
        return cleaned


def _owner_q(params: Params) -> Q:
    if params["operator"] == "none":
        return Q(owner__isnull=True)
    return in_q("owner_id", params)


class CompanyForm(ConditionForm):
    operator = forms.ChoiceField(
        label=_("operator"),
        choices=[
            ("is", _("works at")),
            ("any", _("has a company")),
            ("none", _("has no company")),
        ],
    )
    company = shown_for(
        forms.ModelChoiceField(label=_("company"), queryset=Company.objects.none(), required=False),
        "is",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from peyvand.contacts.selectors import companies_visible_to

        field = self.fields["company"]
        assert isinstance(field, forms.ModelChoiceField)
        # A company the builder may not see is "not one of the choices", never a hint.
        field.queryset = (
            companies_visible_to(self.user)
            if self.user is not None
            else Company.objects.filter(merged_into__isnull=True)
        ).order_by("name", "id")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("operator") == "is" and not cleaned.get("company"):
            self.add_error("company", ValidationError(_("Choose a company."), code="required"))
        return cleaned


def _company_q(params: Params) -> Q:
    if params["operator"] == "any":
        return Q(company__isnull=False)
    if params["operator"] == "none":
        return Q(company__isnull=True)
    return Q(company_id=params["company"])


def _has_email_q(params: Params) -> Q:
    return yes_no(params, Q(Exists(ContactEmail.objects.filter(contact=OuterRef("pk")))))


def _has_mobile_q(params: Params) -> Q:
    mobiles = ContactPhone.objects.filter(contact=OuterRef("pk"), kind=PhoneKind.MOBILE)
    return yes_no(params, Q(Exists(mobiles)))


class PhonePrefixForm(ConditionForm):
    value = forms.CharField(label=_("number starts with"), max_length=20)

    def clean_value(self) -> str:
        digits = "".join(ch for ch in to_ascii_digits(self.cleaned_data["value"]) if ch.isdigit())
        if len(digits) < 2:
            raise ValidationError(_("Enter at least two digits."), code="invalid")
        return digits


def _phone_prefix_q(params: Params) -> Q:
    # Numbers are stored in E.164: "0912" and "98912" are both "+98912…".
    digits = str(params["value"])
    prefix = "+98" + digits[1:] if digits.startswith("0") else "+" + digits
    return Q(Exists(ContactPhone.objects.filter(contact=OuterRef("pk"), number__startswith=prefix)))


# Custom fields ------------------------------------------------------------------------------

CUSTOM_OPERATORS: dict[str, list[tuple[str, Any]]] = {
    CustomFieldType.TEXT: [("equals", _("is")), ("contains", _("contains"))],
    CustomFieldType.NUMBER: [
        ("eq", "="),
        ("gt", ">"),
        ("gte", "≥"),
        ("lt", "<"),
        ("lte", "≤"),
    ],
    CustomFieldType.DATE: list(DATE_OPERATORS),
    CustomFieldType.CHOICE: [("in", _("is one of"))],
    CustomFieldType.BOOLEAN: [("is_true", _("is yes")), ("is_false", _("is no"))],
}
_ANY_TYPE = [("is_set", _("has a value")), ("is_empty", _("has no value"))]


class CustomFieldConditionForm(ConditionForm):
    """A contact custom field compared as its type allows; ``value`` is text, a number, a
    (Jalali) date, or for choices a list (or text separated by commas)."""

    field = forms.ChoiceField(label=_("field"), choices=[])
    operator = forms.ChoiceField(
        label=_("operator"),
        choices=[
            *{
                value: label for options in CUSTOM_OPERATORS.values() for value, label in options
            }.items(),
            *_ANY_TYPE,
        ],
    )
    # Any JSON value (text, number, list): checked against the field's type in ``clean``.
    value = shown_for(
        forms.Field(label=_("value"), required=False, widget=forms.TextInput),
        "equals",
        "contains",
        "eq",
        "gt",
        "gte",
        "lt",
        "lte",
        "after",
        "before",
        "in",
    )
    days = shown_for(days_field(), *DAY_OPERATORS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = {
            definition.key: definition
            for definition in CustomField.objects.filter(object_type="contact")
        }
        language = getattr(self.user, "language", "fa")
        field = self.fields["field"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (key, definition.label(language)) for key, definition in self.definitions.items()
        ]

    def clean(self) -> dict[str, Any]:
        from peyvand.contacts.custom_fields import convert_value

        cleaned = super().clean() or {}
        definition = self.definitions.get(str(cleaned.get("field")))
        operator = cleaned.get("operator")
        if definition is None or not operator:
            return cleaned
        allowed = {value for value, _label in CUSTOM_OPERATORS[definition.field_type]}
        if operator in {"is_set", "is_empty", "is_true", "is_false"} and (
            operator in allowed or operator in {"is_set", "is_empty"}
        ):
            return {"field": definition.key, "operator": operator}
        if operator not in allowed:
            self.add_error(
                "operator",
                ValidationError(
                    _("This operator does not fit a field of type %(type)s.")
                    % {"type": definition.get_field_type_display()},
                    code="invalid_operator",
                ),
            )
            return cleaned
        if definition.field_type == CustomFieldType.DATE and operator in {
            "within_last_days",
            "more_than_days_ago",
        }:
            if not cleaned.get("days"):
                self.add_error(
                    "days", ValidationError(_("Enter a number of days."), code="required")
                )
            return {"field": definition.key, "operator": operator, "days": cleaned.get("days")}
        raw = cleaned.get("value")
        values = raw if isinstance(raw, list) else [raw]
        if definition.field_type == CustomFieldType.CHOICE and isinstance(raw, str):
            values = [part for part in raw.replace("،", ",").split(",") if part.strip()]
        converted = []
        try:
            for item in values:
                if isinstance(item, dict | list):
                    raise ValidationError(_("This value is not valid."), code="invalid")
                value = convert_value(definition, item)
                if value is None:
                    raise ValidationError(_("This field is required."), code="required")
                converted.append(value)
        except ValidationError as error:
            self.add_error("value", error)
            return cleaned
        if definition.field_type != CustomFieldType.CHOICE:
            if len(converted) != 1:
                self.add_error("value", ValidationError(_("Enter one value."), code="invalid"))
                return cleaned
            return {"field": definition.key, "operator": operator, "value": converted[0]}
        return {"field": definition.key, "operator": operator, "value": converted}

    def params(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def _custom_field_q(params: Params) -> Q:
    key = params["field"]
    path = f"custom_fields__{key}"
    operator = params["operator"]
    if operator == "is_set":
        return Q(custom_fields__has_key=key)
    if operator == "is_empty":
        return ~Q(custom_fields__has_key=key)
    if operator in {"is_true", "is_false"}:
        return Q(**{path: operator == "is_true"})
    if operator == "equals":
        return Q(**{path: params["value"]})
    if operator == "contains":
        return Q(**{f"{path}__icontains": params["value"]})
    if operator in {"eq", "gt", "gte", "lt", "lte"}:
        lookup = "" if operator == "eq" else f"__{operator}"
        return Q(custom_fields__has_key=key) & Q(**{f"{path}{lookup}": params["value"]})
    if operator == "in":
        return Q(**{f"{path}__in": list(params["value"])})
    date_params = {"operator": operator, "date": params.get("value"), "days": params.get("days")}
    return Q(custom_fields__has_key=key) & date_q(path, date_params, as_text=True)


# Tags and consent -----------------------------------------------------------------------------


class TagsForm(ConditionForm):
    operator = forms.ChoiceField(
        label=_("operator"),
        choices=[
            ("any", _("has any of")),
            ("all", _("has all of")),
            ("none", _("has none of")),
        ],
    )
    tags = forms.ModelMultipleChoiceField(label=_("tags"), queryset=Tag.objects.all())


def _tags_q(params: Params) -> Q:
    links = Tag.contacts.through.objects
    tag_ids = list(params["tags"])
    if params["operator"] == "all":
        condition = Q()
        for tag_id in tag_ids:
            condition &= Q(Exists(links.filter(contact_id=OuterRef("pk"), tag_id=tag_id)))
        return condition
    any_tag = Q(Exists(links.filter(contact_id=OuterRef("pk"), tag_id__in=tag_ids)))
    return ~any_tag if params["operator"] == "none" else any_tag


class ConsentForm(ConditionForm):
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices)
    status = forms.ChoiceField(
        label=_("consent"),
        choices=[
            ("granted", _("granted")),
            ("withdrawn", _("withdrawn")),
            ("none", _("never asked")),
        ],
    )


def _consent_q(params: Params) -> Q:
    consents = ContactConsent.objects.filter(contact=OuterRef("pk"), channel=params["channel"])
    if params["status"] == "none":
        return ~Q(Exists(consents))
    return Q(Exists(consents.filter(status=params["status"])))


# The event log, tickets and deals -----------------------------------------------------------


class EventForm(ConditionForm):
    operator = forms.ChoiceField(
        label=_("operator"), choices=[("had", _("had")), ("not_had", _("did not have"))]
    )
    verb = forms.ChoiceField(label=_("event"), choices=[])
    days = days_field(required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from peyvand.timeline.presentation import VERB_LABELS

        field = self.fields["verb"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(verb, label) for verb, (label, _icon) in VERB_LABELS.items()]


def _event_q(params: Params) -> Q:
    from peyvand.timeline.models import Event

    events = Event.objects.filter(
        contact=OuterRef("pk"), verb=params["verb"], occurred_at__gte=days_ago(params["days"])
    )
    condition = Q(Exists(events))
    return ~condition if params["operator"] == "not_had" else condition


class DaysForm(ConditionForm):
    days = days_field(required=True)


def _inactive_q(params: Params) -> Q:
    from peyvand.timeline.models import Event

    recent = Event.objects.filter(contact=OuterRef("pk"), occurred_at__gte=days_ago(params["days"]))
    return ~Q(Exists(recent))


def _ticket_opened_q(params: Params) -> Q:
    from peyvand.service.models import Ticket

    tickets = Ticket.objects.filter(
        contact=OuterRef("pk"), created_at__gte=days_ago(params["days"])
    )
    return Q(Exists(tickets))


def _open_ticket_q(params: Params) -> Q:
    from peyvand.service.models import Ticket, TicketStatus

    tickets = Ticket.objects.filter(contact=OuterRef("pk")).exclude(
        status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED]
    )
    return yes_no(params, Q(Exists(tickets)))


def _open_deal_q(params: Params) -> Q:
    from peyvand.sales.models import Deal, DealStatus

    deals = Deal.objects.filter(contact=OuterRef("pk"), status=DealStatus.OPEN)
    return yes_no(params, Q(Exists(deals)))


def _deal_won_q(params: Params) -> Q:
    from peyvand.sales.models import Deal, DealStatus

    deals = Deal.objects.filter(
        contact=OuterRef("pk"), status=DealStatus.WON, closed_at__gte=days_ago(params["days"])
    )
    return Q(Exists(deals))


BUILTIN_KINDS = (
    ConditionKind(
        "contact.lifecycle_stage",
        _("Lifecycle stage"),
        CONTACT,
        choice_form(LifecycleStage.choices),
        _field_in("lifecycle_stage"),
        10,
    ),
    ConditionKind(
        "contact.source",
        _("Source"),
        CONTACT,
        choice_form(Source.choices),
        _field_in("source"),
        11,
    ),
    ConditionKind(
        "contact.gender",
        _("Gender"),
        CONTACT,
        choice_form(Gender.choices),
        _field_in("gender"),
        12,
    ),
    ConditionKind("contact.city", _("City"), CONTACT, CityForm, _city_q, 13),
    ConditionKind(
        "contact.language",
        _("Preferred language"),
        CONTACT,
        choice_form(CONTACT_LANGUAGES),
        _language_q,
        14,
    ),
    ConditionKind("contact.owner", _("Owner"), CONTACT, OwnerForm, _owner_q, 15),
    ConditionKind("contact.company", _("Company"), CONTACT, CompanyForm, _company_q, 16),
    ConditionKind(
        "contact.created",
        _("Created"),
        CONTACT,
        DateConditionForm,
        lambda params: date_q("created_at", params),
        17,
    ),
    ConditionKind(
        "contact.has_email", _("Has an email address"), CONTACT, YesNoForm, _has_email_q, 18
    ),
    ConditionKind(
        "contact.has_mobile", _("Has a mobile number"), CONTACT, YesNoForm, _has_mobile_q, 19
    ),
    ConditionKind(
        "contact.phone_prefix",
        _("Phone number starts with"),
        CONTACT,
        PhonePrefixForm,
        _phone_prefix_q,
        20,
    ),
    ConditionKind(
        "contact.search", _("Name, phone, email or national ID"), CONTACT, SearchForm, _search_q, 21
    ),
    ConditionKind(
        "contact.custom_field",
        _("Custom field"),
        CONTACT,
        CustomFieldConditionForm,
        _custom_field_q,
        30,
    ),
    ConditionKind("contact.tags", _("Tags"), CONTACT, TagsForm, _tags_q, 31),
    ConditionKind("contact.consent", _("Consent"), CONTACT, ConsentForm, _consent_q, 32),
    ConditionKind(
        "activity.event", _("Had an event in the last N days"), ACTIVITY, EventForm, _event_q, 40
    ),
    ConditionKind(
        "activity.inactive",
        _("No activity at all in the last N days"),
        ACTIVITY,
        DaysForm,
        _inactive_q,
        41,
    ),
    ConditionKind(
        "service.ticket_opened",
        _("Opened a ticket in the last N days"),
        SERVICE,
        DaysForm,
        _ticket_opened_q,
        50,
    ),
    ConditionKind(
        "service.open_ticket", _("Has an open ticket"), SERVICE, YesNoForm, _open_ticket_q, 51
    ),
    ConditionKind("sales.open_deal", _("Has an open deal"), SALES, YesNoForm, _open_deal_q, 60),
    ConditionKind(
        "sales.deal_won", _("Won a deal in the last N days"), SALES, DaysForm, _deal_won_q, 61
    ),
)


def register_builtin_conditions() -> None:
    for kind in BUILTIN_KINDS:
        register_condition(kind)
