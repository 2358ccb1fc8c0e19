"""Benchmark: the CLV models on CDNOW, against the published parameters and ``lifetimes``.

    .venv/bin/python bench/clv_cdnow.py [--repeat 3] [--customers 1000000]

Data: the CDNOW files that ship inside ``lifetimes`` (a dev dependency): the 2,357-customer
sample and the full master file (23,570 customers, 69,659 transactions), each summarised with
the papers' 39-week calibration period (1997-01-01 to 1997-09-30), in weeks.

Prints, for the sample, each fitted parameter next to its published value (Fader, Hardie &
Lee 2005; Fader & Hardie 2005, 2013) with the % difference; then, for the sample and the
master file, our fit time next to ``lifetimes``' on the same summary (best of ``--repeat``;
both with BLAS single-threaded, as our fits set it) and their ratio; then the time to score
every customer (expected purchases at 30/90/365 days, P(alive), CLV with its 10-90% band)
for the master file and for a synthetic summary of ``--customers`` customers drawn from the
master fit, with ``lifetimes``' prediction and CLV time on the master file as the baseline.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from peyvand.intelligence.clv import (  # noqa: E402
    CustomerSummary,
    fit_bgnbd,
    fit_gammagamma,
    fit_models,
    fit_paretonbd,
    score,
    summarize_transactions,
)
from peyvand.intelligence.tests.cdnow import (  # noqa: E402
    CALIBRATION_END,
    read_cdnow_master,
    read_cdnow_sample,
)

PUBLISHED = {
    "BG/NBD": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log-likelihood": -9582.4},
    "Pareto/NBD": {
        "r": 0.553,
        "alpha": 10.578,
        "s": 0.606,
        "beta": 11.669,
        "log-likelihood": -9595.0,
    },
    "Gamma-Gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44},
}


def best_time(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs, and the last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def summarise(
    reader: Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[CustomerSummary, int, float]:
    customer_ids, dates, amounts = reader()
    started = time.perf_counter()
    summary = summarize_transactions(
        customer_ids=customer_ids, dates=dates, amounts=amounts, calibration_end=CALIBRATION_END
    )
    return summary, len(customer_ids), time.perf_counter() - started


def lifetimes_fitters(summary: CustomerSummary) -> dict[str, Callable[[], Any]]:
    import lifetimes

    frequency, recency, age = summary.frequency, summary.recency, summary.age
    repeat = (frequency > 0) & (summary.monetary_value > 0)
    return {
        "BG/NBD": lambda: lifetimes.BetaGeoFitter().fit(frequency, recency, age),
        "Pareto/NBD": lambda: lifetimes.ParetoNBDFitter().fit(frequency, recency, age),
        "Gamma-Gamma": lambda: lifetimes.GammaGammaFitter().fit(
            frequency[repeat], summary.monetary_value[repeat]
        ),
    }


def our_fitters(summary: CustomerSummary) -> dict[str, Callable[[], Any]]:
    frequency, recency, age = summary.frequency, summary.recency, summary.age
    return {
        "BG/NBD": lambda: fit_bgnbd(frequency, recency, age),
        "Pareto/NBD": lambda: fit_paretonbd(frequency, recency, age),
        "Gamma-Gamma": lambda: fit_gammagamma(frequency, summary.monetary_value),
    }


def compare_fits(name: str, summary: CustomerSummary, repeat: int) -> dict[str, Any]:
    ours_fitters = our_fitters(summary)
    theirs_fitters = lifetimes_fitters(summary)
    print(f"\n{name}: {len(summary):,} customers, {int(summary.frequency.sum()):,} repeat days")
    print(f"  {'model':<12} {'ours':>9} {'lifetimes':>10} {'ratio':>8}")
    fitted = {}
    total_ours = total_theirs = 0.0
    for model in ours_fitters:
        ours_time, fitted[model] = best_time(ours_fitters[model], repeat)
        # Ours keep BLAS single-threaded while optimising; give lifetimes the same.
        with threadpool_limits(limits=1, user_api="blas"):
            theirs_time, _ = best_time(theirs_fitters[model], repeat)
        total_ours += ours_time
        total_theirs += theirs_time
        print(
            f"  {model:<12} {ours_time:>8.3f}s {theirs_time:>9.3f}s "
            f"{theirs_time / ours_time:>7.1f}x"
        )
    print(
        f"  {'all three':<12} {total_ours:>8.3f}s {total_theirs:>9.3f}s "
        f"{total_theirs / total_ours:>7.1f}x"
    )
    return fitted


def print_parameters(fitted: dict[str, Any]) -> None:
    print("\nCDNOW sample, fitted vs published parameters")
    print(f"  {'model':<12} {'parameter':<15} {'ours':>11} {'published':>10} {'diff':>8}")
    for model, published in PUBLISHED.items():
        for parameter, value in published.items():
            attribute = "log_likelihood" if parameter == "log-likelihood" else parameter
            ours = getattr(fitted[model], attribute)
            difference = (ours - value) / abs(value) * 100
            print(f"  {model:<12} {parameter:<15} {ours:>11.4f} {value:>10} {difference:>+7.3f}%")


def synthetic_summary(models: Any, customers: int, seed: int = 1) -> CustomerSummary:
    """Customers drawn from the fitted BG/NBD and Gamma-Gamma, in whole days, ages 1 day to
    2 years: what a shop's order table would give."""
    rng = np.random.default_rng(seed)
    bgnbd, spend = models.bgnbd, models.gamma_gamma
    age_days = rng.integers(1, 731, customers)
    age = age_days / 7
    rate = rng.gamma(bgnbd.r, 1 / bgnbd.alpha, customers)
    dropout = rng.beta(bgnbd.a, bgnbd.b, customers)
    # Purchases until dropout: geometric count, capped by the Poisson count in the age.
    frequency = np.minimum(rng.poisson(rate * age), rng.geometric(dropout) - 1).astype(float)
    recency = np.where(frequency > 0, np.floor(rng.random(customers) * age_days) / 7, 0.0)
    nu = rng.gamma(spend.q, 1 / spend.gamma, customers)
    mean_spend = np.where(
        frequency > 0,
        rng.gamma(spend.p * np.maximum(frequency, 1), 1 / nu) / np.maximum(frequency, 1),
        0.0,
    )
    return CustomerSummary.from_arrays(
        frequency=frequency, recency=recency, age=age, monetary_value=mean_spend
    )


