"""The inbound email webhook over HTTP: off without a secret, Basic and Bearer
authentication, raw MIME and Postmark's JSON, field errors in Farsi and English, size and
rate limits, idempotency, and once over a real socket."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.test import Client

from peyvand.integrations.models import InboundEmail
from peyvand.service.models import Ticket, TicketAttachment

from . import samples

pytestmark = pytest.mark.django_db
URL = "/integrations/email/inbound/"
SECRET = "s3cret-for-tests"


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PEYVAND_INBOUND_EMAIL_SECRET", SECRET)
    return SECRET


def basic(password: str, user: str = "postmark") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def post_mime(client: Client, raw: bytes, auth: str = "", **extra: Any) -> Any:
    headers = {"HTTP_AUTHORIZATION": auth or basic(SECRET), **extra}
    return client.post(URL, data=raw, content_type="message/rfc822", **headers)


def post_json(client: Client, payload: object, language: str = "en") -> Any:
    return client.post(
        URL,
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {SECRET}",
        HTTP_ACCEPT_LANGUAGE=language,
    )


POSTMARK = {
    "FromName": "Ali Rezaei",
    "MessageStream": "inbound",
    "From": "ali.rezaei@gmail.com",
    "FromFull": {"Email": "ali.rezaei@gmail.com", "Name": "علی رضایی", "MailboxHash": ""},
    "To": "support@peyvand.test",
    "ToFull": [{"Email": "support@peyvand.test", "Name": "", "MailboxHash": ""}],
    "Cc": "",
    "OriginalRecipient": "support@peyvand.test",
    "Subject": "سفارش نرسیده",
    "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
    "ReplyTo": "",
    "MailboxHash": "",
    "Date": "Sat, 22 Nov 2026 09:12:33 +0330",
    "TextBody": "سلام\nسفارش ۱۲۳ هنوز نرسیده.\n\nOn Fri, Nov 21, 2026 Support wrote:\n> old",
    "HtmlBody": "<p>سلام</p><p>سفارش ۱۲۳ هنوز نرسیده.</p>",
    "StrippedTextReply": "",
    "Tag": "",
    "Headers": [
        {"Name": "X-Spam-Status", "Value": "No"},
        {"Name": "Message-ID", "Value": "<CAF=order-1@mail.gmail.com>"},
    ],
    "Attachments": [
        {
            "Name": "رسید.pdf",
            "Content": base64.b64encode(samples.PDF).decode(),
            "ContentType": "application/pdf",
            "ContentLength": len(samples.PDF),
        }
    ],
}


def test_off_without_a_secret(client: Client) -> None:
    response = post_mime(client, samples.plain())
    assert response.status_code == 404
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    "auth",
    ["", basic("wrong"), "Bearer wrong", "Basic !!notbase64", f"Token {SECRET}"],
)
def test_wrong_or_missing_credentials_are_refused(client: Client, secret: str, auth: str) -> None:
    response = client.post(
        URL,
        data=samples.plain(),
        content_type="message/rfc822",
        **({"HTTP_AUTHORIZATION": auth} if auth else {}),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid credentials."}
    assert Ticket.objects.count() == 0


def test_only_post(client: Client, secret: str) -> None:
    assert client.get(URL, HTTP_AUTHORIZATION=basic(SECRET)).status_code == 405


def test_raw_mime_opens_a_ticket_and_a_second_post_adds_nothing(
    client: Client, secret: str
) -> None:
    response = post_mime(client, samples.gmail_new())
    ticket = Ticket.objects.get()
    assert response.status_code == 200
    assert response.json() == {
        "outcome": "created",
        "duplicate": False,
        "ticket": ticket.pk,
        "reason": "",
    }
    assert InboundEmail.objects.get().source == "webhook"

    again = post_mime(client, samples.gmail_new())
    assert again.status_code == 200
    assert again.json() == {
        "outcome": "created",
        "duplicate": True,
        "ticket": ticket.pk,
        "reason": "",
    }
    assert Ticket.objects.count() == 1


def test_postmark_json(client: Client, secret: str) -> None:
    response = post_json(client, POSTMARK)
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get()
    assert response.json()["ticket"] == ticket.pk
    assert (ticket.subject, ticket.requester_email) == ("سفارش نرسیده", "ali.rezaei@gmail.com")
    assert ticket.contact is not None and ticket.contact.full_name == "علی رضایی"
    message = ticket.messages.get()
    assert message.body == "سلام\nسفارش ۱۲۳ هنوز نرسیده."
    assert message.message_id == "<CAF=order-1@mail.gmail.com>"
    attachment = TicketAttachment.objects.get()
    assert (attachment.name, attachment.size) == ("رسید.pdf", len(samples.PDF))
    # Postmark retries: the same payload again is recognised.
    assert post_json(client, POSTMARK).json()["duplicate"] is True
    assert Ticket.objects.count() == 1


def test_postmark_reply_threads_by_its_in_reply_to_header(client: Client, secret: str) -> None:
    post_json(client, POSTMARK)
    answer = {
        **POSTMARK,
        "MessageID": "second-uuid",
        "Subject": "Re: سفارش",
        "Attachments": [],
        "Headers": [
            {"Name": "Message-ID", "Value": "<CAF=order-2@mail.gmail.com>"},
            {"Name": "In-Reply-To", "Value": "<CAF=order-1@mail.gmail.com>"},
        ],
    }
    response = post_json(client, answer)
    assert response.json()["outcome"] == "added"
    assert Ticket.objects.get().messages.count() == 2


def test_postmark_auto_reply_is_skipped(client: Client, secret: str) -> None:
    payload = {
        **POSTMARK,
        "Headers": [{"Name": "Auto-Submitted", "Value": "auto-replied"}],
        "Attachments": [],
    }
    response = post_json(client, payload)
    assert response.json() == {
        "outcome": "skipped",
        "duplicate": False,
        "ticket": None,
        "reason": "Auto-Submitted: auto-replied",
    }
    assert Ticket.objects.count() == 0


def test_postmark_field_errors_in_english(client: Client, secret: str) -> None:
    payload = {
        **POSTMARK,
        "FromFull": {"Email": "not-an-address"},
        "Subject": 12,
        "Headers": [{"Name": "Bad Name", "Value": "x"}, "oops"],
        "Attachments": [
            {"Name": "a.pdf", "Content": "%%%not base64", "ContentType": "application/pdf"},
            {"Name": "", "Content": base64.b64encode(b"abc").decode(), "ContentLength": 5},
        ],
    }
    response = post_json(client, payload)
    assert response.status_code == 422
    detail = {(entry["field"], entry["msg"]) for entry in response.json()["detail"]}
    assert detail == {
        ("Subject", "Enter text."),
        ("From", "Enter a valid email address."),
        ("Headers[0].Name", "Enter a header name."),
        ("Headers[1]", "Send an object."),
        ("Attachments[0].Content", "Send the file's content in base64."),
        ("Attachments[1].Name", "This field is required."),
        ("Attachments[1].ContentLength", "It does not match the size of the content (3 bytes)."),
    }
    assert Ticket.objects.count() == 0


def test_field_errors_in_farsi(client: Client, secret: str) -> None:
    response = post_json(client, {"Subject": "x"}, language="fa")
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "From"],
            "field": "From",
            "msg": "این فیلد الزامی است.",
            "type": "required",
        }
    ]


def body_error(message: str, kind: str) -> list[dict[str, Any]]:
    return [{"loc": ["body", "body"], "field": "body", "msg": message, "type": kind}]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "detail"),
    [
        (b"\r\n", "message/rfc822", 422, body_error("Send the email message.", "required")),
        (
            b"{not json",
            "application/json",
            422,
            body_error("The request body is not valid JSON.", "json_invalid"),
        ),
        (
            b"[1, 2]",
            "application/json",
            422,
            body_error("The request body must be a JSON object.", "invalid"),
        ),
        (b"x", "text/plain", 415, "Send message/rfc822 or application/json."),
    ],
)
def test_bad_bodies(
    client: Client, secret: str, body: bytes, content_type: str, status: int, detail: Any
) -> None:
    response = client.post(
        URL,
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=basic(SECRET),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == status
    assert response.json()["detail"] == detail


def test_a_message_without_a_sender_is_422(client: Client, secret: str) -> None:
    response = post_mime(client, samples.plain(sender="nobody"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "From"
    assert response.json()["detail"][0]["msg"] == "The message has no valid sender address."


def test_size_limit(client: Client, secret: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEYVAND_INBOUND_EMAIL_MAX_BYTES", "300")
    response = post_mime(client, samples.plain(body="x" * 400), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert response.json() == {"detail": "The message is too large."}
    assert Ticket.objects.count() == 0


def test_rate_limit_per_address(
    client: Client, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEYVAND_INBOUND_EMAIL_PER_ADDRESS", "2")
    statuses = [
        post_mime(client, samples.plain(message_id=f"<m{n}@x>"), auth=basic("wrong")).status_code
        for n in range(2)
    ]
    statuses.append(post_mime(client, samples.plain(message_id="<m3@x>")).status_code)
    assert statuses == [403, 403, 429]
    assert Ticket.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_over_a_real_socket(live_server: Any, secret: str) -> None:
    request = urllib.request.Request(
        live_server.url + URL,
        data=samples.gmail_new(),
        headers={"Content-Type": "message/rfc822", "Authorization": f"Bearer {SECRET}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    ticket = Ticket.objects.get()
    assert answer == {"outcome": "created", "duplicate": False, "ticket": ticket.pk, "reason": ""}
    refused = urllib.request.Request(
        live_server.url + URL,
        data=samples.gmail_new(),
        headers={"Content-Type": "message/rfc822", "Authorization": "Bearer nope"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(refused, timeout=30)
    assert caught.value.code == 403


def test_a_body_of_only_tatweel_opens_a_ticket_instead_of_failing(
    client: Client, secret: str
) -> None:
    response = post_mime(client, samples.plain(body="\u0640" * 40))
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get()
    assert response.json() == {
        "outcome": "created",
        "duplicate": False,
        "ticket": ticket.pk,
        "reason": "",
    }
    assert ticket.messages.get().body == "(بدون متن)"


def test_a_message_the_ticket_services_refuse_is_answered_200_once(
    client: Client, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.exceptions import ValidationError

    from peyvand.integrations import inbound_email

    def refuse(**kwargs: Any) -> Ticket:
        raise ValidationError({"subject": [ValidationError("Write what the ticket is about.")]})

    monkeypatch.setattr(inbound_email, "ticket_create", refuse)
    expected = {
        "outcome": "rejected",
        "duplicate": False,
        "ticket": None,
        "reason": "subject: Write what the ticket is about.",
    }
    response = post_mime(client, samples.plain())
    assert (response.status_code, response.json()) == (200, expected)
    again = post_mime(client, samples.plain())
    assert (again.status_code, again.json()) == (200, {**expected, "duplicate": True})
    assert Ticket.objects.count() == 0
    assert InboundEmail.objects.get().outcome == "rejected"
