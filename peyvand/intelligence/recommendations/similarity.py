"""Item-to-item co-purchase similarity and each customer's next best products.

From who bought what (one entry per customer and product, with how long ago they last
bought it) this builds a sparse customer × product matrix and

* the similarity of two products: the cosine of their buyer sets, shrunk towards zero when
  few customers bought both (``co / sqrt(n_i · n_j) · co / (co + shrinkage)``: two products
  with one buyer in common are not "identical"), keeping the ``neighbours`` most similar
  products of each product (Sarwar et al. 2001; Linden, Smith & York 2003);
* a customer's score of a product: the sum of its similarities to what they bought, each
  weighted by the recency of that purchase (halved every ``half_life_days``), so what they
  bought last month says more than what they bought three years ago;
* popularity: the recency-weighted number of buyers of each product, scaled to [0, 1]; it
  fills the places a customer's own history leaves empty (a customer whose products have no
  neighbours, or who bought almost everything), and is the whole list for a customer with
  no history at all (``Recommendations.popular_product_ids``).

Products a customer already bought are not recommended to them (``exclude_bought``): the
list is for discovering what they do not have yet. Buying the same thing again (coffee,
cartridges) is a question of timing, which co-purchase similarity does not answer.

Scores are computed for a block of customers at a time as a dense block × products array
(a few million cells), so memory stays flat however many customers there are; everything
is vectorised (no Python loop over customers or lines).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

IntArray = np.ndarray[Any, np.dtype[np.int64]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

DEFAULT_NEIGHBOURS = 50
DEFAULT_SHRINKAGE = 10.0
DEFAULT_HALF_LIFE_DAYS = 180.0
# Cells of one dense score block (customers × products): about 32 MB of float64.
BLOCK_CELLS = 4_000_000
# Keys of products from the customer's own history sit above every popularity key (0..1).
_SIMILAR_OFFSET = 2.0
# Equal keys go to the product with the lower id: each column's key is lowered by this much
# per column, far below any real difference of scores.
_TIE_BREAK = 1e-12


@dataclass(frozen=True)
class PurchaseHistory:
    """Who bought what: one entry per (customer, product) pair, with the age in days of the
    customer's latest purchase of it (0 = at the moment the recommendations are for)."""

    customer_ids: IntArray
    product_ids: IntArray
    age_days: FloatArray

    @classmethod
    def from_lines(cls, customer_ids: Any, product_ids: Any, age_days: Any) -> PurchaseHistory:
        """Reduce purchase lines (several per pair allowed) to one entry per pair, keeping
        the most recent purchase."""
        customers = np.asarray(customer_ids, dtype=np.int64)
        products = np.asarray(product_ids, dtype=np.int64)
        ages = np.asarray(age_days, dtype=np.float64)
        if len(customers) == 0:
            return cls(customers, products, ages)
        order = np.lexsort((ages, products, customers))
        customers, products, ages = customers[order], products[order], ages[order]
        first = np.ones(len(customers), dtype=bool)
        first[1:] = (customers[1:] != customers[:-1]) | (products[1:] != products[:-1])
        # Sorted by age within a pair, so its first entry is the latest purchase.
        return cls(customers[first], products[first], ages[first])

    def __len__(self) -> int:
        return len(self.customer_ids)


@dataclass(frozen=True)
class ItemModel:
    """What the recommendations are computed from: the products known (sorted ids), the
    top-``neighbours`` similarity of each to the others (row i: products similar to i) and
    each product's popularity in [0, 1]."""

    product_ids: IntArray
    similarity: sparse.csr_matrix
    popularity: FloatArray
    half_life_days: float

    @property
    def neighbour_pairs(self) -> int:
        return int(self.similarity.nnz)


@dataclass(frozen=True)
class Recommendations:
    """The top ``k`` products of each customer who has a history (rows follow
    ``customer_ids``, sorted), best first. ``product_ids`` is -1 where fewer than ``k``
    products could be recommended; ``is_popular`` marks places filled by popularity (their
    ``scores`` are the popularity, the others the summed similarity).
    ``popular_product_ids`` are the most popular products, for customers with no history."""

    customer_ids: IntArray
    product_ids: IntArray
    scores: FloatArray
    is_popular: BoolArray
    popular_product_ids: IntArray

    def for_customer(self, customer_id: int) -> list[int]:
        """One customer's recommended product ids, best first (the popular list when the
        customer has no history)."""
        row = int(np.searchsorted(self.customer_ids, customer_id))
        if row < len(self.customer_ids) and self.customer_ids[row] == customer_id:
            products = self.product_ids[row]
            return [int(product) for product in products[products >= 0]]
        return [int(product) for product in self.popular_product_ids]


def recency_weights(age_days: FloatArray, half_life_days: float) -> FloatArray:
    """1 for a purchase made now, halved every ``half_life_days`` (no decay when it is 0)."""
    if half_life_days <= 0:
        return np.ones(len(age_days))
    return np.power(0.5, np.maximum(age_days, 0.0) / half_life_days)


def _customer_matrix(
    history: PurchaseHistory, product_ids: IntArray, half_life_days: float
) -> tuple[IntArray, sparse.csr_matrix]:
    """The customers (sorted ids) and their customers × products matrix of recency weights
    (products outside ``product_ids`` are left out)."""
    customers, rows = np.unique(history.customer_ids, return_inverse=True)
    columns = np.searchsorted(product_ids, history.product_ids)
    columns = np.minimum(columns, max(len(product_ids) - 1, 0))
    known = (
        product_ids[columns] == history.product_ids
        if len(product_ids)
        else np.zeros(len(history), dtype=bool)
    )
    weights = recency_weights(history.age_days, half_life_days)
    matrix = sparse.csr_matrix(
        (weights[known], (rows[known], columns[known])),
        shape=(len(customers), len(product_ids)),
    )
    matrix.sum_duplicates()
    return customers.astype(np.int64), matrix


