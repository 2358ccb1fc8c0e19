"""The agent's pages: the inbox (filters, visibility, a fixed number of queries), a ticket's
page and its actions (reply, note, status, take, complaint, merge, split), logging a ticket
by hand with errors by field, canned responses and attachment downloads — all through HTTP,
with every id another user cannot see answered by 404."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from peyvand.accounts.models import Role, Team, User
from peyvand.contacts.tests.factories import make_contact
from peyvand.service.models import (
    CannedResponse,
    MessageKind,
    Ticket,
    TicketAttachment,
    TicketStatus,
)
from peyvand.service.tests.factories import make_ticket
from peyvand.service.tickets import ticket_reply, ticket_set_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(make_user: Callable[..., User]) -> dict[str, User]:
    team = Team.objects.create(name="پشتیبانی")
    return {
        "agent": make_user(role=Role.SUPPORT, teams=(team,), username="agent"),
        "other": make_user(role=Role.SUPPORT, teams=(team,), username="other"),
        "seller": make_user(role=Role.SALES, username="seller"),
        "reader": make_user(role=Role.READ_ONLY, username="reader"),
    }


def client_for(user: User, language: str = "en") -> Client:
    """A signed-in client; pages follow the user's language."""
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def test_the_inbox_lists_what_the_agent_may_see_with_filters(desk: dict[str, User]) -> None:
    mine = make_ticket(subject="کارت هدیه کار نمی‌کند", assignee=desk["agent"])
    queued = make_ticket(subject="درخواست فاکتور رسمي")
    hidden = make_ticket(subject="مشتری فروشنده", assignee=desk["seller"])
    client = client_for(desk["agent"])

    page = client.get("/service/tickets/").content.decode()
    assert mine.subject in page and queued.subject in page and hidden.subject not in page
    only_mine = client.get("/service/tickets/?view=mine").content.decode()
    assert mine.subject in only_mine and queued.subject not in only_mine
    found = client.get("/service/tickets/", {"q": "فاکتور رسمی"}).content.decode()
    assert queued.subject in found and mine.subject not in found
    assert client.get("/service/tickets/?cursor=forged").status_code == 404


def test_the_inbox_runs_a_fixed_number_of_queries(desk: dict[str, User]) -> None:
    client = client_for(desk["agent"])

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/service/tickets/").status_code == 200
        return len(captured.captured_queries)

    for _index in range(3):
        make_ticket(contact=make_contact(), assignee=desk["agent"], tags=["ارسال"])
    small = count()
    for _index in range(20):
        make_ticket(contact=make_contact(), assignee=desk["other"], tags=["ارسال", "VIP"])
    assert count() == small


