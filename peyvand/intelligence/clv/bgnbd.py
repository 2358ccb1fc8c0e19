"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting your customers
the easy way: an alternative to the Pareto/NBD model", Marketing Science 24(2)).

While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α) (shape, rate);
after every purchase they drop out for good with probability p ~ Beta(a, b). The equation
numbers below are the paper's.

* log-likelihood of (x, t_x, T), eq. 6, in the log domain with ``gammaln``/``logaddexp``;
* P(alive | x, t_x, T), eq. 11 (1 for a customer with no repeat purchase: under BG/NBD one
  can only drop out right after a purchase);
* E[Y(t) | x, t_x, T], eq. 10, with the Gauss hypergeometric function rewritten by Euler's
  transformation 2F1(A, B; C; z) = (1 - z)^(C-A-B) 2F1(C-A, C-B; C; z) so that no factor
  grows like ((α+T+t)/(α+T))^x: the term becomes (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z);
* E[X(t)] for a new customer, eq. 9, transformed the same way.

The fit maximises the likelihood over the logarithms of the four parameters with L-BFGS-B
and an analytic gradient, on identical rows merged with counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma, expit, gammaln

from peyvand.intelligence.clv._fitting import (
    FloatArray,
    as_float_arrays,
    check_rfm,
    collapse_rows,
    minimise_log_parameters,
)
from peyvand.intelligence.clv._special import hyp2f1_smooth

__all__ = ["BgNbd", "fit_bgnbd"]

# E[Y(t)] divides by (a - 1); at a == 1 it is a removable 0/0, evaluated just beside it.
_NEAR_ONE = 1e-7


@dataclass(frozen=True)
class BgNbd:
    """A fitted (or given) BG/NBD model: λ ~ Gamma(r, α), p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")
    customers: int = 0

    def individual_log_likelihood(
        self, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
    ) -> FloatArray:
        """log L(r, α, a, b | x, t_x, T) for each customer (eq. 6)."""
        x, t_x, t_age = as_float_arrays(frequency, recency, age)
        return _log_likelihood_terms(np.array([self.r, self.alpha, self.a, self.b]), x, t_x, t_age)[
            0
        ]

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
    ) -> FloatArray:
        """P(alive at T | x, t_x, T) (eq. 11)."""
        x, t_x, t_age = as_float_arrays(frequency, recency, age)
        return expit(-self._log_dropout_odds(x, t_x, t_age))

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T]: expected repeat purchases in the next ``t`` time units (eq. 10)."""
        horizon, x, t_x, t_age = as_float_arrays(t, frequency, recency, age)
        return self._unconditional_on_alive(horizon, x, t_age) * self.probability_alive(
            x, t_x, t_age
        )

    def expected_purchases_new_customer(self, t: ArrayLike) -> FloatArray:
        """E[X(t)]: expected repeat purchases of a new customer in ``t`` units (eq. 9)."""
        (horizon,) = as_float_arrays(t)
        return self._unconditional_on_alive(horizon, np.zeros(len(horizon)), np.zeros(len(horizon)))

    def expected_purchases_if_alive(
        self, t: ArrayLike, frequency: ArrayLike, age: ArrayLike
    ) -> FloatArray:
        """E[Y(t) | x, T, alive at T]; E[Y(t) | x, t_x, T] is this times P(alive).

        Given alive, λ ~ Gamma(r + x, α + T) and p ~ Beta(a, b + x) a posteriori, and
        E[Y(t) | λ, p, alive] = (1 - exp(-λ p t)) / p; this is its posterior mean.
        """
        horizon, x, t_age = as_float_arrays(t, frequency, age)
        return self._unconditional_on_alive(horizon, x, t_age)

    def _unconditional_on_alive(
        self, horizon: FloatArray, x: FloatArray, t_age: FloatArray
    ) -> FloatArray:
        """E[Y(t) | x, T, alive at T]; at the removable poles (a = 1, or a + b + x = 1 which
        only x = 0 can reach) it is the mean of the values just either side."""
        c = self.a + self.b + x - 1.0
        near_pole = np.abs(c) < _NEAR_ONE
        if not np.any(near_pole):
            return self._unconditional_on_alive_at(self.b, horizon, x, t_age)
        value = self._unconditional_on_alive_at(self.b, horizon, x, t_age)
        below = self._unconditional_on_alive_at(
            self.b - 2 * _NEAR_ONE, horizon[near_pole], x[near_pole], t_age[near_pole]
        )
        above = self._unconditional_on_alive_at(
            self.b + 2 * _NEAR_ONE, horizon[near_pole], x[near_pole], t_age[near_pole]
        )
        value[near_pole] = (below + above) / 2
        return value

    def _unconditional_on_alive_at(
        self, b: float, horizon: FloatArray, x: FloatArray, t_age: FloatArray
    ) -> FloatArray:
        r, alpha = self.r, self.alpha
        a_below, a_above = _either_side_of_one(self.a)
        z = horizon / (alpha + t_age + horizon)
        values = []
        for a in {a_below, a_above}:
            with np.errstate(all="ignore"):
                tail = np.exp((a - 1.0) * np.log1p(-z)) * hyp2f1_smooth(
                    a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z
                )
                # For large a and z near 1 (a new customer, a long horizon) the power
                # underflows while the series overflows. Euler's transformation gives the same
                # value as (1 - z)^(r + x) 2F1(r + x, b + x; a + b + x - 1; z), whose series
                # converges fast exactly there (its third parameter is large).
                lost = ~np.isfinite(tail)
                if np.any(lost):
                    zl, xl = z[lost], x[lost]
                    tail[lost] = np.exp((r + xl) * np.log1p(-zl)) * hyp2f1_smooth(
                        r + xl, b + xl, a + b + xl - 1.0, zl
                    )
            values.append((a + b + x - 1.0) / (a - 1.0) * (1.0 - tail))
        return np.asarray(sum(values) / len(values), dtype=np.float64)

    def _log_dropout_odds(self, x: FloatArray, t_x: FloatArray, t_age: FloatArray) -> FloatArray:
        """log of P(dropped out after the last purchase) / P(alive); -inf where x == 0."""
        has_repeat = x > 0
        odds = np.full(len(x), -np.inf)
        xr = x[has_repeat]
        odds[has_repeat] = (
            np.log(self.a)
            - np.log(self.b + xr - 1.0)
            + (self.r + xr)
            * (np.log(self.alpha + t_age[has_repeat]) - np.log(self.alpha + t_x[has_repeat]))
        )
        return odds


