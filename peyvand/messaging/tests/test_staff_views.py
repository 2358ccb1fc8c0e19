"""The staff's outbox page, the resend action and the command."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from peyvand.accounts.models import Role
from peyvand.messaging.models import MessageStatus, OutboxMessage
from peyvand.messaging.outbox import outbox_enqueue
from peyvand.messaging.worker import outbox_deliver_job
from peyvand.timeline.models import Event
from peyvand.web.scheduler import default_jobs

pytestmark = pytest.mark.django_db


def _rows() -> tuple[OutboxMessage, OutboxMessage]:
    uncertain = outbox_enqueue(purpose="campaign:4", channel="sms", recipient="09121234567")
    OutboxMessage.objects.filter(pk=uncertain.pk).update(
        status=MessageStatus.UNCERTAIN, attempts=1, error="stopped"
    )
    sent = outbox_enqueue(purpose="otp:1", channel="email", recipient="a@example.ir")
    OutboxMessage.objects.filter(pk=sent.pk).update(status=MessageStatus.SENT)
    return uncertain, sent


def test_outbox_page_filters_and_is_for_administrators(
    logged_in: Any, make_user: Any, client: Client
) -> None:
    uncertain, sent = _rows()
    url = reverse("messaging:outbox")
    assert logged_in(make_user(role=Role.MARKETING)).get(url).status_code == 403
    admin_client = logged_in(make_user(role=Role.ADMIN))
    page = admin_client.get(url, {"status": "uncertain"})
    assert page.status_code == 200
    assert list(page.context["messages_page"]) == [uncertain]
    assert list(admin_client.get(url, {"channel": "email"}).context["messages_page"]) == [sent]
    assert list(admin_client.get(url, {"purpose": "campaign:"}).context["messages_page"]) == [
        uncertain
    ]
    assert len(admin_client.get(url).context["messages_page"]) == 2


def test_resend_puts_an_uncertain_message_back_once(logged_in: Any, make_user: Any) -> None:
    uncertain, sent = _rows()
    marketing = logged_in(make_user(role=Role.MARKETING))
    resend = reverse("messaging:outbox_resend", args=[uncertain.pk])
    assert marketing.post(resend).status_code == 403
    admin = make_user(role=Role.ADMIN)
    admin_client = logged_in(admin)
    assert admin_client.post(resend).status_code == 302
    uncertain.refresh_from_db()
    assert (uncertain.status, uncertain.attempts, uncertain.error) == ("pending", 0, "")
    admin_client.post(reverse("messaging:outbox_resend", args=[sent.pk]))
    assert OutboxMessage.objects.get(pk=sent.pk).status == MessageStatus.SENT
    assert admin_client.post(resend).status_code == 302  # already pending: refused, no event
    assert Event.objects.filter(verb="message.resend", actor=admin).count() == 1


def test_command_delivers_once(settings: Any) -> None:
    settings.PEYVAND_SMS_GATEWAY = ""
    outbox_enqueue(purpose="ticket:1", channel="email", recipient="a@example.ir")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out = StringIO()
    call_command("outbox", "deliver", "--once", stdout=out)
    assert out.getvalue().startswith("sent 1, retried 0, failed 0")
    assert OutboxMessage.objects.get().status == MessageStatus.SENT


def test_worker_runs_the_outbox_every_five_seconds() -> None:
    [job] = [job for job in default_jobs() if job.run is outbox_deliver_job]
    assert job.every_seconds == 5
