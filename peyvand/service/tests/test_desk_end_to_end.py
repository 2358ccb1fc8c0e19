"""The service desk end to end, as the issue's "done when" says, with real parts: an email
to the support mailbox (a real Dovecot IMAP server) becomes a ticket whose SLA clock counts
the Iranian work week; the agent answers from the inbox in Chromium; the customer gets the
threaded reply and, once the ticket is resolved, rates it from the link in the survey
email (a real SMTP server); and the knowledge base answers a portal question in Farsi.
"""

from __future__ import annotations

import datetime
import email.utils
import re
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from peyvand.accounts.models import Role, Team
from peyvand.accounts.tests.factories import PASSWORD, UserFactory
from peyvand.contacts.tests.factories import make_contact
from peyvand.feedback.models import Survey
from peyvand.integrations.imap import mailbox_poll
from peyvand.integrations.tests import samples
from peyvand.integrations.tests.conftest import dovecot_running
from peyvand.knowledge.tests.factories import make_article
from peyvand.portal.tests.conftest import last_code
from peyvand.service.models import Ticket, TicketStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TEHRAN = ZoneInfo("Asia/Tehran")


def _log_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def desk_settings(settings: Any, monkeypatch: pytest.MonkeyPatch, live_server: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PEYVAND_PUBLIC_URL = live_server.url
    monkeypatch.setenv("PEYVAND_SUPPORT_EMAIL", "support@peyvand.test")


def test_an_email_becomes_a_ticket_answered_from_the_inbox_and_rated_from_the_link(
    page: Any, live_server: Any, smtp_settings: Any, desk_settings: None
) -> None:
    team = Team.objects.create(name="پشتیبانی")
    agent = UserFactory(username="omid", role=Role.SUPPORT, first_name="امید")
    agent.teams.add(team)
    customer = make_contact(first_name="مریم", last_name="رضایی", emails=["maryam@example.ir"])

    with dovecot_running() as mailbox:
        env = {
            "PEYVAND_SUPPORT_IMAP_HOST": mailbox.host,
            "PEYVAND_SUPPORT_IMAP_PORT": str(mailbox.port),
            "PEYVAND_SUPPORT_IMAP_USER": mailbox.user,
            "PEYVAND_SUPPORT_IMAP_PASSWORD": mailbox.password,
            "PEYVAND_SUPPORT_IMAP_SSL": "0",
        }
        mailbox.deliver(
            samples.gmail_new(
                sender="maryam@example.ir",
                name="مریم رضایی",
                subject="سفارش ۸۸۸ نرسیده",
                body="سلام\nسفارش ۸۸۸ را هفته پیش ثبت کردم و هنوز نرسیده است.",
                message_id="<order-888@mail.example.ir>",
            )
        )
        # Wednesday 4 Azar 1405, 15:00 in Tehran: one working hour left that day, Thursday
        # is a half day and Friday is off.
        arrival = datetime.datetime(2026, 11, 25, 15, 0, tzinfo=TEHRAN)
        with (
            mock.patch.dict("os.environ", env),
            mock.patch.object(timezone, "now", lambda: arrival),
        ):
            result = mailbox_poll()
    assert result.outcomes == {"created": 1}

    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.contact, ticket.subject) == (
        "email",
        customer,
        "سفارش ۸۸۸ نرسیده",
    )
    # Normal priority: 4 working hours to answer (Wed 1 h + Thu 3 h) and 24 to resolve
    # (Wed 1 + Thu 4 + Sat 8 + Sun 8, then 3 on Monday).
    assert ticket.first_response_due == datetime.datetime(2026, 11, 26, 11, tzinfo=TEHRAN)
    assert ticket.resolution_due == datetime.datetime(2026, 11, 30, 11, tzinfo=TEHRAN)
    acknowledgement = smtp_settings.messages[0][1]
    assert acknowledgement["In-Reply-To"] == "<order-888@mail.example.ir>"

    _log_in(page, live_server, "omid")
    page.click("#main-nav >> text=تیکت‌ها")
    page.locator(f'tr[data-ticket="{ticket.pk}"] a').first.click()
    page.wait_for_selector("#reply-form")
    page.fill("#reply-body", "سلام مریم خانم، بسته امروز تحویل پست شد. کد رهگیری: ۱۲۳۴۵")
    page.select_option('select[name="then_status"]', "resolved")
    page.click("#reply-send")
    page.wait_for_selector('#ticket-status:has-text("حل‌شده")')

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED and ticket.first_responded_at is not None
    to_customer = [
        message
        for recipients, message in smtp_settings.messages
        if recipients == ["maryam@example.ir"]
    ]
    reply = next(message for message in to_customer if str(message["Subject"]).startswith("Re:"))
    assert reply["Subject"] == f"Re: [#{ticket.pk}] سفارش ۸۸۸ نرسیده"
    assert "<order-888@mail.example.ir>" in reply["References"]
    assert email.utils.parseaddr(reply["From"])[1] == "support@peyvand.test"

    survey = Survey.objects.get(ticket=ticket)
    survey_email = next(message for message in to_customer if survey.token in message.as_string())
    html = survey_email.get_body(("html",)).get_content()
    links = {score: url for url, score in re.findall(r'href="([^"]+)" data-score="(\d)"', html)}
    page.context.clear_cookies()
    page.goto(links["5"])
    page.wait_for_selector("#score-recorded")
    survey.refresh_from_db()
    assert survey.score == 5


def test_the_knowledge_base_answers_a_portal_question_in_farsi(
    page: Any, live_server: Any, smtp_settings: Any, desk_settings: None
) -> None:
    make_contact(first_name="مریم", emails=["maryam@example.ir"])
    make_article(
        "شرایط گارانتی یخچال",
        "گارانتی یخچال دو سال است؛ تعمیرکار ظرف ۴۸ ساعت کاری به محل شما می‌آید.",
    )
    make_article("بازیابی رمز عبور", "روی «فراموشی رمز» بزنید تا پیامک بیاید.")

    page.goto(f"{live_server.url}/portal/")
    page.fill("#id_address", "maryam@example.ir")
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/sign-in/code/")
    page.fill("#id_code", last_code(smtp_settings, "maryam@example.ir"))
    page.click("#code-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/tickets/")

    page.click("#new-ticket")
    page.fill("#id_subject", "گارانتي يخچال")  # Arabic ي, as many keyboards type it
    page.locator("#id_message").press_sequentially("يخچالم خنک نمي‌کند، گارانتي دارد؟")
    suggestion = page.locator("#portal-knowledge-suggestions [data-article] summary")
    suggestion.first.wait_for()
    assert suggestion.first.inner_text() == "شرایط گارانتی یخچال"
    suggestion.first.click()
    assert "دو سال" in page.inner_text("#portal-knowledge-suggestions")
    assert not Ticket.objects.exists()  # answered before asking
