"""How events read on the timeline: a translated label and icon per verb."""

from __future__ import annotations

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


def event_icon(verb: str) -> str:
    if verb in VERB_LABELS:
        return VERB_LABELS[verb][1]
    noun = verb.partition(".")[0]
    return VERB_LABELS.get(f"{noun}.logged", _EDITED)[1]
