"""Shared helpers for fitting the CLV models: input checks, collapsing repeats, optimising."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize
from threadpoolctl import threadpool_limits

FloatArray = NDArray[np.float64]


def as_float_arrays(*columns: ArrayLike) -> tuple[FloatArray, ...]:
    """The columns as 1-D float arrays of one length (scalars broadcast)."""
    arrays = np.broadcast_arrays(*(np.asarray(column, dtype=np.float64) for column in columns))
    return tuple(np.atleast_1d(array) for array in arrays)


def check_rfm(frequency: FloatArray, recency: FloatArray, age: FloatArray) -> None:
    """Fail on inputs the models are not defined for (with a message that says which)."""
    if not (np.all(np.isfinite(frequency)) and np.all(np.isfinite(recency))):
        raise ValueError("frequency and recency must be finite.")
    if np.any(np.isnan(age)):
        raise ValueError("age must not be NaN.")
    if np.any(frequency < 0) or np.any(frequency != np.floor(frequency)):
        raise ValueError("frequency must be a whole number of repeat purchases, 0 or more.")
    if np.any(recency < 0) or np.any(recency > age):
        raise ValueError("recency must lie between 0 and the customer's age.")
    if np.any(recency[frequency == 0] != 0):
        raise ValueError("recency must be 0 for customers without repeat purchases.")


def collapse_rows(
    *columns: FloatArray, weights: ArrayLike | None = None
) -> tuple[tuple[FloatArray, ...], FloatArray]:
    """Identical rows merged into one with a count as weight: the likelihood of n equal
    customers is n times one's, and real data (dates in days) repeats a lot."""
    size = len(columns[0])
    base = np.ones(size) if weights is None else np.asarray(weights, dtype=np.float64)
    if size == 0:
        return columns, base
    order = np.lexsort(columns[::-1])
    ordered = [column[order] for column in columns]
    is_new = np.zeros(size, dtype=bool)
    is_new[0] = True
    for column in ordered:
        is_new[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(is_new)
    counts = np.add.reduceat(base[order], starts)
    return tuple(column[starts] for column in ordered), counts


def minimise_log_parameters(
    objective: Callable[[FloatArray], tuple[float, FloatArray] | float],
    start: FloatArray,
    *,
    has_gradient: bool,
) -> optimize.OptimizeResult:
    """Minimise over log-parameters with L-BFGS-B, falling back to Nelder-Mead when it
    fails or lands on a non-finite value (the log scale keeps every parameter positive).

    BLAS runs single-threaded meanwhile: with three or four parameters its threads only
    wait on one another (on a busy 2-core machine a fit took 3 to 30 times longer)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _minimise(objective, start, has_gradient=has_gradient)


def _minimise(
    objective: Callable[[FloatArray], tuple[float, FloatArray] | float],
    start: FloatArray,
    *,
    has_gradient: bool,
) -> optimize.OptimizeResult:
    result = optimize.minimize(
        objective,
        start,
        jac=has_gradient,
        method="L-BFGS-B",
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )
    if result.success and np.isfinite(result.fun):
        return result

    def value_only(log_parameters: FloatArray) -> float:
        value = objective(log_parameters)
        number = value[0] if isinstance(value, tuple) else value
        return float(number) if np.isfinite(number) else np.inf

    fallback_start = result.x if np.all(np.isfinite(result.x)) else start
    fallback = optimize.minimize(
        value_only,
        fallback_start,
        method="Nelder-Mead",
        options={"maxiter": 20000, "xatol": 1e-10, "fatol": 1e-12},
    )
    if not np.isfinite(fallback.fun):
        raise RuntimeError(f"The model fit did not converge: {fallback.message}")
    return fallback
