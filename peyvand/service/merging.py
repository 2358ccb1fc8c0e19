"""Merging tickets that are the same request (the customer wrote twice) and splitting a
message that is a new request out of a ticket. Both keep every message and attachment,
write one event on each ticket involved and run in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.common.persian import clean_persian

from .models import MessageKind, Ticket, TicketAttachment, TicketMessage, TicketStatus
from .sla import sla_follow_status, sla_start
from .tickets import _check, _event, ticket_search_text

if TYPE_CHECKING:
    from peyvand.accounts.models import User


def ticket_merge(*, actor: User, source: Ticket, target: Ticket) -> Ticket:
    """Move ``source``'s messages and attachments to ``target`` and close ``source`` as
    merged into it; later customer messages to ``source`` land on ``target``. Tags are
    united. Tickets of two different customers are never merged (one would read the
    other's messages). Returns the target."""
    _check(actor)
    if source.pk == target.pk:
        raise ValidationError({"target": [_("A ticket cannot be merged into itself.")]})
    with transaction.atomic():
        locked = {
            ticket.pk: ticket
            for ticket in Ticket.objects.select_for_update(of=("self",))
            .select_related("contact", "company", "deal", "sla_policy__calendar")
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        if target.status == TicketStatus.CLOSED or target.merged_into_id is not None:
            raise ValidationError({"target": [_("Choose a ticket that is not closed or merged.")]})
        if source.merged_into_id is not None:
            raise ValidationError({"source": [_("This ticket is already merged.")]})
        if source.contact_id and target.contact_id and source.contact_id != target.contact_id:
            # The survivor's thread is what its customer reads in the portal and by email.
            raise ValidationError(
                {"target": [_("Only tickets of the same customer can be merged.")]}
            )
        moved = TicketMessage.objects.filter(ticket=source).update(ticket=target)
        TicketAttachment.objects.filter(ticket=source).update(ticket=target)
        target.tags.add(*source.tags.all())
        now = timezone.now()
        source.merged_into = target
        source.status = TicketStatus.CLOSED
        source.resolved_at = source.resolved_at or now
        sla_follow_status(source, now)
        source.save()
        if target.status in {TicketStatus.RESOLVED, TicketStatus.WAITING}:
            target.status = TicketStatus.OPEN
            target.resolved_at = None
            sla_follow_status(target, now)
        target.save()
        _event(
            actor=actor,
            ticket=source,
            verb="ticket.merged",
            summary=str(target),
            payload={"into": target.pk, "messages": moved},
        )
        _event(
            actor=actor,
            ticket=target,
            verb="ticket.merged_in",
            summary=str(source),
            payload={"from": source.pk, "messages": moved},
        )
    return target


def ticket_split(
    *, actor: User, ticket: Ticket, message_ids: Sequence[int], subject: str
) -> Ticket:
    """Move the chosen customer messages (with their attachments) into a new ticket for
    the same customer, with its own SLA clocks from now. The original keeps the rest."""
    _check(actor)
    title = clean_persian(str(subject or ""))[:250]
    errors: dict[str, list[ValidationError]] = {}
    if not title:
        errors["subject"] = [ValidationError(_("Write what the ticket is about."), "required")]
    chosen = list(
        TicketMessage.objects.filter(ticket=ticket, pk__in=list(message_ids)).order_by(
            "created_at", "pk"
        )
    )
    if not chosen:
        errors["messages"] = [ValidationError(_("Choose the messages to split off."), "required")]
    elif any(message.kind != MessageKind.CUSTOMER for message in chosen):
        errors["messages"] = [
            ValidationError(_("Only the customer's messages can start a new ticket."), "invalid")
        ]
    elif len(chosen) == ticket.messages.count():
        errors["messages"] = [
            ValidationError(_("Leave at least one message on the original ticket."), "invalid")
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        new = Ticket(
            subject=title,
            priority=ticket.priority,
            channel=ticket.channel,
            category=ticket.category,
            contact=ticket.contact,
            company=ticket.company,
            deal=ticket.deal,
            assignee=ticket.assignee,
            team=ticket.team,
            requester_email=ticket.requester_email,
            requester_phone=ticket.requester_phone,
            split_from=ticket,
            created_by=actor,
        )
        new.created_at = timezone.now()
        sla_start(new)
        new.search_text = ticket_search_text(new)
        new.save()
        ids = [message.pk for message in chosen]
        TicketMessage.objects.filter(pk__in=ids).update(ticket=new)
        TicketAttachment.objects.filter(message_id__in=ids).update(ticket=new)
        _event(
            actor=actor,
            ticket=new,
            verb="ticket.created",
            summary=new.subject,
            payload={"channel": new.channel, "split_from": ticket.pk, "messages": len(ids)},
        )
        _event(
            actor=actor,
            ticket=ticket,
            verb="ticket.split",
            summary=new.subject,
            payload={"into": new.pk, "messages": len(ids)},
        )
    return new
