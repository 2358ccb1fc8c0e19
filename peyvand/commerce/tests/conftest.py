"""Fixtures of the commerce tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture
def english() -> Iterator[None]:
    """English messages for the whole test (lazy messages are read after the ``with``)."""
    with translation.override("en"):
        yield
