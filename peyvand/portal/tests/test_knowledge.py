"""The knowledge base answers the customer in the portal: articles for the question being
typed on the new-ticket form (public and portal-only, never drafts), and on a ticket until
support answers it."""

from __future__ import annotations

import pytest
from django.test import Client

from peyvand.accounts.models import User
from peyvand.contacts.models import Contact
from peyvand.knowledge.tests.factories import make_article
from peyvand.service.tickets import ticket_reply

from .factories import open_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles() -> dict[str, object]:
    return {
        "password": make_article(
            "بازیابی رمز عبور", "برای بازیابی رمز عبور روی «فراموشی رمز» بزنید."
        ),
        "warranty": make_article(
            "شرایط گارانتی یخچال",
            "گارانتی یخچال دو سال است و تعمیر در محل انجام می‌شود.",
            audience="portal",
        ),
        "draft": make_article("پیش‌نویس گارانتی یخچال", "هنوز منتشر نشده", status="draft"),
    }


def test_suggestions_follow_the_question_being_typed(
    portal: Client, articles: dict[str, object]
) -> None:
    response = portal.get(
        "/portal/tickets/new/suggestions/",
        {"subject": "گارانتي", "message": "يخچالم خراب شده، گارانتي دارد؟"},  # Arabic ي
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "شرایط گارانتی یخچال" in page  # portal-only articles are for signed-in customers
    assert "پیش‌نویس" not in page
    assert "بازیابی رمز عبور" not in page
    assert portal.get("/portal/tickets/new/suggestions/").content.decode().strip() == ""
    anonymous = Client().get("/portal/tickets/new/suggestions/", {"subject": "گارانتی"})
    assert anonymous.status_code == 302


def test_an_unanswered_ticket_shows_articles_until_support_replies(
    portal: Client, customer: Contact, agent: User, articles: dict[str, object]
) -> None:
    ticket = open_ticket(customer, subject="رمز عبور را فراموش کردم", body="نمی‌توانم وارد شوم")
    page = portal.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert 'id="kb-suggestions"' in page and "بازیابی رمز عبور" in page
    ticket_reply(actor=agent, ticket=ticket, body="رمز جدید فرستاده شد")
    page = portal.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert 'id="kb-suggestions"' not in page


def test_the_agent_sees_suggested_articles_on_the_ticket(
    agent: User, customer: Contact, articles: dict[str, object]
) -> None:
    ticket = open_ticket(customer, subject="گارانتی یخچال", body="یخچال خنک نمی‌کند")
    ticket.assignee = agent
    ticket.save()
    client = Client()
    client.force_login(agent)
    page = client.get(f"/service/tickets/{ticket.pk}/").content.decode()
    assert 'id="kb-suggestions"' in page and "شرایط گارانتی یخچال" in page
