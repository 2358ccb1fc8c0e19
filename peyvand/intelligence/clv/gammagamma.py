"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV:
using iso-value curves for customer base analysis", JMR 42(4); Fader & Hardie 2013, "The
Gamma-Gamma Model of Monetary Value").

A customer's transaction amounts are Gamma(p, ν) (shape, rate) around their own mean p/ν,
and ν ~ Gamma(q, γ) across customers. Spend is assumed independent of the purchase process.
For a customer with x repeat transactions of mean z̄:

* density of z̄ (the 2013 note's eq. 3):
  f(z̄ | x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q z̄^(px-1) x^(px) / (γ + x z̄)^(px+q);
* posterior ν | x, z̄ ~ Gamma(px + q, γ + x z̄), hence
* E[spend | x, z̄] = p (γ + x z̄) / (px + q - 1), a weighted mean of the population mean
  p γ / (q - 1) and z̄ (eq. 5); for x = 0 it is the population mean.

Fitted on customers with at least one repeat purchase, maximising the log-likelihood over
log p, log q, log γ with L-BFGS-B and an analytic gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln

from peyvand.intelligence.clv._fitting import (
    FloatArray,
    as_float_arrays,
    collapse_rows,
    minimise_log_parameters,
)

__all__ = ["GammaGamma", "fit_gammagamma"]


@dataclass(frozen=True)
class GammaGamma:
    """A fitted (or given) Gamma-Gamma spend model with parameters p, q, γ."""

    p: float
    q: float
    gamma: float
    log_likelihood: float = float("nan")
    customers: int = 0

    @property
    def population_mean_spend(self) -> float:
        """E[spend] of a customer we know nothing about: p γ / (q - 1) (inf if q ≤ 1)."""
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1.0 else float("inf")

    def individual_log_likelihood(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> FloatArray:
        """log f(z̄ | p, q, γ, x) for customers with x ≥ 1 and z̄ > 0."""
        x, mean_spend = as_float_arrays(frequency, monetary_value)
        return _log_likelihood_terms(np.array([self.p, self.q, self.gamma]), x, mean_spend)[0]

    def expected_spend(self, frequency: ArrayLike, monetary_value: ArrayLike) -> FloatArray:
        """E[spend per transaction | x, z̄] = p (γ + x z̄) / (p x + q - 1) (x = 0: the
        population mean)."""
        x, mean_spend = as_float_arrays(frequency, monetary_value)
        spend = np.where(x > 0, mean_spend, 0.0)
        return np.asarray(
            self.p * (self.gamma + x * spend) / (self.p * x + self.q - 1.0), dtype=np.float64
        )

    def posterior_rate(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        """Shape and rate of the posterior Gamma of ν (spend per transaction is p / ν)."""
        x, mean_spend = as_float_arrays(frequency, monetary_value)
        spend = np.where(x > 0, mean_spend, 0.0)
        return self.p * x + self.q, self.gamma + x * spend


def _log_likelihood_terms(
    parameters: FloatArray, x: FloatArray, mean_spend: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per-customer log-density and its gradient in log p, log q, log γ (shape (3, n))."""
    p, q, gamma = parameters
    px = p * x
    log_spend = np.log(mean_spend)
    log_total = np.log(gamma + x * mean_spend)
    value = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * log_spend
        + px * np.log(x)
        - (px + q) * log_total
    )
    psi_total = digamma(px + q)
    d_p = x * (psi_total - digamma(px) + log_spend + np.log(x) - log_total)
    d_q = psi_total - digamma(q) + np.log(gamma) - log_total
    d_gamma = q / gamma - (px + q) / (gamma + x * mean_spend)
    return value, np.stack((d_p * p, d_q * q, d_gamma * gamma))


def fit_gammagamma(
    frequency: ArrayLike,
    monetary_value: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma parameters from the customers with x ≥ 1 and a
    positive mean spend (others have no repeat spend to learn from and are skipped)."""
    x, mean_spend = as_float_arrays(frequency, monetary_value)
    base = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64)
    # A mean spend of 0 (only free or fully refunded repeat orders) has no Gamma density.
    usable = (x > 0) & np.isfinite(mean_spend) & (mean_spend > 0)
    if not np.any(usable):
        raise ValueError("The Gamma-Gamma model needs customers with repeat purchases.")
    (x, mean_spend), counts = collapse_rows(x[usable], mean_spend[usable], weights=base[usable])
    total = counts.sum()
    mean = float(np.average(mean_spend, weights=counts))

    def objective(log_parameters: FloatArray) -> tuple[float, FloatArray]:
        with np.errstate(all="ignore"):
            value, gradient = _log_likelihood_terms(np.exp(log_parameters), x, mean_spend)
            negative = -float(counts @ value) / total
            negative_gradient = -(gradient @ counts) / total
        if not np.isfinite(negative) or not np.all(np.isfinite(negative_gradient)):
            return np.inf, np.zeros(3)
        return negative, negative_gradient

    # Start where p γ / (q - 1) equals the observed mean spend.
    start = np.log(np.array([1.0, 2.0, mean]))
    result = minimise_log_parameters(objective, start, has_gradient=True)
    p, q, gamma = np.exp(result.x)
    return GammaGamma(
        p=float(p),
        q=float(q),
        gamma=float(gamma),
        log_likelihood=-float(result.fun) * float(total),
        customers=round(total),
    )
