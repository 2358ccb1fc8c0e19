"""Gauss hypergeometric values the models need, guarded against SciPy's failures.

SciPy's ``hyp2f1`` returns inf/NaN in some regions the models reach with heavy buyers:
when c - a - b is an integer and z is near 1 with a large c, and for z < -1 with large
parameters. These helpers detect that and take another road.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import hyp2f1, roots_laguerre

FloatArray = NDArray[np.float64]

_NUDGE = 1e-9
_SERIES_TERMS = 60  # w' ≤ 1/2 halves every term: 2^-60 is far below double precision
_LAGUERRE_NODES, _LAGUERRE_WEIGHTS = roots_laguerre(96)


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
    * |w| > 1: SciPy, and where it fails or leaves (0, 1], the Euler integral
      (c-1) ∫_0^1 (1-v)^(c-2) (1-wv)^-b dv with v = 1 - e^(-q/(c-1)), by Gauss-Laguerre.
    """
    value = np.empty(len(w))
    near = np.abs(w) <= 1.0
    if np.any(near):
        b_n, c_n, w_n = b[near], c[near], w[near]
        ratio = w_n / (w_n - 1.0)
        term = np.ones(len(w_n))
        total = np.ones(len(w_n))
        for n in range(_SERIES_TERMS):
            term *= (c_n - b_n + n) / (c_n + n) * ratio
            total += term
            if not np.any(term > 1e-17 * total):
                break
        value[near] = total / (1.0 - w_n)
    far = ~near
    if np.any(far):
        b_f, c_f, w_f = b[far], c[far], w[far]
        with np.errstate(all="ignore"):
            scipy_value = hyp2f1(1.0, b_f, c_f, w_f)
        failed = ~((scipy_value > 0) & (scipy_value <= 1.0))
        if np.any(failed):
            scipy_value[failed] = _hyp2f1_one_laguerre(b_f[failed], c_f[failed], w_f[failed])
        value[far] = scipy_value
    return value


def _hyp2f1_one_laguerre(b: FloatArray, c: FloatArray, w: FloatArray) -> FloatArray:
    v = -np.expm1(-_LAGUERRE_NODES[None, :] / (c[:, None] - 1.0))
    integrand = np.exp(-b[:, None] * np.log1p(-w[:, None] * v))
    return np.asarray(integrand @ _LAGUERRE_WEIGHTS, dtype=np.float64)
