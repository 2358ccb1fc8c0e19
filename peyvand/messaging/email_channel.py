"""The email channel: an outbox row as an SMTP message (Django mail), with a text and an
HTML part, the sender identity, and on marketing mail the one-click unsubscribe headers of
RFC 2369 / RFC 8058 and (when the row asks for them) an open pixel and click redirects."""

from __future__ import annotations

import re
import smtplib
from email.utils import make_msgid, parseaddr
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils.html import escape

from .models import MessageCategory, OutboxMessage
from .outbox import placeholder_values, render_placeholders
from .tokens import UnsubscribeTarget, click_token, open_token, unsubscribe_token

_LINK_RE = re.compile(r"""(<a\b[^>]*?\bhref=)(["'])(https?://[^"']+)\2""", re.IGNORECASE)


class PermanentEmailError(Exception):
    """The server refused the message for good (5xx): not tried again."""


class TransientEmailError(Exception):
    """The server or the network failed for now (4xx, timeouts): tried again later."""


def _absolute(path: str) -> str:
    return str(settings.PEYVAND_PUBLIC_URL) + path


def unsubscribe_url(message: OutboxMessage) -> str:
    token = unsubscribe_token(
        UnsubscribeTarget(
            channel=message.channel,
            address=message.recipient,
            contact_id=message.contact_id,
            message_id=message.pk,
        )
    )
    return _absolute(reverse("messaging:unsubscribe", args=[token]))


def _from_address(message: OutboxMessage) -> tuple[str, str]:
    """``(From, Reply-To)``: a verified sender identity, else the default sender."""
    sender = message.sender
    if sender is not None and sender.is_verified:
        return f"{sender.name} <{sender.address}>", sender.reply_to
    return str(settings.DEFAULT_FROM_EMAIL), ""


def tracked_html(message: OutboxMessage, html: str) -> str:
    """The HTML part with click redirects and an open pixel, as the row asks."""
    if message.track_clicks:

        def rewrite(match: re.Match[str]) -> str:
            token = click_token(message.pk, match.group(3).replace("&amp;", "&"))
            url = _absolute(reverse("messaging:click", args=[token]))
            return f"{match.group(1)}{match.group(2)}{escape(url)}{match.group(2)}"

        html = _LINK_RE.sub(rewrite, html)
    if message.track_opens and html:
        pixel_url = _absolute(reverse("messaging:open", args=[open_token(message.pk)]))
        pixel = f'<img src="{escape(pixel_url)}" width="1" height="1" alt="">'
        html = html.replace("</body>", pixel + "</body>") if "</body>" in html else html + pixel
    return html


def email_build(message: OutboxMessage) -> EmailMultiAlternatives:
    """The email of one outbox row."""
    from_header, reply_to = _from_address(message)
    domain = parseaddr(from_header)[1].rpartition("@")[2] or "localhost"
    headers = {
        "Message-ID": make_msgid(idstring=f"outbox{message.pk}", domain=domain),
        "X-Peyvand-Outbox": str(message.pk),
    }
    https_link = unsubscribe_url(message) if message.category == MessageCategory.MARKETING else ""
    values = placeholder_values(message, unsubscribe_url=https_link)
    body_text = render_placeholders(message.body_text, values, html=False)
    if https_link:
        mailto = (
            str(getattr(settings, "PEYVAND_UNSUBSCRIBE_MAILTO", "") or "")
            or parseaddr(from_header)[1]
        )
        mailto_link = f"mailto:{mailto}?subject={quote('unsubscribe ' + str(message.pk))}"
        headers["List-Unsubscribe"] = f"<{mailto_link}>, <{https_link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        headers["Precedence"] = "bulk"
        body_text = f"{body_text}\n\n-- \n{https_link}\n"
    email = EmailMultiAlternatives(
        subject=render_placeholders(message.subject, values, html=False),
        body=body_text,
        from_email=from_header,
        to=[message.recipient],
        reply_to=[reply_to] if reply_to else None,
        headers=headers,
    )
    html = tracked_html(message, render_placeholders(message.body_html, values, html=True))
    if html:
        email.attach_alternative(html, "text/html")
    return email


def email_deliver(message: OutboxMessage, connection: BaseEmailBackend) -> str:
    """Send one row's email over ``connection``; returns its Message-ID. Raises
    :class:`PermanentEmailError` or :class:`TransientEmailError`."""
    email = email_build(message)
    email.connection = connection
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        text = "; ".join(f"{code} {text!r}" for code, text in error.recipients.values())
        if codes and all(code >= 500 for code in codes):
            raise PermanentEmailError(text[:300]) from error
        raise TransientEmailError(text[:300]) from error
    except smtplib.SMTPResponseException as error:
        text = f"{error.smtp_code} {error.smtp_error!r}"[:300]
        if error.smtp_code >= 500:
            raise PermanentEmailError(text) from error
        raise TransientEmailError(text) from error
    except (OSError, smtplib.SMTPException) as error:
        raise TransientEmailError((str(error) or type(error).__name__)[:300]) from error
    return str(email.extra_headers["Message-ID"])
