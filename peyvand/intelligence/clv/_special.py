"""Gauss hypergeometric values the models need, guarded against SciPy's failures.

SciPy's ``hyp2f1`` returns inf/NaN, or wrong digits, in some regions the models reach with
heavy buyers: when c - a - b is an integer and z is near 1 with a large c, and for z < -1
with large parameters. These helpers take another road there.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import hyp2f1, logsumexp

FloatArray = NDArray[np.float64]

_NUDGE = 1e-9
_SERIES_TERMS = 60  # w' ≤ 1/2 halves every term: 2^-60 is far below double precision
_GRID = np.linspace(0.0, 1.0, 201)


def hyp2f1_smooth(a: ArrayLike, b: ArrayLike, c: ArrayLike, z: ArrayLike) -> FloatArray:
    """2F1(a, b; c; z) elementwise (1-D), for 0 ≤ z < 1. Where SciPy fails (an integer
    c - a - b, its degenerate case), the mean of the values at b ± a nudge: the function is
    smooth in b."""
    a_, b_, c_, z_ = (
        np.atleast_1d(np.asarray(value, dtype=np.float64))
        for value in np.broadcast_arrays(*(np.asarray(v) for v in (a, b, c, z)))
    )
    value = np.atleast_1d(np.asarray(hyp2f1(a_, b_, c_, z_), dtype=np.float64))
    failed = ~np.isfinite(value) & np.isfinite(z_)
    if np.any(failed):
        b_failed = b_[failed]
        nudge = _NUDGE * np.maximum(1.0, np.abs(b_failed))
        args = (a_[failed], c_[failed], z_[failed])
        value[failed] = (
            hyp2f1(args[0], b_failed + nudge, args[1], args[2])
            + hyp2f1(args[0], b_failed - nudge, args[1], args[2])
        ) / 2
    return value


def hyp2f1_one(b: FloatArray, c: FloatArray, w: FloatArray) -> FloatArray:
    """2F1(1, b; c; w) for w ≤ 0 and c > b > 0, c > 1: a number in (0, 1].

    * |w| ≤ 1: Pfaff's 2F1(1, b; c; w) = (1-w)^-1 2F1(1, c-b; c; w/(w-1)) is a series of
      positive terms, each at most half the one before: summed directly, no cancellation;
    * |w| > 1: the Euler integral (c-1) ∫_0^1 (1-v)^(c-2) (1-wv)^-b dv with
      v = 1 - e^(-q/(c-1)), numerically (SciPy's ``hyp2f1`` returns NaN or wrong digits
      there for heavy buyers; this agrees with adaptive quadrature to 1e-10).
    """
    value = np.empty(len(w))
    near = np.abs(w) <= 1.0
    if np.any(near):
        b_n, c_n, w_n = b[near], c[near], w[near]
        ratio = w_n / (w_n - 1.0)
        term = np.ones(len(w_n))
        total = np.ones(len(w_n))
        # Each term is at most `ratio` times the one before: enough terms for 1e-17.
        largest = float(ratio.max())
        terms = (
            _SERIES_TERMS
            if largest >= 0.5
            else min(_SERIES_TERMS, int(np.ceil(np.log(1e-17) / np.log(max(largest, 1e-300)))))
        )
        for n in range(terms):
            term *= (c_n - b_n + n) / (c_n + n) * ratio
            total += term
        value[near] = total / (1.0 - w_n)
    far = ~near
    if np.any(far):
        value[far] = _hyp2f1_one_quadrature(b[far], c[far], w[far])
    return value


def _hyp2f1_one_quadrature(b: FloatArray, c: FloatArray, w: FloatArray) -> FloatArray:
    """The Euler integral ∫_0^∞ e^-q (1 - w (1 - e^(-q/(c-1))))^-b dq by the trapezoid rule
    in y = ln q, summed in the log domain: the integrand decays exponentially at both ends
    of y, where the trapezoid rule converges geometrically, and its features (the drop near
    q ~ 1 / (1 + b |w| / (c-1)) and the e^-q tail) are each about one unit of y wide."""
    decay = 1.0 + b * np.abs(w) / (c - 1.0)
    lowest = np.log(1e-18) - np.log(decay)
    y = lowest[:, None] + _GRID[None, :] * (np.log(60.0) - lowest)[:, None]
    step = (np.log(60.0) - lowest) / (len(_GRID) - 1)
    q = np.exp(y)
    v = -np.expm1(-q / (c[:, None] - 1.0))
    log_integrand = y - q - b[:, None] * np.log1p(-w[:, None] * v)
    log_integrand[:, [0, -1]] -= np.log(2.0)
    return np.asarray(np.exp(logsumexp(log_integrand, axis=1) + np.log(step)), dtype=np.float64)
