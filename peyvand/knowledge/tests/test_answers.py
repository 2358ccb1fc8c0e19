"""Generated answer drafts against a local fake of the chat-completions API: off by default,
the prompt (customer messages and the suggested articles, never internal notes), the agent's
approval as the only way to the customer (once), discarding, every failure as a clear
message with nothing saved, and the pages with ticket visibility."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from peyvand.accounts.models import Role, Team, User
from peyvand.knowledge.answers import (
    answer_draft_approve,
    answer_draft_create,
    answer_draft_discard,
)
from peyvand.knowledge.models import AnswerDraft, Article
from peyvand.service.models import MessageKind, Ticket, TicketMessage
from peyvand.service.tickets import ticket_create, ticket_customer_message, ticket_reply

from .conftest import FakeChatApi, running_fake_chat_api
from .factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def password_article() -> Article:
    make_article("هزینه ارسال", "ارسال بالای ۵۰۰ هزار تومان رایگان است.")
    return make_article("بازیابی رمز عبور", "در صفحه ورود روی **فراموشی رمز عبور** بزنید.")


@pytest.fixture
def agent(make_user: Callable[..., User]) -> User:
    return make_user(role=Role.SUPPORT)


@pytest.fixture
def ticket(agent: User) -> Ticket:
    opened = ticket_create(
        actor=None,
        values={"subject": "ورود به حساب", "assignee": agent},
        body="سلام، رمز عبورم را فراموش كرده‌ام.",
        channel="email",
        requester_email="customer@example.ir",
    )
    ticket_customer_message(ticket=opened, body="هنوز نتوانستم وارد شوم.")
    ticket_reply(actor=agent, ticket=opened, body="یادداشت داخلی محرمانه", internal=True)
    return opened


def _replies(ticket: Ticket) -> list[str]:
    return list(
        TicketMessage.objects.filter(ticket=ticket, kind=MessageKind.REPLY).values_list(
            "body", flat=True
        )
    )


def test_generated_answers_are_off_without_a_url(ticket: Ticket, agent: User) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        answer_draft_create(actor=agent, ticket=ticket)
    assert caught.value.message_dict == {"draft": ["Generated answers are turned off."]}
    assert not AnswerDraft.objects.exists()


def test_a_draft_is_written_from_the_customer_and_the_articles_and_not_sent(
    fake_chat_api: FakeChatApi, ticket: Ticket, agent: User, password_article: Article
) -> None:
    draft = answer_draft_create(actor=agent, ticket=ticket)
    assert (draft.status, draft.body, draft.model_name) == (
        "pending",
        fake_chat_api.answer,
        "test-model",
    )
    assert list(draft.source_articles.all()) == [password_article]
    assert _replies(ticket) == []  # nothing reached the customer
    [request] = fake_chat_api.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["authorization"] == "Bearer sk-test-key"
    assert request["content_type"] == "application/json"
    sent = request["json"]
    assert (sent["model"], sent["temperature"]) == ("test-model", 0.2)
    assert [message["role"] for message in sent["messages"]] == ["system", "user"]
    prompt = sent["messages"][1]["content"]
    assert "رمز عبورم را فراموش کرده‌ام." in prompt
    assert "هنوز نتوانستم وارد شوم." in prompt
    assert "### بازیابی رمز عبور\nدر صفحه ورود روی فراموشی رمز عبور بزنید." in prompt
    assert "هزینه ارسال" not in prompt
    assert "یادداشت داخلی" not in prompt


def test_approving_sends_the_edited_text_once(
    fake_chat_api: FakeChatApi, ticket: Ticket, agent: User, password_article: Article
) -> None:
    draft = answer_draft_create(actor=agent, ticket=ticket)
    approved = answer_draft_approve(actor=agent, draft=draft, body="  پاسخ ويرايش‌شده  ")
    assert (approved.status, approved.decided_by, approved.body) == (
        "approved",
        agent,
        "پاسخ ویرایش‌شده",
    )
    assert approved.reply is not None and approved.reply.author == agent
    assert _replies(ticket) == ["پاسخ ویرایش‌شده"]
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    with pytest.raises(ValidationError) as caught:
        answer_draft_approve(actor=agent, draft=draft)
    assert list(caught.value.message_dict) == ["status"]
    assert _replies(ticket) == ["پاسخ ویرایش‌شده"]


def test_an_empty_edit_is_refused_and_nothing_is_sent(
    fake_chat_api: FakeChatApi, ticket: Ticket, agent: User
) -> None:
    draft = answer_draft_create(actor=agent, ticket=ticket)
    with pytest.raises(ValidationError) as caught:
        answer_draft_approve(actor=agent, draft=draft, body="   ")
    assert list(caught.value.message_dict) == ["body"]
    draft.refresh_from_db()
    assert draft.status == "pending" and _replies(ticket) == []


def test_a_discarded_draft_can_never_be_sent(
    fake_chat_api: FakeChatApi, ticket: Ticket, agent: User
) -> None:
    draft = answer_draft_create(actor=agent, ticket=ticket)
    discarded = answer_draft_discard(actor=agent, draft=draft)
    assert (discarded.status, discarded.decided_by) == ("discarded", agent)
    with pytest.raises(ValidationError):
        answer_draft_approve(actor=agent, draft=draft)
    assert _replies(ticket) == []


def test_people_who_cannot_answer_tickets_cannot_draft_or_approve(
    fake_chat_api: FakeChatApi, ticket: Ticket, agent: User, make_user: Callable[..., User]
) -> None:
    reader = make_user(role=Role.READ_ONLY)
    with pytest.raises(PermissionDenied):
        answer_draft_create(actor=reader, ticket=ticket)
    draft = answer_draft_create(actor=agent, ticket=ticket)
    with pytest.raises(PermissionDenied):
        answer_draft_approve(actor=reader, draft=draft)
    assert _replies(ticket) == []


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("error", "The answer service replied with an error (HTTP 500)."),
        ("garbage", "The answer service sent a reply that could not be read."),
        ("no_choices", "The answer service sent a reply that could not be read."),
        ("slow", "The answer service did not answer within 0.3 seconds."),
    ],
)
def test_failures_are_clear_messages_and_save_nothing(
    fake_chat_api: FakeChatApi,
    ticket: Ticket,
    agent: User,
    settings: Any,
    mode: str,
    message: str,
) -> None:
    fake_chat_api.mode = mode
    settings.PEYVAND_LLM_TIMEOUT_SECONDS = 0.3
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        answer_draft_create(actor=agent, ticket=ticket)
    assert caught.value.message_dict == {"draft": [message]}
    assert not AnswerDraft.objects.exists()


def test_an_unreachable_service_is_a_clear_message(
    ticket: Ticket, agent: User, settings: Any
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.PEYVAND_LLM_URL = f"http://127.0.0.1:{port}/v1"
    settings.PEYVAND_LLM_MODEL = "test-model"
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        answer_draft_create(actor=agent, ticket=ticket)
    assert caught.value.message_dict == {"draft": ["The answer service could not be reached."]}
    settings.PEYVAND_LLM_URL = "file:///etc/passwd"
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        answer_draft_create(actor=agent, ticket=ticket)
    assert caught.value.message_dict == {
        "draft": ["PEYVAND_LLM_URL must be an http or https address."]
    }


# --- the pages ----------------------------------------------------------------------------


def test_the_ticket_page_shows_suggestions_and_the_draft_form(
    fake_chat_api: FakeChatApi,
    ticket: Ticket,
    agent: User,
    password_article: Article,
    logged_in: Callable[[User], Client],
) -> None:
    client = logged_in(agent)
    ticket_page = f"/service/tickets/{ticket.pk}/"
    page = client.get(ticket_page).content.decode()
    suggested = re.search(r'id="kb-suggestions".*?</section>', page, re.S)
    assert suggested is not None
    assert re.findall(r'data-article="(\d+)"', suggested[0]) == [str(password_article.pk)]
    assert 'id="answer-draft-create"' in page
    response = client.post(f"/kb/tickets/{ticket.pk}/answer/draft/", {"next": ticket_page})
    assert response["Location"] == ticket_page
    draft = AnswerDraft.objects.get()
    page = client.get(ticket_page).content.decode()
    assert f'data-draft="{draft.pk}"' in page
    approved = client.post(
        f"/kb/tickets/{ticket.pk}/answer/{draft.pk}/approve/",
        {"body": "پاسخ نهایی", "next": "https://evil.example/"},
    )
    assert approved["Location"] == ticket_page  # not off-site
    assert _replies(ticket) == ["پاسخ نهایی"]
    again = client.post(f"/kb/tickets/{ticket.pk}/answer/{draft.pk}/approve/", {"body": "دوباره"})
    assert again.status_code == 302
    assert _replies(ticket) == ["پاسخ نهایی"]
    assert client.get(f"/kb/tickets/{ticket.pk}/answer/").status_code == 404  # no own page


def test_without_next_every_action_goes_back_to_the_ticket_page(
    fake_chat_api: FakeChatApi, ticket: Ticket, agent: User, logged_in: Callable[[User], Client]
) -> None:
    client = logged_in(agent)
    ticket_page = f"/service/tickets/{ticket.pk}/"
    base = f"/kb/tickets/{ticket.pk}/answer/"
    assert client.post(base + "draft/")["Location"] == ticket_page
    first = AnswerDraft.objects.get()
    assert client.post(base + f"{first.pk}/discard/")["Location"] == ticket_page
    assert client.post(base + "draft/", {"next": "//evil.example/"})["Location"] == ticket_page
    second = AnswerDraft.objects.get(status="pending")
    approved = client.post(base + f"{second.pk}/approve/", {"body": "پاسخ"})
    assert approved["Location"] == ticket_page
    assert _replies(ticket) == ["پاسخ"]


def test_a_double_click_keeps_one_pending_draft_and_asks_once(
    fake_chat_api: FakeChatApi, ticket: Ticket, agent: User, logged_in: Callable[[User], Client]
) -> None:
    client = logged_in(agent)
    for _click in range(2):
        assert client.post(f"/kb/tickets/{ticket.pk}/answer/draft/").status_code == 302
    draft = AnswerDraft.objects.get()
    assert draft.status == "pending"
    assert len(fake_chat_api.requests) == 1
    assert answer_draft_create(actor=agent, ticket=ticket) == draft
    assert len(fake_chat_api.requests) == 1
    answer_draft_discard(actor=agent, draft=draft)
    fresh = answer_draft_create(actor=agent, ticket=ticket)  # nothing pending: a new one
    assert fresh.pk != draft.pk and len(fake_chat_api.requests) == 2


def test_a_draft_saved_while_the_service_answered_is_the_one_kept(
    fake_chat_api: FakeChatApi, ticket: Ticket, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peyvand.knowledge import answers

    saved_meanwhile: list[AnswerDraft] = []

    def slow_answer(messages: list[dict[str, str]], **kwargs: Any) -> str:
        # the first click's request saves its draft while this one waits for the service
        saved_meanwhile.append(AnswerDraft.objects.create(ticket=ticket, body="اولی"))
        return "دومی"

    monkeypatch.setattr(answers, "chat_complete", slow_answer)
    draft = answer_draft_create(actor=agent, ticket=ticket)
    assert draft == saved_meanwhile[0]
    assert list(AnswerDraft.objects.values_list("body", flat=True)) == ["اولی"]


def test_drafts_are_limited_per_agent(
    fake_chat_api: FakeChatApi,
    ticket: Ticket,
    agent: User,
    make_user: Callable[..., User],
    settings: Any,
) -> None:
    settings.PEYVAND_KB_DRAFTS_PER_AGENT = 1
    agent.language = "en"  # pages speak the user's language
    agent.save(update_fields=["language"])
    client = Client()
    client.force_login(agent)
    url = f"/kb/tickets/{ticket.pk}/answer/draft/"
    client.post(url)
    answer_draft_discard(actor=agent, draft=AnswerDraft.objects.get())
    with translation.override("en"):
        refused = client.post(url, follow=True)
    assert "You have asked for many drafts in a short time. Try again later." in (
        refused.content.decode()
    )
    assert (AnswerDraft.objects.count(), len(fake_chat_api.requests)) == (1, 1)
    colleague = Client()
    colleague.force_login(make_user(role=Role.ADMIN))
    colleague.post(url)  # the limit is each agent's own
    assert (AnswerDraft.objects.count(), len(fake_chat_api.requests)) == (2, 2)


def test_the_customer_messages_are_read_once_per_draft(
    fake_chat_api: FakeChatApi, ticket: Ticket, agent: User
) -> None:
    with CaptureQueriesContext(connection) as queries:
        answer_draft_create(actor=agent, ticket=ticket)
    message_reads = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith("SELECT")
        and TicketMessage._meta.db_table in query["sql"]
    ]
    assert len(message_reads) == 1
    prompt = fake_chat_api.requests[0]["json"]["messages"][1]["content"]
    assert "سلام، رمز عبورم را فراموش کرده‌ام.\n\nهنوز نتوانستم وارد شوم." in prompt


def test_a_failure_is_shown_on_the_page(
    fake_chat_api: FakeChatApi, ticket: Ticket, agent: User, logged_in: Callable[[User], Client]
) -> None:
    fake_chat_api.mode = "error"
    client = logged_in(agent)
    response = client.post(f"/kb/tickets/{ticket.pk}/answer/draft/", follow=True)
    assert response.status_code == 200
    assert "HTTP ۵۰۰" in response.content.decode() or "HTTP 500" in response.content.decode()
    assert not AnswerDraft.objects.exists()


def test_a_ticket_the_user_cannot_see_is_404(
    fake_chat_api: FakeChatApi,
    ticket: Ticket,
    agent: User,
    make_user: Callable[..., User],
    logged_in: Callable[[User], Client],
) -> None:
    draft = answer_draft_create(actor=agent, ticket=ticket)
    outsider = make_user(role=Role.SALES, teams=(Team.objects.create(name="دیگر"),))
    client = logged_in(outsider)
    base = f"/kb/tickets/{ticket.pk}/answer/"
    assert client.post(base + "draft/").status_code == 404
    assert client.post(base + f"{draft.pk}/approve/", {"body": "x"}).status_code == 404
    assert client.post(base + f"{draft.pk}/discard/").status_code == 404
    draft.refresh_from_db()
    assert draft.status == "pending" and _replies(ticket) == []
    anonymous = Client().post(base + "draft/")  # anonymous: sign in first
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_a_draft_of_another_ticket_is_404(
    fake_chat_api: FakeChatApi, ticket: Ticket, agent: User, logged_in: Callable[[User], Client]
) -> None:
    other = ticket_create(
        actor=None,
        values={"subject": "دیگر", "assignee": agent},
        body="متن",
        channel="email",
    )
    draft = answer_draft_create(actor=agent, ticket=other)
    response = logged_in(agent).post(
        f"/kb/tickets/{ticket.pk}/answer/{draft.pk}/approve/", {"body": "x"}
    )
    assert response.status_code == 404
    assert _replies(other) == []


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed_and_the_key_never_leaves(
    fake_chat_api: FakeChatApi, ticket: Ticket, agent: User, status: int
) -> None:
    with running_fake_chat_api() as elsewhere:
        fake_chat_api.mode = "redirect"
        fake_chat_api.redirect_status = status
        fake_chat_api.redirect_to = elsewhere.base_url + "/chat/completions"
        with translation.override("en"), pytest.raises(ValidationError) as caught:
            answer_draft_create(actor=agent, ticket=ticket)
        assert elsewhere.requests == []
    assert caught.value.message_dict == {
        "draft": [
            f"The answer service redirected to another address (HTTP {status}); "
            "set PEYVAND_LLM_URL to the address that answers."
        ]
    }
    assert [request["authorization"] for request in fake_chat_api.requests] == [
        "Bearer sk-test-key"
    ]
    assert not AnswerDraft.objects.exists()


def test_the_link_for_the_customer_is_on_the_public_address(
    ticket: Ticket,
    agent: User,
    password_article: Article,
    logged_in: Callable[[User], Client],
    settings: Any,
) -> None:
    settings.PEYVAND_PUBLIC_URL = "https://help.example.ir"
    settings.ALLOWED_HOSTS = ["intranet.local"]
    page = (
        logged_in(agent)
        .get(f"/service/tickets/{ticket.pk}/", HTTP_HOST="intranet.local")
        .content.decode()
    )
    suggested = re.search(r'id="kb-suggestions".*?</section>', page, re.S)
    assert suggested is not None
    link = f"https://help.example.ir/help/articles/{password_article.pk}/"
    assert re.findall(r'class="ltr" href="([^"]+)"[^>]*>([^<]+)</a>', suggested[0]) == [
        (link, link)
    ]
    assert "intranet.local" not in suggested[0]
