"""Gamma-Gamma: the published CDNOW fit, the density, lifetimes, identities, stability."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.integrate import quad

from peyvand.intelligence.clv import CustomerSummary, GammaGamma, fit_gammagamma

# Fader, Hardie & Lee (2005, "RFM and CLV"); Fader & Hardie (2013): the 946 CDNOW sample
# customers with repeat purchases in the 39-week calibration period.
PUBLISHED = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture(scope="module")
def fitted(cdnow_sample: CustomerSummary) -> GammaGamma:
    return fit_gammagamma(cdnow_sample.frequency, cdnow_sample.monetary_value)


def test_p_matches_the_paper(fitted: GammaGamma) -> None:
    assert fitted.p == pytest.approx(PUBLISHED["p"], rel=0.005)


def test_q_matches_the_paper(fitted: GammaGamma) -> None:
    assert fitted.q == pytest.approx(PUBLISHED["q"], rel=0.005)


def test_gamma_matches_the_paper(fitted: GammaGamma) -> None:
    assert fitted.gamma == pytest.approx(PUBLISHED["gamma"], rel=0.005)


def test_fitted_on_the_repeat_customers(fitted: GammaGamma) -> None:
    assert fitted.customers == 946


def test_density_is_the_gamma_mixture() -> None:
    # z̄ of x purchases, each Gamma(p, ν), is Gamma(p x, x ν); ν ~ Gamma(q, γ).
    model = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    for x, mean_spend in [(1, 12.0), (3, 40.5), (20, 7.25)]:

        def joint(rate: float, x: int = x, mean_spend: float = mean_spend) -> float:
            return float(
                stats.gamma.pdf(mean_spend, model.p * x, scale=1 / (x * rate))
                * stats.gamma.pdf(rate, model.q, scale=1 / model.gamma)
            )

        density, _ = quad(joint, 0, np.inf, epsabs=0, epsrel=1e-12, limit=200)
        ours = model.individual_log_likelihood(x, mean_spend)[0]
        assert ours == pytest.approx(np.log(density), rel=1e-9)


def test_expected_spend_agrees_with_lifetimes(
    fitted: GammaGamma, cdnow_sample: CustomerSummary
) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    reference = lifetimes.GammaGammaFitter()
    reference.params_ = pd.Series({"p": fitted.p, "q": fitted.q, "v": fitted.gamma})
    repeat = cdnow_sample.frequency > 0
    frequency = cdnow_sample.frequency[repeat]
    spend = cdnow_sample.monetary_value[repeat]
    np.testing.assert_allclose(
        fitted.expected_spend(frequency, spend),
        reference.conditional_expected_average_profit(frequency, spend),
        rtol=1e-6,
    )


def test_expected_spend_weighs_the_population_mean_and_the_customer(fitted: GammaGamma) -> None:
    p, q, gamma = fitted.p, fitted.q, fitted.gamma
    weight = p * 4 / (p * 4 + q - 1)
    expected = (1 - weight) * fitted.population_mean_spend + weight * 30.0
    assert fitted.expected_spend(4, 30.0)[0] == pytest.approx(expected, rel=1e-12)
    assert fitted.population_mean_spend == pytest.approx(p * gamma / (q - 1), rel=1e-12)
    # No repeat purchase: only the population is known, whatever z̄ says.
    assert fitted.expected_spend([0, 0], [0.0, 99.0]).tolist() == pytest.approx(
        [fitted.population_mean_spend] * 2, rel=1e-12
    )


def test_many_purchases_make_the_customer_mean_win(fitted: GammaGamma) -> None:
    assert fitted.expected_spend(100_000, 55.0)[0] == pytest.approx(55.0, rel=1e-3)


def test_zero_spend_customers_are_left_out_of_the_fit() -> None:
    frequency = np.array([1, 2, 3, 1, 2, 5, 1, 4])
    spend = np.array([10.0, 12.0, 9.0, 30.0, 8.0, 11.0, 14.0, 10.5])
    with_free = fit_gammagamma(np.append(frequency, [2, 0]), np.append(spend, [0.0, 0.0]))
    without = fit_gammagamma(frequency, spend)
    assert with_free.customers == without.customers == 8
    assert with_free.p == pytest.approx(without.p, rel=1e-9)


def test_fit_needs_repeat_customers() -> None:
    with pytest.raises(ValueError, match="repeat purchases"):
        fit_gammagamma([0, 0], [0.0, 0.0])


@settings(max_examples=200, deadline=None)
@given(
    parameters=st.tuples(st.floats(0.01, 100), st.floats(1.01, 100), st.floats(0.01, 1e9)),
    frequency=st.integers(0, 1_000_000),
    spend=st.floats(0.01, 1e12),
)
def test_expected_spend_stays_finite(
    parameters: tuple[float, float, float], frequency: int, spend: float
) -> None:
    model = GammaGamma(*parameters)
    expected = model.expected_spend(frequency, spend)[0]
    assert np.isfinite(expected)
    assert expected > 0
    if frequency:
        assert np.isfinite(model.individual_log_likelihood(frequency, spend)[0])
