"""Segment (and journey branch) conditions on customer intelligence: the RFM segment, the
predicted lifetime value, the probability a customer is still a customer and the churn
risk. Registered from
``IntelligenceConfig.ready``; each is a plain ``Q`` on the stored scores, so a segment stays
one SQL statement. Customers not scored yet match no "is one of" and no threshold."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peyvand.common.forms import MoneyField
from peyvand.marketing.builtin_conditions import choice_form
from peyvand.marketing.conditions import (
    ConditionForm,
    ConditionKind,
    Params,
    in_q,
    register_condition,
)

from .models import RfmSegment

INTELLIGENCE = _("Customer intelligence")
THRESHOLD_OPERATORS = [("at_least", _("at least")), ("below", _("below"))]


class LifetimeValueForm(ConditionForm):
    operator = forms.ChoiceField(label=_("operator"), choices=THRESHOLD_OPERATORS)
    amount = MoneyField(label=_("amount"))

    def clean_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        if amount is None:
            raise forms.ValidationError(_("This field is required."), code="required")
        return int(amount)


class ProbabilityForm(ConditionForm):
    operator = forms.ChoiceField(label=_("operator"), choices=THRESHOLD_OPERATORS)
    percent = forms.IntegerField(label=_("percent"), min_value=0, max_value=100)


def _threshold(field: str, value: float, params: Params) -> Q:
    lookup = "gte" if params["operator"] == "at_least" else "lt"
    return Q(**{f"{field}__{lookup}": value})


def _lifetime_value_q(params: Params) -> Q:
    return _threshold("lifetime_value__clv", int(params["amount"]), params)


def _alive_q(params: Params) -> Q:
    return _threshold("lifetime_value__probability_alive", int(params["percent"]) / 100, params)


def _churn_risk_q(params: Params) -> Q:
    return _threshold("churn__probability", int(params["percent"]) / 100, params)


INTELLIGENCE_KINDS = (
    ConditionKind(
        "intelligence.rfm_segment",
        _("RFM segment"),
        INTELLIGENCE,
        choice_form(RfmSegment.choices),
        lambda params: in_q("rfm__segment", params),
        70,
    ),
    ConditionKind(
        "intelligence.lifetime_value",
        _("Predicted lifetime value"),
        INTELLIGENCE,
        LifetimeValueForm,
        _lifetime_value_q,
        71,
    ),
    ConditionKind(
        "intelligence.probability_alive",
        _("Probability still a customer (%)"),
        INTELLIGENCE,
        ProbabilityForm,
        _alive_q,
        72,
    ),
    ConditionKind(
        "intelligence.churn_risk",
        _("Churn risk (%)"),
        INTELLIGENCE,
        ProbabilityForm,
        _churn_risk_q,
        73,
    ),
)


def register_intelligence_conditions() -> None:
    for kind in INTELLIGENCE_KINDS:
        register_condition(kind)
