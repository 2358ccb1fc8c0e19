"""The churn model: gradient-boosted trees (``HistGradientBoostingClassifier``) and a
logistic regression side by side, stacked: a second logistic regression, with weights of at
least 0, turns their two log-odds into one calibrated probability.

* The trees read numeric and categorical columns as they are (native categorical splits;
  ``NaN`` goes down its own branch) and find thresholds and interactions.
* The logistic regression (:class:`LinearPart`) reads the same columns as a sum: skewed
  numbers on a log scale, missing values flagged, categories one-hot. Shallow trees build a
  smooth, additive effect out of many steps, and on little data they stop short of it;
  the line has it at once. Where it adds nothing, the stacker gives it weight 0.
* The stacker is fitted on *out-of-fold* log-odds (3 folds: what each part says of customers
  it was not fitted on), which also calibrates it (as the Platt sigmoid did on the trees
  alone); then both parts are refitted on every row, so a prediction costs one of each.

``ChurnModel(linear=False)`` is the trees alone, Platt-calibrated: the model before the
stack. On the IBM Telco benchmark (``bench/churn_telco.py``, 5-fold CV, mean of seeds 0–4)
the stack reaches ROC-AUC 0.8504 and Brier 0.1332, the trees alone 0.8487 and 0.1340, a
plain logistic regression 0.8451 and 0.1357. Each prediction is still one number per
customer, so the reasons (:mod:`.reasons`) explain the stacked probability itself, both
parts included.

The same pipeline runs on the CRM's own features as of a cutoff
(``peyvand.intelligence.churn_risk``). Input is a :class:`FeatureTable`: named float columns
(``NaN`` where unknown) and named text columns, coded to integers at fit time (a category
first seen at prediction time is treated as missing).

The trees' hyperparameters were tuned on Telco by 5-fold cross-validation (shallow trees, a
slow learning rate and leaves of at least 40 rows beat the defaults by 0.011 ROC-AUC;
tuning them further plateaued at 0.849–0.850). Fits and predictions run on one thread
(OpenMP and BLAS): the worker shares the machine with the web server, and on a busy 2-core
machine more threads were ten times slower. At 100,000 synthetic customers the logistic
regression makes the fit ×1.15 (4.4 s → 5.1 s), predicting ×1.1 and the reasons ×1.07
(its log-odds are computed without building its one-hot design).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

__all__ = ["ChurnModel", "FeatureTable", "LinearPart", "evaluate"]

BOOSTING_PARAMETERS: dict[str, Any] = {
    "learning_rate": 0.05,
    "max_iter": 200,
    "max_depth": 2,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
}
STACKING_FOLDS = 3
# The stacker has one or two inputs and thousands of rows: next to no penalty.
STACKER_C = 1e4
LINEAR_C = 1.0
LINEAR_ITERATIONS = 1000
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


class LinearPart:
    """The logistic regression beside the trees, reading the same coded matrix.

    Numeric columns: one with missing values gets a 0/1 "missing" column and its training
    median in their place; one with values beyond ±1 (counts, days, amounts) is read as
    ``sign(x)·log(1 + |x|)``, as such effects fade while they grow (the tenth purchase says
    less than the second); then every one is standardised. Text columns are one-hot (a
    missing or unseen category: none of them). L2-regularised with scikit-learn's ``C = 1``.
    """

    def __init__(self, numeric_count: int, category_sizes: Sequence[int]) -> None:
        self.numeric_count = numeric_count
        self.category_sizes = list(category_sizes)
        self.fill = np.zeros(numeric_count)
        self.flagged: NDArray[np.bool_] = np.zeros(numeric_count, dtype=bool)
        self.logged: NDArray[np.bool_] = np.zeros(numeric_count, dtype=bool)
        self.center = np.zeros(0)
        self.scale = np.ones(0)
        self._regression: LogisticRegression | None = None
        # The fitted regression with the standardisation folded in, for fast predictions.
        self._number_weights = np.zeros(numeric_count)
        self._flag_weights = np.zeros(0)
        self._category_weights: list[NDArray[np.float64]] = []
        self._intercept = 0.0

    def _read(self, matrix: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """The numbers as read (missing ones filled, large ones logged), and the missing
        flags of the flagged columns."""
        numbers = matrix[:, : self.numeric_count]
        unknown = np.isnan(numbers)
        numbers = np.where(unknown, self.fill, numbers)
        logged = numbers[:, self.logged]
        numbers[:, self.logged] = np.copysign(np.log1p(np.abs(logged)), logged)
        return numbers, unknown[:, self.flagged]

    def _numbers(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        numbers, flags = self._read(matrix)
        return np.column_stack([numbers, flags.astype(np.float64)])

    def design(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """The regression's inputs: standardised numbers and missing flags, then each text
        column one-hot."""
        columns = [(self._numbers(matrix) - self.center) / self.scale]
        for offset, size in enumerate(self.category_sizes):
            codes = matrix[:, self.numeric_count + offset]
            rows = np.flatnonzero(~np.isnan(codes))
            one_hot = np.zeros((len(matrix), size))
            one_hot[rows, codes[rows].astype(np.int64)] = 1.0
            columns.append(one_hot)
        return np.hstack(columns)

    def fit(self, matrix: NDArray[np.float64], target: NDArray[np.int64]) -> LinearPart:
        numbers = matrix[:, : self.numeric_count]
        unknown = np.isnan(numbers)
        self.flagged = np.asarray(unknown.any(axis=0), dtype=bool)
        # A column without any value in these rows (possible in a fold) is read as 0.
        self.fill = np.array(
            [
                float(np.median(column[~np.isnan(column)])) if not np.isnan(column).all() else 0.0
                for column in numbers.T
            ]
        )
        self.logged = np.asarray((np.abs(np.where(unknown, 0.0, numbers)) > 1).any(axis=0))
        read = self._numbers(matrix)
        self.center = read.mean(axis=0)
        spread = read.std(axis=0)
        self.scale = np.where(spread > 0, spread, 1.0)
        self._regression = LogisticRegression(C=LINEAR_C, max_iter=LINEAR_ITERATIONS)
        self._regression.fit(self.design(matrix), target)
        coefficients = self._regression.coef_[0]
        standardised = len(self.center)
        read_weights = coefficients[:standardised] / self.scale
        self._number_weights = read_weights[: self.numeric_count]
        self._flag_weights = read_weights[self.numeric_count :]
        self._intercept = float(
            self._regression.intercept_[0]
            - self.center @ (coefficients[:standardised] / self.scale)
        )
        ends = np.cumsum([standardised, *self.category_sizes])
        self._category_weights = [
            coefficients[start:end] for start, end in itertools.pairwise(ends)
        ]
        return self

    def decision(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """The regression's log-odds of churn of each row (what its ``decision_function``
        gives for :meth:`design`, without building the design: the reasons call this about
        as many times per customer as there are features)."""
        if self._regression is None:
            raise RuntimeError("The linear part is not fitted.")
        numbers, flags = self._read(matrix)
        odds = numbers @ self._number_weights + self._intercept
        if flags.shape[1]:
            odds += flags @ self._flag_weights
        for offset, weights in enumerate(self._category_weights):
            codes = matrix[:, self.numeric_count + offset]
            known = ~np.isnan(codes)
            odds[known] += weights[codes[known].astype(np.int64)]
        return np.asarray(odds, dtype=np.float64)


@dataclass(frozen=True)
class Stacker:
    """P(churn) = sigmoid(intercept + Σ weight · part's log-odds), the weights at least 0.

    A part that tells nothing beyond the other gets weight 0 and is left unheard: a
    negative weight would read "this part says higher risk" as lower risk, an artefact of
    out-of-fold predictions (a part fitted to noise is, out of fold, slightly *anti*
    -correlated with the outcome), and reasons built on it would be nonsense.
    """

    weights: NDArray[np.float64]
    intercept: float

    @classmethod
    def fit(cls, parts: NDArray[np.float64], target: NDArray[np.int64]) -> Stacker:
        """Least log-loss weights (nearly unpenalised: ``STACKER_C``) for ``parts``' columns."""
        outcome = target.astype(np.float64)

        def loss(coefficients: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            weights, intercept = coefficients[:-1], coefficients[-1]
            odds = parts @ weights + intercept
            error = expit(odds) - outcome
            value = float(np.logaddexp(0.0, odds).sum() - outcome @ odds)
            value += 0.5 * float(weights @ weights) / STACKER_C
            gradient = np.append(parts.T @ error + weights / STACKER_C, error.sum())
            return value, gradient

        start = np.append(np.ones(parts.shape[1]) / parts.shape[1], 0.0)
        found = minimize(
            loss,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, None)] * parts.shape[1] + [(None, None)],
        )
        return cls(weights=np.asarray(found.x[:-1], np.float64), intercept=float(found.x[-1]))

    def probability(self, parts: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(expit(parts @ self.weights + self.intercept), dtype=np.float64)


class ChurnModel:
    """Churn (label 1) over a feature table: boosted trees and a logistic regression,
    stacked by a logistic regression on their out-of-fold log-odds (which also calibrates
    them). ``linear=False`` keeps the trees alone, Platt-calibrated (the earlier model)."""

    def __init__(self, *, random_state: int = 0, linear: bool = True, **parameters: Any) -> None:
        self.random_state = random_state
        self.linear = linear
        self.parameters = {**BOOSTING_PARAMETERS, **parameters}
        self.numeric_names: list[str] = []
        self.categories: dict[str, NDArray[Any]] = {}
        self._trees: HistGradientBoostingClassifier | None = None
        self._linear: LinearPart | None = None
        self._stacker: Stacker | None = None

    @property
    def names(self) -> list[str]:
        """The columns of :meth:`matrix`, numeric first."""
        return [*self.numeric_names, *self.categories]

    @property
    def weights(self) -> dict[str, float]:
        """The stacker's weight on each part's log-odds (``trees``, and ``linear`` unless
        ``linear=False``)."""
        if self._stacker is None:
            raise RuntimeError("The model is not fitted.")
        parts = ["trees", "linear"] if self.linear else ["trees"]
        return dict(zip(parts, self._stacker.weights.tolist(), strict=True))

    def matrix(self, table: FeatureTable) -> NDArray[np.float64]:
        """The table as the model reads it: numeric columns as they are, then each text column
        as the position of its category in the fitted categories (``NaN`` when unseen)."""
        columns = [np.asarray(table.numeric[name], dtype=np.float64) for name in self.numeric_names]
        for name, known in self.categories.items():
            values = np.asarray(table.categorical[name]).astype(str)
            codes = np.searchsorted(known, values).clip(max=len(known) - 1)
            columns.append(np.where(known[codes] == values, codes, np.nan).astype(np.float64))
        if not columns:
            raise ValueError("The feature table has no columns.")
        return np.column_stack(columns)

    def _new_trees(self) -> HistGradientBoostingClassifier:
        is_categorical = np.array(
            [False] * len(self.numeric_names) + [True] * len(self.categories), dtype=bool
        )
        return HistGradientBoostingClassifier(
            categorical_features=is_categorical if is_categorical.any() else None,
            random_state=self.random_state,
            **self.parameters,
        )

    def _new_linear(self) -> LinearPart:
        return LinearPart(
            len(self.numeric_names), [len(known) for known in self.categories.values()]
        )

    def _parts(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each part's log-odds, one column per part."""
        if self._trees is None:
            raise RuntimeError("The model is not fitted.")
        parts = [self._trees.decision_function(matrix)]
        if self._linear is not None:
            parts.append(self._linear.decision(matrix))
        return np.column_stack(parts).astype(np.float64)

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
        folds = min(STACKING_FOLDS, int(np.bincount(target).min()))
        if folds < 2:
            raise ValueError("Each outcome needs at least two customers to calibrate.")
        matrix = self.matrix(table)
        # The stacker learns from out-of-fold log-odds (what each part says of customers it
        # was not fitted on); then the parts are refitted on every row, so predicting costs
        # one of each, not one per fold.
        out_of_fold = np.zeros((len(target), 2 if self.linear else 1))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        with threadpool_limits(limits=THREADS):
            for fitted, held in splitter.split(matrix, target):
                self._fit_parts(matrix[fitted], target[fitted])
                out_of_fold[held] = self._parts(matrix[held])
            self._fit_parts(matrix, target)
            self._stacker = Stacker.fit(out_of_fold, target)
        return self

    def _fit_parts(self, matrix: NDArray[np.float64], target: NDArray[np.int64]) -> None:
        self._trees = self._new_trees().fit(matrix, target)
        self._linear = self._new_linear().fit(matrix, target) if self.linear else None

    def predict_matrix(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """P(churn) of each row of an already coded matrix (see :meth:`matrix`)."""
        if self._stacker is None:
            raise RuntimeError("The model is not fitted.")
        with threadpool_limits(limits=THREADS):
            return self._stacker.probability(self._parts(matrix))

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
