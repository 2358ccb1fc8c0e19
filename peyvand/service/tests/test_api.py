"""``/api/v1/tickets``: open, list, read, change, reply, status, complaint, merge and the
SLA standing; errors by field in fa/en; invisible tickets and relations are 404s or field
errors, never a hint that they exist."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from peyvand.accounts.models import Role, Team
from peyvand.api.tests import get, patch_json, post_json, quick_user, token_client
from peyvand.contacts.tests.factories import make_contact
from peyvand.service.models import Ticket, TicketCategory
from peyvand.service.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent() -> Any:
    return quick_user(Role.SUPPORT)


def test_open_a_ticket_and_read_it_back(agent: Any, at: Callable[..., datetime.datetime]) -> None:
    at(2026, 11, 24, 9)  # Tuesday 09:00 Tehran
    contact = make_contact(owner=agent)
    team = Team.objects.create(name="پشتیبانی")
    category = TicketCategory.objects.create(name="ارسال", team=team)
    category.agents.add(agent)
    response = post_json(
        token_client(agent),
        "/tickets",
        {
            "subject": "سفارش ۴۵۶ آسيب ديده",
            "body": "جعبه شکسته رسید",
            "contact_id": contact.pk,
            "category_id": category.pk,
            "tags": ["آسیب"],
            "priority": "high",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subject"] == "سفارش ۴۵۶ آسیب دیده"
    assert (body["assignee_id"], body["team_id"], body["channel"]) == (agent.pk, team.pk, "api")
    assert body["tags"] == ["آسیب"]
    assert body["first_response_due"] == "2026-11-24T07:30:00Z"  # 2 working hours

    ticket_id = body["id"]
    client = token_client(agent)
    assert get(client, f"/tickets/{ticket_id}").json()["id"] == ticket_id
    listed = get(client, "/tickets", {"search": "اسيب"}).json()
    assert [item["id"] for item in listed["items"]] == [ticket_id]
    sla = get(client, f"/tickets/{ticket_id}/sla").json()
    assert sla["state"] == "running"
    assert sla["first_response"]["working_minutes_left"] == 120
    assert sla["resolution"]["breached"] is False


def test_errors_name_the_field_in_farsi_and_english(agent: Any) -> None:
    stranger = make_contact()  # owned by nobody: a support agent cannot see it
    response = post_json(
        token_client(agent, language="fa"),
        "/tickets",
        {"subject": "  ", "body": "x", "contact_id": stranger.pk, "category_id": 999},
    )
    assert response.status_code == 422
    detail = {item["field"]: item["msg"] for item in response.json()["detail"]}
    assert set(detail) == {"contact_id", "category_id"}
    assert all(any("\u0600" <= char <= "\u06ff" for char in msg) for msg in detail.values())

    english = post_json(token_client(agent), "/tickets", {"subject": "  ", "body": "x"})
    assert english.json()["detail"] == [
        {
            "loc": ["body", "subject"],
            "field": "subject",
            "msg": "Write what the ticket is about.",
            "type": "required",
        }
    ]
    unknown = post_json(token_client(agent), "/tickets", {"subject": "a", "body": "b", "x": 1})
    assert unknown.status_code == 422
    assert not Ticket.objects.exists()


def test_reply_status_complaint_and_merge(agent: Any) -> None:
    client = token_client(agent)
    ticket = make_ticket(assignee=agent)
    other = make_ticket(assignee=agent, body="پیام دوم")
    reply = post_json(client, f"/tickets/{ticket.pk}/messages", {"body": "بررسی می‌کنیم"})
    assert reply.status_code == 201
    assert reply.json()["kind"] == "reply"
    note = post_json(client, f"/tickets/{ticket.pk}/messages", {"body": "داخلی", "internal": True})
    assert note.json()["kind"] == "note"
    thread = get(client, f"/tickets/{ticket.pk}/messages").json()
    assert [item["kind"] for item in thread] == ["customer", "reply", "note"]

    waiting = post_json(client, f"/tickets/{ticket.pk}/status", {"status": "waiting"})
    assert (waiting.json()["status"], waiting.json()["sla_state"]) == ("waiting", "paused")
    complaint = post_json(client, f"/tickets/{ticket.pk}/complaint", {"step": "acknowledged"})
    assert complaint.json()["complaint_step"] == "acknowledged"
    changed = patch_json(client, f"/tickets/{ticket.pk}", {"priority": "urgent", "tags": ["x"]})
    assert (changed.json()["priority"], changed.json()["tags"]) == ("urgent", ["x"])

    merged = post_json(client, f"/tickets/{other.pk}/merge", {"target_id": ticket.pk})
    assert merged.json()["id"] == ticket.pk
    assert get(client, f"/tickets/{other.pk}").json()["merged_into_id"] == ticket.pk
    missing = post_json(client, f"/tickets/{ticket.pk}/merge", {"target_id": 10**6})
    assert missing.json()["detail"][0]["field"] == "target_id"


def test_invisible_tickets_are_404_and_scopes_are_enforced(agent: Any) -> None:
    seller = quick_user(Role.SALES)
    ticket = make_ticket(assignee=agent)
    client = token_client(seller)
    assert get(client, f"/tickets/{ticket.pk}").status_code == 404
    assert get(client, f"/tickets/{ticket.pk}/sla").status_code == 404
    assert post_json(client, f"/tickets/{ticket.pk}/messages", {"body": "x"}).status_code == 404
    assert get(client, "/tickets").json()["items"] == []

    read_only = token_client(agent, scopes=("tickets:read",))
    assert get(read_only, f"/tickets/{ticket.pk}").status_code == 200
    refused = post_json(read_only, f"/tickets/{ticket.pk}/messages", {"body": "x"})
    assert refused.status_code == 403
    assert ticket.messages.count() == 1
