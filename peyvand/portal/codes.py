"""Sign-in by one-time code: what the customer typed (an email or an Iranian mobile number,
in any digits), asking for a code and checking it.

A code is six random digits. Only an HMAC of it (keyed by the secret key, salted per code)
is stored; it lives ``CODE_LIFETIME``, dies after ``MAX_WRONG_TRIES`` wrong tries, is
deleted when used, and a new request replaces it. Whether or not the address belongs to a
contact, :func:`code_request` answers the same way (nothing), so the page cannot be used to
find out who is a customer.
"""

from __future__ import annotations

import datetime
import logging
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from peyvand.common.persian import strip_invisible, to_ascii_digits
from peyvand.common.validators import normalize_email, normalize_phone
from peyvand.sales.leads import matching_contact

from .models import SignInChannel, SignInCode
from .senders import SenderNotReady, code_sender

if TYPE_CHECKING:
    from peyvand.contacts.models import Contact

logger = logging.getLogger(__name__)

CODE_LIFETIME = datetime.timedelta(minutes=10)
MAX_WRONG_TRIES = 5
CODE_DIGITS = 6
_CODE_RE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}")


@dataclass(frozen=True)
class SignInAddress:
    """A normalized address to sign in with: an email (lower-cased) or a mobile in E.164."""

    channel: str
    value: str


def parse_address(text: str) -> SignInAddress:
    """What the customer typed, as an address; ``ValidationError`` when it is neither an
    email address nor an Iranian mobile number (Persian, Arabic or ASCII digits, spaces and
    dashes are all fine)."""
    raw = strip_invisible(to_ascii_digits(str(text or ""))).strip()
    if not raw:
        raise ValidationError(_("Enter your email address or mobile number."), code="required")
    if "@" in raw:
        return SignInAddress(SignInChannel.EMAIL, normalize_email(raw))
    invalid = ValidationError(
        _("Enter a valid email address or Iranian mobile number (09…)."), code="invalid"
    )
    try:
        number = normalize_phone(raw)
    except ValidationError as error:
        raise invalid from error
    if not number.startswith("+989"):
        raise invalid
    return SignInAddress(SignInChannel.SMS, number)


def parse_code(text: str) -> str:
    """The six digits the customer typed (any digits, spaces ignored), or ``ValidationError``."""
    code = re.sub(r"\s+", "", strip_invisible(to_ascii_digits(str(text or ""))))
    if not _CODE_RE.fullmatch(code):
        raise ValidationError(_("The code is the 6 digits we sent you."), code="invalid")
    return code


def _code_hash(salt: str, code: str) -> str:
    digest = salted_hmac("peyvand.portal.sign-in-code", f"{salt}:{code}", algorithm="sha256")
    return digest.hexdigest()


def _contact_for(address: SignInAddress) -> Contact | None:
    if address.channel == SignInChannel.EMAIL:
        return matching_contact(phone="", email=address.value)
    return matching_contact(phone=address.value, email="")


def code_request(*, address: SignInAddress) -> None:
    """Send a new sign-in code to ``address`` if it belongs to a contact (replacing any code
    that contact had); do nothing otherwise. A failed delivery is logged and leaves no code
    behind. Raises ``SenderNotReady`` only when the channel cannot send at all, whoever the
    address belongs to."""
    sender = code_sender(address.channel)
    if not sender.is_ready():
        raise SenderNotReady(address.channel)
    contact = _contact_for(address)
    if contact is None:
        return
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    now = timezone.now()
    try:
        with transaction.atomic():
            row, _created = SignInCode.objects.update_or_create(
                contact=contact,
                defaults={
                    "channel": address.channel,
                    "sent_to": address.value,
                    "salt": salt,
                    "code_hash": _code_hash(salt, code),
                    "wrong_tries": 0,
                    "created_at": now,
                    "expires_at": now + CODE_LIFETIME,
                },
            )
    except IntegrityError:
        # Another request for the same contact made its code at the same instant: that one
        # is being sent; sending a second would only confuse.
        return
    # Sent after the commit, so a slow mail server never holds a database lock.
    try:
        sender.send(
            contact=contact,
            address=address.value,
            code=code,
            minutes=int(CODE_LIFETIME.total_seconds() // 60),
            # The salt is fresh per code and reveals nothing without the secret key.
            reference=salt[:16],
        )
    except (OSError, SenderNotReady) as failure:
        SignInCode.objects.filter(pk=row.pk, code_hash=row.code_hash).delete()
        logger.warning("Portal sign-in code to contact %s not sent: %s", contact.pk, failure)


def code_verify(*, address: SignInAddress, code: str) -> Contact | None:
    """The contact whose live code for ``address`` is ``code``, using the code up; ``None``
    for a wrong, expired, used-up or unknown code (each wrong try counts, and the last
    allowed one deletes the code)."""
    contact = _contact_for(address)
    if contact is None:
        return None
    with transaction.atomic():
        row = (
            SignInCode.objects.select_for_update()
            .filter(contact=contact, sent_to=address.value)
            .first()
        )
        if row is None:
            return None
        if timezone.now() >= row.expires_at or row.wrong_tries >= MAX_WRONG_TRIES:
            row.delete()
            return None
        if not constant_time_compare(row.code_hash, _code_hash(row.salt, code)):
            row.wrong_tries += 1
            if row.wrong_tries >= MAX_WRONG_TRIES:
                row.delete()
            else:
                row.save(update_fields=["wrong_tries"])
            return None
        row.delete()
    return contact
