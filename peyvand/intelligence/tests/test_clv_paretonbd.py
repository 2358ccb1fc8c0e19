"""Pareto/NBD: the published CDNOW fit, the likelihood against quadrature, lifetimes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from peyvand.intelligence.clv import CustomerSummary, ParetoNbd, fit_paretonbd

# Fader & Hardie (2005 note and its spreadsheet), CDNOW sample, 39-week calibration.
PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
PUBLISHED_LOG_LIKELIHOOD = -9595.0


@pytest.fixture(scope="module")
def fitted(cdnow_sample: CustomerSummary) -> ParetoNbd:
    return fit_paretonbd(cdnow_sample.frequency, cdnow_sample.recency, cdnow_sample.age)


def test_r_matches_the_paper(fitted: ParetoNbd) -> None:
    assert fitted.r == pytest.approx(PUBLISHED["r"], rel=0.005)


def test_alpha_matches_the_paper(fitted: ParetoNbd) -> None:
    assert fitted.alpha == pytest.approx(PUBLISHED["alpha"], rel=0.005)


def test_s_matches_the_paper(fitted: ParetoNbd) -> None:
    assert fitted.s == pytest.approx(PUBLISHED["s"], rel=0.005)


def test_beta_matches_the_paper(fitted: ParetoNbd) -> None:
    assert fitted.beta == pytest.approx(PUBLISHED["beta"], rel=0.005)


def test_log_likelihood_matches_the_paper(fitted: ParetoNbd) -> None:
    assert fitted.log_likelihood == pytest.approx(PUBLISHED_LOG_LIKELIHOOD, abs=0.1)
    assert fitted.customers == 2357


def _log_likelihood_by_quadrature(model: ParetoNbd, x: float, t_x: float, t_age: float) -> float:
    """The note's eq. (13) with the integral done numerically, scaled to stay in range."""
    from scipy.special import gammaln

    r, alpha, s, beta = model.r, model.alpha, model.s, model.beta
    shift = -(r + x) * np.log(alpha + t_x) - (s + 1) * np.log(beta + t_x)

    def integrand(tau: float) -> float:
        return float(np.exp(-(r + x) * np.log(alpha + tau) - (s + 1) * np.log(beta + tau) - shift))

    integral, _ = quad(integrand, t_x, t_age, epsabs=0, epsrel=1e-13, limit=200)
    alive = -(r + x) * np.log(alpha + t_age) - s * np.log(beta + t_age)
    dropout = np.log(s) + np.log(integral) + shift if integral > 0 else -np.inf
    return float(
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
        + np.logaddexp(alive, dropout)
    )


@pytest.mark.parametrize(
    ("parameters", "customer"),
    [
        ((0.553, 10.578, 0.606, 11.669), (0, 0.0, 38.86)),
        ((0.553, 10.578, 0.606, 11.669), (2, 30.43, 38.86)),
        ((0.553, 10.578, 0.606, 11.669), (29, 38.43, 38.86)),
        ((0.553, 10.578, 0.606, 11.669), (250, 20.0, 39.0)),  # heavy buyer, gone quiet
        ((1.0, 2.0, 3.0, 1.5), (4, 12.0, 40.0)),  # α ≥ β branch, integer r + x
        ((2.5, 30.0, 0.3, 20.0), (1, 0.5, 52.0)),
        ((0.2, 5.0, 1.0, 8.0), (7, 7.0, 7.0)),  # bought on the last day
        ((0.8, 4.0, 1.2, 6.0), (12, 100.0, 1000.0)),
        # α far from β (|w| > 1), where SciPy's hyp2f1 gives NaN or wrong digits:
        ((0.664, 0.0191, 1.013, 531.3), (1000, 0.2785, 0.396)),
        ((0.0858, 0.0128, 0.607, 369.9), (100, 1.665, 2.400)),
        ((18.09, 0.0200, 21.91, 69.12), (10, 1.134, 10.12)),
        ((1.0, 0.0625, 0.125, 3671.0), (2232, 0.5, 3.0)),
        ((0.5, 900.0, 2.0, 0.5), (3, 1.0, 2.0)),
    ],
)
def test_log_likelihood_equals_quadrature(
    parameters: tuple[float, float, float, float], customer: tuple[float, float, float]
) -> None:
    model = ParetoNbd(*parameters)
    ours = model.individual_log_likelihood(*customer)[0]
    assert ours == pytest.approx(_log_likelihood_by_quadrature(model, *customer), rel=1e-9)


