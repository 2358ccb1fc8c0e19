"""Reads of the feedback app, for itself and other parts of Peyvand: whether a survey is
still open, and the link to the open survey of a ticket (the customer portal shows it)."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from peyvand.service.models import Ticket

from .models import Survey


def survey_is_open(survey: Survey, now: datetime.datetime | None = None) -> bool:
    """Whether the customer may still answer (or change an answer)."""
    return survey.expires_at > (now or timezone.now())


def survey_link_for(ticket: Ticket) -> str | None:
    """Where the customer rates how ``ticket`` was handled: the page of the ticket's newest
    survey (the same page the survey email links to), while it is open; else ``None``."""
    survey = Survey.objects.filter(ticket=ticket).order_by("-id").first()
    if survey is None or not survey_is_open(survey):
        return None
    return reverse("feedback:survey", args=[survey.token])
