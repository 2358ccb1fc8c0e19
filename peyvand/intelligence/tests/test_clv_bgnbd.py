"""BG/NBD: the published CDNOW fit, agreement with lifetimes, identities, stability."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import hyp2f1

from peyvand.intelligence.clv import BgNbd, CustomerSummary, fit_bgnbd
from peyvand.intelligence.clv.bgnbd import _log_likelihood_terms

# Fader, Hardie & Lee (2005), CDNOW sample, 39-week calibration period.
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_LOG_LIKELIHOOD = -9582.4


@pytest.fixture(scope="module")
def fitted(cdnow_sample: CustomerSummary) -> BgNbd:
    return fit_bgnbd(cdnow_sample.frequency, cdnow_sample.recency, cdnow_sample.age)


def test_r_matches_the_paper(fitted: BgNbd) -> None:
    assert fitted.r == pytest.approx(PUBLISHED["r"], rel=0.005)


def test_alpha_matches_the_paper(fitted: BgNbd) -> None:
    assert fitted.alpha == pytest.approx(PUBLISHED["alpha"], rel=0.005)


def test_a_matches_the_paper(fitted: BgNbd) -> None:
    assert fitted.a == pytest.approx(PUBLISHED["a"], rel=0.005)


def test_b_matches_the_paper(fitted: BgNbd) -> None:
    assert fitted.b == pytest.approx(PUBLISHED["b"], rel=0.005)


def test_log_likelihood_matches_the_paper(fitted: BgNbd, cdnow_sample: CustomerSummary) -> None:
    assert fitted.log_likelihood == pytest.approx(PUBLISHED_LOG_LIKELIHOOD, abs=0.1)
    assert fitted.customers == 2357
    total = fitted.individual_log_likelihood(
        cdnow_sample.frequency, cdnow_sample.recency, cdnow_sample.age
    ).sum()
    assert total == pytest.approx(fitted.log_likelihood, abs=1e-6)


def test_fit_is_a_maximum(fitted: BgNbd, cdnow_sample: CustomerSummary) -> None:
    columns = (cdnow_sample.frequency, cdnow_sample.recency, cdnow_sample.age)
    best = fitted.individual_log_likelihood(*columns).sum()
    for name in ("r", "alpha", "a", "b"):
        for factor in (0.99, 1.01):
            moved = BgNbd(**{**_parameters(fitted), name: getattr(fitted, name) * factor})
            assert moved.individual_log_likelihood(*columns).sum() < best


def _parameters(model: BgNbd) -> dict[str, float]:
    return {"r": model.r, "alpha": model.alpha, "a": model.a, "b": model.b}


def test_weights_equal_repeated_rows() -> None:
    frequency = np.array([0, 1, 3, 0, 2])
    recency = np.array([0, 5.0, 20.0, 0, 30.0])
    age = np.array([30.0, 30.0, 35.0, 10.0, 38.0])
    weights = np.array([40, 7, 3, 25, 5])
    weighted = fit_bgnbd(frequency, recency, age, weights=weights)
    repeated = fit_bgnbd(
        np.repeat(frequency, weights), np.repeat(recency, weights), np.repeat(age, weights)
    )
    for name in ("r", "alpha", "a", "b"):
        assert getattr(weighted, name) == pytest.approx(getattr(repeated, name), rel=1e-6)
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-9)


def test_gradient_is_the_derivative_of_the_log_likelihood() -> None:
    x = np.array([0.0, 1, 4, 30, 200])
    t_x = np.array([0.0, 3, 20, 37, 38.5])
    t_age = np.array([10.0, 30, 38, 38, 39])
    log_parameters = np.log([0.7, 3.0, 1.3, 2.2])
    _, gradient = _log_likelihood_terms(np.exp(log_parameters), x, t_x, t_age)
    step = 1e-6
    for index in range(4):
        up, down = log_parameters.copy(), log_parameters.copy()
        up[index] += step
        down[index] -= step
        numeric = (
            _log_likelihood_terms(np.exp(up), x, t_x, t_age)[0]
            - _log_likelihood_terms(np.exp(down), x, t_x, t_age)[0]
        ) / (2 * step)
        np.testing.assert_allclose(gradient[index], numeric, rtol=1e-6, atol=1e-8)


# Agreement with lifetimes on the same parameters.


@pytest.fixture(scope="module")
def reference(fitted: BgNbd):  # type: ignore[no-untyped-def]
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    model = lifetimes.BetaGeoFitter()
    model.params_ = pd.Series(_parameters(fitted))
    return model


@pytest.mark.parametrize("t", [1.0, 4.0, 39.0, 52.0, 200.0])
def test_expected_purchases_agree_with_lifetimes(
    fitted: BgNbd, reference, cdnow_sample: CustomerSummary, t: float
) -> None:
    columns = (cdnow_sample.frequency, cdnow_sample.recency, cdnow_sample.age)
    ours = fitted.expected_purchases(t, *columns)
    theirs = reference.conditional_expected_number_of_purchases_up_to_time(t, *columns)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_probability_alive_agrees_with_lifetimes(
    fitted: BgNbd, reference, cdnow_sample: CustomerSummary
) -> None:
    columns = (cdnow_sample.frequency, cdnow_sample.recency, cdnow_sample.age)
    np.testing.assert_allclose(
        fitted.probability_alive(*columns),
        reference.conditional_probability_alive(*columns),
        rtol=1e-6,
    )


def test_new_customer_purchases_agree_with_lifetimes(fitted: BgNbd, reference) -> None:
    t = np.array([0.5, 1.0, 39.0, 78.0, 500.0])
    np.testing.assert_allclose(
        fitted.expected_purchases_new_customer(t),
        reference.expected_number_of_purchases_up_to_time(t),
        rtol=1e-6,
    )


def test_paper_figure_expected_purchases_in_holdout(
    fitted: BgNbd, cdnow_sample: CustomerSummary
) -> None:
    # FHL 2005 §4: a customer with x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases
    # in the next 39 weeks.
    expected = fitted.expected_purchases(39, 2, 30.43, 38.86)
    assert expected[0] == pytest.approx(1.226, abs=0.0015)


# Identities.


def test_without_repeat_purchases_the_customer_is_alive(fitted: BgNbd) -> None:
    alive = fitted.probability_alive([0, 0, 0], [0, 0, 0], [0.0, 10.0, 1e6])
    assert alive.tolist() == [1.0, 1.0, 1.0]


def test_a_customer_who_just_bought_is_more_likely_alive(fitted: BgNbd) -> None:
    alive = fitted.probability_alive([5, 5, 5], [10.0, 30.0, 38.0], [38.0, 38.0, 38.0])
    assert alive[0] < alive[1] < alive[2] < 1.0


def test_no_time_no_purchases(fitted: BgNbd) -> None:
    assert fitted.expected_purchases(0.0, [0, 3], [0, 20.0], [30.0, 30.0]).tolist() == [0, 0]
    assert fitted.expected_purchases_new_customer(0.0).tolist() == [0.0]


def test_a_brand_new_customer_expects_the_population_mean(fitted: BgNbd) -> None:
    t = np.array([1.0, 10.0, 100.0])
    np.testing.assert_allclose(
        fitted.expected_purchases(t, 0, 0, 0),
        fitted.expected_purchases_new_customer(t),
        rtol=1e-12,
    )


def test_a_equal_to_one_is_the_limit_from_either_side() -> None:
    at_one = BgNbd(r=0.5, alpha=3.0, a=1.0, b=2.0)
    below = BgNbd(r=0.5, alpha=3.0, a=1.0 - 1e-5, b=2.0)
    above = BgNbd(r=0.5, alpha=3.0, a=1.0 + 1e-5, b=2.0)
    columns = ([0, 2, 7], [0, 10.0, 30.0], [20.0, 25.0, 31.0])
    middle = (below.expected_purchases(10, *columns) + above.expected_purchases(10, *columns)) / 2
    np.testing.assert_allclose(at_one.expected_purchases(10, *columns), middle, rtol=1e-5)


# Numerical stability on extreme inputs.

parameters = st.tuples(
    st.floats(0.01, 50), st.floats(0.01, 1e4), st.floats(0.01, 50), st.floats(0.01, 50)
)


@settings(max_examples=200, deadline=None)
@given(
    parameters=parameters,
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
    r, alpha, a, b = parameters
    model = BgNbd(r=r, alpha=alpha, a=a, b=b)
    recency = age * recency_share if frequency else 0.0
    alive = model.probability_alive(frequency, recency, age)[0]
    expected = model.expected_purchases(t, frequency, recency, age)[0]
    log_likelihood = model.individual_log_likelihood(frequency, recency, age)[0]
    assert 0.0 <= alive <= 1.0
    assert np.isfinite(expected)
    assert expected >= -1e-9 * max(1.0, frequency)
    assert np.isfinite(log_likelihood)


def test_fit_refuses_impossible_input() -> None:
    with pytest.raises(ValueError, match="recency"):
        fit_bgnbd([1], [5.0], [3.0])
    with pytest.raises(ValueError, match="recency"):
        fit_bgnbd([0], [1.0], [3.0])
    with pytest.raises(ValueError, match="whole number"):
        fit_bgnbd([1.5], [1.0], [3.0])


def test_integer_c_minus_a_minus_b_is_evaluated_beside_scipys_failure() -> None:
    # r = a makes c - a - b of the 2F1 an integer, where SciPy's hyp2f1 returns inf for a
    # heavy buyer; the value must be the limit of the neighbouring parameters.
    model = BgNbd(r=0.5, alpha=1.0, a=0.5, b=0.5)
    beside = BgNbd(r=0.5 + 1e-7, alpha=1.0, a=0.5, b=0.5)
    columns = ([99, 300], [0.9, 4.5], [1.0, 5.0])
    assert not np.all(np.isfinite(hyp2f1(-0.5, -0.5, [98.0, 299.0], [100 / 102, 100 / 106])))
    ours = model.expected_purchases_if_alive(100.0, [99, 300], [1.0, 5.0])
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(
        ours, beside.expected_purchases_if_alive(100.0, [99, 300], [1.0, 5.0]), rtol=1e-5
    )
    assert np.all(np.isfinite(model.expected_purchases(100.0, *columns)))


@pytest.mark.parametrize(
    ("r", "alpha", "a", "b", "expected"),
    [
        # Values from lifetimes' BetaGeoFitter with the same parameters (its series form).
        (0.2, 2.4, 300.0, 10.0, [4.38678093e-01, 3.69025358e-05, 1.95075864e-06]),
        (5.0, 50.0, 1e5, 5e5, [3.26791824, 0.12556469, 0.02306658]),
        # A fit on a small shop where every customer dropped out alike ran off to these.
        (0.196, 2.4, 1.36e6, 6.9e6, [1.32893174, 1.29945154e-02, 6.54979719e-04]),
    ],
)
def test_large_a_and_a_long_horizon_stay_finite_and_exact(
    r: float, alpha: float, a: float, b: float, expected: list[float]
) -> None:
    # Where (1 - z)^(a - 1) underflows and the first series overflows, the other form of
    # the same quantity is used.
    model = BgNbd(r=r, alpha=alpha, a=a, b=b)
    x, t_x, t_age = np.array([0.0, 4.0, 10.0]), np.array([0.0, 6.8, 20.0]), np.array([1.0, 47, 60])
    horizon = np.full(3, 52.14)
    value = model.expected_purchases_if_alive(horizon, x, t_age) * model.probability_alive(
        x, t_x, t_age
    )
    np.testing.assert_allclose(value, expected, rtol=1e-7)
