"""How events read on the timeline: a translated label and icon per verb."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

VERB_LABELS: dict[str, tuple[Promise, str]] = {
    "contact.created": (_("Contact created"), "person-plus"),
    "contact.updated": (_("Contact changed"), "pencil"),
    "contact.deleted": (_("Contact deleted"), "trash"),
    "contact.tagged": (_("Tags added"), "tags"),
    "company.created": (_("Company created"), "building-add"),
    "company.updated": (_("Company changed"), "pencil"),
    "company.deleted": (_("Company deleted"), "trash"),
    "consent.granted": (_("Consent granted"), "shield-check"),
    "consent.withdrawn": (_("Consent withdrawn"), "shield-x"),
    "note.logged": (_("Note"), "journal-text"),
    "call.logged": (_("Call"), "telephone"),
    "meeting.logged": (_("Meeting"), "people"),
    "email.logged": (_("Email"), "envelope"),
    "sms.logged": (_("SMS"), "chat-dots"),
    "task.created": (_("Task created"), "check2-square"),
    "task.updated": (_("Task changed"), "pencil-square"),
    "task.completed": (_("Task completed"), "check2-all"),
    "task.deleted": (_("Task deleted"), "trash"),
    "task.reminded": (_("Reminder sent"), "alarm"),
    "lead.created": (_("Lead captured"), "funnel"),
    "lead.updated": (_("Lead changed"), "pencil"),
    "lead.assigned": (_("Lead assigned by rule"), "person-check"),
    "lead.qualified": (_("Lead qualified"), "patch-check"),
    "lead.converted": (_("Lead converted"), "arrow-right-circle"),
    "lead.deleted": (_("Lead deleted"), "trash"),
    "deal.created": (_("Deal created"), "briefcase"),
    "deal.updated": (_("Deal changed"), "pencil"),
    "deal.assigned": (_("Deal assigned by rule"), "person-check"),
    "deal.stage_changed": (_("Deal moved"), "arrow-left-right"),
    "deal.won": (_("Deal won"), "trophy"),
    "deal.lost": (_("Deal lost"), "x-octagon"),
    "deal.reopened": (_("Deal reopened"), "arrow-counterclockwise"),
    "deal.deleted": (_("Deal deleted"), "trash"),
    "ticket.created": (_("Ticket opened"), "life-preserver"),
    "ticket.replied": (_("Ticket answered"), "reply"),
    "ticket.noted": (_("Internal note on a ticket"), "sticky"),
    "ticket.customer_replied": (_("Customer wrote on a ticket"), "chat-left-text"),
    "ticket.updated": (_("Ticket changed"), "pencil"),
    "ticket.waiting": (_("Ticket waiting on the customer"), "hourglass-split"),
    "ticket.resolved": (_("Ticket resolved"), "check2-circle"),
    "ticket.closed": (_("Ticket closed"), "archive"),
    "ticket.reopened": (_("Ticket reopened"), "arrow-counterclockwise"),
    "ticket.sla_warning": (_("SLA due soon"), "alarm"),
    "ticket.sla_breached": (_("SLA breached"), "exclamation-octagon"),
    "ticket.assigned": (_("Ticket assigned by its category"), "person-check"),
    "ticket.escalated": (_("Ticket escalated"), "arrow-up-circle"),
    "ticket.complaint_step": (_("Complaint step"), "flag"),
    "ticket.merged": (_("Ticket merged into another"), "union"),
    "ticket.merged_in": (_("Ticket merged in"), "union"),
    "ticket.split": (_("Messages split into a new ticket"), "scissors"),
    "feedback.csat_sent": (_("Satisfaction survey sent"), "send"),
    "feedback.csat_answered": (_("Customer rated the support"), "star-half"),
    "quote.created": (_("Quote created"), "file-earmark-text"),
    "quote.updated": (_("Quote changed"), "pencil"),
    "quote.sent": (_("Quote sent"), "envelope"),
    "quote.accepted": (_("Quote accepted"), "check-circle"),
    "quote.rejected": (_("Quote rejected"), "x-circle"),
    "order.created": (_("Order placed"), "bag"),
    "order.purchased": (_("Purchase"), "bag-check"),
    "order.updated": (_("Order changed"), "pencil"),
    "order.status_changed": (_("Order status changed"), "arrow-left-right"),
    "order.cancelled": (_("Order cancelled"), "bag-x"),
    "order.refunded": (_("Refund"), "arrow-counterclockwise"),
    "segment.contact_added": (_("Added to a marketing list"), "list-check"),
    "segment.contact_removed": (_("Removed from a marketing list"), "list"),
    "journey.entered": (_("Entered a journey"), "diagram-3"),
    "message.email": (_("Email sent"), "envelope-arrow-up"),
    "message.sms": (_("SMS sent"), "chat-dots"),
    "message.resend": (_("Message queued to send again"), "arrow-repeat"),
}
_EDITED = (_("Changed"), "pencil")


def event_label(verb: str) -> str:
    """The translated label of a verb (``note.updated`` reads "Note (edited)")."""
    if verb in VERB_LABELS:
        return str(VERB_LABELS[verb][0])
    noun, _dot, action = verb.partition(".")
    base = VERB_LABELS.get(f"{noun}.logged")
    if base and action == "updated":
        return f"{base[0]} ({_('edited')})"
    if base and action == "deleted":
        return f"{base[0]} ({_('deleted')})"
    return verb


def event_summary(verb: str, summary: str, payload: dict[str, Any]) -> str:
    """The one-line summary in the reader's language (stored summaries are names and titles;
    codes such as a consent channel are translated here, at display time)."""
    if verb.startswith("consent.") and payload.get("channel"):
        from peyvand.contacts.models import Channel, ConsentMethod

        channel = dict(Channel.choices).get(payload["channel"], payload["channel"])
        method = dict(ConsentMethod.choices).get(payload.get("method", ""), "")
        return f"{channel} · {method}" if method else str(channel)
    return summary


def event_icon(verb: str) -> str:
    if verb in VERB_LABELS:
        return VERB_LABELS[verb][1]
    noun = verb.partition(".")[0]
    return VERB_LABELS.get(f"{noun}.logged", _EDITED)[1]


_SUBJECT_MODELS = {
    "contact": "contacts.Contact",
    "company": "contacts.Company",
    "task": "timeline.Task",
    "activity": "timeline.Activity",
    "contactconsent": "contacts.ContactConsent",
    "deal": "sales.Deal",
    "lead": "sales.Lead",
    "quote": "sales.Quote",
    "order": "commerce.Order",
    "ticket": "service.Ticket",
}
# Fields holding an amount of Rials, shown as money.
_MONEY_FIELDS = frozenset({"amount", "estimated_amount"})


def _readable(field: Any, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if getattr(field, "many_to_one", False) and isinstance(value, int):
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value}"
    if getattr(field, "name", "") in _MONEY_FIELDS and isinstance(value, int):
        from django.utils.translation import get_language

        from peyvand.common.money import display_unit, format_money

        return format_money(value, unit=display_unit(), language=get_language() or "fa")
    choices = dict(getattr(field, "choices", None) or ())
    if choices and not isinstance(value, list | dict):
        return str(choices.get(value, value))
    if isinstance(value, list):
        return "، ".join(str(item) for item in value)
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    return str(value)


def change_rows(subject_type: str, changes: dict[str, list[Any]]) -> list[tuple[str, str, str]]:
    """``(field label, old, new)`` for an event's field diff, in the reader's language."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    label = _SUBJECT_MODELS.get(subject_type)
    model = apps.get_model(label) if label else None
    rows = []
    for name, pair in changes.items():
        old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        field = None
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                field = None
        title = str(getattr(field, "verbose_name", "") or _FIELD_LABELS.get(name, name))
        rows.append((title, _readable(field, old), _readable(field, new)))
    return rows


_FIELD_LABELS: dict[str, Any] = {
    "phones": _("Phones"),
    "emails": _("Emails"),
    "tags": _("Tags"),
    "custom_fields": _("Custom fields"),
    "status": _("Status"),
}
