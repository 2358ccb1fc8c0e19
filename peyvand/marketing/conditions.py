"""The registry of segment condition kinds.

A condition kind says what one row of a segment's rules can test: a translatable label, a
group to list it under, a form for its parameters (it validates what a person types in the
rule builder and what a client sends to the API) and a function that turns the validated
parameters, as stored in JSON, into a ``Q`` on ``Contact``. The function must not touch the
database: the whole segment is then one SQL statement (``Exists`` for related rows).

Another app adds its own kinds without editing this one, from its ``AppConfig.ready``::

    from peyvand.marketing.conditions import ConditionForm, ConditionKind, register_condition

    class BoughtRecentlyForm(ConditionForm):
        days = forms.IntegerField(label=_("in the last (days)"), min_value=1, max_value=3650)

    def bought_recently(params):
        since = timezone.now() - datetime.timedelta(days=params["days"])
        return Q(Exists(Order.objects.filter(contact=OuterRef("pk"), placed_at__gte=since)))

    register_condition(ConditionKind(
        key="commerce.bought_recently", label=_("Bought in the last N days"),
        group=_("Orders"), form=BoughtRecentlyForm, build=bought_recently))
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from peyvand.common.forms import JalaliDateField
from peyvand.web.forms import StyledForm

StrOrPromise = str | Promise
Params = Mapping[str, Any]


class ConditionForm(StyledForm):
    """Base of every condition's parameter form. ``user`` is who builds the segment (for
    choices that depend on what they may see); it may be ``None`` (system use)."""

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def params(self) -> dict[str, Any]:
        """The cleaned data as JSON: dates as ISO strings, records as ids, sets as lists."""
        return {name: _json(value) for name, value in self.cleaned_data.items()}


def _json(value: Any) -> Any:
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, QuerySet):
        return sorted(value.values_list("pk", flat=True))
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    return value


@dataclass(frozen=True)
class ConditionKind:
    """One kind of condition: ``key`` is stored in the rules (``<app>.<name>``), so never
    rename it; ``build`` gets the parameters as ``form.params()`` returned them."""

    key: str
    label: StrOrPromise
    group: StrOrPromise
    form: type[ConditionForm]
    build: Callable[[Params], Q]
    # Lower comes first in the rule builder's list.
    position: int = 100


_REGISTRY: dict[str, ConditionKind] = {}


def register_condition(kind: ConditionKind) -> ConditionKind:
    """Make ``kind`` available to segments. Registering another kind under a key already
    taken is a programming error; registering the same kind again is harmless."""
    existing = _REGISTRY.get(kind.key)
    if existing is not None and existing != kind:
        raise ImproperlyConfigured(f"segment condition kind {kind.key!r} is already registered")
    _REGISTRY[kind.key] = kind
    return kind


def unregister_condition(key: str) -> None:
    """Remove a kind (for tests); rules that use it then match nobody."""
    _REGISTRY.pop(key, None)


def condition_kind(key: str) -> ConditionKind | None:
    return _REGISTRY.get(key)


def condition_kinds() -> list[ConditionKind]:
    """Every registered kind, in the rule builder's order."""
    return sorted(_REGISTRY.values(), key=lambda kind: (kind.position, kind.key))


def days_ago(days: int) -> datetime.datetime:
    """The instant ``days`` days before now (for "in the last N days" conditions)."""
    from django.utils import timezone

    return timezone.now() - datetime.timedelta(days=int(days))


# Shared parameter fields --------------------------------------------------------------------

DATE_OPERATORS = [
    ("after", _("on or after")),
    ("before", _("before")),
    ("within_last_days", _("in the last N days")),
    ("more_than_days_ago", _("more than N days ago")),
]


def days_field(required: bool = False) -> forms.IntegerField:
    # A text input, not type=number: browsers refuse Persian digits there; int() takes them.
    return forms.IntegerField(
        label=_("days"),
        min_value=1,
        max_value=36_500,
        required=required,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr", "size": 5}),
    )


def shown_for(form_field: forms.Field, *operators: str) -> forms.Field:
    """Mark a parameter as used only by ``operators``: the rule builder hides it otherwise."""
    form_field.widget.attrs["data-when"] = " ".join(operators)
    return form_field


DAY_OPERATORS = ("within_last_days", "more_than_days_ago")


class DateConditionForm(ConditionForm):
    """A date compared with a fixed (Jalali or Gregorian) day or with "N days ago"."""

    operator = forms.ChoiceField(label=_("operator"), choices=DATE_OPERATORS)
    date = shown_for(JalaliDateField(label=_("date"), required=False), "after", "before")
    days = shown_for(days_field(), *DAY_OPERATORS)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        operator = cleaned.get("operator")
        if operator in {"after", "before"}:
            if not cleaned.get("date") and "date" not in self.errors:
                self.add_error("date", forms.ValidationError(_("Enter a date."), code="required"))
            cleaned.pop("days", None)
        elif operator:
            if not cleaned.get("days") and "days" not in self.errors:
                self.add_error(
                    "days", forms.ValidationError(_("Enter a number of days."), code="required")
                )
            cleaned.pop("date", None)
        return cleaned

    def params(self) -> dict[str, Any]:
        return {key: value for key, value in super().params().items() if value is not None}


def date_q(field: str, params: Params, *, as_text: bool = False) -> Q:
    """``field`` compared as the date operator says; ``as_text`` compares ISO strings (a
    date kept in JSON) instead of dates or times."""
    operator = params["operator"]
    if operator in {"after", "before"}:
        day = datetime.date.fromisoformat(params["date"])
        lookup = "gte" if operator == "after" else "lt"
        if as_text:
            return Q(**{f"{field}__{lookup}": day.isoformat()})
        return Q(**{f"{field}__date__{lookup}": day})
    since = days_ago(params["days"])
    lookup = "gte" if operator == "within_last_days" else "lt"
    if as_text:
        return Q(**{f"{field}__{lookup}": since.date().isoformat()})
    return Q(**{f"{field}__{lookup}": since})


def in_q(field: str, params: Params) -> Q:
    condition = Q(**{f"{field}__in": list(params["values"])})
    return ~condition if params.get("operator") == "not_in" else condition


IN_OPERATORS = [("in", _("is one of")), ("not_in", _("is none of"))]
YES_NO = [("yes", _("yes")), ("no", _("no"))]


def yes_no(params: Params, condition: Q) -> Q:
    return condition if params["answer"] == "yes" else ~condition


class YesNoForm(ConditionForm):
    answer = forms.ChoiceField(label=_("answer"), choices=YES_NO)
