"""How a sign-in code reaches the customer: one small sender per channel.

Email goes out now, through Django's mail API (SMTP in production). SMS has a slot but no
gateway yet: the messaging work brings SMS gateways, and then only :class:`SmsCodeSender`
changes (``is_ready`` and ``send``); the views already ask each sender whether it is ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .models import SignInChannel

if TYPE_CHECKING:
    from peyvand.contacts.models import Contact


class SenderNotReady(Exception):  # noqa: N818 - reads as a sentence at the raise site
    """The channel cannot deliver codes on this installation (no gateway configured)."""


class CodeSender(Protocol):
    """Delivers a sign-in code to one address of a contact, or raises."""

    channel: str

    def is_ready(self) -> bool:
        """Whether codes can be sent on this channel here (asked before a code is made)."""
        ...

    def send(self, *, contact: Contact, address: str, code: str, minutes: int) -> None:
        """Deliver ``code``; raise ``SenderNotReady`` or ``OSError`` when it cannot."""
        ...


def _language(contact: Contact) -> str:
    return contact.language or settings.LANGUAGE_CODE


class EmailCodeSender:
    """The code in a short email, in the contact's language (Farsi unless they chose)."""

    channel: str = SignInChannel.EMAIL.value

    def is_ready(self) -> bool:
        return True

    def send(self, *, contact: Contact, address: str, code: str, minutes: int) -> None:
        with translation.override(_language(contact)):
            context = {
                "contact": contact,
                "code": code,
                "minutes": minutes,
                "company": settings.PEYVAND_COMPANY_NAME,
            }
            subject = _("Your sign-in code for %(company)s") % {
                "company": settings.PEYVAND_COMPANY_NAME
            }
            body = render_to_string("portal/email/sign_in_code.txt", context)
        EmailMessage(subject=subject, body=body, to=[address]).send(fail_silently=False)


class SmsCodeSender:
    """The SMS slot: no SMS gateway exists yet, so it is never ready and refuses to send."""

    channel: str = SignInChannel.SMS.value

    def is_ready(self) -> bool:
        return False

    def send(self, *, contact: Contact, address: str, code: str, minutes: int) -> None:
        raise SenderNotReady(
            "SMS is not set up: no SMS gateway is configured, so sign-in codes cannot be "
            "sent to mobile numbers yet."
        )


SENDERS: dict[str, CodeSender] = {
    SignInChannel.EMAIL.value: EmailCodeSender(),
    SignInChannel.SMS.value: SmsCodeSender(),
}


def code_sender(channel: str) -> CodeSender:
    """The sender of ``channel`` (``email`` or ``sms``)."""
    return SENDERS[channel]
