"""The email channel over a real local SMTP server."""

from __future__ import annotations

import datetime
import socket
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peyvand.messaging.models import MessageStatus, OutboxMessage, SenderIdentity
from peyvand.messaging.outbox import outbox_enqueue
from peyvand.messaging.tokens import click_token, open_token
from peyvand.messaging.worker import UNCERTAIN_REASON, outbox_deliver

pytestmark = pytest.mark.django_db

HTML = '<html><body><p>سلام {{first_name}}</p><a href="https://shop.example.ir/sale?a=1&amp;b=2">حراج</a></body></html>'


def _email(contact: Any = None, **extra: Any) -> OutboxMessage:
    values: dict[str, Any] = {
        "purpose": "campaign:5",
        "channel": "email",
        "recipient": "maryam@example.ir",
        "category": "marketing",
        "contact": contact,
        "subject": "حراج بهاره",
        "body_text": "سلام {{ first_name }}",
        "body_html": HTML,
    }
    values.update(extra)
    return outbox_enqueue(**values)


def test_marketing_email_has_both_parts_and_one_click_unsubscribe(
    smtp_settings: Any, consenting_contact: Any
) -> None:
    sender = SenderIdentity.objects.create(
        name="فروشگاه", address="shop@example.ir", is_verified=True, reply_to="help@example.ir"
    )
    row = _email(consenting_contact(), sender=sender)
    assert outbox_deliver().sent == 1
    [(recipients, message)] = smtp_settings.messages
    assert recipients == ["maryam@example.ir"]
    assert message["Subject"] == "حراج بهاره"
    assert message["From"] == "فروشگاه <shop@example.ir>"
    assert message["Reply-To"] == "help@example.ir"
    assert message["X-Peyvand-Outbox"] == str(row.pk)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    mailto, https = (part.strip(" <>") for part in message["List-Unsubscribe"].split(","))
    assert mailto == f"mailto:shop@example.ir?subject=unsubscribe%20{row.pk}"
    assert https.startswith("https://crm.example.ir/messaging/u/")
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    assert text == f"سلام مریم\n\n-- \n{https}\n"
    assert 'href="https://shop.example.ir/sale?a=1&amp;b=2"' in html
    assert "<p>سلام مریم</p>" in html
    row.refresh_from_db()
    assert row.provider_message_id == message["Message-ID"]


def test_transactional_email_from_an_unverified_sender_uses_the_default(
    smtp_settings: Any,
) -> None:
    sender = SenderIdentity.objects.create(name="X", address="x@other.example", is_verified=False)
    _email(category="transactional", purpose="ticket:1", sender=sender, body_html="")
    outbox_deliver()
    [(_to, message)] = smtp_settings.messages
    assert message["From"] == "Peyvand <no-reply@example.ir>"
    assert message["List-Unsubscribe"] is None
    assert message.get_body(("html",)) is None


def test_click_tracking_redirects_only_to_the_message_links(
    smtp_settings: Any, consenting_contact: Any, client: Client
) -> None:
    row = _email(consenting_contact(), track_clicks=True, track_opens=True)
    outbox_deliver()
    [(_to, message)] = smtp_settings.messages
    html = message.get_body(("html",)).get_content()
    assert "shop.example.ir" not in html
    tracked = html.split('href="')[1].split('"')[0].replace("&amp;", "&")
    path = tracked.removeprefix("https://crm.example.ir")
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example.ir/sale?a=1&b=2"
    row.refresh_from_db()
    assert row.clicked_at is not None and row.opened_at is not None
    # A validly signed token for a link that is not in the message: no redirect.
    forged = click_token(row.pk, "https://evil.example/")
    assert client.get(reverse("messaging:click", args=[forged])).status_code == 404
    assert client.get(reverse("messaging:click", args=["garbage"])).status_code == 404
    assert 'width="1" height="1"' in html


def test_open_pixel_records_the_first_open(client: Client) -> None:
    row = _email()
    response = client.get(reverse("messaging:open", args=[open_token(row.pk)]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/gif")
    row.refresh_from_db()
    first = row.opened_at
    assert first is not None
    client.get(reverse("messaging:open", args=[open_token(row.pk)]))
    row.refresh_from_db()
    assert row.opened_at == first


def test_expired_email_lease_becomes_uncertain_never_a_second_copy(
    smtp_settings: Any, consenting_contact: Any
) -> None:
    started, untouched = (
        _email(consenting_contact()),
        _email(purpose="otp:9", category="transactional"),
    )
    past = timezone.now() - datetime.timedelta(minutes=5)
    OutboxMessage.objects.filter(pk=started.pk).update(
        status=MessageStatus.SENDING, claimed_until=past, send_started_at=past, attempts=1
    )
    OutboxMessage.objects.filter(pk=untouched.pk).update(
        status=MessageStatus.SENDING, claimed_until=past
    )
    result = outbox_deliver()
    outbox_deliver()
    assert (result.uncertain, result.recovered, result.sent) == (1, 1, 1)
    started.refresh_from_db()
    assert (started.status, started.error) == ("uncertain", UNCERTAIN_REASON)
    assert [message["X-Peyvand-Outbox"] for _to, message in smtp_settings.messages] == [
        str(untouched.pk)
    ]


def test_unreachable_smtp_server_is_retried_later(settings: Any, consenting_contact: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    row = _email(consenting_contact())
    assert outbox_deliver().retried == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.error
    assert row.next_attempt_at > timezone.now()