def _either_side_of_one(a: float) -> tuple[float, float]:
    """(a, a), or two points just either side of 1 when a is at the 0/0 of a == 1."""
    if abs(a - 1.0) > _NEAR_ONE:
        return a, a
    return 1.0 - 2 * _NEAR_ONE, 1.0 + 2 * _NEAR_ONE


def _log_likelihood_terms(
    parameters: FloatArray, x: FloatArray, t_x: FloatArray, t_age: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per-customer log-likelihood and its gradient with respect to log r, log α, log a,
    log b (shape (4, n)).

    log L = A1 + A2 + logaddexp(A3, A4) with A1 = ln Γ(r+x) - ln Γ(r) + r ln α,
    A2 = ln B(a, b+x) - ln B(a, b), A3 = -(r+x) ln(α+T) and, for x > 0,
    A4 = ln a - ln(b+x-1) - (r+x) ln(α+t_x) (the "dropped out after t_x" branch).
    """
    r, alpha, a, b = parameters
    has_repeat = x > 0
    log_alpha_age = np.log(alpha + t_age)
    log_alpha_recency = np.log(alpha + t_x)
    b_repeat = np.where(has_repeat, b + x - 1.0, 1.0)
    a3 = -(r + x) * log_alpha_age
    a4 = np.where(has_repeat, np.log(a) - np.log(b_repeat) - (r + x) * log_alpha_recency, -np.inf)
    share = expit(a4 - a3)  # weight of the A4 branch in the logaddexp
    value = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + betaln(a, b + x)
        - betaln(a, b)
        + np.logaddexp(a3, a4)
    )
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + x)
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - log_alpha_age
    d_r += share * (log_alpha_age - log_alpha_recency)
    d_alpha = r / alpha - (1.0 - share) * (r + x) / (alpha + t_age)
    d_alpha -= share * (r + x) / (alpha + t_x)
    d_a = psi_ab - psi_abx + share / a
    d_b = psi_ab + digamma(b + x) - digamma(b) - psi_abx - share / b_repeat
    gradient = np.stack((d_r * r, d_alpha * alpha, d_a * a, d_b * b))
    return value, gradient


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> BgNbd:
    """Maximum-likelihood BG/NBD parameters for customers (x, t_x, T), optionally weighted."""
    x, t_x, t_age = as_float_arrays(frequency, recency, age)
    check_rfm(x, t_x, t_age)
    if not np.all(np.isfinite(t_age)):
        raise ValueError("age must be finite to fit a model.")
    (x, t_x, t_age), counts = collapse_rows(x, t_x, t_age, weights=weights)
    total = counts.sum()
    mean_age = float(np.average(t_age, weights=counts))

    def objective(log_parameters: FloatArray) -> tuple[float, FloatArray]:
        with np.errstate(all="ignore"):
            # The optimiser may try huge steps: an overflow here is an infinite objective.
            parameters = np.exp(log_parameters)
            value, gradient = _log_likelihood_terms(parameters, x, t_x, t_age)
            negative = -float(counts @ value) / total
            negative_gradient = -(gradient @ counts) / total
        if not np.isfinite(negative) or not np.all(np.isfinite(negative_gradient)):
            return np.inf, np.zeros(4)
        return negative, negative_gradient

    start = np.log(np.array([1.0, max(mean_age, 1e-6), 1.0, 1.0]))
    result = minimise_log_parameters(objective, start, has_gradient=True)
    r, alpha, a, b = np.exp(result.x)
    return BgNbd(
        r=float(r),
        alpha=float(alpha),
        a=float(a),
        b=float(b),
        log_likelihood=-float(result.fun) * float(total),
        customers=round(total),
    )
