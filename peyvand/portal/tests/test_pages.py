"""Every portal page through HTTP as a signed-in customer: the ticket list (status in
words, Jalali dates in Persian digits), the thread (never internal notes), replying,
opening a ticket (fa/en field errors, one ticket per press), "solved", quotes with the PDF,
and profile and consent changes as timeline events with the method "portal"."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from peyvand.accounts.models import User
from peyvand.contacts.models import ConsentStatus, Contact, ContactConsent, ContactEmail
from peyvand.feedback.models import Survey
from peyvand.portal import views
from peyvand.service.models import MessageKind, Ticket, TicketMessage, TicketStatus
from peyvand.service.tickets import ticket_reply, ticket_set_status
from peyvand.timeline.models import Event

from .conftest import signed_in_client
from .factories import make_quote, open_ticket

pytestmark = pytest.mark.django_db


def _once() -> str:
    return "6f1c5a58-6f0a-4a55-9d38-2f1f3f1b9a01"


# --- My tickets ----------------------------------------------------------------------------


def test_the_list_shows_only_the_customer_s_tickets_with_status_words_and_jalali_dates(
    portal: Client, customer: Contact, other_customer: Contact, agent: User, at: Any
) -> None:
    at(2026, 11, 25, 15, 0)
    mine = open_ticket(customer)
    waiting = open_ticket(customer, subject="فاکتور اشتباه")
    ticket_set_status(actor=agent, ticket=waiting, status=TicketStatus.WAITING)
    theirs = open_ticket(other_customer, subject="موضوع محرمانه")
    open_ticket(None, subject="بدون مشتری")
    page = portal.get("/portal/tickets/").content.decode()
    listed = [int(part.split('"')[0]) for part in page.split('data-ticket="')[1:]]
    assert listed == [waiting.pk, mine.pk]
    assert "موضوع محرمانه" not in page and f"#{theirs.pk}" not in page
    assert 'data-status="new">دریافت شد</span>' in page
    assert 'data-status="waiting">در انتظار پاسخ شما</span>' in page
    assert "۱۴۰۵/۰۹/۰۴ ۱۵:۰۰" in page
    persian_id = str(mine.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert f"#{persian_id}" in page


def test_a_customer_without_tickets_is_invited_to_open_one(portal: Client) -> None:
    page = portal.get("/portal/tickets/").content.decode()
    assert 'id="no-tickets"' in page
    assert "/portal/tickets/new/" in page


def test_the_list_pages_by_twenty_five(portal: Client, customer: Contact) -> None:
    tickets = [open_ticket(customer, subject=f"درخواست {n}") for n in range(27)]
    first = portal.get("/portal/tickets/").content.decode()
    assert first.count('data-ticket="') == 25
    cursor = first.split('href="?after=')[1].split('"')[0]
    second = portal.get(f"/portal/tickets/?after={cursor}").content.decode()
    listed = [int(part.split('"')[0]) for part in second.split('data-ticket="')[1:]]
    assert listed == [tickets[1].pk, tickets[0].pk]
    assert portal.get("/portal/tickets/?after=garbage")["Location"] == "/portal/tickets/"


# --- The thread ----------------------------------------------------------------------------


def test_the_thread_shows_the_conversation_and_never_internal_notes(
    portal: Client, customer: Contact, agent: User
) -> None:
    ticket = open_ticket(customer)
    ticket_reply(actor=agent, ticket=ticket, body="یادداشت داخلی: مشتری بدقول است", internal=True)
    ticket_reply(actor=agent, ticket=ticket, body="سلام، بسته امروز ارسال می‌شود.")
    page = portal.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "سلام، سفارشم هنوز نرسیده است." in page
    assert "سلام، بسته امروز ارسال می‌شود." in page
    assert "یادداشت داخلی" not in page and "بدقول" not in page
    kinds = [part.split('"')[0] for part in page.split('data-kind="')[1:]]
    assert kinds == ["customer", "reply"]
    assert "پشتیبانی · امید" in page
    assert 'data-status="open">در حال رسیدگی</span>' in page
    assert 'id="solved-form"' in page and 'id="portal-rating"' not in page


def test_the_customer_replies_and_a_waiting_ticket_opens_again(
    portal: Client, customer: Contact, agent: User
) -> None:
    ticket = open_ticket(customer)
    ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.WAITING)
    response = portal.post(
        f"/portal/tickets/{ticket.pk}/reply/", {"message": "  شماره سفارش: ۱۲۳  ", "once": _once()}
    )
    assert (response.status_code, response["Location"]) == (302, f"/portal/tickets/{ticket.pk}/")
    message = TicketMessage.objects.filter(ticket=ticket).latest("id")
    assert (message.kind, message.body, message.from_email, message.author) == (
        MessageKind.CUSTOMER,
        "شماره سفارش: ۱۲۳",
        "maryam@example.ir",
        None,
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    event = Event.objects.filter(verb="ticket.customer_replied").get()
    assert (event.actor, event.contact) == (None, customer)
    # The same press again (a double click) adds nothing.
    portal.post(
        f"/portal/tickets/{ticket.pk}/reply/", {"message": "شماره سفارش: ۱۲۳", "once": _once()}
    )
    assert ticket.messages.count() == 2


def test_an_empty_reply_is_refused_in_farsi_and_in_english(
    portal: Client, customer: Contact
) -> None:
    ticket = open_ticket(customer)
    response = portal.post(f"/portal/tickets/{ticket.pk}/reply/", {"message": "", "once": _once()})
    assert response.status_code == 422
    assert 'data-error-for="message">این فیلد الزامی است.</div>' in response.content.decode()
    customer.language = "en"
    customer.save(update_fields=["language"])
    response = signed_in_client(customer).post(
        f"/portal/tickets/{ticket.pk}/reply/", {"message": "", "once": _once()}
    )
    assert 'data-error-for="message">This field is required.</div>' in response.content.decode()
    assert ticket.messages.count() == 1


def test_a_closed_ticket_takes_no_more_messages(
    portal: Client, customer: Contact, agent: User
) -> None:
    ticket = open_ticket(customer)
    ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.CLOSED)
    page = portal.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert 'id="ticket-closed"' in page and 'id="reply-form"' not in page
    assert 'id="solved-form"' not in page
    response = portal.post(
        f"/portal/tickets/{ticket.pk}/reply/", {"message": "سلام", "once": _once()}
    )
    assert response["Location"] == f"/portal/tickets/{ticket.pk}/"
    assert ticket.messages.count() == 1


def test_a_merged_ticket_leads_to_the_one_it_was_merged_into(
    portal: Client, customer: Contact
) -> None:
    survivor, merged = open_ticket(customer), open_ticket(customer)
    Ticket.objects.filter(pk=merged.pk).update(merged_into=survivor)
    response = portal.get(f"/portal/tickets/{merged.pk}/")
    assert response["Location"] == f"/portal/tickets/{survivor.pk}/"


# --- A new ticket --------------------------------------------------------------------------


def test_a_new_ticket_from_the_portal(portal: Client, customer: Contact) -> None:
    page = portal.get("/portal/tickets/new/").content.decode()
    assert 'id="portal-knowledge-suggestions"' in page
    response = portal.post(
        "/portal/tickets/new/",
        {"subject": "مشكل در ورود", "message": "سلام\nرمز عبورم كار نمي‌كند.", "once": _once()},
    )
    ticket = Ticket.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/portal/tickets/{ticket.pk}/")
    assert (ticket.subject, ticket.channel, ticket.contact, ticket.created_by) == (
        "مشکل در ورود",
        "portal",
        customer,
        None,
    )
    assert ticket.requester_email == "maryam@example.ir"
    assert list(ticket.messages.values_list("kind", "body")) == [
        ("customer", "سلام\nرمز عبورم کار نمی‌کند.")
    ]
    event = Event.objects.get(verb="ticket.created")
    assert (event.actor, event.contact, event.payload["channel"]) == (None, customer, "portal")
    follow = portal.get(response["Location"]).content.decode()
    assert "درخواست شما رسید. پاسخ را همین‌جا می‌دهیم." in follow
    # Pressing send twice makes one ticket; the second press lands on it too.
    again = portal.post(
        "/portal/tickets/new/",
        {"subject": "مشكل در ورود", "message": "سلام", "once": _once()},
    )
    assert again["Location"] == f"/portal/tickets/{ticket.pk}/"
    assert Ticket.objects.count() == 1


def test_a_new_ticket_names_each_missing_field_in_farsi_and_english(
    portal: Client, customer: Contact
) -> None:
    response = portal.post("/portal/tickets/new/", {"subject": "", "message": "", "once": _once()})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-error-for="subject">این فیلد الزامی است.</div>' in page
    assert 'data-error-for="message">این فیلد الزامی است.</div>' in page
    # What the service refuses (a subject of invisible characters only) shows on its field.
    response = portal.post(
        "/portal/tickets/new/", {"subject": "\u200c\u200c", "message": "سلام", "once": _once()}
    )
    assert response.status_code == 422
    assert 'data-error-for="subject">' in response.content.decode()
    customer.language = "en"
    customer.save(update_fields=["language"])
    response = signed_in_client(customer).post(
        "/portal/tickets/new/", {"subject": "", "message": "سلام", "once": _once()}
    )
    assert 'data-error-for="subject">This field is required.</div>' in response.content.decode()
    assert Ticket.objects.count() == 0
    # The token of a refused form stays usable: fixing the form and sending again works.
    response = portal.post(
        "/portal/tickets/new/", {"subject": "سلام", "message": "سلام", "once": _once()}
    )
    assert response.status_code == 302 and Ticket.objects.count() == 1


def test_posts_per_hour_are_limited(portal: Client, settings: Any) -> None:
    settings.PEYVAND_PORTAL_POSTS_PER_HOUR = 2
    statuses = [
        portal.post(
            "/portal/tickets/new/",
            {
                "subject": f"درخواست {n}",
                "message": "سلام",
                "once": f"{n:08d}-0000-4000-8000-000000000000",
            },
        ).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert Ticket.objects.count() == 2


# --- "Solved" ------------------------------------------------------------------------------


def test_the_customer_confirms_the_problem_is_solved(
    portal: Client, customer: Contact, agent: User
) -> None:
    ticket = open_ticket(customer)
    ticket_reply(actor=agent, ticket=ticket, body="درست شد؟")
    response = portal.post(f"/portal/tickets/{ticket.pk}/solved/")
    assert response["Location"] == f"/portal/tickets/{ticket.pk}/"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED and ticket.resolved_at is not None
    event = Event.objects.get(verb="ticket.resolved")
    assert (event.actor, event.contact, event.subject_id) == (None, customer, ticket.pk)
    assert event.payload["changes"] == {"status": ["open", "resolved"]}
    assert event.payload["by_customer"] is True
    page = portal.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "ممنون! خوشحالیم که مشکل حل شد." in page
    assert 'id="solved-form"' not in page
    assert 'id="portal-rating"' in page and 'id="rate-ticket"' not in page
    assert 'data-status="resolved">حل شد</span>' in page
    # Saying it again changes nothing.
    portal.post(f"/portal/tickets/{ticket.pk}/solved/")
    assert Event.objects.filter(verb="ticket.resolved").count() == 1


def test_a_resolved_ticket_links_to_its_satisfaction_survey(
    portal: Client,
    customer: Contact,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    ticket = open_ticket(customer)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(actor=None, ticket=ticket, status=TicketStatus.RESOLVED)
    survey = Survey.objects.get(ticket=ticket)
    page = portal.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert f'href="/feedback/{survey.token}/" id="rate-ticket"' in page
    # Once the survey expired, the place stays empty.
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now())
    page = portal.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert 'id="portal-rating"' in page and 'id="rate-ticket"' not in page


def test_an_agent_closing_the_ticket_at_the_same_moment_is_a_message_not_an_error(
    portal: Client, customer: Contact, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The portal reads the ticket (still open), then the agent closes it before the
    customer's "solved" is written."""
    ticket = open_ticket(customer)
    read = views.portal_ticket

    def read_then_agent_closes(contact: Contact, ticket_id: int) -> Ticket | None:
        stale = read(contact, ticket_id)
        ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.CLOSED)
        return stale

    monkeypatch.setattr(views, "portal_ticket", read_then_agent_closes)
    response = portal.post(f"/portal/tickets/{ticket.pk}/solved/")
    assert (response.status_code, response["Location"]) == (302, f"/portal/tickets/{ticket.pk}/")
    monkeypatch.setattr(views, "portal_ticket", read)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert Event.objects.filter(verb="ticket.closed").count() == 1
    assert not Event.objects.filter(verb="ticket.resolved").exists()
    page = portal.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    with translation.override("fa"):
        expected = gettext(
            "Our team changed this ticket at the same moment, so it was not marked as "
            "solved. Please look at it again."
        )
    assert f'<div class="alert alert-warning" role="status">{escape(expected)}</div>' in page
    assert 'data-status="closed"' in page


