"""Every customer's churn probability and its reasons, kept in the database.

``churn_compute`` (daily, ``churn_compute_job``) works with a horizon H
(``PEYVAND_CHURN_HORIZON_DAYS``, 90 by default) and three dates, so that every label is
already known and the check is on a later period than the training:

1. *train*: customers as of ``as_of − 2H`` (``churn_features``), labelled by whether they
   bought in ``(as_of − 2H, as_of − H]``;
2. *validate*: the model from 1 scores customers as of ``as_of − H``, labelled by
   ``(as_of − H, as_of]``: the run keeps that ROC-AUC and Brier score;
3. *score*: the model is refitted on both periods' customers and scores everyone as of
   ``as_of``; each customer's three features that raise their risk most above a typical
   customer who stayed (``churn.reasons``) are kept with their values, and worded when
   shown (``churn.phrases``).

The stored rows are replaced in one transaction; a run without enough history (or with only
one outcome) records why and leaves the previous scores in place.
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from numpy.typing import NDArray

from peyvand.common.bulk import insert_rows

from .churn import ChurnModel, FeatureTable, contributions, evaluate, reference_values
from .churn_features import churn_features, churned_after
from .models import ChurnRun, CustomerChurn

logger = logging.getLogger(__name__)

# Below these the model says little; the run records why it did not score.
MIN_TRAINING_ROWS = 50
MIN_EACH_OUTCOME = 10
REASONS = 3
# A reason must move the probability by at least a percentage point.
MIN_REASON_IMPACT = 0.01
WRITE_CHUNK = 20_000
# Fits use a fixed random sample of at most this many customers: the trees' fit and the
# calibration settle well before it, and a million-customer shop trains in the time of a
# 200k one. Everyone is checked and scored.
FIT_SAMPLE = 200_000


def fitting_sample(
    table: FeatureTable, labels: NDArray[np.int64], size: int = FIT_SAMPLE, seed: int = 0
) -> tuple[FeatureTable, NDArray[np.int64]]:
    """``table`` and ``labels`` themselves up to ``size`` rows, else a seeded random sample
    of ``size`` of them (the same rows on every run with the same data)."""
    if len(labels) <= size:
        return table, labels
    chosen = np.sort(np.random.default_rng(seed).choice(len(labels), size=size, replace=False))
    return table.take(chosen), labels[chosen]


def _stack(first: FeatureTable, second: FeatureTable) -> FeatureTable:
    return FeatureTable(
        numeric={
            name: np.concatenate([column, second.numeric[name]])
            for name, column in first.numeric.items()
        },
        categorical={},
    )


def _outcomes_missing(labels: NDArray[np.int64]) -> bool:
    churned = int(labels.sum())
    return churned < MIN_EACH_OUTCOME or len(labels) - churned < MIN_EACH_OUTCOME


def churn_compute(
    *, as_of: datetime.datetime | None = None, horizon_days: int | None = None
) -> ChurnRun:
    """Train, check and apply the churn model as of ``as_of`` (default now) and replace the
    stored scores; returns the run (``message`` set and old scores kept when there is too
    little history)."""
    as_of = as_of or timezone.now()
    horizon_days = horizon_days or settings.PEYVAND_CHURN_HORIZON_DAYS
    horizon = datetime.timedelta(days=horizon_days)
    began = time.perf_counter()
    run = ChurnRun(as_of=as_of, horizon_days=horizon_days)

    train_ids, train = churn_features(as_of - 2 * horizon)
    train_labels = churned_after(train_ids, as_of - 2 * horizon, horizon_days)
    check_ids, check = churn_features(as_of - horizon)
    check_labels = churned_after(check_ids, as_of - horizon, horizon_days)
    run.training_rows, run.validation_rows = len(train_ids), len(check_ids)
    if len(train_ids) < MIN_TRAINING_ROWS or _outcomes_missing(train_labels):
        run.message = (
            f"Too little history to train: {len(train_ids)} customers as of "
            f"{horizon_days * 2} days ago, {int(train_labels.sum())} of them churned "
            f"(at least {MIN_TRAINING_ROWS} customers and {MIN_EACH_OUTCOME} of each "
            "outcome are needed)."
        )
        return _finish(run, began)
    run.churn_rate = round(float(train_labels.mean()), 4)
    model = ChurnModel().fit(*fitting_sample(train, train_labels))
    if len(np.unique(check_labels)) == 2:
        checked = evaluate(check_labels, model.predict(check))
        run.auc, run.brier = round(checked.auc, 4), round(checked.brier, 4)
    if not _outcomes_missing(check_labels):
        train = _stack(train, check)
        train_labels = np.concatenate([train_labels, check_labels])
        model = ChurnModel().fit(*fitting_sample(train, train_labels))
    # Reasons compare each customer with the typical customer who stayed.
    stayed = reference_values(model, model.matrix(train.take(train_labels == 0)))

    contact_ids, features = churn_features(as_of)
    found = contributions(model, features, reference=stayed)
    reasons = found.top(count=REASONS, minimum=MIN_REASON_IMPACT)
    matrix = model.matrix(features)
    run.customers = len(contact_ids)
    with transaction.atomic():
        # One run at a time: a second one waits here, then replaces the first's scores.
        list(ChurnRun.objects.select_for_update().order_by("-id")[:1])
        _finish(run, began)
        CustomerChurn.objects.all().delete()
        for start in range(0, len(contact_ids), WRITE_CHUNK):
            part = slice(start, start + WRITE_CHUNK)
            insert_rows(
                CustomerChurn,
                [
                    {
                        "contact_id": contact_id,
                        "run_id": run.pk,
                        "probability": round(probability, 4),
                        "reasons": [
                            {
                                "feature": found.names[index],
                                "value": _value(values[index]),
                                "impact": impact,
                            }
                            for index, impact in customer_reasons
                        ],
                    }
                    for contact_id, probability, values, customer_reasons in zip(
                        contact_ids[part].tolist(),
                        found.probability[part].tolist(),
                        matrix[part].tolist(),
                        reasons[part],
                        strict=True,
                    )
                ],
                need_ids=False,
            )
        run.seconds = round(time.perf_counter() - began, 3)
        run.save(update_fields=["seconds"])
    return run


def _value(value: float) -> float | None:
    """A feature's value for JSON: ``None`` for missing, whole numbers as such."""
    if np.isnan(value):
        return None
    return round(value, 1) if value != int(value) else float(int(value))


def _finish(run: ChurnRun, began: float) -> ChurnRun:
    run.seconds = round(time.perf_counter() - began, 3)
    run.save()
    return run


def churn_compute_job() -> None:
    """The daily periodic job: retrain and rescore as of now."""
    run = churn_compute()
    logger.info("Churn run %s: %s", run.pk, churn_summary(run))


def churn_summary(run: ChurnRun) -> dict[str, Any]:
    """The run's figures for logs and the command line."""
    return {
        "as_of": run.as_of.isoformat(),
        "training_rows": run.training_rows,
        "validation_rows": run.validation_rows,
        "customers": run.customers,
        "auc": run.auc,
        "brier": run.brier,
        "message": run.message,
    }
