"""Tickets over SMS: an agent's public reply on an SMS ticket (or one with no email to
answer to) is one transactional SMS through the outbox, sent by the worker through the fake
Kavenegar; the customer's texted answer lands on the same ticket (once, however often the
provider calls back) and opens it again; a note, an email ticket, or a site without SMS
sends no SMS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from peyvand.accounts.models import Role, User
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.messaging.models import MessageCategory, MessageStatus, OutboxMessage
from peyvand.messaging.sms.base import InboundSms
from peyvand.messaging.sms.fake_server import FakeSmsGateway
from peyvand.messaging.sms_inbound import inbound_sms_receive
from peyvand.messaging.worker import outbox_deliver
from peyvand.service.models import MessageKind, Ticket, TicketMessage, TicketStatus
from peyvand.service.sms_replies import SMS_REPLY_MAX_CHARACTERS, reply_sms_number
from peyvand.service.tickets import ticket_reply, ticket_set_status

from .factories import make_ticket

pytestmark = pytest.mark.django_db
MOBILE = "+989121234567"
SECRET = "inbound-secret-42"


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeSmsGateway]:
    with FakeSmsGateway(api_key="k") as server:
        settings.PEYVAND_SMS_GATEWAY = "kavenegar"
        settings.PEYVAND_SMS_API_KEY = "k"
        settings.PEYVAND_SMS_LINE = "30001234"
        settings.PEYVAND_SMS_BASE_URL = server.base_url
        settings.PEYVAND_SMS_CALLBACK_SECRET = SECRET
        settings.PEYVAND_SMS_RATE = 0
        settings.PEYVAND_SMS_QUIET_HOURS = "00:00-23:59"  # marketing only: replies still go
        settings.PEYVAND_PUBLIC_URL = "https://crm.example.ir"
        yield server


@pytest.fixture
def customer(db: Any) -> Contact:
    return make_contact(first_name="مریم", phones=["09121234567"], emails=[])


@pytest.fixture
def agent(make_user: Any) -> User:
    return make_user(role=Role.SUPPORT)


def sms_ticket(customer: Contact) -> Ticket:
    return make_ticket(
        channel="sms", contact=customer, requester_email="", body="سلام، کارتم کار نمی‌کند"
    )


def texts_to(fake: FakeSmsGateway, number: str) -> list[str]:
    return [m["text"] for m in fake.stats()["messages"] if m["recipient"] == number]


def test_a_reply_on_an_sms_ticket_is_one_transactional_sms_sent_by_the_worker(
    fake: FakeSmsGateway, customer: Contact, agent: User
) -> None:
    ticket = sms_ticket(customer)
    reply = ticket_reply(actor=agent, ticket=ticket, body="کارت شما دوباره فعال شد.")
    row = OutboxMessage.objects.get()
    assert (row.purpose, row.channel, row.recipient, row.category, row.contact_id) == (
        f"ticket-reply:{reply.pk}",
        "sms",
        MOBILE,
        MessageCategory.TRANSACTIONAL,
        customer.pk,
    )
    assert row.body_text.startswith("کارت شما دوباره فعال شد.\n\n")
    assert row.body_text.endswith(f"https://crm.example.ir/portal/tickets/{ticket.pk}/")
    assert outbox_deliver().sent == 1
    assert outbox_deliver().handled == 0
    assert texts_to(fake, MOBILE) == [row.body_text]
    assert TicketMessage.objects.get(pk=reply.pk).emailed_at is None


def test_a_long_reply_is_cut_and_points_to_the_portal(
    fake: FakeSmsGateway, customer: Contact, agent: User
) -> None:
    ticket = sms_ticket(customer)
    ticket_reply(actor=agent, ticket=ticket, body="الف " * 400)
    body = OutboxMessage.objects.get().body_text.split("\n\n")[0]
    assert len(body) == SMS_REPLY_MAX_CHARACTERS and body.endswith("…")


def test_the_customers_texted_answer_lands_on_the_ticket_once_and_reopens_it(
    fake: FakeSmsGateway, customer: Contact, agent: User, client: Client
) -> None:
    ticket = sms_ticket(customer)
    ticket_reply(actor=agent, ticket=ticket, body="مشکل حل شد؟")
    ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.RESOLVED)
    url = reverse("messaging:sms_inbound", args=["kavenegar", SECRET])
    answer = {"from": "09121234567", "to": "30001234", "message": "نه، هنوز نه", "messageid": "77"}
    for _attempt in range(2):  # the provider calls back twice
        response = client.post(url, answer)
        assert response.json() == {"received": 1, "opted_out": 0}
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert list(
        ticket.messages.filter(kind=MessageKind.CUSTOMER).values_list("body", "message_id")
    ) == [("سلام، کارتم کار نمی‌کند", ""), ("نه، هنوز نه", "sms:77")]


def test_an_inbound_sms_without_an_open_sms_ticket_changes_no_ticket(
    fake: FakeSmsGateway, customer: Contact, agent: User
) -> None:
    email_ticket = make_ticket(contact=customer)
    closed = sms_ticket(customer)
    ticket_set_status(actor=agent, ticket=closed, status=TicketStatus.CLOSED)
    before = TicketMessage.objects.count()
    assert inbound_sms_receive(message=InboundSms(MOBILE, "30001234", "سلام")) is False
    assert TicketMessage.objects.count() == before
    assert email_ticket.messages.count() == 1


def test_which_replies_go_by_sms(fake: FakeSmsGateway, settings: Any, agent: User) -> None:
    only_mobile = make_contact(phones=["09121234567"], emails=[])
    with_email = make_contact(phones=["09351112233"], emails=["ali@example.ir"])
    landline = make_contact(phones=["02188776655"], emails=[])
    cases = {
        "sms ticket": (sms_ticket(only_mobile), MOBILE),
        "email ticket": (make_ticket(contact=only_mobile), ""),
        "phone call, contact has no email": (
            make_ticket(channel="phone", contact=only_mobile, requester_email=""),
            MOBILE,
        ),
        "phone call, contact has an email": (
            make_ticket(channel="phone", contact=with_email, requester_email=""),
            "",
        ),
        "sms ticket, contact has an email": (sms_ticket(with_email), "+989351112233"),
        "no mobile": (make_ticket(channel="phone", contact=landline, requester_email=""), ""),
    }
    assert {name: reply_sms_number(ticket) for name, (ticket, _n) in cases.items()} == {
        name: number for name, (_t, number) in cases.items()
    }
    settings.PEYVAND_SMS_GATEWAY = ""
    assert reply_sms_number(cases["sms ticket"][0]) == ""


def test_a_note_and_an_email_reply_send_no_sms(
    fake: FakeSmsGateway, customer: Contact, agent: User
) -> None:
    ticket_reply(actor=agent, ticket=sms_ticket(customer), body="یادداشت داخلی", internal=True)
    ticket_reply(actor=agent, ticket=make_ticket(contact=customer), body="پاسخ ایمیلی")
    assert OutboxMessage.objects.count() == 0


def test_a_failed_reply_rolls_back_its_sms(
    fake: FakeSmsGateway, customer: Contact, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = sms_ticket(customer)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("peyvand.service.tickets._event", broken)
    with pytest.raises(RuntimeError):
        ticket_reply(actor=agent, ticket=ticket, body="پاسخ")
    assert OutboxMessage.objects.count() == 0
    assert not TicketMessage.objects.filter(kind=MessageKind.REPLY).exists()
    assert not OutboxMessage.objects.filter(status=MessageStatus.PENDING).exists()