def lifetimes_scoring(summary: CustomerSummary, models: Any) -> None:
    """lifetimes' predictions for the same outputs, as the baseline."""
    import lifetimes
    import pandas as pd

    bgnbd = lifetimes.BetaGeoFitter()
    bgnbd.params_ = pd.Series(
        {"r": models.bgnbd.r, "alpha": models.bgnbd.alpha, "a": models.bgnbd.a, "b": models.bgnbd.b}
    )
    bgnbd.predict = bgnbd.conditional_expected_number_of_purchases_up_to_time
    spend = lifetimes.GammaGammaFitter()
    spend.params_ = pd.Series(
        {"p": models.gamma_gamma.p, "q": models.gamma_gamma.q, "v": models.gamma_gamma.gamma}
    )
    columns = [pd.Series(c) for c in (summary.frequency, summary.recency, summary.age)]
    for days in (30, 90, 365):
        bgnbd.predict(days / 7, *columns)
    bgnbd.conditional_probability_alive(*columns)
    spend.customer_lifetime_value(
        bgnbd, *columns, pd.Series(summary.monetary_value), time=12, discount_rate=0.0, freq="W"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--customers", type=int, default=1_000_000)
    arguments = parser.parse_args()
    warnings.filterwarnings("ignore")

    sample, sample_rows, sample_seconds = summarise(read_cdnow_sample)
    master, master_rows, master_seconds = summarise(read_cdnow_master)
    print(
        f"summaries: sample {sample_rows:,} transactions -> {len(sample):,} customers in "
        f"{sample_seconds * 1000:.1f} ms; master {master_rows:,} -> {len(master):,} in "
        f"{master_seconds * 1000:.1f} ms"
    )

    sample_fits = compare_fits("CDNOW sample", sample, arguments.repeat)
    print_parameters(sample_fits)
    compare_fits("CDNOW master", master, arguments.repeat)

    models = fit_models(master)
    print("\nscoring (expected purchases 30/90/365 days, P(alive), 1-year CLV, 10-90% band)")
    ours_time, _ = best_time(lambda: score(master, models), arguments.repeat)
    theirs_time, _ = best_time(lambda: lifetimes_scoring(master, models), 1)
    print(
        f"  master {len(master):,} customers: ours {ours_time:.3f}s; lifetimes without a band "
        f"{theirs_time:.3f}s ({theirs_time / ours_time:.1f}x)"
    )
    synthetic = synthetic_summary(models, arguments.customers)
    started = time.perf_counter()
    scores = score(synthetic, models)
    seconds = time.perf_counter() - started
    print(
        f"  synthetic {len(synthetic):,} customers: {seconds:.2f}s "
        f"({len(synthetic) / seconds:,.0f} customers/s); "
        f"median CLV {np.median(scores.clv):.2f}, band width median "
        f"{np.median(scores.clv_high - scores.clv_low):.2f}"
    )


if __name__ == "__main__":
    main()
