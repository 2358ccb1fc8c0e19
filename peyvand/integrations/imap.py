"""Polling the support mailbox over IMAP (``PEYVAND_SUPPORT_IMAP_*``; off when the host is
empty): every minute from the worker, or by hand with ``peyvand mail fetch``.

Messages are read by UID, oldest first, in batches, never by the \\Seen flag (someone
reading the mailbox in a mail client must not hide mail from us). Each one goes through
:func:`~.inbound_email.inbound_email_receive`, which commits its own transaction; only then
is it flagged \\Seen on the server and the folder's last UID advanced. A crash in between
fetches the message again next time, and its Message-ID key makes that add nothing. When
the folder's UIDVALIDITY changes, its UIDs mean other messages: it is read from the start.
A message that fails stops the batch, so nothing after it is skipped; it is tried again on
the next poll. After :data:`MAX_TRIES` failures in a row it is recorded as failed (see
:func:`~.inbound_email.inbound_email_fail`) and passed over, left unseen on the server for
a person to look at, so one poison message never holds up the mail behind it.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import F
from django.utils import timezone

from .config import ImapSettings, imap_settings
from .inbound_email import InboundResult, inbound_email_fail, inbound_email_receive
from .models import ImapMailboxState, InboundOutcome, InboundSource

logger = logging.getLogger(__name__)

BATCH_SIZE = 25
# How many polls in a row one message may fail before it is recorded as failed.
MAX_TRIES = 3
TIMEOUT_SECONDS = 60
_UID_RE = re.compile(rb"\bUID (\d+)")


class ImapError(Exception):
    """The server refused a command or the connection failed."""


@dataclass
class PollResult:
    """What one poll did: messages read and what became of them."""

    fetched: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    error: str = ""

    def count(self, outcome: str, *, duplicate: bool) -> None:
        self.fetched += 1
        if duplicate:
            self.duplicates += 1
        else:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def _check(response: tuple[str, Sequence[object]], what: str) -> Sequence[object]:
    status, data = response
    if status != "OK":
        raise ImapError(f"{what}: {status} {data!r}"[:300])
    return data


def _connect(config: ImapSettings) -> imaplib.IMAP4:
    if config.use_ssl:
        return imaplib.IMAP4_SSL(
            config.host,
            config.port,
            ssl_context=ssl.create_default_context(),
            timeout=TIMEOUT_SECONDS,
        )
    return imaplib.IMAP4(config.host, config.port, timeout=TIMEOUT_SECONDS)


def _uidvalidity(connection: imaplib.IMAP4) -> int:
    _name, values = connection.response("UIDVALIDITY")
    for value in values:
        if isinstance(value, bytes) and value.strip().isdigit():
            return int(value.strip())
    raise ImapError("the server sent no UIDVALIDITY")


def _new_uids(connection: imaplib.IMAP4, after: int) -> list[int]:
    data = _check(connection.uid("SEARCH", "UID", f"{after + 1}:*"), "UID SEARCH")
    found = b" ".join(item for item in data if isinstance(item, bytes)).split()
    # "n:*" always matches the highest UID, even when it is below n.
    return sorted(uid for uid in (int(item) for item in found) if uid > after)


def _fetch(connection: imaplib.IMAP4, uids: list[int]) -> dict[int, bytes]:
    wanted = ",".join(str(uid) for uid in uids)
    data = _check(connection.uid("FETCH", wanted, "(UID BODY.PEEK[])"), "UID FETCH")
    messages: dict[int, bytes] = {}
    waiting: bytes | None = None  # a literal whose UID the server sends after it
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            match = _UID_RE.search(item[0])
            if match is not None:
                messages[int(match.group(1))] = item[1]
                waiting = None
            else:
                waiting = item[1]
        elif isinstance(item, bytes) and waiting is not None:
            match = _UID_RE.search(item)
            if match is not None:
                messages[int(match.group(1))] = waiting
            waiting = None
    return messages


def _state_for(config: ImapSettings, uidvalidity: int) -> ImapMailboxState:
    state, _created = ImapMailboxState.objects.get_or_create(mailbox=config.mailbox_key)
    if state.uidvalidity != uidvalidity:
        if state.uidvalidity is not None:
            logger.warning(
                "UIDVALIDITY of %s changed (%s → %s): reading it again",
                config.mailbox_key,
                state.uidvalidity,
                uidvalidity,
            )
        ImapMailboxState.objects.filter(pk=state.pk).update(
            uidvalidity=uidvalidity, last_uid=0, failing_uid=None, failures=0
        )
        state.uidvalidity, state.last_uid = uidvalidity, 0
    return state


def _failed_again(state: ImapMailboxState, uid: int) -> int:
    """Count one more failure of ``uid`` (the first when another UID failed before); the
    number of failures in a row."""
    rows = ImapMailboxState.objects.filter(pk=state.pk)
    if not rows.filter(failing_uid=uid).update(failures=F("failures") + 1):
        rows.update(failing_uid=uid, failures=1)
    return int(rows.values_list("failures", flat=True).get())


def _receive(state: ImapMailboxState, uid: int, raw: bytes) -> InboundResult:
    """Handle one message; an error is raised until it has failed :data:`MAX_TRIES` times,
    then the message is recorded as failed."""
    try:
        return inbound_email_receive(raw=raw, source=InboundSource.IMAP)
    except Exception as failure:
        tries = _failed_again(state, uid)
        if tries < MAX_TRIES:
            raise
        logger.exception("UID %s of %s failed %s times: passed over", uid, state.mailbox, tries)
        return inbound_email_fail(
            raw=raw, source=InboundSource.IMAP, reason=f"failed {tries} times: {failure!r}"
        )


def _poll_folder(
    connection: imaplib.IMAP4, config: ImapSettings, batch_size: int, result: PollResult
) -> None:
    _check(connection.login(config.user, config.password), "LOGIN")
    _check(connection.select(_quoted(config.folder)), "SELECT")
    state = _state_for(config, _uidvalidity(connection))
    uids = _new_uids(connection, state.last_uid)
    for start in range(0, len(uids), batch_size):
        batch = uids[start : start + batch_size]
        messages = _fetch(connection, batch)
        for uid in batch:
            raw = messages.get(uid)
            if raw is None:  # expunged meanwhile
                continue
            handled = _receive(state, uid, raw)
            if handled.outcome != InboundOutcome.FAILED:
                # Committed: now the server may call it seen, and we move past it.
                _check(connection.uid("STORE", str(uid), "+FLAGS", "(\\Seen)"), "UID STORE")
            ImapMailboxState.objects.filter(pk=state.pk, last_uid__lt=uid).update(
                last_uid=uid, failing_uid=None, failures=0
            )
            result.count(handled.outcome, duplicate=handled.duplicate)


def _quoted(folder: str) -> str:
    if folder.startswith('"') or not re.search(r'[\s"\\]', folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailbox_poll(config: ImapSettings | None = None, *, batch_size: int = BATCH_SIZE) -> PollResult:
    """Fetch and handle the support mailbox's new messages (see the module's docstring).
    Connection and server errors are recorded on the mailbox's state and returned, not
    raised; an error handling a message is raised after the state is saved."""
    config = config or imap_settings()
    result = PollResult()
    if config is None:
        return result
    try:
        connection = _connect(config)
    except (OSError, imaplib.IMAP4.error) as failure:
        result.error = f"connect: {failure}"[:300]
        _record_error(config, result.error)
        return result
    try:
        _poll_folder(connection, config, batch_size, result)
    except (OSError, imaplib.IMAP4.error, ImapError) as failure:
        result.error = str(failure)[:300] or type(failure).__name__
    except Exception as failure:
        result.error = f"handling a message: {failure!r}"[:300]
        raise
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()
        _record_error(config, result.error)
    return result


def _record_error(config: ImapSettings, error: str) -> None:
    ImapMailboxState.objects.filter(mailbox=config.mailbox_key).update(
        polled_at=timezone.now(), error=error
    )
    if error:
        logger.warning("polling %s failed: %s", config.mailbox_key, error)


def imap_poll_job() -> None:
    """The worker's periodic job: poll when a mailbox is configured."""
    result = mailbox_poll()
    created = result.outcomes.get(InboundOutcome.CREATED, 0)
    if result.fetched:
        logger.info("support mailbox: %s messages, %s new tickets", result.fetched, created)
