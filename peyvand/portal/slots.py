"""Places where other parts of Peyvand plug into the portal, without the portal depending
on them. Each returns "nothing" until its part exists; the lead wires them here, once.

* Knowledge base: on the new-ticket page, articles suggested for the question being typed
  appear in ``#portal-knowledge-suggestions``. When the knowledge app ships the include
  ``knowledge/_suggestions.html`` it is picked up automatically and rendered with
  ``query`` (the subject and message typed so far, empty on a fresh page).
* Customer satisfaction: a resolved or closed ticket shows a "rate this" link to the
  feedback app's survey for the ticket (:func:`rating_url`).
"""

from __future__ import annotations

from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from peyvand.service.models import Ticket

KNOWLEDGE_SUGGESTIONS_TEMPLATE = "knowledge/_suggestions.html"


def knowledge_suggestions_template() -> str | None:
    """The knowledge base's suggestions include, when that app is installed."""
    try:
        get_template(KNOWLEDGE_SUGGESTIONS_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return KNOWLEDGE_SUGGESTIONS_TEMPLATE


def rating_url(ticket: Ticket) -> str | None:
    """Where the customer rates how ``ticket`` was handled: the newest open satisfaction
    survey of the ticket (the same page the survey email links to), if there is one."""
    from django.urls import reverse

    from peyvand.feedback.models import Survey
    from peyvand.feedback.surveys import survey_is_open

    survey = Survey.objects.filter(ticket=ticket).order_by("-id").first()
    if survey is None or not survey_is_open(survey):
        return None
    return reverse("feedback:survey", args=[survey.token])
