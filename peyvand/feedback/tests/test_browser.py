"""The customer's side in a real Chromium: the email that arrives when a ticket is
resolved, a click on its 2-star link (recorded by the page's own POST), the ease question
and a comment; then the agent's side: the low score on the satisfaction report and the
follow-up task."""

from __future__ import annotations

import re
from typing import Any

import pytest

from peyvand.accounts.models import Role
from peyvand.accounts.tests.factories import PASSWORD, UserFactory
from peyvand.contacts.tests.factories import make_contact
from peyvand.feedback.models import Survey
from peyvand.service.models import TicketStatus
from peyvand.service.tickets import ticket_set_status
from peyvand.timeline.models import Task

from .conftest import open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_customer_rates_two_stars_from_the_email_and_the_agent_sees_it(
    page: Any, live_server: Any, settings: Any, smtp_settings: Any
) -> None:
    settings.PEYVAND_PUBLIC_URL = live_server.url
    agent = UserFactory(username="agent", role=Role.SUPPORT, first_name="نیما", last_name="راد")
    customer = make_contact(first_name="مریم", last_name="رضایی", emails=["maryam@example.ir"])
    ticket = open_ticket(contact=customer, assignee=agent)
    ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.RESOLVED)

    (_recipients, message), *others = smtp_settings.messages
    assert others == []
    html = message.get_body(("html",)).get_content()
    links = {score: url for url, score in re.findall(r'href="([^"]+)" data-score="(\d)"', html)}
    assert sorted(links) == ["1", "2", "3", "4", "5"]

    page.goto(links["2"])  # the page submits the preselected score by itself
    page.wait_for_selector("#score-recorded")
    assert "۲" in page.inner_text("#score-recorded")
    page.check("input[name=effort][value='3']")
    page.fill("textarea[name=comment]", "دو بار تماس گرفتم تا كسي جواب داد")
    page.click("#details-submit")
    page.wait_for_selector("#thanks")

    survey = Survey.objects.get()
    assert (survey.score, survey.effort) == (2, 3)
    assert survey.comment == "دو بار تماس گرفتم تا کسی جواب داد"
    task = Task.objects.get()
    assert task.assignee == agent and task.contact == customer

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "agent")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click("#main-nav a[href='/service/reports/']")
    page.click("#report-nav a[href='/feedback/reports/']")
    low = page.locator(f'#low-scores [data-survey="{survey.pk}"]')
    assert "دو بار تماس گرفتم تا کسی جواب داد" in low.inner_text()
    assert low.locator("[data-score='2']").count() == 1
    assert page.inner_text("#total-csat") == "۰.۰٪"
    low.locator("a").click()
    page.wait_for_url(f"{live_server.url}/tasks/{task.pk}/")
