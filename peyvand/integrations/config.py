"""The email channel's settings, read from the environment when used (so a worker picks up
a changed mailbox without a code change, and tests set them per test)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from email.utils import parseaddr

DEFAULT_SUPPORT_EMAIL = "support@localhost"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value.isdigit() else default


def support_email() -> str:
    """The support mailbox's address: the sender of replies (``PEYVAND_SUPPORT_EMAIL``)."""
    return parseaddr(_env("PEYVAND_SUPPORT_EMAIL", DEFAULT_SUPPORT_EMAIL))[1].lower() or (
        DEFAULT_SUPPORT_EMAIL
    )


def support_domain() -> str:
    """The domain our Message-IDs are made in (the support address's)."""
    return support_email().rpartition("@")[2] or "localhost"


def inbound_secret() -> str:
    """The inbound webhook's shared secret (``PEYVAND_INBOUND_EMAIL_SECRET``); empty: off."""
    return _env("PEYVAND_INBOUND_EMAIL_SECRET")


def inbound_max_bytes() -> int:
    """The largest request the inbound webhook reads (25 MB by default)."""
    return _env_int("PEYVAND_INBOUND_EMAIL_MAX_BYTES", 25 * 1024 * 1024)


def inbound_rate() -> tuple[int, int]:
    """Requests allowed per client address, and the window in seconds, for the webhook."""
    return (
        _env_int("PEYVAND_INBOUND_EMAIL_PER_ADDRESS", 120),
        _env_int("PEYVAND_INBOUND_EMAIL_WINDOW_SECONDS", 60),
    )


def send_attempts() -> int:
    """How many times a reply or acknowledgement is tried over SMTP before giving up."""
    return max(1, _env_int("PEYVAND_SUPPORT_EMAIL_ATTEMPTS", 5))


@dataclass(frozen=True)
class ImapSettings:
    """Where the support mailbox is polled (``PEYVAND_SUPPORT_IMAP_*``)."""

    host: str
    port: int
    user: str
    password: str
    use_ssl: bool
    folder: str

    @property
    def mailbox_key(self) -> str:
        """Names the polled folder in :class:`~.models.ImapMailboxState`."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"[:300]


def imap_settings() -> ImapSettings | None:
    """The IMAP mailbox to poll, or None when ``PEYVAND_SUPPORT_IMAP_HOST`` is empty."""
    host = _env("PEYVAND_SUPPORT_IMAP_HOST")
    if not host:
        return None
    use_ssl = _env("PEYVAND_SUPPORT_IMAP_SSL", "1").lower() in {"1", "true", "yes", "on"}
    return ImapSettings(
        host=host,
        port=_env_int("PEYVAND_SUPPORT_IMAP_PORT", 993 if use_ssl else 143),
        user=_env("PEYVAND_SUPPORT_IMAP_USER"),
        password=os.environ.get("PEYVAND_SUPPORT_IMAP_PASSWORD", ""),
        use_ssl=use_ssl,
        folder=_env("PEYVAND_SUPPORT_IMAP_FOLDER", "INBOX") or "INBOX",
    )
