"""Files with messages from the agent's page and the customer portal: checked like every
other channel's (the error names the file, nothing is saved), stored with the message in
one transaction, shown in both threads, and downloadable only by people who may see them
(a customer never gets a file of an internal note or of another customer's ticket)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from peyvand.accounts.models import Role, User
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.portal.tests.conftest import signed_in_client
from peyvand.service.models import MessageKind, Ticket, TicketAttachment, TicketMessage
from peyvand.service.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf(name: str = "فاکتور ۱۲.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def agent(make_user: object) -> User:
    user = make_user(role=Role.SUPPORT, username="agent")  # type: ignore[operator]
    user.language = "en"
    user.save()
    return user


def agent_client(agent: User) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def test_an_agent_replies_with_a_file_and_a_refused_one_saves_nothing(agent: User) -> None:
    ticket = make_ticket(assignee=agent)
    client = agent_client(agent)
    refused = client.post(
        f"/service/tickets/{ticket.pk}/reply/",
        {
            "body": "فاکتور پیوست شد",
            "attachments": [pdf(), SimpleUploadedFile("x.pdf", b"MZ\x90\x00", "application/pdf")],
        },
        follow=True,
    )
    assert "“x.pdf”: its content is not what a .pdf file holds." in refused.content.decode()
    assert ticket.messages.count() == 1 and not TicketAttachment.objects.exists()

    client.post(
        f"/service/tickets/{ticket.pk}/reply/",
        {"body": "فاکتور پیوست شد", "attachments": [pdf()]},
    )
    reply = ticket.messages.get(kind=MessageKind.REPLY)
    stored = reply.attachments.get()
    assert (stored.name, stored.content_type, stored.size) == (
        "فاکتور ۱۲.pdf",
        "application/pdf",
        len(PDF),
    )
    page = client.get(f"/service/tickets/{ticket.pk}/").content.decode()
    assert f"/service/attachments/{stored.pk}/" in page


def test_a_customer_attaches_files_in_the_portal_and_sees_only_their_own(
    agent: User,
) -> None:
    customer = make_contact(first_name="مریم", emails=["maryam@example.ir"])
    stranger: Contact = make_contact(first_name="علی", emails=["ali@example.ir"])
    portal = signed_in_client(customer)
    response = portal.post(
        "/portal/tickets/new/",
        {
            "subject": "کالای معیوب",
            "message": "عکس کالا را فرستادم",
            "once": str(uuid.uuid4()),
            "attachments": [SimpleUploadedFile("photo.png", PNG, "image/png")],
        },
    )
    ticket = Ticket.objects.get(contact=customer)
    assert response["Location"] == f"/portal/tickets/{ticket.pk}/"
    photo = TicketAttachment.objects.get(ticket=ticket)
    assert photo.message.kind == MessageKind.CUSTOMER

    from peyvand.service.tickets import ticket_reply

    note = ticket_reply(actor=agent, ticket=ticket, body="داخلی", internal=True)
    secret = TicketAttachment.objects.create(
        ticket=ticket,
        message=note,
        file=SimpleUploadedFile("internal.pdf", PDF),
        name="internal.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
    )
    page = portal.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert f"/portal/attachments/{photo.pk}/" in page and "internal.pdf" not in page
    download = portal.get(f"/portal/attachments/{photo.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG  # type: ignore[attr-defined]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert portal.get(f"/portal/attachments/{secret.pk}/").status_code == 404
    assert signed_in_client(stranger).get(f"/portal/attachments/{photo.pk}/").status_code == 404

    too_many = portal.post(
        f"/portal/tickets/{ticket.pk}/reply/",
        {
            "message": "شش فایل",
            "once": str(uuid.uuid4()),
            "attachments": [pdf(f"{index}.pdf") for index in range(6)],
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert too_many.status_code == 422
    assert TicketMessage.objects.filter(ticket=ticket).count() == 2


def test_an_uploaded_file_is_checked_once(agent: User, monkeypatch: pytest.MonkeyPatch) -> None:
    from peyvand.service import attachments

    sniffed: list[bytes] = []
    real_sniff = attachments.sniff_family

    def counting_sniff(content: bytes) -> str | None:
        sniffed.append(content)
        return real_sniff(content)

    monkeypatch.setattr(attachments, "sniff_family", counting_sniff)
    ticket = make_ticket(assignee=agent)
    agent_client(agent).post(
        f"/service/tickets/{ticket.pk}/reply/",
        {"body": "دو فایل", "attachments": [pdf("a.pdf"), pdf("b.pdf")]},
    )
    reply = ticket.messages.get(kind=MessageKind.REPLY)
    assert sorted(reply.attachments.values_list("name", flat=True)) == ["a.pdf", "b.pdf"]
    assert sniffed == [PDF, PDF]  # by the form; storing them did not check them again


def test_a_reply_that_fails_after_storing_its_files_leaves_none_behind(
    agent: User, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peyvand.service import tickets
    from peyvand.service.attachments import IncomingFile

    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket(assignee=agent)

    def fail(**_kwargs: Any) -> None:
        raise RuntimeError("the event log is unavailable")

    monkeypatch.setattr(tickets, "_event", fail)
    with pytest.raises(RuntimeError):
        tickets.ticket_reply(
            actor=agent,
            ticket=ticket,
            body="فاکتور",
            files=[IncomingFile(name="a.pdf", content=PDF, content_type="application/pdf")],
        )
    assert not TicketAttachment.objects.exists()
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
