"""The forecast page (per owner or team, by Jalali month or quarter, against quotas) and the
quota form managers use."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peyvand.accounts.models import Team, User
from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.common.forms import MoneyField
from peyvand.common.jalali import jalali_month_name
from peyvand.web.form_errors import add_service_errors
from peyvand.web.forms import StyledForm

from .forecast import Period, can_set_quotas, forecast, quota_set, totals
from .models import Quota
from .selectors import deals_visible_to


def period_from(params: Any) -> Period:
    """The period in the query string (``year`` + ``month`` or ``quarter``), else this month;
    values out of range fall back to this month."""
    current = Period.current_month()
    try:
        year = int(str(params.get("year") or current.year))
        if params.get("quarter"):
            return Period(year=year, quarter=int(str(params["quarter"])))
        return Period(year=year, month=int(str(params.get("month") or current.month)))
    except (TypeError, ValueError):
        return current


@login_required
def forecast_page(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "deals")
    period = period_from(request.GET)
    group = "team" if request.GET.get("group") == "team" else "owner"
    deals = deals_visible_to(request.user)
    rows = forecast(deals, period, group=group)
    language = request.LANGUAGE_CODE
    context = {
        "period": period,
        "group": group,
        "rows": rows,
        "total": totals(forecast(deals, period, group="owner")),
        "months": [(number, jalali_month_name(number, language)) for number in range(1, 13)],
        "quarters": [1, 2, 3, 4],
        "period_label": (
            f"{jalali_month_name(period.month, language)} {period.year}"
            if period.month
            else _("Quarter %(quarter)s of %(year)s")
            % {"quarter": period.quarter, "year": period.year}
        ),
        "chart": {
            "labels": [row.label for row in rows],
            "won": [row.won for row in rows],
            "weighted": [row.weighted for row in rows],
            "quota": [row.quota for row in rows],
        },
        "can_set_quotas": can_set_quotas(request.user),
    }
    return render(request, "sales/forecast.html", context)


class QuotaForm(StyledForm):
    user = forms.ModelChoiceField(
        label=gettext_lazy("Person"), queryset=User.objects.filter(is_active=True), required=False
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"), queryset=Team.objects.all(), required=False
    )
    year = forms.IntegerField(label=gettext_lazy("Jalali year"), min_value=1300, max_value=1500)
    month = forms.TypedChoiceField(
        label=gettext_lazy("Jalali month"), coerce=int, choices=[(n, n) for n in range(1, 13)]
    )
    amount = MoneyField(label=gettext_lazy("Target"))

    def __init__(self, *args: Any, language: str = "fa", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [  # type: ignore[attr-defined]
            (number, jalali_month_name(number, language)) for number in range(1, 13)
        ]


@login_required
def quota_page(request: AuthenticatedRequest) -> HttpResponse:
    """Managers set monthly quotas per person or team; everyone may read them."""
    require_permission(request.user, "read", "deals")
    current = Period.current_month()
    form = QuotaForm(
        request.POST or None,
        language=request.LANGUAGE_CODE,
        initial={"year": current.year, "month": current.month},
    )
    if request.method == "POST":
        if not can_set_quotas(request.user):
            return HttpResponse(status=403)
        if form.is_valid():
            data = form.cleaned_data
            try:
                quota_set(
                    actor=request.user,
                    year=data["year"],
                    month=data["month"],
                    amount=data["amount"],
                    user=data.get("user"),
                    team=data.get("team"),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("sales:quotas")
    quotas = Quota.objects.select_related("user", "team").filter(year__gte=current.year - 1)
    return render(
        request,
        "sales/quotas.html",
        {"form": form, "quotas": quotas, "can_set_quotas": can_set_quotas(request.user)},
    )
