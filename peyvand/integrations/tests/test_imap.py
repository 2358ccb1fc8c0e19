"""Polling the support mailbox against a real IMAP server (Dovecot): new mail becomes
tickets with SLA due times and is flagged seen; a second poll adds nothing; batches; a
changed UIDVALIDITY; a message that keeps failing is recorded and passed over, never
holding up the mail behind it; the ``peyvand mail fetch`` command and the worker's job."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from peyvand.integrations.config import imap_settings
from peyvand.integrations.imap import imap_poll_job, mailbox_poll
from peyvand.integrations.models import ImapMailboxState, InboundEmail
from peyvand.service.models import Ticket
from peyvand.web.scheduler import default_jobs

from . import samples
from .conftest import ImapServer

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[..., datetime.datetime]:
    def set_now(*parts: int) -> datetime.datetime:
        instant = datetime.datetime(*parts, tzinfo=TEHRAN)
        monkeypatch.setattr(timezone, "now", lambda: instant)
        return instant

    return set_now


def test_new_mail_becomes_tickets_and_is_flagged_seen_once(
    imap_settings: ImapServer, at: Callable[..., datetime.datetime]
) -> None:
    at(2026, 11, 25, 15)  # Wednesday 4 Azar 1405, 15:00
    first = imap_settings.deliver(samples.gmail_new())
    second = imap_settings.deliver(samples.windows_1256())
    imap_settings.deliver(samples.auto_reply())
    assert "\\Seen" not in imap_settings.flags(first)

    result = mailbox_poll(batch_size=2)

    assert (result.fetched, result.outcomes, result.error) == (
        3,
        {"created": 2, "skipped": 1},
        "",
    )
    tickets = list(Ticket.objects.order_by("id"))
    assert [ticket.subject for ticket in tickets] == [
        "مشکل در ورود به حساب",
        "درخواست پیش\u200cفاکتور",
    ]
    for ticket in tickets:
        assert ticket.channel == "email"
        assert ticket.first_response_due == datetime.datetime(2026, 11, 26, 11, tzinfo=TEHRAN)
        assert ticket.resolution_due == datetime.datetime(2026, 11, 30, 11, tzinfo=TEHRAN)
    assert "\\Seen" in imap_settings.flags(first)
    assert "\\Seen" in imap_settings.flags(second)
    state = ImapMailboxState.objects.get()
    assert (state.uidvalidity, state.last_uid) == (imap_settings.uidvalidity(), 3)
    assert state.error == ""
    assert set(InboundEmail.objects.values_list("source", flat=True)) == {"imap"}

    again = mailbox_poll()
    assert (again.fetched, again.outcomes) == (0, {})
    assert Ticket.objects.count() == 2

    imap_settings.deliver(samples.gmail_reply_fa(in_reply_to="<CAJx9kq1=new@mail.gmail.com>"))
    third = mailbox_poll()
    assert third.outcomes == {"added": 1}
    assert Ticket.objects.count() == 2
    assert ImapMailboxState.objects.get().last_uid == 4


def test_mail_already_read_in_a_mail_client_is_still_fetched(imap_settings: ImapServer) -> None:
    uid = imap_settings.deliver(samples.plain())
    connection = imap_settings.connect()
    connection.select("INBOX")
    connection.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
    connection.logout()
    assert mailbox_poll().outcomes == {"created": 1}


def test_a_changed_uidvalidity_reads_the_folder_again_without_duplicates(
    imap_settings: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEYVAND_SUPPORT_IMAP_FOLDER", "Support")
    connection = imap_settings.connect()
    connection.create("Support")
    connection.logout()
    imap_settings.deliver(samples.gmail_new(), folder="Support")
    assert mailbox_poll().outcomes == {"created": 1}
    before = ImapMailboxState.objects.get()

    # The folder is recreated (a restore, a server move): the same message comes back with
    # UID 1 again, plus a new one, under a new UIDVALIDITY.
    imap_settings.recreate("Support")
    imap_settings.deliver(samples.gmail_new(), folder="Support")
    imap_settings.deliver(samples.plain(), folder="Support")
    result = mailbox_poll()

    state = ImapMailboxState.objects.get()
    assert state.uidvalidity != before.uidvalidity
    assert state.uidvalidity == imap_settings.uidvalidity("Support")
    assert (result.fetched, result.duplicates, result.outcomes) == (2, 1, {"created": 1})
    assert state.last_uid == 2
    assert Ticket.objects.count() == 2


def test_a_wrong_password_is_recorded_not_raised(
    imap_settings: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEYVAND_SUPPORT_IMAP_PASSWORD", "wrong")
    ImapMailboxState.objects.create(mailbox=imap_settings_key())
    result = mailbox_poll()
    assert result.fetched == 0
    assert "authentication failed" in result.error.lower()
    assert "authentication failed" in ImapMailboxState.objects.get().error.lower()


def test_a_failing_message_stops_the_batch_and_is_tried_again(
    imap_settings: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peyvand.integrations import imap

    first = imap_settings.deliver(samples.gmail_new())
    imap_settings.deliver(samples.plain())
    real = imap.inbound_email_receive

    def crash(*, raw: bytes, source: str) -> object:
        raise RuntimeError("database went away")

    monkeypatch.setattr(imap, "inbound_email_receive", crash)
    with pytest.raises(RuntimeError):
        mailbox_poll()
    assert "\\Seen" not in imap_settings.flags(first)
    assert ImapMailboxState.objects.get().last_uid == 0
    assert "database went away" in ImapMailboxState.objects.get().error

    monkeypatch.setattr(imap, "inbound_email_receive", real)
    assert mailbox_poll().outcomes == {"created": 2}


def test_a_message_that_keeps_failing_is_recorded_and_passed_over(
    imap_settings: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peyvand.integrations import imap

    poison = imap_settings.deliver(samples.plain(body="poison", message_id="<poison@x>"))
    good = imap_settings.deliver(samples.gmail_new())
    real = imap.inbound_email_receive

    def crash_on_poison(*, raw: bytes, source: str) -> object:
        if b"poison" in raw:
            raise RuntimeError("a bug")
        return real(raw=raw, source=source)

    monkeypatch.setattr(imap, "inbound_email_receive", crash_on_poison)
    for tries in range(1, imap.MAX_TRIES):
        with pytest.raises(RuntimeError):
            mailbox_poll()
        state = ImapMailboxState.objects.get()
        assert (state.last_uid, state.failing_uid, state.failures) == (0, poison, tries)
        assert Ticket.objects.count() == 0

    result = mailbox_poll()

    assert (result.fetched, result.outcomes, result.error) == (
        2,
        {"failed": 1, "created": 1},
        "",
    )
    state = ImapMailboxState.objects.get()
    assert (state.last_uid, state.failing_uid, state.failures, state.error) == (good, None, 0, "")
    record = InboundEmail.objects.get(message_id="<poison@x>")
    assert (record.outcome, record.reason) == (
        "failed",
        f"failed {imap.MAX_TRIES} times: RuntimeError('a bug')",
    )
    assert "\\Seen" not in imap_settings.flags(poison)  # left for a person to look at
    assert "\\Seen" in imap_settings.flags(good)
    assert Ticket.objects.get().subject == "مشکل در ورود به حساب"
    assert mailbox_poll().fetched == 0


def test_a_failure_that_clears_resets_the_count(
    imap_settings: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peyvand.integrations import imap

    first = imap_settings.deliver(samples.plain())
    real = imap.inbound_email_receive

    def crash(*, raw: bytes, source: str) -> object:
        raise RuntimeError("database went away")

    monkeypatch.setattr(imap, "inbound_email_receive", crash)
    with pytest.raises(RuntimeError):
        mailbox_poll()
    monkeypatch.setattr(imap, "inbound_email_receive", real)
    assert mailbox_poll().outcomes == {"created": 1}
    state = ImapMailboxState.objects.get()
    assert (state.last_uid, state.failing_uid, state.failures) == (first, None, 0)


def test_mail_the_ticket_services_would_refuse_does_not_block_the_mailbox(
    imap_settings: ImapServer,
) -> None:
    imap_settings.deliver(samples.plain(body="\u0640" * 10, message_id="<tatweel@x>"))
    imap_settings.deliver(samples.plain(body="\ufdfa" * 50_000, message_id="<ligatures@x>"))
    imap_settings.deliver(samples.gmail_new())
    result = mailbox_poll()
    assert (result.outcomes, result.error) == ({"created": 3}, "")
    assert ImapMailboxState.objects.get().last_uid == 3


def test_the_command_and_the_worker_job(imap_settings: ImapServer) -> None:
    imap_settings.deliver(samples.gmail_new())
    out = io.StringIO()
    call_command("mail", "fetch", stdout=out)
    assert out.getvalue() == f"{imap_settings_key()}: 1 fetched (created 1)\n"
    imap_settings.deliver(samples.plain())
    imap_poll_job()
    assert Ticket.objects.count() == 2
    job = next(job for job in default_jobs() if job.run is imap_poll_job)
    assert job.every_seconds == 60


def test_off_without_a_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PEYVAND_SUPPORT_IMAP_HOST", raising=False)
    assert imap_settings() is None
    assert mailbox_poll().fetched == 0
    with pytest.raises(CommandError, match="PEYVAND_SUPPORT_IMAP_HOST"):
        call_command("mail", "fetch")


def test_receive_a_saved_message(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "message.eml"
    path.write_bytes(samples.gmail_new())
    out = io.StringIO()
    call_command("mail", "receive", str(path), stdout=out)
    ticket = Ticket.objects.get()
    assert out.getvalue() == f"created ticket #{ticket.pk}\n"
    out = io.StringIO()
    call_command("mail", "receive", str(path), stdout=out)
    assert out.getvalue() == f"created ticket #{ticket.pk} (seen before)\n"


def imap_settings_key() -> str:
    config = imap_settings()
    assert config is not None
    return config.mailbox_key


def test_fetch_reads_the_uid_before_or_after_the_literal() -> None:
    from peyvand.integrations.imap import _fetch

    class Server:
        def uid(self, command: str, *args: str) -> tuple[str, list[object]]:
            return "OK", [
                (b"1 (UID 7 BODY[] {3}", b"one"),
                b")",
                (b"2 (BODY[] {3}", b"two"),
                b" UID 9)",
            ]

    assert _fetch(Server(), [7, 9]) == {7: b"one", 9: b"two"}  # type: ignore[arg-type]
