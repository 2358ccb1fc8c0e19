"""fit_models and score: CLV against lifetimes, the band against an independent simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.intelligence.clv import (
    BgNbd,
    CustomerSummary,
    FittedModels,
    GammaGamma,
    fit_models,
    score,
)


@pytest.fixture(scope="module")
def models(cdnow_sample: CustomerSummary) -> FittedModels:
    return fit_models(cdnow_sample)


def test_fit_models_fits_bgnbd_and_gamma_gamma(models: FittedModels) -> None:
    assert models.bgnbd.r == pytest.approx(0.243, rel=0.005)
    assert models.gamma_gamma is not None
    assert models.gamma_gamma.p == pytest.approx(6.25, rel=0.005)
    assert models.pareto_nbd is None
    assert models.time_unit_days == 7


def test_fit_models_fits_pareto_nbd_on_request(cdnow_sample: CustomerSummary) -> None:
    models = fit_models(cdnow_sample, include_pareto_nbd=True)
    assert models.pareto_nbd is not None
    assert models.pareto_nbd.s == pytest.approx(0.606, rel=0.005)


def test_score_shapes_and_expected_purchases(
    models: FittedModels, cdnow_sample: CustomerSummary
) -> None:
    scores = score(cdnow_sample, models)
    assert scores.expected_purchases.shape == (2357, 3)
    assert scores.horizons_days == (30.0, 90.0, 365.0)
    columns = (cdnow_sample.frequency, cdnow_sample.recency, cdnow_sample.age)
    for index, days in enumerate((30, 90, 365)):
        np.testing.assert_allclose(
            scores.expected_purchases[:, index],
            models.bgnbd.expected_purchases(days / 7, *columns),
            rtol=1e-12,
        )
    np.testing.assert_array_equal(
        scores.probability_alive, models.bgnbd.probability_alive(*columns)
    )
    np.testing.assert_array_equal(scores.customer_ids, cdnow_sample.customer_ids)


def test_clv_agrees_with_lifetimes(cdnow_sample_days: CustomerSummary) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    models = fit_models(cdnow_sample_days)
    assert models.gamma_gamma is not None
    bgnbd = lifetimes.BetaGeoFitter()
    bgnbd.params_ = pd.Series(
        {"r": models.bgnbd.r, "alpha": models.bgnbd.alpha, "a": models.bgnbd.a, "b": models.bgnbd.b}
    )
    bgnbd.predict = bgnbd.conditional_expected_number_of_purchases_up_to_time
    spend = lifetimes.GammaGammaFitter()
    spend.params_ = pd.Series(
        {"p": models.gamma_gamma.p, "q": models.gamma_gamma.q, "v": models.gamma_gamma.gamma}
    )
    # lifetimes steps in 30-day months discounted at 1% a month: 12 of them are 360 days,
    # and 1% a month is 1.01^(365.25/30) - 1 a year.
    theirs = spend.customer_lifetime_value(
        bgnbd,
        pd.Series(cdnow_sample_days.frequency),
        pd.Series(cdnow_sample_days.recency),
        pd.Series(cdnow_sample_days.age),
        pd.Series(cdnow_sample_days.monetary_value),
        time=12,
        discount_rate=0.01,
        freq="D",
    )
    ours = score(
        cdnow_sample_days,
        models,
        clv_horizon_days=360,
        annual_discount_rate=1.01 ** (365.25 / 30) - 1,
    )
    np.testing.assert_allclose(ours.clv, theirs.to_numpy(), rtol=1e-6)


def _simulate(
    bgnbd: BgNbd,
    spend: GammaGamma,
    customer: tuple[float, float, float, float],
    *,
    months: int,
    month: float,
    discount: float,
    size: int,
) -> np.ndarray:
    """Posterior CLV draws by plain sampling and a month-by-month sum, independently of
    the closed forms in scoring.py."""
    x, t_x, t_age, mean_spend = customer
    rng = np.random.default_rng(7)
    alive_probability = bgnbd.probability_alive(x, t_x, t_age)[0]
    alive = rng.random(size) < alive_probability
    rate = rng.gamma(bgnbd.r + x, 1 / (bgnbd.alpha + t_age), size)
    dropout = rng.beta(bgnbd.a, bgnbd.b + x, size)
    nu = rng.gamma(spend.p * x + spend.q, 1 / (spend.gamma + x * mean_spend), size)
    purchases = np.zeros(size)
    for m in range(1, months + 1):
        before = (1 - np.exp(-rate * dropout * (m - 1) * month)) / dropout
        after = (1 - np.exp(-rate * dropout * m * month)) / dropout
        purchases += discount**m * (after - before)
    return np.where(alive, purchases * spend.p / nu, 0.0)


@pytest.mark.parametrize(
    "customer",
    [
        (0.0, 0.0, 38.86, 0.0),
        (2.0, 30.43, 38.86, 22.35),
        (7.0, 36.0, 38.0, 41.0),
        (3.0, 10.0, 38.0, 18.0),  # quiet for 28 weeks: P(alive) about 0.3
    ],
)
def test_clv_and_band_match_a_simulation(customer: tuple[float, float, float, float]) -> None:
    bgnbd = BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426)
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    models = FittedModels(bgnbd=bgnbd, gamma_gamma=spend, pareto_nbd=None, time_unit_days=7)
    x, t_x, t_age, mean_spend = customer
    summary = CustomerSummary.from_arrays(
        frequency=[x], recency=[t_x], age=[t_age], monetary_value=[mean_spend]
    )
    scores = score(summary, models, annual_discount_rate=0.2, draws=4000, seed=3)
    month = 365 / 12 / 7
    discount = 1.2 ** (-365 / 12 / 365.25)
    draws = _simulate(
        bgnbd, spend, customer, months=12, month=month, discount=discount, size=400_000
    )
    assert scores.clv[0] == pytest.approx(draws.mean(), rel=0.01)
    low, high = np.quantile(draws, [0.1, 0.9])
    assert scores.clv_low[0] == pytest.approx(low, rel=0.03, abs=1e-9)
    assert scores.clv_high[0] == pytest.approx(high, rel=0.03)


def test_band_brackets_the_customers_who_are_surely_alive(
    models: FittedModels, cdnow_sample: CustomerSummary
) -> None:
    scores = score(cdnow_sample, models)
    assert np.all(scores.clv_low >= 0)
    assert np.all(scores.clv_low <= scores.clv_high)
    surely_alive = scores.probability_alive == 1.0
    assert np.count_nonzero(surely_alive) == 1411  # the customers with no repeat purchase
    assert np.all(scores.clv_low[surely_alive] <= scores.clv[surely_alive])
    assert np.all(scores.clv[surely_alive] <= scores.clv_high[surely_alive])
    # Likely gone (P(alive) < 10%): both ends of the 10-90% band are 0.
    likely_gone = scores.probability_alive < 0.1
    assert np.any(likely_gone)
    assert np.all(scores.clv_high[likely_gone] == 0)


def test_band_is_reproducible_with_its_seed(
    models: FittedModels, cdnow_sample: CustomerSummary
) -> None:
    first = score(cdnow_sample, models, seed=11)
    again = score(cdnow_sample, models, seed=11)
    other = score(cdnow_sample, models, seed=12)
    np.testing.assert_array_equal(first.clv_high, again.clv_high)
    assert not np.array_equal(first.clv_high, other.clv_high)
    np.testing.assert_array_equal(first.clv, other.clv)


def test_discounting_lowers_clv(models: FittedModels, cdnow_sample: CustomerSummary) -> None:
    plain = score(cdnow_sample, models)
    discounted = score(cdnow_sample, models, annual_discount_rate=0.3)
    assert np.all(discounted.clv < plain.clv)
    assert np.all(discounted.clv > plain.clv / 1.3)


def test_without_spend_model_clv_is_not_a_number() -> None:
    summary = CustomerSummary.from_arrays(frequency=[0, 2], recency=[0, 3.0], age=[5.0, 6.0])
    models = fit_models(summary)
    assert models.gamma_gamma is None
    scores = score(summary, models)
    assert np.all(np.isnan(scores.clv))
    assert np.all(np.isfinite(scores.expected_purchases))


def test_score_refuses_mismatched_units(models: FittedModels) -> None:
    summary = CustomerSummary.from_arrays(frequency=[0], recency=[0], age=[5.0], time_unit_days=1)
    with pytest.raises(ValueError, match="time units"):
        score(summary, models)
    one = CustomerSummary.from_arrays(frequency=[0], recency=[0], age=[5.0])
    with pytest.raises(ValueError, match="Horizons cannot be negative"):
        score(one, models, horizons_days=(-1,))
    with pytest.raises(ValueError, match="CLV horizon must be positive"):
        score(one, models, clv_horizon_days=0)
    with pytest.raises(ValueError, match="above -100%"):
        score(one, models, annual_discount_rate=-1)
    with pytest.raises(ValueError, match="quantiles"):
        score(
            CustomerSummary.from_arrays(frequency=[0], recency=[0], age=[5.0]),
            models,
            band=(0.9, 0.1),
        )


@settings(max_examples=100, deadline=None)
@given(
    customers=st.lists(
        st.tuples(
            st.integers(0, 50_000),
            st.floats(0, 1),
            st.floats(0, 1e6),
            st.floats(0.01, 1e12),
        ),
        min_size=1,
        max_size=20,
    ),
    discount=st.floats(0, 5),
)
def test_scores_stay_finite(
    models: FittedModels,
    customers: list[tuple[int, float, float, float]],
    discount: float,
) -> None:
    frequency = np.array([c[0] for c in customers], dtype=float)
    age = np.array([c[2] for c in customers])
    recency = np.where(frequency > 0, age * np.array([c[1] for c in customers]), 0.0)
    spend = np.where(frequency > 0, [c[3] for c in customers], 0.0)
    summary = CustomerSummary.from_arrays(
        frequency=frequency, recency=recency, age=age, monetary_value=spend
    )
    scores = score(summary, models, annual_discount_rate=discount, draws=50)
    for values in (
        scores.expected_purchases,
        scores.probability_alive,
        scores.expected_spend,
        scores.clv,
        scores.clv_low,
        scores.clv_high,
    ):
        assert np.all(np.isfinite(values))
    assert np.all(scores.clv_low <= scores.clv_high)
    assert np.all(scores.clv >= 0)
