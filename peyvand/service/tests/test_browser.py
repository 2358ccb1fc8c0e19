"""The agent's day in a real Chromium: the inbox shows a new ticket with its SLA clock, the
agent opens it, inserts a canned response filled for this customer, sends it and marks
the ticket resolved; a read-only colleague sees the ticket but no reply box."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.accounts.models import Role, Team
from peyvand.accounts.tests.factories import PASSWORD, UserFactory
from peyvand.contacts.tests.factories import make_contact
from peyvand.service.models import CannedResponse, MessageKind, TicketStatus
from peyvand.service.tests.factories import make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_an_agent_answers_from_the_inbox_with_a_canned_response(
    page: Any, live_server: Any
) -> None:
    team = Team.objects.create(name="پشتیبانی")
    agent = UserFactory(username="omid", role=Role.SUPPORT, first_name="امید", last_name="رحیمی")
    agent.teams.add(team)
    reader = UserFactory(username="reader", role=Role.READ_ONLY)
    reader.teams.add(team)
    contact = make_contact(first_name="نسرین", last_name="کاظمی")
    ticket = make_ticket(subject="سفارش ۷۸۹ نرسیده", contact=contact, team=team, priority="high")
    CannedResponse.objects.create(
        title="پیگیری مرسوله", body="سلام {{ first_name }}، مرسوله {{ ticket }} پیگیری شد."
    )

    _log_in(page, live_server, "omid")
    page.click("text=تیکت‌ها")
    row = page.locator(f'tr[data-ticket="{ticket.pk}"]')
    row.wait_for()
    assert "سفارش ۷۸۹ نرسیده" in row.inner_text()
    assert row.locator('[data-sla="running"]').count() == 1
    row.locator("a").first.click()

    page.wait_for_selector("#reply-form")
    page.wait_for_load_state()  # the canned-reply picker is bound on DOMContentLoaded
    page.select_option("#canned-picker", label="پیگیری مرسوله")
    text = page.input_value("#reply-body")
    assert text == f"سلام نسرین، مرسوله #{ticket.pk} پیگیری شد."
    page.fill("#reply-body", text + "\nکد رهگیری: ۱۲۳۴۵")
    page.select_option('select[name="then_status"]', "resolved")
    page.click("#reply-send")
    page.wait_for_selector('#ticket-status:has-text("حل‌شده")')
    assert page.locator('[data-kind="reply"]').count() == 1
    assert page.locator('#ticket-history [data-verb="ticket.resolved"]').count() == 1

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    reply = ticket.messages.get(kind=MessageKind.REPLY)
    assert reply.body.endswith("کد رهگیری: ۱۲۳۴۵")
    assert reply.author == agent

    page.context.clear_cookies()
    _log_in(page, live_server, "reader")
    page.goto(f"{live_server.url}/service/tickets/{ticket.pk}/")
    page.wait_for_selector("#ticket-thread")
    assert page.locator("#reply-form").count() == 0
