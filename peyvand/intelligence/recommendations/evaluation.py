"""How good the next best products are: hit-rate@k on a time split.

Train on the purchases placed before a cutoff, recommend ``k`` products to every customer
with a history by then, and count a *hit* for a customer when any product they bought after
the cutoff is among their ``k``. The hit-rate is hits / customers evaluated, over the
customers who bought both before and after the cutoff (a customer with no history gets the
popular list from every model alike, which says nothing about the model).

Both item-to-item co-purchase and the popularity baseline are evaluated on the same split,
so their ratio says what co-purchase adds over recommending the best sellers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .similarity import (
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_NEIGHBOURS,
    DEFAULT_SHRINKAGE,
    FloatArray,
    IntArray,
    PurchaseHistory,
    Recommendations,
    fit_item_similarity,
    fit_popularity,
    recommend,
)


@dataclass(frozen=True)
class PurchaseLines:
    """Purchase lines: customer, product and when (in days, on any common origin)."""

    customer_ids: IntArray
    product_ids: IntArray
    days: FloatArray

    def __len__(self) -> int:
        return len(self.customer_ids)

    def before(self, cutoff_day: float) -> PurchaseHistory:
        """The history as of ``cutoff_day``: lines placed before it, with their ages."""
        earlier = self.days < cutoff_day
        return PurchaseHistory.from_lines(
            self.customer_ids[earlier], self.product_ids[earlier], cutoff_day - self.days[earlier]
        )

    def from_day(self, cutoff_day: float) -> tuple[IntArray, IntArray]:
        """(customers, products) of the lines placed at or after ``cutoff_day``."""
        later = self.days >= cutoff_day
        return self.customer_ids[later], self.product_ids[later]


@dataclass(frozen=True)
class HitRate:
    """Customers evaluated and how many of them had a hit."""

    customers: int
    hits: int

    @property
    def rate(self) -> float:
        return self.hits / self.customers if self.customers else 0.0


def hit_rate_at_k(
    recommendations: Recommendations,
    future_customer_ids: Any,
    future_product_ids: Any,
    *,
    k: int = 10,
) -> HitRate:
    """Over the customers who have recommendations and a purchase in the future lines: how
    many bought at least one of their top ``k``."""
    customers = np.asarray(future_customer_ids, dtype=np.int64)
    products = np.asarray(future_product_ids, dtype=np.int64)
    known = recommendations.customer_ids
    if len(known) == 0 or len(customers) == 0:
        return HitRate(0, 0)
    rows = np.minimum(np.searchsorted(known, customers), len(known) - 1)
    has_row = known[rows] == customers
    rows, products = rows[has_row], products[has_row]
    top = recommendations.product_ids[:, :k]
    hit_lines = (top[rows] == products[:, np.newaxis]).any(axis=1)
    evaluated = np.unique(rows)
    hit_customers = np.unique(rows[hit_lines])
    return HitRate(customers=len(evaluated), hits=len(hit_customers))


@dataclass(frozen=True)
class SplitEvaluation:
    """Hit-rates of item-to-item and of popularity on one time split, and the time taken
    to fit the similarity and to recommend to every customer."""

    k: int
    cutoff_day: float
    train_pairs: int
    item_to_item: HitRate
    popularity: HitRate
    fit_seconds: float
    recommend_seconds: float

    @property
    def ratio(self) -> float:
        """Item-to-item's hit-rate over popularity's (inf when popularity never hits)."""
        if self.popularity.rate == 0:
            return float("inf") if self.item_to_item.rate > 0 else 1.0
        return self.item_to_item.rate / self.popularity.rate


def evaluate_time_split(
    lines: PurchaseLines,
    cutoff_day: float,
    *,
    k: int = 10,
    neighbours: int = DEFAULT_NEIGHBOURS,
    shrinkage: float = DEFAULT_SHRINKAGE,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> SplitEvaluation:
    """Fit both models on the lines before ``cutoff_day`` and score them on the rest."""
    history = lines.before(cutoff_day)
    future_customers, future_products = lines.from_day(cutoff_day)
    began = time.perf_counter()
    model = fit_item_similarity(
        history, neighbours=neighbours, shrinkage=shrinkage, half_life_days=half_life_days
    )
    fitted = time.perf_counter()
    item_to_item = recommend(model, history, k=k)
    recommended = time.perf_counter()
    popular = recommend(fit_popularity(history, half_life_days=half_life_days), history, k=k)
    return SplitEvaluation(
        k=k,
        cutoff_day=cutoff_day,
        train_pairs=len(history),
        item_to_item=hit_rate_at_k(item_to_item, future_customers, future_products, k=k),
        popularity=hit_rate_at_k(popular, future_customers, future_products, k=k),
        fit_seconds=fitted - began,
        recommend_seconds=recommended - fitted,
    )
