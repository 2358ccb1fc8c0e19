"""Fixed-window counters in the cache, for login attempts and public forms."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(scope: str, identity: str) -> str:
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"throttle:{scope}:{digest}"


def is_throttled(scope: str, identity: str, *, limit: int | None = None) -> bool:
    """True when ``identity`` has used up its attempts in the current window."""
    allowed = limit if limit is not None else settings.PEYVAND_LOGIN_ATTEMPTS
    return int(cache.get(_key(scope, identity), 0)) >= allowed


def record_attempt(scope: str, identity: str, *, window: int | None = None) -> int:
    """Count one attempt; the window starts with the first attempt."""
    seconds = window if window is not None else settings.PEYVAND_LOGIN_WINDOW_SECONDS
    key = _key(scope, identity)
    if cache.add(key, 1, timeout=seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=seconds)
        return 1


def attempt_allowed(scope: str, identity: str, *, limit: int, window: int) -> bool:
    """For public forms and endpoints: ``False`` when ``identity`` has used up its
    ``limit`` in the current window of ``window`` seconds, else count this attempt and
    return ``True``."""
    if is_throttled(scope, identity, limit=limit):
        return False
    record_attempt(scope, identity, window=window)
    return True


def reset_attempts(scope: str, identity: str) -> None:
    cache.delete(_key(scope, identity))
