"""The per-customer summary: the published CDNOW summary and the papers' conventions."""

from __future__ import annotations

import numpy as np
import pytest

from peyvand.intelligence.clv import CustomerSummary, summarize_transactions
from peyvand.intelligence.tests.cdnow import (
    CALIBRATION_END,
    DatasetMissingError,
    lifetimes_datasets,
    read_cdnow_master,
)


def test_cdnow_sample_matches_the_published_summary(cdnow_sample: CustomerSummary) -> None:
    reference = np.genfromtxt(
        lifetimes_datasets() / "cdnow_customers_summary_with_transactions.csv",
        delimiter=",",
        names=True,
    )
    assert len(cdnow_sample) == 2357
    np.testing.assert_array_equal(cdnow_sample.customer_ids, reference["ID"].astype(int))
    np.testing.assert_array_equal(cdnow_sample.frequency, reference["x"])
    # The published file rounds to two decimals.
    np.testing.assert_allclose(cdnow_sample.recency, reference["t_x"], rtol=0, atol=0.005)
    np.testing.assert_allclose(cdnow_sample.age, reference["T"], rtol=0, atol=0.005)
    np.testing.assert_allclose(
        cdnow_sample.monetary_value, reference["zbar"], rtol=0, atol=0.005 + 1e-9
    )
    # Fader, Hardie & Lee (2005): 2,457 repeat purchases in the calibration period, by the
    # 946 customers who made any.
    assert cdnow_sample.frequency.sum() == 2457
    assert np.count_nonzero(cdnow_sample.frequency) == 946


def test_cdnow_sample_first_customer_exactly(cdnow_sample: CustomerSummary) -> None:
    # Bought 1997-01-01, 01-18, 08-02 and 12-12 (after the calibration end).
    assert cdnow_sample.frequency[0] == 2
    assert cdnow_sample.recency[0] == 213 / 7
    assert cdnow_sample.age[0] == 272 / 7
    assert cdnow_sample.monetary_value[0] == pytest.approx((29.73 + 14.96) / 2, abs=1e-12)


def test_cdnow_master_sizes() -> None:
    try:
        customer_ids, dates, amounts = read_cdnow_master()
    except DatasetMissingError:
        pytest.skip("lifetimes (a dev dependency with the CDNOW data) is not installed")
    assert len(customer_ids) == 69659
    summary = summarize_transactions(
        customer_ids=customer_ids, dates=dates, amounts=amounts, calibration_end=CALIBRATION_END
    )
    assert len(summary) == 23570
    assert summary.age.max() == 272 / 7
    assert np.all(summary.recency <= summary.age)


def test_same_day_purchases_count_once_and_their_amounts_add_up() -> None:
    summary = summarize_transactions(
        customer_ids=["b", "a", "a", "a", "a", "b", "c"],
        dates=np.array(
            [
                "2025-01-05T10:00",
                "2025-01-01T09:00",
                "2025-01-01T18:30",  # same day as the one before: one purchase of 30
                "2025-01-08T12:00",
                "2025-01-08T13:00",  # same day again: a repeat purchase of 100
                "2025-02-01T00:00",  # after the calibration end: left out
                "2025-02-02T00:00",  # a customer who starts after the end: left out
            ],
            dtype="datetime64[m]",
        ),
        amounts=[7, 10, 20, 60, 40, 999, 5],
        calibration_end="2025-01-29",
        time_unit_days=1,
    )
    assert summary.customer_ids.tolist() == ["a", "b"]
    assert summary.frequency.tolist() == [1, 0]
    assert summary.recency.tolist() == [7, 0]
    assert summary.age.tolist() == [28, 24]
    assert summary.monetary_value.tolist() == [100, 0]


def test_a_purchase_on_the_calibration_end_day_counts() -> None:
    summary = summarize_transactions(
        customer_ids=[1, 1],
        dates=np.array(["2025-01-01", "2025-01-15"], dtype="datetime64[D]"),
        amounts=[1.0, 2.5],
        calibration_end=np.datetime64("2025-01-15"),
    )
    assert summary.frequency.tolist() == [1]
    assert summary.recency.tolist() == [2.0]
    assert summary.age.tolist() == [2.0]
    assert summary.monetary_value.tolist() == [2.5]


def test_no_transactions_give_an_empty_summary() -> None:
    summary = summarize_transactions(
        customer_ids=[1],
        dates=np.array(["2025-03-01"], dtype="datetime64[D]"),
        calibration_end="2025-01-01",
    )
    assert len(summary) == 0


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        summarize_transactions(
            customer_ids=[1, 2], dates=np.array(["2025-01-01"]), calibration_end="2025-02-01"
        )
    with pytest.raises(ValueError, match="positive"):
        summarize_transactions(
            customer_ids=[1],
            dates=np.array(["2025-01-01"]),
            calibration_end="2025-02-01",
            time_unit_days=0,
        )
    with pytest.raises(ValueError, match="same length"):
        CustomerSummary.from_arrays(frequency=[1, 2], recency=[1], age=[2, 3])
