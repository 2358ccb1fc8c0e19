"""How a sign-in code reaches the customer: one small sender per channel.

Email goes out now, through Django's mail API (SMTP in production). SMS goes through the
messaging outbox as a transactional message (no marketing consent, quiet hours or caps),
delivered at once in the request by the outbox's own claim-and-send path, so the row's
exactly-once key still holds and a failed try is retried by the worker; it is ready when an
SMS gateway is configured (``PEYVAND_SMS_GATEWAY``). The views ask each sender whether it
is ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from peyvand.common.persian import to_persian_digits

from .models import SignInChannel

if TYPE_CHECKING:
    from peyvand.contacts.models import Contact


class SenderNotReady(Exception):  # noqa: N818 - reads as a sentence at the raise site
    """The channel cannot deliver codes on this installation (no gateway configured)."""


class CodeNotDeliveredError(OSError):
    """The provider refused the code for good (a bad number, no credit …)."""


class CodeSender(Protocol):
    """Delivers a sign-in code to one address of a contact, or raises."""

    channel: str

    def is_ready(self) -> bool:
        """Whether codes can be sent on this channel here (asked before a code is made)."""
        ...

    def send(
        self, *, contact: Contact, address: str, code: str, minutes: int, reference: str
    ) -> None:
        """Deliver ``code``; raise ``SenderNotReady`` or ``OSError`` when it cannot.
        ``reference`` names this code (a new code, a new reference): a channel that keeps
        an idempotency key uses it, so one code is never sent twice."""
        ...


def _language(contact: Contact) -> str:
    return contact.language or settings.LANGUAGE_CODE


class EmailCodeSender:
    """The code in a short email, in the contact's language (Farsi unless they chose)."""

    channel: str = SignInChannel.EMAIL.value

    def is_ready(self) -> bool:
        return True

    def send(
        self, *, contact: Contact, address: str, code: str, minutes: int, reference: str
    ) -> None:
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
    """The code in a short SMS through the outbox: one transactional row per code (purpose
    ``otp:portal:<contact>:<reference>``, so a new code is a new message and the same code
    is never a second one), sent right away; the worker retries it after a transient
    failure, and once the row is final its stored text keeps no code."""

    channel: str = SignInChannel.SMS.value

    def is_ready(self) -> bool:
        from peyvand.messaging.sms.base import gateway_config

        return gateway_config() is not None

    def send(
        self, *, contact: Contact, address: str, code: str, minutes: int, reference: str
    ) -> None:
        from peyvand.messaging.models import MessageCategory, MessageChannel, MessageStatus
        from peyvand.messaging.outbox import SECRET_PURPOSE_PREFIX, outbox_enqueue
        from peyvand.messaging.worker import outbox_deliver_now

        if not self.is_ready():
            raise SenderNotReady(
                "SMS is not set up: no SMS gateway is configured, so sign-in codes cannot be "
                "sent to mobile numbers."
            )
        language = _language(contact)
        with translation.override(language):
            shown_minutes = str(minutes)
            if language.startswith("fa"):
                shown_minutes = to_persian_digits(shown_minutes)
            text = _(
                "Your sign-in code for %(company)s: %(code)s\n"
                "Valid for %(minutes)s minutes. Never give it to anyone."
            ) % {"company": settings.PEYVAND_COMPANY_NAME, "code": code, "minutes": shown_minutes}
        prefix = f"{SECRET_PURPOSE_PREFIX}portal:{contact.pk}:"
        _cancel_older_codes(prefix)
        message = outbox_enqueue(
            purpose=f"{prefix}{reference}",
            channel=MessageChannel.SMS,
            recipient=address,
            category=MessageCategory.TRANSACTIONAL,
            contact=contact,
            body_text=text,
        )
        message = outbox_deliver_now(message=message)
        if message.status == MessageStatus.FAILED:
            raise CodeNotDeliveredError(message.error or "the SMS gateway refused the message")


def _cancel_older_codes(prefix: str) -> None:
    """A new code replaces the old one: an older code still waiting for a retry would only
    arrive later and confuse, so it is not sent (and its text keeps no code)."""
    from peyvand.messaging.models import MessageStatus, OutboxMessage
    from peyvand.messaging.outbox import secret_redacted

    waiting = OutboxMessage.objects.filter(purpose__startswith=prefix, status=MessageStatus.PENDING)
    for pk, text in waiting.values_list("pk", "body_text"):
        OutboxMessage.objects.filter(pk=pk, status=MessageStatus.PENDING).update(
            status=MessageStatus.FAILED,
            error="Replaced by a newer sign-in code.",
            body_text=secret_redacted(text),
        )


SENDERS: dict[str, CodeSender] = {
    SignInChannel.EMAIL.value: EmailCodeSender(),
    SignInChannel.SMS.value: SmsCodeSender(),
}


def code_sender(channel: str) -> CodeSender:
    """The sender of ``channel`` (``email`` or ``sms``)."""
    return SENDERS[channel]
