"""The shop webhook's limits, read from the environment when used (tests set them per test)."""

from __future__ import annotations

import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else default


def webhook_max_bytes() -> int:
    """The largest order webhook body read (``PEYVAND_SHOP_WEBHOOK_MAX_BYTES``, 2 MB)."""
    return _env_int("PEYVAND_SHOP_WEBHOOK_MAX_BYTES", 2 * 1024 * 1024)


def webhook_rate() -> tuple[int, int]:
    """Deliveries allowed per shop and client address, and the window in seconds
    (``PEYVAND_SHOP_WEBHOOK_PER_ADDRESS``, ``PEYVAND_SHOP_WEBHOOK_WINDOW_SECONDS``)."""
    return (
        _env_int("PEYVAND_SHOP_WEBHOOK_PER_ADDRESS", 600),
        _env_int("PEYVAND_SHOP_WEBHOOK_WINDOW_SECONDS", 60),
    )
