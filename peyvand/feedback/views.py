"""The customer's survey pages, public and reached only by the survey's random token:
the score (preselected by the link clicked in the email, recorded by a POST), then the ease
question and a comment, then thanks. An unknown or expired token is a 404 page in the
customer's language. Only requests with an unknown or malformed token count against the
client address (then a 429): customers sharing one address behind carrier NAT are never
turned away from their own surveys."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from peyvand.accounts.throttle import attempt_allowed
from peyvand.accounts.views import client_address
from peyvand.web.form_errors import add_service_errors

from .forms import DetailsForm, ScoreForm
from .models import SCORE_RANGES, Survey
from .selectors import survey_is_open
from .surveys import survey_answer

THROTTLE_SCOPE = "feedback"


def _find(request: HttpRequest, token: str) -> Survey | HttpResponse:
    """The open survey of ``token``, or the response to send instead: a 404, or a 429 once
    the client address has sent too many unknown tokens in the window."""
    survey = (
        Survey.objects.select_related("ticket").filter(token=token).first()
        if 20 <= len(token) <= 64
        else None
    )
    if survey is None:
        if not attempt_allowed(
            THROTTLE_SCOPE,
            client_address(request),
            limit=settings.PEYVAND_SURVEY_REQUESTS_PER_ADDRESS,
            window=settings.PEYVAND_FORM_WINDOW_SECONDS,
        ):
            return render(request, "feedback/invalid.html", {"reason": "throttled"}, status=429)
        return render(request, "feedback/invalid.html", {"reason": "unknown"}, status=404)
    if not survey_is_open(survey):
        return render(request, "feedback/invalid.html", {"reason": "expired"}, status=404)
    return survey


def _preselected(request: HttpRequest, survey: Survey) -> int | None:
    text = request.GET.get("score", "")
    low, high = SCORE_RANGES.get(survey.kind, (1, 5))
    return int(text) if text.isdigit() and low <= int(text) <= high else None


@never_cache
@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the scores with the one from the email link chosen, and submits itself
    (a GET never records: mail scanners open links); without JavaScript the customer
    presses the one button. POST records or changes the score."""
    found = _find(request, token)
    if isinstance(found, HttpResponse):
        return found
    survey = found
    status = 200
    if request.method == "POST":
        form = ScoreForm(request.POST, kind=survey.kind)
        if form.is_valid():
            try:
                survey_answer(survey=survey, score=form.cleaned_data["score"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("feedback:details", token=survey.token)
        status = 422
        auto_submit = False
    else:
        chosen = _preselected(request, survey)
        form = ScoreForm(initial={"score": chosen or survey.score}, kind=survey.kind)
        auto_submit = chosen is not None
    return render(
        request,
        "feedback/survey.html",
        {"survey": survey, "form": form, "auto_submit": auto_submit},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def details_page(request: HttpRequest, token: str) -> HttpResponse:
    """The ease question (CES 2.0, 1–7) and an optional comment; answering again changes
    the answers."""
    found = _find(request, token)
    if isinstance(found, HttpResponse):
        return found
    survey = found
    if survey.score is None:
        return redirect("feedback:survey", token=survey.token)
    status = 200
    if request.method == "POST":
        form = DetailsForm(request.POST)
        if form.is_valid():
            try:
                survey_answer(
                    survey=survey,
                    effort=form.cleaned_data["effort"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("feedback:thanks", token=survey.token)
        status = 422
    else:
        form = DetailsForm(initial={"effort": survey.effort, "comment": survey.comment})
    return render(request, "feedback/details.html", {"survey": survey, "form": form}, status=status)


@never_cache
def thanks_page(request: HttpRequest, token: str) -> HttpResponse:
    found = _find(request, token)
    if isinstance(found, HttpResponse):
        return found
    return render(request, "feedback/thanks.html", {"survey": found})
