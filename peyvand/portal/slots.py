"""Places where other parts of Peyvand plug into the portal, without the portal depending
on them. Each returns "nothing" until its part exists; the lead wires them here, once.

* Knowledge base: on the new-ticket page, articles suggested for the question being typed
  appear in ``#portal-knowledge-suggestions``. When the knowledge app ships the include
  ``knowledge/_suggestions.html`` it is picked up automatically and rendered with
  ``query`` (the subject and message typed so far, empty on a fresh page).
* Customer satisfaction: a resolved or closed ticket shows a "rate this" link when
  :func:`rating_url` returns an address (the feedback app's CSAT survey for the ticket).
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
    """Where the customer rates how ``ticket`` was handled: nothing until the feedback app's
    CSAT surveys exist (then: its survey link for this ticket, e.g. keyed by
    ``ticket.access_key``)."""
    return None
