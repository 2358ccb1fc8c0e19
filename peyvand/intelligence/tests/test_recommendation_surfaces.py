"""Next best products where people see them: the contact 360 page and the API."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from peyvand.accounts.models import Role, Team, User
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence.product_recommendations import recommendations_compute
from peyvand.intelligence.tests.test_recommendations import AS_OF, basket
from peyvand.sales.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(make_user: Callable[..., User]) -> User:
    return make_user(role=Role.SALES, teams=(Team.objects.create(name="شمال"),), language="en")


@pytest.fixture
def catalogue() -> dict[str, Product]:
    return {
        code: Product.objects.create(code=code, name=name, price=price)
        for code, name, price in (
            ("BOOK", "کتاب", 1_000),
            ("BAG", "کیف", 5_000),
            ("PEN", "خودکار", 200),
        )
    }


@pytest.fixture
def customer(seller: User, catalogue: dict[str, Product]) -> Any:
    """A customer of the seller who bought a book; two others bought it with a bag, one
    with a pen."""
    book, bag, pen = catalogue["BOOK"], catalogue["BAG"], catalogue["PEN"]
    for products in ([book, bag], [book, bag], [book, pen]):
        basket(make_contact(owner=seller), products)
    customer = make_contact(owner=seller, first_name="مینا")
    basket(customer, [book])
    recommendations_compute(as_of=AS_OF)
    return customer


def test_the_360_page_lists_the_next_best_products(
    customer: Any, seller: User, logged_in: Any
) -> None:
    with translation.override("en"):
        response = logged_in(seller).get(f"/contacts/{customer.pk}/")
    content = response.content.decode()
    assert 'id="contact-recommendations"' in content
    names = [item.product.name for item in response.context["recommendations"].products]
    assert names == ["کیف", "خودکار"]
    assert "Bought by customers who bought what this customer bought." in content
    assert "Best seller" not in content


def test_a_contact_who_never_bought_gets_the_best_sellers(
    customer: Any, seller: User, logged_in: Any
) -> None:
    newcomer = make_contact(owner=seller)
    with translation.override("en"):
        response = logged_in(seller).get(f"/contacts/{newcomer.pk}/")
    found = response.context["recommendations"]
    assert found.is_popular_only
    assert [item.product.code for item in found.products] == ["BOOK", "BAG", "PEN"]
    assert "No purchases yet: the best sellers." in response.content.decode()


def test_before_the_first_run_the_card_says_not_computed(seller: User, logged_in: Any) -> None:
    contact = make_contact(owner=seller)
    with translation.override("en"):
        content = logged_in(seller).get(f"/contacts/{contact.pk}/").content.decode()
    assert 'id="contact-recommendations"' in content
    assert "Not computed yet" in content.split('id="contact-recommendations"')[1]


def test_the_api_returns_the_products_of_a_visible_contact(
    customer: Any, seller: User, catalogue: dict[str, Product], api_client: Any
) -> None:
    response = api_client(seller).get(f"/api/v1/contacts/{customer.pk}/recommendations")
    assert response.status_code == 200
    body = response.json()
    assert body["contact_id"] == customer.pk
    assert body["is_popular_only"] is False
    assert datetime.datetime.fromisoformat(body["computed_at"]) == AS_OF
    assert [
        (item["rank"], item["code"], item["name"], item["price"], item["is_popular"])
        for item in body["products"]
    ] == [(1, "BAG", "کیف", 5_000, False), (2, "PEN", "خودکار", 200, False)]
    assert body["products"][0]["score"] > body["products"][1]["score"] > 0


def test_the_api_hides_contacts_the_caller_may_not_see(
    customer: Any, make_user: Callable[..., User], api_client: Any
) -> None:
    stranger = make_user(role=Role.SALES, teams=(Team.objects.create(name="جنوب"),))
    response = api_client(stranger).get(f"/api/v1/contacts/{customer.pk}/recommendations")
    assert response.status_code == 404
    missing = api_client(stranger).get("/api/v1/contacts/999999/recommendations")
    assert missing.status_code == 404


def test_the_api_needs_the_orders_permission(customer: Any, seller: User, api_client: Any) -> None:
    client = api_client(seller, scopes=("contacts:read",))
    response = client.get(f"/api/v1/contacts/{customer.pk}/recommendations")
    assert response.status_code == 403
