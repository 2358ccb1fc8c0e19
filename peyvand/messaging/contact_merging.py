"""What a contact merge does to the outbox (registered with ``contacts.merge_parts`` in
``MessagingConfig.ready``): a merged contact's messages, queued and sent alike, become the
survivor's, so consent is checked against the survivor and the frequency cap counts what
the person got; and a queued marketing message the person already has from the same
campaign or journey step (both contacts were queued, at two addresses) is held back as a
duplicate, so the one person gets one copy. Undo moves the rows back and queues the held
ones again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from peyvand.contacts.merge_parts import Moved, register_contact_merge_part, restore_rows

from .models import MessageCategory, MessageStatus, OutboxMessage, SuppressionReason

# A survivor's message in one of these states reached, or will reach, the person.
_GOING = (
    MessageStatus.PENDING,
    MessageStatus.SENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNCERTAIN,
)


class OutboxPart:
    key = "outbox"

    def move(self, *, survivor_id: int, merged_ids: Sequence[int]) -> Moved:
        rows = OutboxMessage.objects.filter(contact_id__in=list(merged_ids))
        moving = {str(pk): owner for pk, owner in rows.values_list("pk", "contact_id")}
        going = set(
            OutboxMessage.objects.filter(contact_id=survivor_id, status__in=_GOING).values_list(
                "purpose", "channel"
            )
        )
        held: dict[str, str] = {}
        queued_marketing = rows.filter(
            status=MessageStatus.PENDING, category=MessageCategory.MARKETING
        ).order_by("pk")
        for pk, purpose, channel, reason in queued_marketing.values_list(
            "pk", "purpose", "channel", "suppression_reason"
        ):
            if (purpose, channel) in going:
                held[str(pk)] = reason
            going.add((purpose, channel))
        OutboxMessage.objects.filter(pk__in=[int(pk) for pk in held]).update(
            status=MessageStatus.SUPPRESSED, suppression_reason=SuppressionReason.DUPLICATE
        )
        rows.update(contact_id=survivor_id)
        return {"outbox": moving, "outbox_held": held}

    def restore(self, *, moved: Mapping[str, Mapping[str, Any]], survivor_id: int) -> None:
        held = moved.get("outbox_held", {})
        for reason in set(held.values()):
            OutboxMessage.objects.filter(
                pk__in=[int(pk) for pk, before in held.items() if before == reason],
                status=MessageStatus.SUPPRESSED,
                suppression_reason=SuppressionReason.DUPLICATE,
            ).update(status=MessageStatus.PENDING, suppression_reason=reason)
        restore_rows(OutboxMessage, moved.get("outbox", {}), survivor_id)


def register_contact_merge_parts() -> None:
    register_contact_merge_part(OutboxPart())