def test_saying_solved_counts_against_the_posts_per_hour(
    portal: Client, customer: Contact, settings: Any
) -> None:
    settings.PEYVAND_PORTAL_POSTS_PER_HOUR = 1
    first, second = open_ticket(customer), open_ticket(customer)
    assert portal.post(f"/portal/tickets/{first.pk}/solved/").status_code == 302
    # Saying it again about a solved ticket writes nothing and is not counted.
    assert portal.post(f"/portal/tickets/{first.pk}/solved/").status_code == 302
    response = portal.post(f"/portal/tickets/{second.pk}/solved/")
    assert response.status_code == 429
    assert (
        '<div class="alert alert-danger" role="status">'
        "تعداد تلاش‌ها زیاد است. چند دقیقه صبر کنید و دوباره امتحان کنید.</div>"
    ) in response.content.decode()
    second.refresh_from_db()
    assert second.status == TicketStatus.NEW
    assert Event.objects.filter(verb="ticket.resolved").count() == 1


def test_the_customer_s_first_email_by_position_is_the_ticket_address(
    portal: Client, customer: Contact
) -> None:
    ContactEmail.objects.create(contact=customer, address="maryam.work@example.ir", position=0)
    ContactEmail.objects.filter(contact=customer, address="maryam@example.ir").update(position=1)
    portal.post("/portal/tickets/new/", {"subject": "سلام", "message": "متن", "once": _once()})
    ticket = Ticket.objects.get()
    assert ticket.requester_email == "maryam.work@example.ir"
    portal.post(
        f"/portal/tickets/{ticket.pk}/reply/",
        {"message": "باز هم من", "once": "6f1c5a58-6f0a-4a55-9d38-2f1f3f1b9a02"},
    )
    assert list(
        TicketMessage.objects.filter(ticket=ticket)
        .order_by("id")
        .values_list("from_email", flat=True)
    ) == ["maryam.work@example.ir", "maryam.work@example.ir"]


