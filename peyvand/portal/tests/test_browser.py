"""The customer's flow in a real Chromium on a phone-sized screen: ask for a code, read it
from the local SMTP server's inbox, sign in, open a ticket in Farsi, see the agent's reply
(made through ``ticket_reply``; the internal note stays hidden) and confirm it is solved."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.accounts.models import Role
from peyvand.accounts.tests.factories import UserFactory
from peyvand.contacts.tests.factories import make_contact
from peyvand.service.models import Ticket, TicketStatus
from peyvand.service.tests.factories import make_ticket
from peyvand.service.tickets import ticket_reply
from peyvand.timeline.models import Event

from .conftest import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_customer_signs_in_opens_a_ticket_reads_the_reply_and_confirms_it_is_solved(
    page: Any, live_server: Any, smtp_settings: Any
) -> None:
    customer = make_contact(emails=["maryam@example.ir"])
    agent = UserFactory(role=Role.SUPPORT, first_name="امید")
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/portal/")
    page.wait_for_url(f"{live_server.url}/portal/sign-in/?next=%2Fportal%2F")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("#sms-not-ready").is_visible()
    page.fill("#id_address", "MARYAM@example.ir")
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/sign-in/code/")
    code = last_code(smtp_settings, "maryam@example.ir")
    page.fill("#id_code", code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")))
    page.click("#code-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/tickets/")
    assert page.locator("#no-tickets").is_visible()
    assert _fits_the_screen(page)

    page.click("#new-ticket")
    page.fill("#id_subject", "دستگاه روشن نمي‌شود")
    page.fill("#id_message", "سلام، از دیروز دستگاه کارتخوان روشن نمی‌شود.")
    page.click("#ticket-form button[type=submit]")
    page.wait_for_selector("#ticket-status")
    ticket = Ticket.objects.get()
    assert page.url == f"{live_server.url}/portal/tickets/{ticket.pk}/"
    assert (ticket.subject, ticket.channel, ticket.contact_id) == (
        "دستگاه روشن نمی‌شود",
        "portal",
        customer.pk,
    )
    assert page.locator("#ticket-status").inner_text() == "دریافت شد"

    ticket_reply(actor=agent, ticket=ticket, body="یادداشت: باتری را چک کنید", internal=True)
    ticket_reply(actor=agent, ticket=ticket, body="لطفاً دستگاه را ده ثانیه به برق بزنید.")
    page.reload()
    bodies = page.locator("#thread .message-body").all_inner_texts()
    assert bodies == [
        "سلام، از دیروز دستگاه کارتخوان روشن نمی‌شود.",
        "لطفاً دستگاه را ده ثانیه به برق بزنید.",
    ]
    assert page.locator("#ticket-status").inner_text() == "در حال رسیدگی"
    assert _fits_the_screen(page)

    page.click("#solved-button")
    page.wait_for_selector('#ticket-status[data-status="resolved"]')
    assert page.locator("#ticket-status").inner_text() == "حل شد"
    assert page.locator("#solved-form").count() == 0
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    resolved = Event.objects.get(verb="ticket.resolved")
    assert (resolved.actor_id, resolved.contact_id) == (None, customer.pk)

    page.click("#portal-sign-out")
    page.wait_for_url(f"{live_server.url}/portal/sign-in/")
    page.goto(f"{live_server.url}/portal/tickets/")
    assert page.url.startswith(f"{live_server.url}/portal/sign-in/")


def test_a_customer_signs_in_with_a_code_texted_to_their_mobile(
    page: Any, live_server: Any, settings: Any
) -> None:
    """The SMS path in the browser: the mobile number typed in Persian digits, the code read
    from the fake Kavenegar (the HTTP API the site really calls), the agent's reply on the
    customer's SMS ticket texted through the outbox worker."""
    import re

    from peyvand.messaging.sms.fake_server import FakeSmsGateway
    from peyvand.messaging.worker import outbox_deliver

    customer = make_contact(phones=["09121234567"], emails=[])
    agent = UserFactory(role=Role.SUPPORT)
    with FakeSmsGateway(api_key="k") as fake:
        settings.PEYVAND_SMS_GATEWAY = "kavenegar"
        settings.PEYVAND_SMS_API_KEY = "k"
        settings.PEYVAND_SMS_LINE = "30001234"
        settings.PEYVAND_SMS_BASE_URL = fake.base_url
        settings.PEYVAND_SMS_RATE = 0
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{live_server.url}/portal/sign-in/")
        assert page.locator("#sms-not-ready").count() == 0
        page.fill("#id_address", "۰۹۱۲ ۱۲۳ ۴۵۶۷")
        page.click("#sign-in-form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/portal/sign-in/code/")
        [texted] = [m["text"] for m in fake.stats()["messages"]]
        match = re.search(r"\b([0-9]{6})\b", texted)
        assert match is not None
        page.fill("#id_code", match.group(1))
        page.click("#code-form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/portal/tickets/")
        assert _fits_the_screen(page)

        ticket = make_ticket(channel="sms", contact=customer, requester_email="")
        ticket_reply(actor=agent, ticket=ticket, body="کارت شما فعال شد.")
        assert outbox_deliver().sent == 1
        texts = [m["text"] for m in fake.stats()["messages"]]
        assert len(texts) == 2 and texts[1].startswith("کارت شما فعال شد.")
        page.goto(f"{live_server.url}/portal/tickets/{ticket.pk}/")
        assert "کارت شما فعال شد." in page.locator("#thread").inner_text()
