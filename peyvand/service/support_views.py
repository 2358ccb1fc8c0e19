"""The public support form at ``/support/``: no sign-in, a hidden honeypot field for bots
and a per-address limit (then 429), errors by field in the visitor's language."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from peyvand.accounts.throttle import attempt_allowed
from peyvand.accounts.views import client_address
from peyvand.web.form_errors import add_service_errors

from .support_form import (
    HONEYPOT_FIELD,
    SERVICE_TO_FORM_FIELDS,
    SupportRequestForm,
    support_request_submit,
)


def support_request(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"honeypot": HONEYPOT_FIELD}
    if request.method != "POST":
        context["form"] = SupportRequestForm()
        return render(request, "service/support_form.html", context)
    form = SupportRequestForm(request.POST)
    context["form"] = form
    if not attempt_allowed(
        "support-form",
        client_address(request),
        limit=settings.PEYVAND_FORM_SUBMISSIONS_PER_ADDRESS,
        window=settings.PEYVAND_FORM_WINDOW_SECONDS,
    ):
        context["throttled"] = True
        return render(request, "service/support_form.html", context, status=429)
    if form.is_spam:
        context["done"] = True  # a bot learns nothing
        return render(request, "service/support_form.html", context)
    if form.is_valid():
        try:
            ticket = support_request_submit(data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error, field_map=SERVICE_TO_FORM_FIELDS)
        else:
            context.update(done=True, ticket=ticket)
            return render(request, "service/support_form.html", context)
    return render(request, "service/support_form.html", context, status=422)