def test_a_solved_ticket_opens_again_when_the_customer_writes(
    portal: Client, customer: Contact
) -> None:
    ticket = open_ticket(customer)
    portal.post(f"/portal/tickets/{ticket.pk}/solved/")
    page = portal.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "نوشتن دوباره، درخواست را دوباره باز می‌کند." in page
    portal.post(
        f"/portal/tickets/{ticket.pk}/reply/", {"message": "باز هم خراب شد", "once": _once()}
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


# --- Quotes --------------------------------------------------------------------------------


def test_quotes_lists_only_the_quotes_sent_to_the_customer_and_serves_their_pdf(
    portal: Client, customer: Contact, other_customer: Contact, smtp_settings: Any
) -> None:
    sent = make_quote(customer, send_to="maryam@example.ir")
    draft = make_quote(customer)
    make_quote(other_customer, send_to="ali@example.ir")
    page = portal.get("/portal/quotes/").content.decode()
    listed = [int(part.split('"')[0]) for part in page.split('data-quote="')[1:]]
    assert listed == [sent.pk]
    assert f"/portal/quotes/{draft.pk}/pdf/" not in page
    assert "۱۳٬۲۰۰٬۰۰۰ تومان" in page  # 120,000,000 Rials + 10% VAT, shown in Toman
    response = portal.get(f"/portal/quotes/{sent.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="quote-{sent.number}.pdf"'
    assert response.content.startswith(b"%PDF")


def test_no_quotes_yet(portal: Client) -> None:
    assert 'id="no-quotes"' in portal.get("/portal/quotes/").content.decode()


# --- Profile and consent -------------------------------------------------------------------


def test_a_name_change_is_one_timeline_event(portal: Client, customer: Contact) -> None:
    before = Event.objects.count()
    response = portal.post(
        "/portal/profile/", {"first_name": "مريم‌سادات", "last_name": "رضایی", "language": "fa"}
    )
    assert response["Location"] == "/portal/profile/"
    customer.refresh_from_db()
    assert (customer.first_name, customer.language) == ("مریم‌سادات", "")
    assert Event.objects.count() == before + 1
    event = Event.objects.latest("id")
    assert (event.verb, event.actor, event.contact) == ("contact.updated", None, customer)
    assert event.payload["changes"] == {"first_name": ["مریم", "مریم‌سادات"]}
    # Saving the form again unchanged records nothing.
    portal.post(
        "/portal/profile/", {"first_name": "مریم‌سادات", "last_name": "رضایی", "language": "fa"}
    )
    assert Event.objects.count() == before + 1


def test_choosing_english_switches_the_portal_and_the_emails(
    portal: Client, customer: Contact
) -> None:
    portal.post("/portal/profile/", {"first_name": "مریم", "last_name": "رضایی", "language": "en"})
    customer.refresh_from_db()
    assert customer.language == "en"
    event = Event.objects.latest("id")
    assert event.payload["changes"] == {"language": ["", "en"]}
    page = portal.get("/portal/profile/")
    assert page["Content-Language"] == "en"
    assert "My details" in page.content.decode()


def test_a_profile_without_any_name_is_refused_on_the_field(
    portal: Client, customer: Contact
) -> None:
    response = portal.post(
        "/portal/profile/", {"first_name": "", "last_name": "", "language": "xx"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-error-for="language">' in page
    response = portal.post(
        "/portal/profile/", {"first_name": "", "last_name": "", "language": "fa"}
    )
    assert response.status_code == 422
    assert 'data-error-for="last_name">نام یا نام خانوادگی را وارد کنید.</div>' in (
        response.content.decode()
    )
    customer.refresh_from_db()
    assert customer.first_name == "مریم"


def test_each_consent_change_is_one_event_with_the_method_portal(
    portal: Client, customer: Contact
) -> None:
    page = portal.get("/portal/profile/").content.decode()
    assert 'name="email"' in page and 'name="sms"' in page and 'name="phone"' in page
    portal.post("/portal/profile/consent/", {"email": "on", "sms": "on"})
    consents = {
        c.channel: (c.status, c.method) for c in ContactConsent.objects.filter(contact=customer)
    }
    assert consents == {
        "email": (ConsentStatus.GRANTED, "portal"),
        "sms": (ConsentStatus.GRANTED, "portal"),
    }
    events = list(Event.objects.filter(verb__startswith="consent.").order_by("id"))
    assert [(e.verb, e.payload["channel"], e.payload["method"], e.actor) for e in events] == [
        ("consent.granted", "email", "portal", None),
        ("consent.granted", "sms", "portal", None),
    ]
    portal.post("/portal/profile/consent/", {"email": "on"})
    withdrawn = Event.objects.filter(verb__startswith="consent.").latest("id")
    assert (withdrawn.verb, withdrawn.payload["channel"], withdrawn.payload["changes"]) == (
        "consent.withdrawn",
        "sms",
        {"status": ["granted", "withdrawn"]},
    )
    portal.post("/portal/profile/consent/", {"email": "on"})
    assert Event.objects.filter(verb__startswith="consent.").count() == 3
    page = portal.get("/portal/profile/").content.decode()
    assert 'name="email" id="id_email" checked' in page.replace('class="form-check-input" ', "")


def test_the_list_and_the_thread_cost_the_same_queries_for_more_rows(
    portal: Client, customer: Contact, agent: User, django_assert_num_queries: Any
) -> None:
    first = open_ticket(customer)
    ticket_reply(actor=agent, ticket=first, body="پاسخ")

    def check() -> None:
        with django_assert_num_queries(3):  # session, contact, tickets
            portal.get("/portal/tickets/")
        with django_assert_num_queries(5):  # session, contact, ticket, messages with authors, files
            portal.get(f"/portal/tickets/{first.pk}/")

    check()
    for n in range(6):
        ticket_reply(actor=agent, ticket=open_ticket(customer), body=f"پاسخ {n}")
        ticket_reply(actor=agent, ticket=first, body=f"پاسخ دیگر {n}")
    check()
