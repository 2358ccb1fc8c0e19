"""What a message someone texts to our line does: an opt-out keyword («لغو», "stop" …)
stops marketing SMS to that number; anything else from someone with an open SMS ticket is
added to that ticket (``service.sms_replies``), so a ticket answered by SMS can go on by
SMS."""

from __future__ import annotations

from .sms.base import InboundSms
from .sms.keywords import is_opt_out
from .suppression import sms_opt_out


def inbound_sms_receive(*, message: InboundSms) -> bool:
    """Handle one inbound SMS; True when it was an opt-out."""
    if not message.sender:
        return False
    if is_opt_out(message.text):
        sms_opt_out(sender=message.sender, text=message.text)
        return True
    from peyvand.service.sms_replies import inbound_sms_to_ticket

    inbound_sms_to_ticket(message)
    return False
