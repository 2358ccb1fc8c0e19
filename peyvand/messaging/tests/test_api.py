"""The outbox's read API."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from peyvand.accounts.models import Role
from peyvand.messaging.models import MessageStatus, OutboxMessage
from peyvand.messaging.outbox import OutgoingMessage, outbox_enqueue_bulk

pytestmark = pytest.mark.django_db


def _campaign() -> None:
    outbox_enqueue_bulk(
        messages=[
            OutgoingMessage(purpose="campaign:7", channel="email", recipient=f"p{n}@example.ir")
            for n in range(5)
        ]
    )
    rows = list(OutboxMessage.objects.order_by("id"))
    OutboxMessage.objects.filter(pk__in=[rows[0].pk, rows[1].pk]).update(
        status=MessageStatus.SENT, opened_at=timezone.now()
    )
    OutboxMessage.objects.filter(pk=rows[1].pk).update(clicked_at=timezone.now())
    OutboxMessage.objects.filter(pk=rows[2].pk).update(
        status=MessageStatus.SUPPRESSED, suppression_reason="no_consent"
    )


def test_stats_aggregate_one_purpose(api_client: Any, make_user: Any) -> None:
    _campaign()
    client = api_client(make_user(role=Role.ADMIN))
    response = client.get("/api/v1/outbox/stats", {"purpose": "campaign:7"})
    assert response.json() == {
        "pending": 2,
        "sending": 0,
        "sent": 2,
        "delivered": 0,
        "failed": 0,
        "suppressed": 1,
        "uncertain": 0,
        "opened": 2,
        "clicked": 1,
        "total": 5,
    }


def test_list_filters_and_pages(api_client: Any, make_user: Any) -> None:
    _campaign()
    client = api_client(make_user(role=Role.ADMIN))
    page = client.get("/api/v1/outbox", {"status": "pending", "limit": 1}).json()
    assert [item["recipient"] for item in page["items"]] == ["p4@example.ir"]
    second = client.get(
        "/api/v1/outbox", {"status": "pending", "limit": 1, "cursor": page["next_cursor"]}
    ).json()
    assert [item["recipient"] for item in second["items"]] == ["p3@example.ir"]
    one = OutboxMessage.objects.get(recipient="p2@example.ir")
    detail = client.get(f"/api/v1/outbox/{one.pk}").json()
    assert (detail["status"], detail["suppression_reason"]) == ("suppressed", "no_consent")


def test_outbox_api_is_for_administrators(api_client: Any, make_user: Any) -> None:
    _campaign()
    client = api_client(make_user(role=Role.MARKETING))
    assert client.get("/api/v1/outbox").status_code == 403
    assert client.get("/api/v1/outbox/stats", {"purpose": "campaign:7"}).status_code == 403
