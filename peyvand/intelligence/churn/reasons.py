"""Why a customer's churn risk is high: each feature's share of the gap between the
customer's probability and a typical customer's (the median of every numeric column, the
most common category of text ones; the service takes the typical customer *who stayed*, so
that reasons say how this customer differs from those who keep buying: in many shops the
median customer has already gone), measured both ways and averaged:

* *leave out*: how much the customer's probability drops when that one value is set to
  the typical one;
* *add alone*: how much a typical customer's probability rises when given that one value
  of the customer's.

Either alone misleads: a customer gone for 600 days with no purchase this year stays at
0.99 whichever single value is made typical (every leave-out drop is near 0), while adding
values alone misses what only counts together. Their mean is the Shapley value of the
feature in the game of two players (the feature, the rest). It costs one prediction per
feature and customer (vectorised, in chunks) plus one per distinct value of each feature,
and needs nothing from the model but its predictions: the reasons explain the stacked
probability itself, whichever part of the model (trees or logistic regression) moved it.
The features with the largest shares are the customer's reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .model import ChurnModel, FeatureTable

__all__ = ["Contributions", "contributions", "reference_values"]

CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class Contributions:
    """``probability`` per customer and ``drop[i, j]``: how much of customer i's probability
    (above a typical customer's) feature j (``names[j]``) accounts for; negative when the
    feature lowers their risk."""

    names: list[str]
    reference: NDArray[np.float64]
    probability: NDArray[np.float64]
    drop: NDArray[np.float64]

    def top(self, count: int = 3, minimum: float = 0.01) -> list[list[tuple[int, float]]]:
        """Per customer, up to ``count`` (feature index, drop) pairs, largest drop first,
        keeping only drops of at least ``minimum``."""
        if not len(self.drop):
            return []
        order = np.argsort(-self.drop, axis=1, kind="stable")[:, :count]
        drops = np.take_along_axis(self.drop, order, axis=1)
        return [
            [
                (int(index), round(float(drop), 4))
                for index, drop in zip(indices, values, strict=True)
                if drop >= minimum
            ]
            for indices, values in zip(order.tolist(), drops.tolist(), strict=True)
        ]


def reference_values(model: ChurnModel, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each column's typical value: the median of numeric columns, the most common category
    code of text ones (``NaN`` when a column is all missing)."""
    reference = np.full(matrix.shape[1], np.nan)
    numeric_count = len(model.numeric_names)
    for column in range(matrix.shape[1]):
        values = matrix[:, column]
        values = values[~np.isnan(values)]
        if not len(values):
            continue
        if column < numeric_count:
            reference[column] = float(np.median(values))
        else:
            reference[column] = float(np.bincount(values.astype(np.int64)).argmax())
    return reference


def contributions(
    model: ChurnModel, table: FeatureTable, reference: NDArray[np.float64] | None = None
) -> Contributions:
    """Every customer's probability and per-feature drop (``reference`` defaults to this
    table's typical values)."""
    matrix = model.matrix(table)
    if reference is None:
        reference = reference_values(model, matrix)
    typical = float(model.predict_matrix(reference[np.newaxis, :])[0])
    probability = np.empty(len(matrix))
    drop = np.zeros(matrix.shape)
    for column in range(len(reference)):
        # "Add alone" depends on the customer's value of this one column only: predict each
        # distinct value once (days, counts and scores repeat a lot).
        distinct, inverse = np.unique(matrix[:, column], return_inverse=True)
        alone = np.tile(reference, (len(distinct), 1))
        alone[:, column] = distinct
        drop[:, column] = 0.5 * (model.predict_matrix(alone)[inverse.ravel()] - typical)
    for start in range(0, len(matrix), CHUNK_ROWS):
        part = matrix[start : start + CHUNK_ROWS]
        rows = slice(start, start + len(part))
        base = model.predict_matrix(part)
        probability[rows] = base
        for column, value in enumerate(reference):
            without = part.copy()
            without[:, column] = value
            drop[rows, column] += 0.5 * (base - model.predict_matrix(without))
    return Contributions(names=model.names, reference=reference, probability=probability, drop=drop)
