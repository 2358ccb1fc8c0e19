"""Fixtures for the CLV tests: the CDNOW sample summarised as the papers do."""

from __future__ import annotations

import pytest

from peyvand.intelligence.clv import CustomerSummary, summarize_transactions
from peyvand.intelligence.tests.cdnow import CALIBRATION_END, DatasetMissingError, read_cdnow_sample


def _sample(time_unit_days: float) -> CustomerSummary:
    try:
        customer_ids, dates, amounts = read_cdnow_sample()
    except DatasetMissingError:
        pytest.skip("lifetimes (a dev dependency with the CDNOW data) is not installed")
    return summarize_transactions(
        customer_ids=customer_ids,
        dates=dates,
        amounts=amounts,
        calibration_end=CALIBRATION_END,
        time_unit_days=time_unit_days,
    )


@pytest.fixture(scope="session")
def cdnow_sample() -> CustomerSummary:
    """The CDNOW sample summarised in weeks with the 39-week calibration period."""
    return _sample(7)


@pytest.fixture(scope="session")
def cdnow_sample_days() -> CustomerSummary:
    """The same summary in days (the unit ``lifetimes``' CLV function steps in)."""
    return _sample(1)
