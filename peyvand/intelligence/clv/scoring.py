"""Fit the CLV models on a customer summary and score every customer.

``fit_models(summary)`` fits BG/NBD (purchases and dropout), Gamma-Gamma (spend) and, on
request, Pareto/NBD. ``score(summary, models)`` returns, per customer, the expected number
of purchases over each horizon, P(alive), the expected spend per purchase, and the
customer-lifetime value over one horizon with an uncertainty band.

CLV (a point estimate) is the discounted expected spend over the horizon H, in K steps of
about a month (K = round(H / 30.44 days), at least 1; each step is u = H / K long):

    CLV = E[spend] · Σ_{m=1..K} v^m (E[Y(m u)] - E[Y((m-1) u)]),   v = (1 + d)^(-u / 365.25 days)

with E[Y(t)] BG/NBD's conditional expectation (FHL 2005 eq. 10), E[spend] Gamma-Gamma's
(spend is independent of the purchase process) and d the annual discount rate. This is the
discrete-time sum of Fader, Hardie & Lee (2005, "RFM and CLV") and of ``lifetimes``'
``customer_lifetime_value``, with monthly steps.

The band is a posterior interval of that same quantity: the value the customer's latent
traits imply, given their history. A posteriori the customer is alive with probability
P(alive) (else worth 0); if alive, λ ~ Gamma(r+x, α+T), the dropout probability
p ~ Beta(a, b+x) and the Gamma-Gamma rate ν ~ Gamma(px+q, γ+x z̄) (spend per purchase p_gg/ν),
independently. Given λ and p, the discounted purchase count has the closed form

    D(λ, p) = Σ_m v^m (e^{-λp(m-1)u} - e^{-λpmu}) / p
            = λ u v · (1 - e^{-c}) / c · (1 - e^{Kℓ}) / (1 - e^{ℓ}),   c = λpu, ℓ = ln v - c,

so each draw costs a few array operations. The draws are a Latin hypercube: for every
distinct frequency x, ``draws`` stratified quantiles of the three standard posteriors (their
shapes depend only on x), randomly paired, then scaled per customer; customers with the same
x share them. The band's quantiles account exactly for the point mass at 0: the q-quantile
is 0 when q ≤ 1 - P(alive), else the (q - 1 + P(alive)) / P(alive) quantile of the alive
draws. The posterior mean of the draws is the point CLV above, so the point lies inside the
band unless the customer is likely gone (then the band's low end is 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaincinv, gammaincinv

from peyvand.intelligence.clv._fitting import FloatArray
from peyvand.intelligence.clv.bgnbd import BgNbd, fit_bgnbd
from peyvand.intelligence.clv.gammagamma import GammaGamma, fit_gammagamma
from peyvand.intelligence.clv.paretonbd import ParetoNbd, fit_paretonbd
from peyvand.intelligence.clv.summary import CustomerSummary

__all__ = ["CustomerScores", "FittedModels", "fit_models", "score"]

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
# Customers scored at once in the band's draws: bounds memory at chunk × draws floats.
CHUNK_CUSTOMERS = 16384


@dataclass(frozen=True)
class FittedModels:
    """The models fitted on one customer base, and the time unit their parameters use."""

    bgnbd: BgNbd
    gamma_gamma: GammaGamma | None
    pareto_nbd: ParetoNbd | None
    time_unit_days: float


@dataclass(frozen=True)
class CustomerScores:
    """Per-customer predictions, aligned with the summary's customers.

    ``expected_purchases`` has one column per horizon in ``horizons_days``; money figures
    are in the summary's currency; CLV figures are NaN when no spend model was fitted.
    """

    customer_ids: NDArray[np.generic]
    horizons_days: tuple[float, ...]
    expected_purchases: FloatArray
    probability_alive: FloatArray
    expected_spend: FloatArray
    clv: FloatArray
    clv_low: FloatArray
    clv_high: FloatArray
    clv_horizon_days: float
    annual_discount_rate: float
    band: tuple[float, float]


def fit_models(summary: CustomerSummary, *, include_pareto_nbd: bool = False) -> FittedModels:
    """Fit BG/NBD on everyone, Gamma-Gamma on the repeat customers with positive spend
    (None if there are none) and, if asked, Pareto/NBD."""
    bgnbd = fit_bgnbd(summary.frequency, summary.recency, summary.age)
    has_spend = (summary.frequency > 0) & (summary.monetary_value > 0)
    gamma_gamma = (
        fit_gammagamma(summary.frequency, summary.monetary_value) if np.any(has_spend) else None
    )
    pareto_nbd = (
        fit_paretonbd(summary.frequency, summary.recency, summary.age)
        if include_pareto_nbd
        else None
    )
    return FittedModels(
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        pareto_nbd=pareto_nbd,
        time_unit_days=summary.time_unit_days,
    )


def score(
    summary: CustomerSummary,
    models: FittedModels,
    *,
    horizons_days: Sequence[float] = (30, 90, 365),
    clv_horizon_days: float = 365,
    annual_discount_rate: float = 0.0,
    band: tuple[float, float] = (0.1, 0.9),
    draws: int = 100,
    seed: int = 0,
) -> CustomerScores:
    """Score every customer of ``summary`` with ``models`` (see the module docstring)."""
    if summary.time_unit_days != models.time_unit_days:
        raise ValueError("The summary and the models use different time units.")
    if clv_horizon_days <= 0 or any(horizon < 0 for horizon in horizons_days):
        raise ValueError("Horizons cannot be negative and the CLV horizon must be positive.")
    if annual_discount_rate <= -1:
        raise ValueError("The discount rate must be above -100%.")
    if not (0 < band[0] < band[1] < 1) or draws < 2:
        raise ValueError("The band needs two quantiles in (0, 1) and at least two draws.")

    bgnbd = models.bgnbd
    unit = summary.time_unit_days
    x, t_x, t_age = summary.frequency, summary.recency, summary.age
    alive = bgnbd.probability_alive(x, t_x, t_age)

    # E[Y(t) | alive] depends on (x, T) only: compute it once per distinct pair.
    pair_x, pair_age, pair_of_customer = _distinct_pairs(x, t_age)
    steps = max(1, round(clv_horizon_days / DAYS_PER_MONTH))
    step = clv_horizon_days / steps / unit
    discount = (1.0 + annual_discount_rate) ** (-step * unit / DAYS_PER_YEAR)

    expected = np.empty((len(x), len(horizons_days)))
    for column, horizon in enumerate(horizons_days):
        expected[:, column] = (
            bgnbd.expected_purchases_if_alive(horizon / unit, pair_x, pair_age)[pair_of_customer]
            * alive
        )

    discounted_purchases = np.zeros(len(pair_x))
    previous = np.zeros(len(pair_x))
    for month in range(1, steps + 1):
        current = bgnbd.expected_purchases_if_alive(month * step, pair_x, pair_age)
        discounted_purchases += discount**month * (current - previous)
        previous = current
    discounted_purchases_of_customer = discounted_purchases[pair_of_customer] * alive

    gamma_gamma = models.gamma_gamma
    size = len(x)
    if gamma_gamma is None:
        nan = np.full(size, np.nan)
        spend, clv, low, high = nan, nan, nan.copy(), nan.copy()
    else:
        spend = gamma_gamma.expected_spend(x, summary.monetary_value)
        clv = discounted_purchases_of_customer * spend
        low, high = _clv_band(
            bgnbd,
            gamma_gamma,
            summary,
            alive,
            steps=steps,
            step=step,
            discount=discount,
            band=band,
            draws=draws,
            seed=seed,
        )
    return CustomerScores(
        customer_ids=summary.customer_ids,
        horizons_days=tuple(float(horizon) for horizon in horizons_days),
        expected_purchases=expected,
        probability_alive=alive,
        expected_spend=spend,
        clv=clv,
        clv_low=low,
        clv_high=high,
        clv_horizon_days=float(clv_horizon_days),
        annual_discount_rate=float(annual_discount_rate),
        band=band,
    )


def _distinct_pairs(
    x: FloatArray, t_age: FloatArray
) -> tuple[FloatArray, FloatArray, NDArray[np.intp]]:
    """The distinct (x, T) pairs and, for every customer, the index of theirs."""
    if len(x) == 0:
        return x, t_age, np.zeros(0, dtype=np.intp)
    order = np.lexsort((t_age, x))
    sorted_x, sorted_age = x[order], t_age[order]
    is_new = np.empty(len(x), dtype=bool)
    is_new[0] = True
    is_new[1:] = (sorted_x[1:] != sorted_x[:-1]) | (sorted_age[1:] != sorted_age[:-1])
    pair_index = np.cumsum(is_new) - 1
    inverse = np.empty(len(x), dtype=np.intp)
    inverse[order] = pair_index
    return sorted_x[is_new], sorted_age[is_new], inverse


def _stratified_quantiles(rng: np.random.Generator, rows: int, draws: int) -> FloatArray:
    """Latin-hypercube probabilities: each row holds one uniform from each of ``draws``
    equal strata of (0, 1), in random order."""
    strata = rng.permuted(np.tile(np.arange(draws, dtype=np.float64), (rows, 1)), axis=1)
    return np.asarray((strata + rng.random((rows, draws))) / draws, dtype=np.float64)


def _clv_band(
    bgnbd: BgNbd,
    gamma_gamma: GammaGamma,
    summary: CustomerSummary,
    alive: FloatArray,
    *,
    steps: int,
    step: float,
    discount: float,
    band: tuple[float, float],
    draws: int,
    seed: int,
) -> tuple[FloatArray, FloatArray]:
    """The ``band`` quantiles of the posterior CLV (see the module docstring)."""
    x, t_age = summary.frequency, summary.age
    rng = np.random.default_rng(seed)
    distinct_x, x_index = np.unique(x, return_inverse=True)
    x_index = x_index.ravel()
    count = len(distinct_x)
    # The draws run in single precision: twice as fast, and its 1e-7 relative rounding is
    # far below the Monte-Carlo error of the quantiles.
    single = np.float32
    tiny = np.finfo(single).tiny
    # Standard posteriors per distinct x: Gamma(r+x, 1), Beta(a, b+x), Gamma(p x + q, 1).
    with np.errstate(all="ignore"):
        rate_draws = gammaincinv(
            (bgnbd.r + distinct_x)[:, None], _stratified_quantiles(rng, count, draws)
        ).astype(single)
        dropout_draws = betaincinv(
            bgnbd.a, (bgnbd.b + distinct_x)[:, None], _stratified_quantiles(rng, count, draws)
        ).astype(single)
        spend_rate_draws = gammaincinv(
            (gamma_gamma.p * distinct_x + gamma_gamma.q)[:, None],
            _stratified_quantiles(rng, count, draws),
        )
    inverse_spend_rate_draws = (1.0 / np.maximum(spend_rate_draws, 1e-30)).astype(single)
    rate_scale = (1.0 / (bgnbd.alpha + t_age)).astype(single)
    _, spend_rate_total = gamma_gamma.posterior_rate(x, summary.monetary_value)
    # Spend per purchase is p_gg / ν; λ u v is the first step's discounted purchase rate.
    spend_scale = (gamma_gamma.p * spend_rate_total * (step * discount)).astype(single)
    log_discount = single(np.log(discount))
    step_single = single(step)

    size = len(x)
    low = np.zeros(size)
    high = np.zeros(size)
    # Where P(alive) ≤ 1 - band[1] both quantiles are exactly 0: no draws needed.
    needed = np.flatnonzero(alive > 1.0 - band[1])
    for start in range(0, len(needed), CHUNK_CUSTOMERS):
        chunk = needed[start : start + CHUNK_CUSTOMERS]
        index = x_index[chunk]
        # In place, to keep a million customers × draws within a few seconds:
        # D = λ u v · (1 - e^-c) / c · (1 - e^(Kℓ)) / (1 - e^ℓ), c = λ p u, ℓ = ln v - c.
        with np.errstate(all="ignore"):
            rate = rate_draws[index]
            rate *= rate_scale[chunk, None]
            hazard = dropout_draws[index]
            hazard *= rate
            hazard *= step_single
            np.maximum(hazard, tiny, out=hazard)  # c = 0 would make 0/0 below
            value = np.expm1(-hazard)
            np.negative(value, out=value)
            value /= hazard
            np.subtract(log_discount, hazard, out=hazard)
            value *= np.expm1(hazard * single(steps))
            value /= np.expm1(hazard)
            value *= rate
            value *= spend_scale[chunk, None]
            value *= inverse_spend_rate_draws[index]
        value.sort(axis=1)
        low[chunk] = _mixture_quantile(value, alive[chunk], band[0])
        high[chunk] = _mixture_quantile(value, alive[chunk], band[1])
    return low, high


def _mixture_quantile(
    sorted_draws: NDArray[np.floating[Any]],
    alive: FloatArray,
    level: float,
) -> FloatArray:
    """The ``level`` quantile of "0 with probability 1 - alive, else a draw", per row.

    Draws are at plotting positions (i + 0.5) / n, with linear interpolation between them.
    """
    rows, draws = sorted_draws.shape
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        alive_level = (level - (1.0 - alive)) / alive
        position = np.clip(np.nan_to_num(alive_level, nan=0.0) * draws - 0.5, 0.0, draws - 1.0)
    below = np.floor(position).astype(np.intp)
    above = np.minimum(below + 1, draws - 1)
    fraction = position - below
    row = np.arange(rows)
    value = sorted_draws[row, below] * (1.0 - fraction) + sorted_draws[row, above] * fraction
    return np.where(alive_level > 0, value, 0.0)
