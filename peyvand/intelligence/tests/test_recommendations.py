"""Stored next best products: the daily computation over the orders in the database."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peyvand.commerce.services import refund_record
from peyvand.commerce.tests.factories import PLACED, make_order
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence.models import ProductRecommendation, RecommendationRun
from peyvand.intelligence.product_recommendations import (
    next_product_names,
    popular_product_name,
    purchase_history,
    recommendations_compute,
    recommendations_compute_job,
    recommendations_evaluate,
)
from peyvand.sales.models import Product
from peyvand.web.scheduler import default_jobs

pytestmark = pytest.mark.django_db
AS_OF = PLACED + datetime.timedelta(days=1)


def basket(
    contact: Contact, products: list[Product], *, status: str = "paid", **values: Any
) -> None:
    """One order of one unit of each product at 100 Rials (lines without a catalogue
    product are named by a SKU that matches none)."""
    lines = [
        {"sku": product.code, "name": product.name, "quantity": 1, "unit_price": 100}
        for product in products
    ]
    amount = 100 * len(lines)
    make_order(
        contact,
        lines=lines,
        status=status,
        subtotal=amount,
        discount=0,
        shipping=0,
        tax=0,
        total=amount,
        **values,
    )


@pytest.fixture
def shop() -> dict[str, Any]:
    """Customers a and b bought a book and a bag, c a book and a pen, d a book (and a pen in
    a cancelled order, a bag in a refunded one), e only a notebook; a also bought a diary
    that is no longer sold. Buyers: book 4, bag 2, pen 1, notebook 1, diary 1."""
    book, bag, pen, diary, notebook = (
        Product.objects.create(code=code, name=name, price=100)
        for code, name in (
            ("BOOK", "کتاب"),
            ("BAG", "کیف"),
            ("PEN", "خودکار"),
            ("DIARY", "سالنامه"),
            ("NOTE", "دفتر"),
        )
    )
    Product.objects.filter(pk=diary.pk).update(is_active=False)
    people = {name: make_contact(first_name=name) for name in "abcde"}
    basket(people["a"], [book, bag, diary])
    basket(people["b"], [book, bag])
    basket(people["c"], [book, pen])
    basket(people["d"], [book])
    basket(people["d"], [pen], status="cancelled")
    basket(people["d"], [bag], status="pending")
    basket(people["e"], [notebook])
    make_order(
        people["e"],
        lines=[{"sku": "", "name": "هدیه", "quantity": 1, "unit_price": 1}],
        subtotal=1,
        discount=0,
        shipping=0,
        tax=0,
        total=1,
    )
    return {
        "people": people,
        "book": book,
        "bag": bag,
        "pen": pen,
        "diary": diary,
        "notebook": notebook,
    }


def stored(contact: Contact) -> list[tuple[str, int, bool]]:
    return [
        (row.product.code, row.rank, row.is_popular)
        for row in ProductRecommendation.objects.filter(contact=contact).select_related("product")
    ]


def test_history_counts_purchases_of_catalogue_products_only(shop: dict[str, Any]) -> None:
    history = purchase_history(AS_OF)
    people = shop["people"]
    pairs = set(zip(history.customer_ids.tolist(), history.product_ids.tolist(), strict=True))
    assert (people["d"].pk, shop["pen"].pk) not in pairs  # cancelled
    assert (people["d"].pk, shop["bag"].pk) not in pairs  # pending
    assert len(pairs) == 9
    assert history.age_days.tolist() == pytest.approx([1.0] * 9)


def test_each_buyer_gets_co_purchased_products_then_popular_ones(shop: dict[str, Any]) -> None:
    run = recommendations_compute(as_of=AS_OF)
    people = shop["people"]

    assert (run.customers, run.products, run.purchase_pairs) == (5, 5, 9)
    assert run.message == ""
    popular = [shop[name].pk for name in ("book", "bag", "pen", "notebook")]
    assert run.popular_product_ids == popular
    # d bought only the book: the bag (two buyers with the book) before the pen (one),
    # then the most popular product d lacks. The diary is not sold any more.
    assert stored(people["d"]) == [("BAG", 1, False), ("PEN", 2, False), ("NOTE", 3, True)]
    # e's notebook was bought with nothing: the best sellers.
    assert stored(people["e"]) == [("BOOK", 1, True), ("BAG", 2, True), ("PEN", 3, True)]
    assert stored(people["a"])[0] == ("PEN", 1, False)
    assert ProductRecommendation.objects.filter(product=shop["diary"]).count() == 0


def test_a_rerun_replaces_every_row_and_a_refund_takes_a_purchase_back(
    shop: dict[str, Any],
) -> None:
    first = recommendations_compute(as_of=AS_OF)
    order = shop["people"]["c"].orders.get()
    refund_record(
        actor=None, order=order, amount=order.total, refunded_at=PLACED, reason="", external_id=""
    )
    second = recommendations_compute(as_of=AS_OF)

    assert second.customers == 4
    assert set(ProductRecommendation.objects.values_list("run_id", flat=True)) == {second.pk}
    assert stored(shop["people"]["c"]) == []
    # Without c, nobody bought the pen with the book: d gets the bag, then best sellers.
    assert stored(shop["people"]["d"]) == [("BAG", 1, False), ("NOTE", 2, True)]
    assert RecommendationRun.objects.filter(pk=first.pk).exists()


def test_without_purchases_the_run_says_why_and_keeps_the_old_rows(
    shop: dict[str, Any],
) -> None:
    recommendations_compute(as_of=AS_OF)
    rows = ProductRecommendation.objects.count()
    early = recommendations_compute(as_of=PLACED - datetime.timedelta(days=1))
    assert early.message == "No purchases of catalogue products yet."
    assert early.customers == 0
    assert ProductRecommendation.objects.count() == rows


def test_next_product_names_take_one_query_per_batch(shop: dict[str, Any]) -> None:
    recommendations_compute(as_of=AS_OF)
    people = shop["people"]
    newcomer = make_contact(first_name="تازه")
    assert popular_product_name() == "کتاب"
    ids = [people["d"].pk, people["e"].pk, newcomer.pk]
    with CaptureQueriesContext(connection) as captured:
        names = next_product_names(ids, fallback="کتاب")
    assert len(captured.captured_queries) == 1
    assert names == {people["d"].pk: "کیف", people["e"].pk: "کتاب", newcomer.pk: "کتاب"}
    assert next_product_names([newcomer.pk]) == {newcomer.pk: "کتاب"}


def test_the_daily_job_is_scheduled(shop: dict[str, Any]) -> None:
    [job] = [job for job in default_jobs() if job.run is recommendations_compute_job]
    assert job.every_seconds == 24 * 3600
    job.run()
    assert RecommendationRun.objects.get().customers == 5


def test_deleting_a_product_deletes_its_recommendations(shop: dict[str, Any]) -> None:
    recommendations_compute(as_of=AS_OF)
    shop["pen"].delete()
    assert stored(shop["people"]["d"]) == [("BAG", 1, False), ("NOTE", 3, True)]
    assert not ProductRecommendation.objects.filter(product_id=shop["pen"].pk).exists()


def test_evaluate_on_the_shops_own_orders(shop: dict[str, Any]) -> None:
    # Trained on everything up to a day after the shop's orders. Maryam had a book, Sina a
    # notebook (bought by Farid with a pen); after the cutoff Maryam buys the bag bought
    # with books, Sina the pen: both in item-to-item's top 1. Popularity offers Maryam the
    # notebook (three buyers) and Sina the book: no hit.
    maryam, sina, farid = (make_contact(first_name=name) for name in ("مریم", "سینا", "فرید"))
    early = PLACED - datetime.timedelta(days=30)
    late = PLACED + datetime.timedelta(days=1, hours=12)
    basket(maryam, [shop["book"]], placed_at=early)
    basket(sina, [shop["notebook"]], placed_at=early)
    basket(farid, [shop["notebook"], shop["pen"]], placed_at=early)
    basket(maryam, [shop["bag"]], placed_at=late)
    basket(sina, [shop["pen"]], placed_at=late)
    as_of = PLACED + datetime.timedelta(days=2)
    result = recommendations_evaluate(test_days=1, as_of=as_of, k=1)
    assert result.train_pairs == 9 + 4
    assert (result.item_to_item.customers, result.item_to_item.hits) == (2, 2)
    assert (result.popularity.customers, result.popularity.hits) == (2, 0)


def test_the_command_computes_and_evaluates(shop: dict[str, Any]) -> None:
    output = io.StringIO()
    call_command("recommendations", "compute", stdout=output)
    assert output.getvalue().startswith("5 customers, 5 products")
    output = io.StringIO()
    call_command("recommendations", "evaluate", "--test-days", "30", stdout=output)
    assert output.getvalue().startswith("hit-rate@10 over 0 customers")
