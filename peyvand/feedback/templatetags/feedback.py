"""``{% ticket_surveys ticket as surveys %}``: a ticket's surveys, newest first, for the
agent's ticket page (the include ``feedback/_ticket_feedback.html`` uses it)."""

from __future__ import annotations

from django import template

from peyvand.feedback.models import Survey
from peyvand.service.models import Ticket

register = template.Library()


@register.simple_tag
def ticket_surveys(ticket: Ticket) -> list[Survey]:
    """One query; the caller already checked that the user may see ``ticket``."""
    if ticket is None or ticket.pk is None:
        return []
    return list(Survey.objects.filter(ticket_id=ticket.pk).order_by("-created_at", "-id"))
