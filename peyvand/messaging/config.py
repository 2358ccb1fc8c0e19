"""The messaging settings. Each is read when used: a Django setting of the same name wins
(tests set them per test), else the environment variable, else the default."""

from __future__ import annotations

import datetime
import os

from django.conf import settings

from .models import MessageChannel


def _raw(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value).strip()


def _float(name: str, default: float) -> float:
    try:
        return float(_raw(name, str(default)))
    except ValueError:
        return default


def _int(name: str, default: int) -> int:
    try:
        return int(_raw(name, str(default)))
    except ValueError:
        return default


def send_rate(channel: str) -> float:
    """Messages per second one worker sends on ``channel`` (0: no limit);
    ``PEYVAND_EMAIL_RATE`` and ``PEYVAND_SMS_RATE``."""
    name = "PEYVAND_EMAIL_RATE" if channel == MessageChannel.EMAIL else "PEYVAND_SMS_RATE"
    return max(0.0, _float(name, 10.0))


def max_attempts() -> int:
    """How many times a message is tried before it is marked failed."""
    return max(1, _int("PEYVAND_OUTBOX_MAX_ATTEMPTS", 6))


def lease_seconds() -> float:
    """How long a claimed batch is a worker's before another may recover it."""
    return max(1.0, _float("PEYVAND_OUTBOX_LEASE_SECONDS", 120.0))


def batch_size() -> int:
    """Rows claimed at a time."""
    return max(1, _int("PEYVAND_OUTBOX_BATCH", 50))


def quiet_hours() -> tuple[datetime.time, datetime.time] | None:
    """The local hours no marketing SMS is sent (``PEYVAND_SMS_QUIET_HOURS``, default
    ``22:00-08:00``, in ``PEYVAND_QUIET_HOURS_TIME_ZONE``, default Asia/Tehran); empty: none."""
    text = _raw("PEYVAND_SMS_QUIET_HOURS", "22:00-08:00")
    if not text:
        return None
    start, _sep, end = text.partition("-")
    return datetime.time.fromisoformat(start.strip()), datetime.time.fromisoformat(end.strip())


def quiet_hours_time_zone() -> str:
    return _raw("PEYVAND_QUIET_HOURS_TIME_ZONE", "Asia/Tehran")


def frequency_cap() -> tuple[int, int]:
    """At most N marketing messages per contact per channel in D days
    (``PEYVAND_MARKETING_CAP`` N, default 3; ``PEYVAND_MARKETING_CAP_DAYS`` D, default 7;
    N 0: no cap)."""
    return max(0, _int("PEYVAND_MARKETING_CAP", 3)), max(1, _int("PEYVAND_MARKETING_CAP_DAYS", 7))


def soft_bounce_limit() -> int:
    """Soft bounces within 30 days after which an address is suppressed like a hard bounce."""
    return max(1, _int("PEYVAND_SOFT_BOUNCE_LIMIT", 3))


def bounce_secret() -> str:
    """The DSN endpoint's shared secret (``PEYVAND_EMAIL_BOUNCE_SECRET``); empty: off."""
    return _raw("PEYVAND_EMAIL_BOUNCE_SECRET", "")


def sms_callback_secret() -> str:
    """The secret in the SMS callback URLs (``PEYVAND_SMS_CALLBACK_SECRET``); empty: off."""
    return _raw("PEYVAND_SMS_CALLBACK_SECRET", "")


def callback_max_bytes() -> int:
    return max(1024, _int("PEYVAND_MESSAGING_CALLBACK_MAX_BYTES", 1024 * 1024))


def callback_rate() -> tuple[int, int]:
    """Callback requests allowed per client address, and the window in seconds."""
    return (
        _int("PEYVAND_MESSAGING_CALLBACKS_PER_ADDRESS", 600),
        _int("PEYVAND_MESSAGING_CALLBACK_WINDOW_SECONDS", 60),
    )


def opt_out_confirmation() -> str:
    """The text sent back (transactional) when someone opts out by SMS; empty: none."""
    return _raw("PEYVAND_SMS_OPT_OUT_REPLY", "")
