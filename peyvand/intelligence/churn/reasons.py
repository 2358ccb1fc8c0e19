"""Why a customer's churn risk is high: for each feature, how much their probability would
drop if that one value were the population's typical one (the median; the most common
category for text columns). The features with the largest drops are the customer's reasons.

It is one extra prediction per feature over all customers (vectorised, in chunks), so a
model with 20 features costs 21 predictions per customer, and it needs nothing from the
model but its predictions.
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
    """``probability`` per customer and ``drop[i, j]``: how much customer i's probability
    falls when feature j (``names[j]``) is set to ``reference[j]``."""

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
    probability = np.empty(len(matrix))
    drop = np.zeros(matrix.shape)
    for start in range(0, len(matrix), CHUNK_ROWS):
        part = matrix[start : start + CHUNK_ROWS]
        base = model.predict_matrix(part)
        probability[start : start + len(part)] = base
        for column, typical in enumerate(reference):
            changed = part.copy()
            changed[:, column] = typical
            drop[start : start + len(part), column] = base - model.predict_matrix(changed)
    return Contributions(names=model.names, reference=reference, probability=probability, drop=drop)
