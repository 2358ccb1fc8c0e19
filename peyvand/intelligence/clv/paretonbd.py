"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), in the form of Fader &
Hardie, "A Note on Deriving the Pareto/NBD Model and Related Expressions" (2005).

While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); their lifetime
is exponential with rate μ ~ Gamma(s, β). With x purchases in (0, T], the last at t_x:

    L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^-(r+x) (β+T)^-s + s · I ],
    I = ∫_{t_x}^{T} (α+τ)^-(r+x) (β+τ)^-(s+1) dτ        (the note's (s / (r+s+x)) A_0).

The note writes I as a difference of two Gauss hypergeometric terms, one for α ≥ β and one
for α < β (its eq. 22 and 23). Those 2F1 values grow like ((β+t)/(α+t))^(r+x) and overflow
for heavy buyers, so each is rewritten with Pfaff's transformation
2F1(A, B; A+1; z) = (1-z)^-B 2F1(1, B; A+1; z/(z-1)), which leaves 2F1(1, B; C; w) with
w ≤ 0, a number in (0, 1]. With J(t) = ∫_t^∞ (α+τ)^-a (β+τ)^-b dτ, a = r+x, b = s+1:

    α ≥ β:  ln J(t) = -(a-1) ln(α+t) - b ln(β+t) + ln 2F1(1, b; a+b; -(α-β)/(β+t)) - ln(a+b-1)
    α < β:  ln J(t) = -a ln(α+t) - (b-1) ln(β+t) + ln 2F1(1, a; a+b; -(β-α)/(α+t)) - ln(a+b-1)

and I = J(t_x) - J(T) in the log domain (ln J(t_x) + ln(-expm1(ln J(T) - ln J(t_x)))).
P(alive) is the note's eq. 18 and E[Y(t) | x, t_x, T] its eq. 21 (with the s → 1 limit).

The fit maximises the likelihood over the log-parameters with L-BFGS-B; the gradient is by
finite differences (the 2F1 has no cheap parameter derivatives), on identical rows merged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, gammaln

from peyvand.intelligence.clv._fitting import (
    FloatArray,
    as_float_arrays,
    check_rfm,
    collapse_rows,
    minimise_log_parameters,
)
from peyvand.intelligence.clv._special import hyp2f1_one

__all__ = ["ParetoNbd", "fit_paretonbd"]


@dataclass(frozen=True)
class ParetoNbd:
    """A fitted (or given) Pareto/NBD model: λ ~ Gamma(r, α), μ ~ Gamma(s, β)."""

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float = float("nan")
    customers: int = 0

    def individual_log_likelihood(
        self, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
    ) -> FloatArray:
        """log L(r, α, s, β | x, t_x, T) for each customer (the note's eq. 22/23)."""
        x, t_x, t_age = as_float_arrays(frequency, recency, age)
        return _log_likelihood(self.r, self.alpha, self.s, self.beta, x, t_x, t_age)

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
    ) -> FloatArray:
        """P(alive at T | x, t_x, T) = 1 / (1 + s (α+T)^(r+x) (β+T)^s I) (eq. 18)."""
        x, t_x, t_age = as_float_arrays(frequency, recency, age)
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        with np.errstate(divide="ignore"):
            log_odds = (
                np.log(s)
                + _log_integral(r, alpha, s, beta, x, t_x, t_age)
                + (r + x) * np.log(alpha + t_age)
                + s * np.log(beta + t_age)
            )
        return expit(-log_odds)

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` time units (eq. 21)."""
        horizon, x, t_x, t_age = as_float_arrays(t, frequency, recency, age)
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        log_ratio = np.log(beta + t_age) - np.log(beta + t_age + horizon)  # ≤ 0
        # (1 - ((β+T)/(β+T+t))^(s-1)) / (s-1), which tends to -log_ratio as s → 1.
        decay = -log_ratio * _exprel((s - 1.0) * log_ratio)
        return (
            (r + x)
            * (beta + t_age)
            / (alpha + t_age)
            * decay
            * self.probability_alive(x, t_x, t_age)
        )

    def expected_purchases_new_customer(self, t: ArrayLike) -> FloatArray:
        """E[X(t)] = r β / (α (s-1)) · (1 - (β/(β+t))^(s-1)) for a new customer."""
        (horizon,) = as_float_arrays(t)
        log_ratio = np.log(self.beta) - np.log(self.beta + horizon)
        return self.r * self.beta / self.alpha * -log_ratio * _exprel((self.s - 1.0) * log_ratio)


def _exprel(value: FloatArray) -> FloatArray:
    """(1 - e^v) / -v = (e^v - 1) / v, 1 at v = 0."""
    from scipy.special import exprel

    return np.asarray(exprel(value), dtype=np.float64)


def _log_tail_integral(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, t: FloatArray
) -> FloatArray:
    """ln J(t) = ln ∫_t^∞ (α+τ)^-(r+x) (β+τ)^-(s+1) dτ, by the Pfaff-transformed 2F1."""
    a: FloatArray = r + x
    b: FloatArray = np.full(len(a), s + 1.0)
    log_alpha_t = np.log(alpha + t)
    log_beta_t = np.log(beta + t)
    if alpha >= beta:
        series = hyp2f1_one(b, a + b, -(alpha - beta) / (beta + t))
        log_j = -(a - 1.0) * log_alpha_t - b * log_beta_t
    else:
        series = hyp2f1_one(a, a + b, -(beta - alpha) / (alpha + t))
        log_j = -a * log_alpha_t - (b - 1.0) * log_beta_t
    return np.asarray(log_j + np.log(series) - np.log(a + b - 1.0), dtype=np.float64)


def _log_integral(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: FloatArray,
    t_x: FloatArray,
    t_age: FloatArray,
) -> FloatArray:
    """ln I = ln (J(t_x) - J(T)); -inf where t_x == T (an empty interval)."""
    log_integral = np.full(len(x), -np.inf)
    open_interval = t_x < t_age
    x, t_x, t_age = x[open_interval], t_x[open_interval], t_age[open_interval]
    log_recency = _log_tail_integral(r, alpha, s, beta, x, t_x)
    finite_age = np.isfinite(t_age)
    log_age = np.full(len(x), -np.inf)
    log_age[finite_age] = _log_tail_integral(r, alpha, s, beta, x[finite_age], t_age[finite_age])
    log_integral[open_interval] = _log_difference(log_recency, log_age)
    return log_integral


def _log_difference(log_recency: FloatArray, log_age: FloatArray) -> FloatArray:
    """ln(J(t_x) - J(T)) from ln J(t_x) and ln J(T) ≤ ln J(t_x)."""
    with np.errstate(divide="ignore"):
        return np.asarray(
            log_recency + np.log(-np.expm1(np.minimum(log_age - log_recency, 0.0))),
            dtype=np.float64,
        )


def _pairs(
    first: FloatArray, second: FloatArray
) -> tuple[tuple[FloatArray, FloatArray], NDArray[np.intp]]:
    """The distinct (first, second) pairs and each row's index into them."""
    unique, inverse = np.unique(np.column_stack((first, second)), axis=0, return_inverse=True)
    return (unique[:, 0].copy(), unique[:, 1].copy()), inverse.ravel()


def _log_likelihood(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: FloatArray,
    t_x: FloatArray,
    t_age: FloatArray,
    log_integral: FloatArray | None = None,
) -> FloatArray:
    if log_integral is None:
        log_integral = _log_integral(r, alpha, s, beta, x, t_x, t_age)
    with np.errstate(divide="ignore"):
        alive_branch = -(r + x) * np.log(alpha + t_age) - s * np.log(beta + t_age)
        dropout_branch = np.log(s) + log_integral
    return np.asarray(
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
        + np.logaddexp(alive_branch, dropout_branch),
        dtype=np.float64,
    )


def fit_paretonbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> ParetoNbd:
    """Maximum-likelihood Pareto/NBD parameters for customers (x, t_x, T)."""
    x, t_x, t_age = as_float_arrays(frequency, recency, age)
    check_rfm(x, t_x, t_age)
    if not np.all(np.isfinite(t_age)):
        raise ValueError("age must be finite to fit a model.")
    (x, t_x, t_age), counts = collapse_rows(x, t_x, t_age, weights=weights)
    total = counts.sum()
    mean_age = float(np.average(t_age, weights=counts))

    # J(t_x) depends on (x, t_x) and J(T) on (x, T) only: far fewer distinct pairs than
    # customers (CDNOW master: 1,726 and 979 for 8,685 distinct rows).
    open_interval = t_x < t_age
    (recency_x, recency_t), recency_index = _pairs(x[open_interval], t_x[open_interval])
    (age_x, age_t), age_index = _pairs(x[open_interval], t_age[open_interval])

    def objective(log_parameters: FloatArray) -> float:
        r, alpha, s, beta = np.exp(log_parameters)
        with np.errstate(all="ignore"):
            log_recency = _log_tail_integral(r, alpha, s, beta, recency_x, recency_t)
            log_age = _log_tail_integral(r, alpha, s, beta, age_x, age_t)
            log_integral = np.full(len(x), -np.inf)
            log_integral[open_interval] = _log_difference(
                log_recency[recency_index], log_age[age_index]
            )
            value = (
                -float(counts @ _log_likelihood(r, alpha, s, beta, x, t_x, t_age, log_integral))
                / total
            )
        return value if np.isfinite(value) else np.inf

    start = np.log(np.array([1.0, max(mean_age, 1e-6), 1.0, max(mean_age, 1e-6)]))
    result = minimise_log_parameters(objective, start, has_gradient=False)
    r, alpha, s, beta = np.exp(result.x)
    return ParetoNbd(
        r=float(r),
        alpha=float(alpha),
        s=float(s),
        beta=float(beta),
        log_likelihood=-float(result.fun) * float(total),
        customers=round(total),
    )
