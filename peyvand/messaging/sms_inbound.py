"""What a message someone texts to our line does: an opt-out keyword («لغو», "stop" …)
stops marketing SMS to that number."""

from __future__ import annotations

from .sms.base import InboundSms
from .sms.keywords import is_opt_out
from .suppression import sms_opt_out


def inbound_sms_receive(*, message: InboundSms) -> bool:
    """Handle one inbound SMS; True when it was an opt-out."""
    if not message.sender or not is_opt_out(message.text):
        return False
    sms_opt_out(sender=message.sender, text=message.text)
    return True
