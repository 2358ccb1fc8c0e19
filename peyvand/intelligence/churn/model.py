"""The churn model: gradient-boosted trees (``HistGradientBoostingClassifier``) on numeric and
categorical columns, with Platt-calibrated probabilities (``CalibratedClassifierCV``: the
sigmoid is fitted on three-fold out-of-fold predictions, then the trees on every row).

The same pipeline runs on the IBM Telco benchmark (``bench/churn_telco.py``) and on the CRM's
own features as of a cutoff (``peyvand.intelligence.churn_risk``). Input is a
:class:`FeatureTable`: named float columns (``NaN`` where unknown: the trees send missing
values down their own branch) and named text columns, coded to integers at fit time (a
category first seen at prediction time is treated as missing).

The hyperparameters were tuned on Telco by 5-fold cross-validation (shallow trees, a slow
learning rate and leaves of at least 40 rows beat the defaults by 0.011 ROC-AUC; see the
benchmark). Fits and predictions run on one OpenMP thread: the worker shares the machine
with the web server, and on a busy 2-core machine more threads were ten times slower.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import brier_score_loss, roc_auc_score
from threadpoolctl import threadpool_limits

__all__ = ["ChurnModel", "FeatureTable", "evaluate"]

BOOSTING_PARAMETERS: dict[str, Any] = {
    "learning_rate": 0.05,
    "max_iter": 200,
    "max_depth": 2,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
}
CALIBRATION_FOLDS = 3
THREADS = 1


@dataclass(frozen=True)
class FeatureTable:
    """Aligned columns, one row per customer: ``numeric`` floats and ``categorical`` texts."""

    numeric: Mapping[str, NDArray[np.float64]] = field(default_factory=dict)
    categorical: Mapping[str, NDArray[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sizes = {len(column) for column in (*self.numeric.values(), *self.categorical.values())}
        if len(sizes) > 1:
            raise ValueError("All columns of a feature table must have the same length.")
        if set(self.numeric) & set(self.categorical):
            raise ValueError("A column cannot be both numeric and categorical.")

    def __len__(self) -> int:
        for column in (*self.numeric.values(), *self.categorical.values()):
            return len(column)
        return 0

    @property
    def names(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def take(self, rows: ArrayLike) -> FeatureTable:
        """The table of the given row positions (or boolean mask)."""
        index = np.asarray(rows)
        return FeatureTable(
            numeric={name: column[index] for name, column in self.numeric.items()},
            categorical={name: column[index] for name, column in self.categorical.items()},
        )


class ChurnModel:
    """A calibrated gradient-boosting classifier of churn (label 1) over a feature table."""

    def __init__(self, *, random_state: int = 0, **parameters: Any) -> None:
        self.random_state = random_state
        self.parameters = {**BOOSTING_PARAMETERS, **parameters}
        self.numeric_names: list[str] = []
        self.categories: dict[str, NDArray[Any]] = {}
        self._classifier: CalibratedClassifierCV | None = None

    @property
    def names(self) -> list[str]:
        """The columns of :meth:`matrix`, numeric first."""
        return [*self.numeric_names, *self.categories]

    def matrix(self, table: FeatureTable) -> NDArray[np.float64]:
        """The table as the trees read it: numeric columns as they are, then each text column
        as the position of its category in the fitted categories (``NaN`` when unseen)."""
        columns = [np.asarray(table.numeric[name], dtype=np.float64) for name in self.numeric_names]
        for name, known in self.categories.items():
            values = np.asarray(table.categorical[name]).astype(str)
            codes = np.searchsorted(known, values).clip(max=len(known) - 1)
            columns.append(np.where(known[codes] == values, codes, np.nan).astype(np.float64))
        if not columns:
            raise ValueError("The feature table has no columns.")
        return np.column_stack(columns)

    def fit(self, table: FeatureTable, labels: ArrayLike) -> ChurnModel:
        """Fit on ``table`` with ``labels`` (1 churned, 0 stayed)."""
        target = np.asarray(labels, dtype=np.int64)
        if len(np.unique(target)) != 2:
            raise ValueError("Both churned and retained customers are needed to fit.")
        # A column with no value at all (no survey answered by anyone yet) tells nothing,
        # and the trees' binning cannot place it: it is left out.
        self.numeric_names = [
            name
            for name, column in table.numeric.items()
            if not np.isnan(np.asarray(column, dtype=np.float64)).all()
        ]
        self.categories = {
            name: np.unique(np.asarray(column).astype(str))
            for name, column in table.categorical.items()
        }
        is_categorical = np.array(
            [False] * len(self.numeric_names) + [True] * len(self.categories), dtype=bool
        )
        boosting = HistGradientBoostingClassifier(
            categorical_features=is_categorical if is_categorical.any() else None,
            random_state=self.random_state,
            **self.parameters,
        )
        folds = min(CALIBRATION_FOLDS, int(np.bincount(target).min()))
        if folds < 2:
            raise ValueError("Each outcome needs at least two customers to calibrate.")
        # ensemble=False: the calibration is learnt on out-of-fold predictions and one model
        # is refitted on every row, so predicting costs one model, not one per fold.
        self._classifier = CalibratedClassifierCV(
            boosting, method="sigmoid", cv=folds, ensemble=False
        )
        with threadpool_limits(limits=THREADS, user_api="openmp"):
            self._classifier.fit(self.matrix(table), target)
        return self

    def predict_matrix(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """P(churn) of each row of an already coded matrix (see :meth:`matrix`)."""
        if self._classifier is None:
            raise RuntimeError("The model is not fitted.")
        with threadpool_limits(limits=THREADS, user_api="openmp"):
            probabilities = self._classifier.predict_proba(matrix)[:, 1]
        return np.asarray(probabilities, dtype=np.float64)

    def predict(self, table: FeatureTable) -> NDArray[np.float64]:
        """P(churn) of each row of ``table``."""
        return self.predict_matrix(self.matrix(table))


@dataclass(frozen=True)
class Evaluation:
    """How well probabilities ranked and matched outcomes: ROC-AUC and the Brier score."""

    auc: float
    brier: float
    rows: int


def evaluate(labels: ArrayLike, probabilities: ArrayLike) -> Evaluation:
    """ROC-AUC (0.5 is chance) and Brier score (mean squared error of the probabilities)."""
    target = np.asarray(labels, dtype=np.int64)
    predicted = np.asarray(probabilities, dtype=np.float64)
    return Evaluation(
        auc=float(roc_auc_score(target, predicted)),
        brier=float(brier_score_loss(target, predicted)),
        rows=len(target),
    )


def table_from_columns(
    columns: Mapping[str, Sequence[Any] | NDArray[Any]], categorical: Sequence[str] = ()
) -> FeatureTable:
    """A feature table from plain columns, ``categorical`` naming the text ones."""
    return FeatureTable(
        numeric={
            name: np.asarray(values, dtype=np.float64)
            for name, values in columns.items()
            if name not in categorical
        },
        categorical={name: np.asarray(columns[name]).astype(str) for name in categorical},
    )
