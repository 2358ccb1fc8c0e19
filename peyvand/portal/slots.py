"""Places where other parts of Peyvand plug into the portal, without the portal depending
on them. Each returns "nothing" until its part exists; the lead wires them here, once.

* Knowledge base: on the new-ticket page, articles suggested for the question being typed
  appear in ``#portal-knowledge-suggestions`` (refreshed as the customer types, and on a
  ticket still waiting for its first answer) — :func:`knowledge_suggestions`.
* Customer satisfaction: a resolved or closed ticket shows a "rate this" link to the
  feedback app's survey for the ticket (:func:`rating_url`).
"""

from __future__ import annotations

from peyvand.knowledge.models import Article
from peyvand.knowledge.search import articles_suggest
from peyvand.service.models import Ticket

# Suggestions look at this much of what the customer typed.
SUGGESTION_TEXT_LIMIT = 2000


def knowledge_suggestions(text: str) -> list[Article]:
    """Published articles (public and portal-only) that may answer the customer's question,
    best first; none for an empty question."""
    text = str(text or "").strip()[:SUGGESTION_TEXT_LIMIT]
    return articles_suggest(text, portal=True) if text else []


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