# Agreement with lifetimes on the same parameters.


@pytest.fixture(scope="module")
def reference(fitted: ParetoNbd):  # type: ignore[no-untyped-def]
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    model = lifetimes.ParetoNBDFitter()
    model.params_ = pd.Series(
        {"r": fitted.r, "alpha": fitted.alpha, "s": fitted.s, "beta": fitted.beta}
    )
    return model


def test_log_likelihood_agrees_with_lifetimes(
    fitted: ParetoNbd, reference, cdnow_sample: CustomerSummary
) -> None:
    columns = (cdnow_sample.frequency, cdnow_sample.recency, cdnow_sample.age)
    theirs = reference._conditional_log_likelihood(
        [fitted.r, fitted.alpha, fitted.s, fitted.beta], *columns
    )
    np.testing.assert_allclose(fitted.individual_log_likelihood(*columns), theirs, rtol=1e-9)


@pytest.mark.parametrize("t", [1.0, 39.0, 52.0])
def test_expected_purchases_agree_with_lifetimes(
    fitted: ParetoNbd, reference, cdnow_sample: CustomerSummary, t: float
) -> None:
    columns = (cdnow_sample.frequency, cdnow_sample.recency, cdnow_sample.age)
    np.testing.assert_allclose(
        fitted.expected_purchases(t, *columns),
        reference.conditional_expected_number_of_purchases_up_to_time(t, *columns),
        rtol=1e-6,
    )


def test_probability_alive_agrees_with_lifetimes(
    fitted: ParetoNbd, reference, cdnow_sample: CustomerSummary
) -> None:
    columns = (cdnow_sample.frequency, cdnow_sample.recency, cdnow_sample.age)
    np.testing.assert_allclose(
        fitted.probability_alive(*columns),
        reference.conditional_probability_alive(*columns),
        rtol=1e-6,
    )


def test_new_customer_purchases_agree_with_lifetimes(fitted: ParetoNbd, reference) -> None:
    t = np.array([1.0, 39.0, 78.0])
    np.testing.assert_allclose(
        fitted.expected_purchases_new_customer(t),
        reference.expected_number_of_purchases_up_to_time(t),
        rtol=1e-6,
    )


# Identities.


def test_a_purchase_just_now_means_alive(fitted: ParetoNbd) -> None:
    alive = fitted.probability_alive([0, 3, 40], [0.0, 38.0, 12.5], [0.0, 38.0, 12.5])
    assert alive.tolist() == [1.0, 1.0, 1.0]


def test_silence_lowers_the_probability_alive(fitted: ParetoNbd) -> None:
    alive = fitted.probability_alive([0, 0, 0], [0, 0, 0], [1.0, 10.0, 100.0])
    assert 1.0 > alive[0] > alive[1] > alive[2] > 0.0


def test_s_equal_to_one_is_the_limit(fitted: ParetoNbd) -> None:
    columns = ([0, 2], [0.0, 10.0], [20.0, 30.0])
    at_one = ParetoNbd(r=0.5, alpha=4.0, s=1.0, beta=6.0).expected_purchases(10.0, *columns)
    near = ParetoNbd(r=0.5, alpha=4.0, s=1.0 + 1e-9, beta=6.0).expected_purchases(10.0, *columns)
    np.testing.assert_allclose(at_one, near, rtol=1e-7)


@settings(max_examples=200, deadline=None)
@given(
    parameters=st.tuples(
        st.floats(0.01, 50), st.floats(0.01, 1e4), st.floats(0.01, 50), st.floats(0.01, 1e4)
    ),
    frequency=st.integers(0, 100_000),
    recency_share=st.floats(0, 1),
    age=st.floats(0, 1e8),
    t=st.floats(0, 1e6),
)
def test_predictions_stay_finite(
    parameters: tuple[float, float, float, float],
    frequency: int,
    recency_share: float,
    age: float,
    t: float,
) -> None:
    model = ParetoNbd(*parameters)
    recency = age * recency_share if frequency else 0.0
    alive = model.probability_alive(frequency, recency, age)[0]
    expected = model.expected_purchases(t, frequency, recency, age)[0]
    assert 0.0 <= alive <= 1.0
    assert np.isfinite(expected)
    assert expected >= 0.0
    assert np.isfinite(model.individual_log_likelihood(frequency, recency, age)[0])
