"""Every write to a ticket: opening it (any channel, assigned by its category), agents'
replies and internal notes, the customer's messages, status changes that pause and resume
the SLA clocks, changes of priority, category, tags, assignee and links, and the steps of
the complaint process. Each writes one event on the ticket and on the customer's
timeline."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.permissions import require_permission
from peyvand.common.persian import clean_persian, search_key
from peyvand.common.validators import normalize_email, normalize_phone
from peyvand.contacts.services import tags_resolve
from peyvand.feedback.tasks import survey_on_resolved
from peyvand.integrations.tasks import reply_email
from peyvand.sales.service_helpers import notify_assignee
from peyvand.timeline.events import event_record, field_changes, snapshot

from .assignment import ticket_pick_assignee
from .attachments import (
    IncomingFile,
    attachment_files_discarded_on_error,
    attachments_store_all,
)
from .models import (
    ComplaintStep,
    MessageKind,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketPriority,
    TicketStatus,
)
from .sla import sla_follow_status, sla_recompute, sla_start
from .sms_replies import reply_sms_enqueue, reply_sms_number

if TYPE_CHECKING:
    from peyvand.accounts.models import User

TICKET_FIELDS = (
    "subject",
    "priority",
    "category",
    "contact",
    "company",
    "deal",
    "assignee",
    "team",
)
_TRACKED = (*TICKET_FIELDS, "status", "complaint_step")
MAX_BODY = 50_000
# How many days after "following up" the agent is asked to check with the customer again.
COMPLAINT_FOLLOW_UP_DAYS = 2


def _check(actor: User | None) -> None:
    """``None`` is the system (an inbound email, the portal on the customer's behalf)."""
    if actor is not None:
        require_permission(actor, "write", "tickets")


def _event(
    *, actor: User | None, ticket: Ticket, verb: str, summary: str, payload: Mapping[str, Any]
) -> None:
    event_record(
        actor=actor,
        verb=verb,
        subject=ticket,
        contact=ticket.contact,
        company=ticket.company,
        deal=ticket.deal,
        summary=summary,
        payload=payload,
    )


def ticket_search_text(ticket: Ticket) -> str:
    parts = [search_key(ticket.subject), ticket.requester_email]
    if ticket.contact is not None:
        parts.append(search_key(ticket.contact.full_name))
    if ticket.company is not None:
        parts.append(search_key(ticket.company.name))
    return "|".join(part for part in parts if part)


def _clean_body(body: str, errors: dict[str, list[ValidationError]]) -> str:
    text = clean_persian(str(body or ""), multiline=True)
    if not text:
        errors.setdefault("body", []).append(
            ValidationError(_("Write the message."), code="required")
        )
    elif len(text) > MAX_BODY:
        errors.setdefault("body", []).append(
            ValidationError(
                _("At most %(limit)s characters.") % {"limit": MAX_BODY}, code="max_length"
            )
        )
    return text


def _set_values(ticket: Ticket, values: Mapping[str, Any]) -> dict[str, list[ValidationError]]:
    errors: dict[str, list[ValidationError]] = {}
    for name in TICKET_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if name == "subject":
            value = clean_persian(str(value or ""))
            if not value:
                errors["subject"] = [
                    ValidationError(_("Write what the ticket is about."), code="required")
                ]
                continue
            value = value[:250]
        if name == "priority" and value not in TicketPriority.values:
            errors["priority"] = [
                ValidationError(_("Choose a valid priority."), code="invalid_choice")
            ]
            continue
        if (
            name == "category"
            and value is not None
            and not (isinstance(value, TicketCategory) and value.is_active)
        ):
            errors["category"] = [
                ValidationError(_("Choose an active category."), code="invalid_choice")
            ]
            continue
        setattr(ticket, name, value)
    if ticket.contact is not None and ticket.company is None:
        ticket.company = ticket.contact.company
    return errors


def ticket_create(
    *,
    actor: User | None,
    values: Mapping[str, Any],
    body: str,
    channel: str,
    requester_email: str = "",
    requester_phone: str = "",
    message_id: str = "",
    is_complaint: bool = False,
    files: Sequence[IncomingFile] = (),
) -> Ticket:
    """Open a ticket with the customer's first message (an agent logging a call writes it
    for them). The SLA policy
    is chosen and the clocks start; with no assignee given, the category's team and agent
    are chosen (``ticket.assigned`` names the method). ``values["tags"]`` is a list of tag
    names. A complaint starts at the "acknowledged" step. Raises ``ValidationError`` by
    field; nothing is saved then."""
    _check(actor)
    errors: dict[str, list[ValidationError]] = {}
    ticket = Ticket(created_by=actor, channel=channel)
    if channel not in TicketChannel.values:
        errors["channel"] = [ValidationError(_("Choose a valid channel."), code="invalid_choice")]
    errors.update(_set_values(ticket, values))
    if "subject" not in values and "subject" not in errors:
        errors["subject"] = [ValidationError(_("Write what the ticket is about."), code="required")]
    text = _clean_body(body, errors)
    if requester_email:
        try:
            ticket.requester_email = normalize_email(requester_email)
        except ValidationError as failure:
            errors["requester_email"] = [failure]
    if requester_phone:
        try:
            ticket.requester_phone = normalize_phone(requester_phone)
        except ValidationError as failure:
            errors["requester_phone"] = [failure]
    tag_names = values.get("tags") or []
    if errors:
        raise ValidationError(errors)
    if is_complaint:
        ticket.complaint_step = ComplaintStep.ACKNOWLEDGED
    # A failure anywhere in the transaction takes the files it stored along with it.
    with attachment_files_discarded_on_error(), transaction.atomic():
        tags = tags_resolve(tag_names)
        ticket.created_at = timezone.now()
        sla_start(ticket)
        assignment = None
        if ticket.assignee_id is None:
            assignment = ticket_pick_assignee(ticket, ticket.created_at)
            ticket.assignee = assignment.assignee
            ticket.team = ticket.team or assignment.team
        ticket.search_text = ticket_search_text(ticket)
        ticket.save()
        if tags:
            ticket.tags.set(tags)
        first = TicketMessage.objects.create(
            ticket=ticket,
            kind=MessageKind.CUSTOMER,
            body=text,
            author=actor if channel in {TicketChannel.PHONE, TicketChannel.IN_PERSON} else None,
            from_email=ticket.requester_email,
            message_id=message_id[:255],
        )
        attachments_store_all(ticket=ticket, message=first, files=files)
        _event(
            actor=actor,
            ticket=ticket,
            verb="ticket.created",
            summary=ticket.subject,
            payload={
                "channel": channel,
                "priority": ticket.priority,
                "policy": ticket.sla_policy.name if ticket.sla_policy else None,
                "first_response_due": ticket.first_response_due,
                "resolution_due": ticket.resolution_due,
                "complaint": is_complaint,
            },
        )
        if assignment is not None and assignment.assignee is not None:
            _event(
                actor=None,
                ticket=ticket,
                verb="ticket.assigned",
                summary=str(assignment.assignee),
                payload={
                    "method": assignment.method,
                    "assignee": assignment.assignee.pk,
                    "category": ticket.category.name if ticket.category else None,
                },
            )
        notify_assignee(
            owner=ticket.assignee,
            actor=actor,
            title=_("Ticket assigned to you: %(ticket)s") % {"ticket": ticket},
            url=ticket_url(ticket),
        )
    return ticket


def ticket_url(ticket: Ticket) -> str:
    from django.urls import reverse

    return reverse("service:ticket_detail", args=[ticket.pk])


def _locked(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("contact", "company", "deal", "sla_policy__calendar")
        .get(pk=ticket.pk)
    )


def ticket_reply(
    *,
    actor: User | None,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    message_id: str = "",
    files: Sequence[IncomingFile] = (),
) -> TicketMessage:
    """An agent's public reply (the first one stops the first-response clock; a new ticket
    becomes open) or an internal note, which customers never see and which stops nothing.
    ``files`` are attached in the same transaction (the reply email carries them). A public
    reply is emailed to the requester, or texted (``sms_replies``: an SMS ticket, or no
    email to answer to), its outbox row written in this transaction."""
    _check(actor)
    errors: dict[str, list[ValidationError]] = {}
    text = _clean_body(body, errors)
    if errors:
        raise ValidationError(errors)
    with attachment_files_discarded_on_error(), transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == TicketStatus.CLOSED and not internal:
            # A closed (or merged) ticket's conversation is over: reply on the live one.
            raise ValidationError({"body": [_("This ticket is closed; reply on an open one.")]})
        now = timezone.now()
        message = TicketMessage.objects.create(
            ticket=ticket,
            kind=MessageKind.NOTE if internal else MessageKind.REPLY,
            body=text,
            author=actor,
            message_id=message_id[:255],
        )
        attachments_store_all(ticket=ticket, message=message, files=files)
        sms_number = "" if internal else reply_sms_number(ticket)
        if sms_number:  # the ticket came by SMS, or there is no email to answer to
            reply_sms_enqueue(message=message, number=sms_number)
        elif not internal and ticket.requester_email:  # emailed once committed
            transaction.on_commit(lambda: reply_email.enqueue(message.pk))
        payload: dict[str, Any] = {"message": message.pk}
        if files:
            payload["files"] = [incoming.name for incoming in files]
        if not internal:
            if ticket.first_responded_at is None:
                ticket.first_responded_at = now
                late = ticket.first_response_due is not None and now > ticket.first_response_due
                ticket.first_response_breached = ticket.first_response_breached or late
                payload["first_response"] = True
                payload["late"] = late
            if ticket.status == TicketStatus.NEW:
                ticket.status = TicketStatus.OPEN
            ticket.save()
        _event(
            actor=actor,
            ticket=ticket,
            verb="ticket.noted" if internal else "ticket.replied",
            summary=text[:200],
            payload=payload,
        )
    return message


def ticket_customer_message(
    *,
    ticket: Ticket,
    body: str,
    from_email: str = "",
    message_id: str = "",
    files: Sequence[IncomingFile] = (),
) -> TicketMessage:
    """The customer wrote again (email, portal). A ticket waiting on them, or resolved,
    opens again and its clocks run on. A message to a merged ticket lands on the ticket it
    was merged into."""
    errors: dict[str, list[ValidationError]] = {}
    text = _clean_body(body, errors)
    if errors:
        raise ValidationError(errors)
    with attachment_files_discarded_on_error(), transaction.atomic():
        ticket = _locked(ticket_survivor(ticket))
        message = TicketMessage.objects.create(
            ticket=ticket,
            kind=MessageKind.CUSTOMER,
            body=text,
            from_email=from_email[:254],
            message_id=message_id[:255],
        )
        attachments_store_all(ticket=ticket, message=message, files=files)
        reopened = ticket.status in {TicketStatus.WAITING, TicketStatus.RESOLVED}
        if reopened:
            ticket.status = TicketStatus.OPEN
            ticket.resolved_at = None
            sla_follow_status(ticket, timezone.now())
            ticket.save()
        _event(
            actor=None,
            ticket=ticket,
            verb="ticket.customer_replied",
            summary=text[:200],
            payload={"message": message.pk, "reopened": reopened},
        )
    return message


def ticket_set_status(
    *, actor: User | None, ticket: Ticket, status: str, by_customer: bool = False
) -> Ticket:
    """Move a ticket between statuses. Waiting on the customer, resolved and closed pause
    the clocks; going back to open resumes them. Resolving records whether it was late; a
    closed ticket stays closed (the customer's next message opens a new one).
    ``by_customer`` says the customer did it (the portal's "solved" button), so the timeline
    tells them apart from the system."""
    _check(actor)
    if status not in TicketStatus.values:
        raise ValidationError({"status": [_("Choose a valid status.")]})
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == TicketStatus.CLOSED:
            raise ValidationError({"status": [_("A closed ticket cannot change.")]})
        if status == ticket.status:
            return ticket
        before = snapshot(ticket, _TRACKED)
        now = timezone.now()
        ticket.status = status
        payload: dict[str, Any] = {"by_customer": True} if by_customer else {}
        if status in {TicketStatus.RESOLVED, TicketStatus.CLOSED} and ticket.resolved_at is None:
            ticket.resolved_at = now
            late = ticket.resolution_due is not None and now > ticket.resolution_due
            ticket.resolution_breached = ticket.resolution_breached or late
            payload["late"] = late
        elif status in {TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING}:
            ticket.resolved_at = None
        sla_follow_status(ticket, now)
        ticket.save()
        _event(
            actor=actor,
            ticket=ticket,
            verb=_status_verb(status),
            summary=ticket.subject,
            payload={"changes": field_changes(before, snapshot(ticket, _TRACKED)), **payload},
        )
        if status == TicketStatus.RESOLVED:
            transaction.on_commit(partial(survey_on_resolved, ticket.pk))
    return ticket


_STATUS_VERBS: dict[str, str] = {
    TicketStatus.RESOLVED: "ticket.resolved",
    TicketStatus.CLOSED: "ticket.closed",
    TicketStatus.WAITING: "ticket.waiting",
}


def _status_verb(status: str) -> str:
    return _STATUS_VERBS.get(status, "ticket.reopened")


def ticket_survivor(ticket: Ticket) -> Ticket:
    """The ticket that carries on ``ticket``'s conversation: itself, or the one it was
    merged into (following chains of merges)."""
    seen = {ticket.pk}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


def ticket_update(*, actor: User | None, ticket: Ticket, values: Mapping[str, Any]) -> Ticket:
    """Change subject, priority, category, tags, links, assignee or team; a new priority
    moves the due times (counted from the arrival, as if it had always had that
    priority). The new assignee is notified."""
    _check(actor)
    with transaction.atomic():
        ticket = _locked(ticket)
        before = snapshot(ticket, _TRACKED)
        before_tags = sorted(ticket.tags.values_list("name", flat=True))
        errors = _set_values(ticket, values)
        if errors:
            raise ValidationError(errors)
        if "priority" in values and before.get("priority") != ticket.priority:
            sla_recompute(ticket)
        ticket.search_text = ticket_search_text(ticket)
        ticket.save()
        changes = field_changes(before, snapshot(ticket, _TRACKED))
        if "tags" in values:
            tags = tags_resolve(values["tags"] or [])
            ticket.tags.set(tags)
            after_tags = sorted(tag.name for tag in tags)
            if after_tags != before_tags:
                changes["tags"] = [before_tags, after_tags]
        if "assignee" in changes:
            notify_assignee(
                owner=ticket.assignee,
                actor=actor,
                title=_("Ticket assigned to you: %(ticket)s") % {"ticket": ticket},
                url=ticket_url(ticket),
            )
        if changes:
            _event(
                actor=actor,
                ticket=ticket,
                verb="ticket.updated",
                summary=ticket.subject,
                payload={"changes": changes},
            )
    return ticket


def ticket_sla_event(*, ticket: Ticket, clock: str, kind: str, due: datetime.datetime) -> None:
    """``ticket.sla_warning`` / ``ticket.sla_breached`` for one clock (the worker's check)."""
    _event(
        actor=None,
        ticket=ticket,
        verb=f"ticket.sla_{kind}",
        summary=ticket.subject,
        payload={"clock": clock, "due": due},
    )


_STEP_ORDER = [step.value for step in ComplaintStep]


def ticket_complaint_step(
    *, actor: User | None, ticket: Ticket, step: str, note: str = ""
) -> Ticket:
    """Move a complaint through its steps (acknowledged → investigating → solution offered
    → following up → customer confirmed), or mark a ticket as a complaint (any step from
    none). Each step is an event on the ticket and the customer's timeline, with the
    agent's note; "following up" gives the assignee a task to check with the customer in
    :data:`COMPLAINT_FOLLOW_UP_DAYS` days, and "customer confirmed" resolves the ticket."""
    _check(actor)
    if step not in _STEP_ORDER:
        raise ValidationError({"step": [_("Choose a valid complaint step.")]})
    text = clean_persian(str(note or ""), multiline=True)[:2000]
    # One transaction: a confirmed complaint is never left unresolved.
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == TicketStatus.CLOSED:
            raise ValidationError({"step": [_("A closed ticket cannot change.")]})
        if ticket.complaint_step == step:
            return ticket
        previous = ticket.complaint_step
        ticket.complaint_step = step
        ticket.save(update_fields=["complaint_step", "updated_at"])
        _event(
            actor=actor,
            ticket=ticket,
            verb="ticket.complaint_step",
            summary=str(ComplaintStep(step).label),
            payload={"changes": {"complaint_step": [previous, step]}, "note": text},
        )
        if step == ComplaintStep.FOLLOWING_UP:
            _complaint_follow_up_task(actor, ticket)
        if step == ComplaintStep.CONFIRMED and ticket.status != TicketStatus.RESOLVED:
            ticket = ticket_set_status(actor=actor, ticket=ticket, status=TicketStatus.RESOLVED)
    return ticket


def _complaint_follow_up_task(actor: User | None, ticket: Ticket) -> None:
    from peyvand.timeline.services import task_create

    owner = ticket.assignee or actor
    task_create(
        actor=None,
        values={
            "title": _("Follow up: is the complaint on %(ticket)s settled?") % {"ticket": ticket},
            "description": ticket_url(ticket),
            "due_at": timezone.now() + datetime.timedelta(days=COMPLAINT_FOLLOW_UP_DAYS),
            "assignee": owner,
            "contact": ticket.contact,
            "company": ticket.company,
        },
    )
