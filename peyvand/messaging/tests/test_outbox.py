"""Queuing messages: one key, one row."""

from __future__ import annotations

import math

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peyvand.messaging.models import MessageCategory, MessageStatus, OutboxMessage
from peyvand.messaging.outbox import (
    OutgoingMessage,
    outbox_enqueue,
    outbox_enqueue_bulk,
    render_placeholders,
)

pytestmark = pytest.mark.django_db


def test_enqueue_same_key_twice_returns_the_first_row() -> None:
    first = outbox_enqueue(
        purpose="otp:login:7", channel="sms", recipient="0912 123 4567", body_text="کد: ۱۲۳۴"
    )
    again = outbox_enqueue(
        purpose="otp:login:7", channel="sms", recipient="+989121234567", body_text="other"
    )
    assert again.pk == first.pk
    assert again.body_text == "کد: ۱۲۳۴"
    assert first.recipient == "+989121234567"
    assert first.status == MessageStatus.PENDING
    assert first.category == MessageCategory.TRANSACTIONAL
    assert OutboxMessage.objects.count() == 1


def test_same_recipient_other_channel_or_purpose_is_another_message() -> None:
    outbox_enqueue(purpose="campaign:1", channel="email", recipient="A@Example.ir")
    outbox_enqueue(purpose="campaign:2", channel="email", recipient="a@example.ir")
    outbox_enqueue(purpose="campaign:1", channel="sms", recipient="09121234567")
    assert OutboxMessage.objects.count() == 3
    assert set(OutboxMessage.objects.values_list("recipient", flat=True)) == {
        "a@example.ir",
        "+989121234567",
    }


def test_enqueue_rejects_bad_input_by_field() -> None:
    with pytest.raises(ValidationError) as raised:
        outbox_enqueue(purpose=" ", channel="email", recipient="not-an-address", category="x")
    assert set(raised.value.message_dict) == {"purpose", "recipient", "category"}
    assert OutboxMessage.objects.count() == 0


def test_bulk_enqueue_is_chunked_and_skips_existing_keys() -> None:
    outbox_enqueue(purpose="campaign:9", channel="sms", recipient="+989120000003")
    messages = [
        OutgoingMessage(
            purpose="campaign:9",
            channel="sms",
            recipient=f"+98912000{number:04d}",
            category=MessageCategory.MARKETING,
            body_text="تخفیف",
        )
        for number in range(2500)
    ]
    with CaptureQueriesContext(connection) as queries:
        tried = outbox_enqueue_bulk(messages=messages, chunk_size=1000)
    inserts = [query for query in queries if query["sql"].startswith("INSERT")]
    assert tried == 2500
    # No per-row query: a few multi-row INSERTs per chunk (SQLite caps the parameters).
    fields = [field for field in OutboxMessage._meta.concrete_fields if not field.primary_key]
    per_statement = min(1000, connection.ops.bulk_batch_size(fields, messages) or 1000)
    assert len(inserts) == 2 * math.ceil(1000 / per_statement) + math.ceil(500 / per_statement)
    assert not [query for query in queries if query["sql"].startswith("SELECT")]
    assert OutboxMessage.objects.filter(purpose="campaign:9").count() == 2500
    # Run again (a campaign restarted): nothing new.
    outbox_enqueue_bulk(messages=messages, chunk_size=1000)
    assert OutboxMessage.objects.count() == 2500


def test_placeholders_are_escaped_in_html_only() -> None:
    values = {"first_name": "<b>سارا</b>"}
    assert render_placeholders("سلام {{ first_name }}", values, html=False) == "سلام <b>سارا</b>"
    assert (
        render_placeholders("<p>سلام {{ first_name }}</p>", values, html=True)
        == "<p>سلام &lt;b&gt;سارا&lt;/b&gt;</p>"
    )


def test_placeholders_are_names_only_never_template_tags() -> None:
    text = "{% load static %}{{ first_name|upper }} {{ unknown }}{{ first_name }}"
    assert render_placeholders(text, {"first_name": "سارا"}, html=False) == (
        "{% load static %}{{ first_name|upper }} سارا"
    )