def test_every_ticket_url_is_a_404_for_someone_who_cannot_see_it(
    desk: dict[str, User],
) -> None:
    ticket = make_ticket(assignee=desk["agent"])
    message = ticket.messages.get()
    attachment = TicketAttachment.objects.create(
        ticket=ticket,
        message=message,
        file=ContentFile(b"%PDF-1.4 hello", name="invoice.pdf"),
        name="فاکتور.pdf",
        content_type="application/pdf",
        size=14,
        sha256="0" * 64,
    )
    client = client_for(desk["seller"])
    gets = [f"/service/tickets/{ticket.pk}/", f"/service/tickets/{ticket.pk}/edit/"]
    gets.append(f"/service/attachments/{attachment.pk}/")
    for url in gets:
        assert client.get(url).status_code == 404, url
    for action in ("reply", "status", "take", "complaint", "merge", "split"):
        response = client.post(f"/service/tickets/{ticket.pk}/{action}/", {"body": "x"})
        assert response.status_code == 404, action
    assert ticket.messages.count() == 1

    download = client_for(desk["agent"]).get(f"/service/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 hello"  # type: ignore[attr-defined]


def test_reading_is_allowed_but_writing_is_not_for_read_only_users(
    desk: dict[str, User], team: Team
) -> None:
    ticket = make_ticket(team=Team.objects.get(name="پشتیبانی"))
    desk["reader"].teams.add(ticket.team)  # type: ignore[arg-type]
    client = client_for(desk["reader"])
    page = client.get(f"/service/tickets/{ticket.pk}/")
    assert page.status_code == 200
    assert 'id="reply-form"' not in page.content.decode()
    response = client.post(f"/service/tickets/{ticket.pk}/reply/", {"body": "سلام"})
    assert response.status_code == 403
    assert client.get("/service/tickets/new/").status_code == 403


def test_an_agent_replies_notes_and_resolves_from_the_ticket_page(
    desk: dict[str, User],
) -> None:
    ticket = make_ticket(contact=make_contact(first_name="رضا"))
    CannedResponse.objects.create(title="سلام", body="سلام {{ first_name }} جان")
    client = client_for(desk["agent"])
    response = client.get(f"/service/tickets/{ticket.pk}/")
    # The canned text, filled for this ticket, for the picker's script.
    assert [item["text"] for item in response.context["canned"]] == ["سلام رضا جان"]
    assert 'id="canned-data"' in response.content.decode()

    client.post(f"/service/tickets/{ticket.pk}/reply/", {"body": "یادداشت داخلی", "internal": "on"})
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    response = client.post(
        f"/service/tickets/{ticket.pk}/reply/",
        {"body": "ارسال شد، کد رهگیری ۱۲۳", "then_status": "resolved"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.status == TicketStatus.RESOLVED
    kinds = list(ticket.messages.values_list("kind", flat=True))
    assert kinds == [MessageKind.CUSTOMER, MessageKind.NOTE, MessageKind.REPLY]
    page = client.get(f"/service/tickets/{ticket.pk}/").content.decode()
    assert "یادداشت داخلی" in page and 'data-kind="note"' in page

    empty = client.post(f"/service/tickets/{ticket.pk}/reply/", {"body": "  "}, follow=True)
    assert "This field is required." in empty.content.decode()


def test_take_status_complaint_merge_and_split_through_the_page(desk: dict[str, User]) -> None:
    client = client_for(desk["agent"])
    ticket = make_ticket()
    client.post(f"/service/tickets/{ticket.pk}/take/")
    client.post(f"/service/tickets/{ticket.pk}/status/", {"status": "waiting"})
    client.post(f"/service/tickets/{ticket.pk}/complaint/", {"step": "acknowledged"})
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status, ticket.complaint_step) == (
        desk["agent"],
        TicketStatus.WAITING,
        "acknowledged",
    )

    invisible = make_ticket(assignee=desk["seller"])
    refused = client.post(
        f"/service/tickets/{ticket.pk}/merge/", {"target": invisible.pk}, follow=True
    )
    assert "There is no ticket with that number that you can see." in refused.content.decode()
    invisible.refresh_from_db()
    assert invisible.messages.count() == 1

    duplicate = make_ticket(body="این هم همان سفارش است")
    response = client.post(f"/service/tickets/{duplicate.pk}/merge/", {"target": ticket.pk})
    assert response["Location"] == f"/service/tickets/{ticket.pk}/"
    assert ticket.messages.count() == 2

    second = ticket.messages.order_by("id").last()
    assert second is not None
    response = client.post(
        f"/service/tickets/{ticket.pk}/split/",
        {"messages": [second.pk], "subject": "سفارش دوم"},
    )
    new = Ticket.objects.get(split_from=ticket)
    assert response["Location"] == f"/service/tickets/{new.pk}/"
    assert list(new.messages.values_list("body", flat=True)) == ["این هم همان سفارش است"]


def test_logging_a_phone_ticket_by_hand_with_errors_by_field(desk: dict[str, User]) -> None:
    client = client_for(desk["agent"])
    contact = make_contact(first_name="لیلا", owner=desk["agent"])
    missing = client.post("/service/tickets/new/", {"channel": "phone", "priority": "normal"})
    assert missing.status_code == 200
    errors = missing.content.decode()
    assert 'data-error-for="subject"' in errors and 'data-error-for="body"' in errors

    wrong = client_for(desk["agent"], "fa").post(
        "/service/tickets/new/",
        {"subject": "x", "body": "y", "channel": "fax", "priority": "normal"},
    )
    assert wrong.context["form"].errors["channel"] == [
        "یک گزینهٔ معتبر انتخاب کنید. fax از گزینه‌های موجود نیست."
    ]

    client = client_for(desk["agent"])
    response = client.post(
        "/service/tickets/new/",
        {
            "subject": "تماس: گارانتی یخچال",
            "body": "مشتری تماس گرفت، یخچال خنک نمی‌کند",
            "channel": "phone",
            "priority": "high",
            "contact": f"{contact} #{contact.pk}",
            "tags": "گارانتی، یخچال",
            "is_complaint": "on",
        },
    )
    ticket = Ticket.objects.get(subject="تماس: گارانتی یخچال")
    assert response["Location"] == f"/service/tickets/{ticket.pk}/"
    assert (ticket.channel, ticket.priority, ticket.contact) == ("phone", "high", contact)
    assert ticket.complaint_step == "acknowledged"
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["گارانتی", "یخچال"]
    assert ticket.messages.get().author == desk["agent"]


def test_canned_responses_pages(desk: dict[str, User]) -> None:
    client = client_for(desk["agent"])
    response = client.post(
        "/service/canned/new/", {"title": "پیگیری", "body": "سلام {{ name }}، {{ balance }}"}
    )
    assert "Unknown placeholder: balance." in response.content.decode()
    client.post("/service/canned/new/", {"title": "پیگیری", "body": "سلام {{ name }}"})
    canned = CannedResponse.objects.get()
    assert (canned.owner, canned.is_shared) == (desk["agent"], False)
    assert client_for(desk["other"]).get(f"/service/canned/{canned.pk}/edit/").status_code == 404
    assert "پیگیری" in client.get("/service/canned/").content.decode()
    client.post(f"/service/canned/{canned.pk}/delete/")
    assert not CannedResponse.objects.exists()


def test_the_ticket_thread_shows_the_reply_author(desk: dict[str, User]) -> None:
    ticket = make_ticket(assignee=desk["agent"])
    ticket_reply(actor=desk["agent"], ticket=ticket, body="پاسخ ما")
    page = client_for(desk["agent"]).get(f"/service/tickets/{ticket.pk}/").content.decode()
    assert 'data-kind="reply"' in page and str(desk["agent"]) in page


def test_the_ticket_page_runs_a_fixed_number_of_queries(desk: dict[str, User]) -> None:
    ticket = make_ticket(assignee=desk["agent"], contact=make_contact(), tags=["ارسال"])
    CannedResponse.objects.create(title="سلام", body="سلام {{ name }}")
    client = client_for(desk["agent"])

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/service/tickets/{ticket.pk}/").status_code == 200
        return len(captured.captured_queries)

    # Session, user, ticket, thread (+ authors, files), history, tags, survey, knowledge
    # suggestions, answer drafts, canned responses, related tickets, notifications …
    assert count() == 18
    for number in range(10):
        message = ticket_reply(actor=desk["agent"], ticket=ticket, body=f"پاسخ {number}")
        TicketAttachment.objects.create(
            ticket=ticket,
            message=message,
            file=ContentFile(b"%PDF-1.4", name=f"{number}.pdf"),
            name=f"{number}.pdf",
            content_type="application/pdf",
            size=8,
            sha256="0" * 64,
        )
        CannedResponse.objects.create(title=f"پاسخ {number}", body="{{ ticket }}")
    assert count() == 18


def test_a_status_change_reads_in_words_on_the_contact_timeline(desk: dict[str, User]) -> None:
    contact = make_contact(first_name="نگار", owner=desk["agent"])
    ticket = make_ticket(contact=contact, assignee=desk["agent"])
    ticket_set_status(actor=desk["agent"], ticket=ticket, status=TicketStatus.OPEN)
    ticket_set_status(actor=desk["agent"], ticket=ticket, status=TicketStatus.RESOLVED)

    english = client_for(desk["agent"]).get(f"/contacts/{contact.pk}/").content.decode()
    assert "<del>Open</del> → Resolved" in english
    farsi = client_for(desk["agent"], "fa").get(f"/contacts/{contact.pk}/").content.decode()
    assert "<del>باز</del> ← حل‌شده" in farsi