def top_per_row(matrix: sparse.spmatrix, keep: int) -> sparse.csr_matrix:
    """``matrix`` with only the ``keep`` largest entries of each row (ties: lower column)."""
    coo = sparse.coo_matrix(matrix)
    if coo.nnz == 0:
        return sparse.csr_matrix(coo.shape)
    order = np.lexsort((coo.col, -coo.data, coo.row))
    rows, columns, values = coo.row[order], coo.col[order], coo.data[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    kept = rank < keep
    return sparse.csr_matrix((values[kept], (rows[kept], columns[kept])), shape=coo.shape)


def fit_item_similarity(
    history: PurchaseHistory,
    *,
    neighbours: int = DEFAULT_NEIGHBOURS,
    shrinkage: float = DEFAULT_SHRINKAGE,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> ItemModel:
    """The co-purchase similarity of every product bought in ``history`` (see the module
    docstring) and their popularity."""
    product_ids = np.unique(history.product_ids).astype(np.int64)
    _customers, weights = _customer_matrix(history, product_ids, half_life_days)
    bought = weights.copy()
    bought.data = np.ones(len(bought.data))
    bought = bought.tocsc()
    together = (bought.T @ bought).tocoo()  # products × products: customers who bought both
    buyers = np.asarray(bought.sum(axis=0)).ravel()
    off_diagonal = together.row != together.col
    rows, columns = together.row[off_diagonal], together.col[off_diagonal]
    both = together.data[off_diagonal]
    cosine = both / np.sqrt(buyers[rows] * buyers[columns])
    values = cosine * both / (both + shrinkage) if shrinkage > 0 else cosine
    similarity = sparse.csr_matrix(
        (values, (rows, columns)), shape=(len(product_ids), len(product_ids))
    )
    return ItemModel(
        product_ids=product_ids,
        similarity=top_per_row(similarity, neighbours),
        popularity=_popularity(weights),
        half_life_days=half_life_days,
    )


def fit_popularity(
    history: PurchaseHistory, *, half_life_days: float = DEFAULT_HALF_LIFE_DAYS
) -> ItemModel:
    """The popularity baseline: no similarity at all, so every customer gets the most
    popular products they have not bought."""
    product_ids = np.unique(history.product_ids).astype(np.int64)
    _customers, weights = _customer_matrix(history, product_ids, half_life_days)
    return ItemModel(
        product_ids=product_ids,
        similarity=sparse.csr_matrix((len(product_ids), len(product_ids))),
        popularity=_popularity(weights),
        half_life_days=half_life_days,
    )


def _popularity(weights: sparse.csr_matrix) -> FloatArray:
    totals = np.asarray(weights.sum(axis=0), dtype=np.float64).ravel()
    largest = totals.max() if len(totals) else 0.0
    return totals / largest if largest > 0 else totals


def recommend(
    model: ItemModel,
    history: PurchaseHistory,
    *,
    k: int = 10,
    exclude_bought: bool = True,
    allowed_product_ids: Any = None,
) -> Recommendations:
    """Each customer's top ``k`` products from ``model`` and their ``history`` (usually the
    one the model was fitted on). Only ``allowed_product_ids`` (default: every product of
    the model) are recommended; the others still count as history."""
    product_count = len(model.product_ids)
    allowed = np.ones(product_count, dtype=bool)
    if allowed_product_ids is not None:
        allowed = np.isin(model.product_ids, np.asarray(allowed_product_ids, dtype=np.int64))
    customers, weights = _customer_matrix(history, model.product_ids, model.half_life_days)
    popular_order = np.lexsort((model.product_ids, -model.popularity))
    popular = model.product_ids[popular_order[allowed[popular_order]]][:k]
    width = min(k, product_count)
    result_products = np.full((len(customers), k), -1, dtype=np.int64)
    result_scores = np.zeros((len(customers), k))
    result_popular = np.zeros((len(customers), k), dtype=bool)
    if width == 0 or len(customers) == 0:
        return Recommendations(customers, result_products, result_scores, result_popular, popular)
    block_rows = max(1, BLOCK_CELLS // product_count)
    similarity = model.similarity.tocsr()
    tie_break = _TIE_BREAK * np.arange(product_count)
    for start in range(0, len(customers), block_rows):
        stop = min(start + block_rows, len(customers))
        block_weights = weights[start:stop]
        scores = (block_weights @ similarity).toarray()
        keys = np.where(scores > 0, _SIMILAR_OFFSET + scores, model.popularity[np.newaxis, :])
        keys -= tie_break
        keys[:, ~allowed] = -np.inf
        if exclude_bought:
            bought_rows, bought_columns = block_weights.nonzero()
            keys[bought_rows, bought_columns] = -np.inf
        if width < product_count:
            top = np.argpartition(-keys, width - 1, axis=1)[:, :width]
        else:
            top = np.tile(np.arange(product_count), (stop - start, 1))
        top_keys = np.take_along_axis(keys, top, axis=1)
        order = np.argsort(-top_keys, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top_keys = np.take_along_axis(top_keys, order, axis=1)
        top_scores = np.take_along_axis(scores, top, axis=1)
        valid = np.isfinite(top_keys)
        from_popularity = top_scores <= 0
        top_popularity = model.popularity[top]
        result_products[start:stop, :width] = np.where(valid, model.product_ids[top], -1)
        result_scores[start:stop, :width] = np.where(
            valid, np.where(from_popularity, top_popularity, top_scores), 0.0
        )
        result_popular[start:stop, :width] = valid & from_popularity
    return Recommendations(customers, result_products, result_scores, result_popular, popular)
