"""Item-to-item co-purchase similarity, the per-customer top k and hit-rate@k (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from peyvand.intelligence.recommendations import similarity
from peyvand.intelligence.recommendations.evaluation import (
    PurchaseLines,
    evaluate_time_split,
    hit_rate_at_k,
)
from peyvand.intelligence.recommendations.similarity import (
    PurchaseHistory,
    Recommendations,
    fit_item_similarity,
    fit_popularity,
    recommend,
    top_per_row,
)


def history(pairs: list[tuple[int, int]], ages: list[float] | None = None) -> PurchaseHistory:
    customers, products = zip(*pairs, strict=True)
    return PurchaseHistory.from_lines(customers, products, ages or [0.0] * len(pairs))


# Customers 1 and 2 bought products 10 and 20, customer 3 bought 10 and 30, customer 4
# only 10: 10 has 4 buyers, 20 two (both with 10), 30 one (with 10).
SHOP = [(1, 10), (1, 20), (2, 10), (2, 20), (3, 10), (3, 30), (4, 10)]


def test_similarity_is_the_cosine_of_buyer_sets_shrunk_by_common_buyers() -> None:
    plain = fit_item_similarity(history(SHOP), shrinkage=0)
    assert plain.product_ids.tolist() == [10, 20, 30]
    dense = plain.similarity.toarray()
    assert dense[0, 1] == pytest.approx(2 / math.sqrt(4 * 2))
    assert dense[0, 2] == pytest.approx(1 / math.sqrt(4 * 1))
    assert dense[1, 2] == 0 and np.diag(dense).tolist() == [0, 0, 0]

    shrunk = fit_item_similarity(history(SHOP), shrinkage=1).similarity.toarray()
    assert shrunk[0, 1] == pytest.approx(2 / math.sqrt(8) * 2 / 3)
    assert shrunk[0, 2] == pytest.approx(1 / 2 * 1 / 2)


def test_a_customer_gets_what_is_bought_with_their_products_not_what_they_have() -> None:
    shop = history(SHOP)
    result = recommend(fit_item_similarity(shop, shrinkage=0), shop, k=3)
    assert result.customer_ids.tolist() == [1, 2, 3, 4]
    # Customer 4 (only 10): 20 (0.707) before 30 (0.5); 10 is theirs already.
    assert result.product_ids[3].tolist() == [20, 30, -1]
    assert result.scores[3, :2] == pytest.approx([2 / math.sqrt(8), 0.5])
    assert result.is_popular[3].tolist() == [False, False, False]
    # Customer 1 (10 and 20): 30 through 10; nothing else is left.
    assert result.product_ids[0].tolist() == [30, -1, -1]


def test_repeat_purchases_may_be_allowed() -> None:
    shop = history(SHOP)
    result = recommend(fit_item_similarity(shop, shrinkage=0), shop, k=3, exclude_bought=False)
    # 10 is similar to 20 and 30 and so scores for customer 4 only through itself: its own
    # similarity is 0, so it comes by popularity, after the two similar products.
    assert result.product_ids[3].tolist() == [20, 30, 10]
    assert result.is_popular[3].tolist() == [False, False, True]


def test_recent_purchases_weigh_more() -> None:
    # Customer 9 bought 20 a half-life ago and 30 just now: 30's neighbour 40 wins over
    # 20's neighbour 50 although both pairs look alike.
    pairs = [(1, 20), (1, 50), (2, 30), (2, 40), (9, 20), (9, 30)]
    shop = history(pairs, ages=[0, 0, 0, 0, 180, 0])
    result = recommend(fit_item_similarity(shop, shrinkage=0, half_life_days=180), shop, k=2)
    row = result.customer_ids.tolist().index(9)
    assert result.product_ids[row].tolist() == [40, 50]
    assert result.scores[row, 1] == pytest.approx(result.scores[row, 0] / 2)


def test_popularity_fills_the_places_history_leaves_and_serves_newcomers() -> None:
    # Product 70 was bought alone by customer 5: no neighbours, so its buyer gets the
    # popular products they lack, most popular (10) first.
    shop = history([*SHOP, (5, 70)])
    result = recommend(fit_item_similarity(shop), shop, k=2)
    row = result.customer_ids.tolist().index(5)
    assert result.product_ids[row].tolist() == [10, 20]
    assert result.is_popular[row].tolist() == [True, True]
    assert result.scores[row].tolist() == [1.0, 0.5]
    assert result.popular_product_ids.tolist() == [10, 20]
    assert result.for_customer(5) == [10, 20]
    assert result.for_customer(999) == [10, 20]


def test_products_not_allowed_are_history_but_never_recommended() -> None:
    shop = history(SHOP)
    result = recommend(fit_item_similarity(shop), shop, k=3, allowed_product_ids=[10, 30])
    assert result.product_ids[3].tolist() == [30, -1, -1]
    assert result.popular_product_ids.tolist() == [10, 30]


def test_the_popularity_baseline_ignores_co_purchase() -> None:
    shop = history([*SHOP, (6, 30), (7, 30)])
    result = recommend(fit_popularity(shop), shop, k=2)
    # 10: 4 buyers, 30: 3, 20: 2.
    assert result.for_customer(1) == [30]
    assert result.for_customer(4) == [30, 20]
    assert (
        result.is_popular.sum() == len(result.customer_ids) * 2 - (result.product_ids == -1).sum()
    )


def test_lines_reduce_to_the_latest_purchase_of_each_pair() -> None:
    reduced = PurchaseHistory.from_lines([2, 1, 2, 1], [5, 5, 5, 6], [30.0, 3.0, 10.0, 7.0])
    assert reduced.customer_ids.tolist() == [1, 1, 2]
    assert reduced.product_ids.tolist() == [5, 6, 5]
    assert reduced.age_days.tolist() == [3.0, 7.0, 10.0]


def test_only_the_top_neighbours_of_each_product_are_kept() -> None:
    matrix = np.array([[0, 3, 1, 2], [5, 0, 5, 1], [0, 0, 0, 0], [1, 1, 1, 0]], dtype=float)
    kept = top_per_row(matrix, 2).toarray()
    assert kept.tolist() == [[0, 3, 0, 2], [5, 0, 5, 0], [0, 0, 0, 0], [1, 1, 0, 0]]


def test_blocks_of_customers_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    shop = PurchaseHistory.from_lines(
        rng.integers(0, 300, 3000), rng.integers(0, 40, 3000), rng.uniform(0, 400, 3000)
    )
    model = fit_item_similarity(shop, neighbours=5)
    whole = recommend(model, shop, k=10)
    monkeypatch.setattr(similarity, "BLOCK_CELLS", 7 * 40)
    blocked = recommend(model, shop, k=10)
    assert np.array_equal(whole.product_ids, blocked.product_ids)
    assert np.allclose(whole.scores, blocked.scores)


def test_hit_rate_counts_customers_with_a_future_purchase_in_their_top_k() -> None:
    recommendations = Recommendations(
        customer_ids=np.array([1, 2, 3]),
        product_ids=np.array([[10, 20], [30, -1], [10, 30]]),
        scores=np.zeros((3, 2)),
        is_popular=np.zeros((3, 2), dtype=bool),
        popular_product_ids=np.array([10, 20]),
    )
    # 1 buys 20 (hit) and 40; 2 buys 10 (miss); 3 buys nothing; 8 has no history.
    result = hit_rate_at_k(recommendations, [1, 1, 2, 8], [40, 20, 10, 10], k=2)
    assert (result.customers, result.hits, result.rate) == (2, 1, 0.5)
    assert hit_rate_at_k(recommendations, [1], [20], k=1).hits == 0


def test_on_a_time_split_co_purchase_beats_popularity_when_baskets_go_together() -> None:
    # 200 customers: half buy 1 then 2, half buy 3 then 4; 5 is bought by everyone early
    # (the best seller). Trained before day 10, each customer's next buy is the partner.
    customers, products, days = [], [], []
    for customer in range(200):
        first, second = (1, 2) if customer % 2 else (3, 4)
        late = customer >= 100  # the first 100 bought both before the cutoff
        customers += [customer, customer, customer]
        products += [5, first, second]
        days += [1.0, 2.0, 15.0 if late else 5.0]
    lines = PurchaseLines(np.array(customers), np.array(products), np.array(days))
    result = evaluate_time_split(lines, 10.0, k=1)
    assert result.train_pairs == 100 * 3 + 100 * 2
    assert (result.item_to_item.customers, result.item_to_item.hits) == (100, 100)
    # Popularity recommends the other pair's first product (bought by 100) or worse.
    assert result.popularity.hits == 0
    assert result.ratio == float("inf")
