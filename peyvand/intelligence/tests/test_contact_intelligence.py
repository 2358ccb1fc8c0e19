"""Stored lifetime values on the contact 360 page and on the insights dashboard (the CLV
tile and distribution), scoped to the viewer's customers."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from peyvand.accounts.models import Role, Team, User
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence.clv.dashboard import nice_edges
from peyvand.intelligence.models import ClvRun
from peyvand.intelligence.tests.factories import make_clv_run, make_customer_value, make_rfm

pytestmark = pytest.mark.django_db
FILTERS = "?start=1405/01&end=1405/03"


@pytest.fixture
def run() -> ClvRun:
    return make_clv_run(as_of=datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC))


@pytest.mark.parametrize(
    ("largest", "edges"),
    [
        (0, [0, 1]),
        (95, [0, 20, 40, 60, 80, 100]),
        (1_000_000, [0, 200_000, 400_000, 600_000, 800_000, 1_000_000, 1_200_000]),
        (7, [0, 1, 2, 3, 4, 5, 6, 7, 8]),
    ],
)
def test_bucket_edges_are_round_amounts_covering_the_largest(
    largest: int, edges: list[int]
) -> None:
    assert nice_edges(largest) == edges


def test_the_360_page_shows_rfm_lifetime_value_and_p_alive(
    run: ClvRun, make_user: Callable[..., User], logged_in: Any
) -> None:
    seller = make_user(role=Role.SALES, language="en")
    customer = make_contact(owner=seller, first_name="مینا")
    make_rfm(customer, "champions", (5, 4, 5), frequency=4, monetary=9_000_000)
    make_customer_value(customer, clv=12_345_670, alive=0.873, run=run)

    with translation.override("en"):
        response = logged_in(seller).get(f"/contacts/{customer.pk}/")
        content = response.content.decode()

    assert response.status_code == 200
    assert 'id="contact-intelligence"' in content
    assert "Champions" in content and "545" in content
    assert "1,234,567 Toman" in content
    assert "617,284 Toman to 2,469,134 Toman" in content
    assert 'data-value="87"' in content and "87.3%" in content
    assert "Expected purchases, next 365 days" in content


def test_the_360_page_says_when_nothing_is_computed_yet(
    make_user: Callable[..., User], logged_in: Any
) -> None:
    seller = make_user(role=Role.SALES)
    customer = make_contact(owner=seller)
    content = logged_in(seller).get(f"/contacts/{customer.pk}/").content.decode()
    assert 'id="contact-intelligence"' in content
    assert "هنوز محاسبه نشده" in content


def test_dashboard_clv_tile_and_distribution_cover_only_the_viewers_customers(
    run: ClvRun, make_user: Callable[..., User], logged_in: Any
) -> None:
    north, south = Team.objects.create(name="شمال"), Team.objects.create(name="جنوب")
    north_seller = make_user(role=Role.SALES, teams=(north,))
    south_seller = make_user(role=Role.SALES, teams=(south,))
    for amount in (1_000_000, 3_000_000, 5_000_000):
        make_customer_value(make_contact(owner=north_seller), clv=amount, run=run)
    make_customer_value(make_contact(owner=south_seller), clv=900_000_000, run=run)
    manager = make_user(role=Role.MANAGER, teams=(north,), language="en")

    with translation.override("en"):
        response = logged_in(manager).get("/insights/" + FILTERS)
    charts = {item.spec.key: item for item in response.context["charts"]}
    tiles = {tile.key: tile for tile in charts["kpis"].tiles}
    distribution = charts["clv"].chart

    assert tiles["clv"].values == [3_000_000]
    assert distribution is not None
    assert sum(distribution.data["series"][0]["data"]) == 3
    assert distribution.data["labels"][0] == "0 Toman"
    assert distribution.data["labels"][-1].endswith("and more")

    admin = make_user(role=Role.ADMIN, language="en")
    with translation.override("en"):
        everyone = logged_in(admin).get(f"/insights/{FILTERS}&team={south.pk}")
    charts = {item.spec.key: item for item in everyone.context["charts"]}
    tiles = {tile.key: tile for tile in charts["kpis"].tiles}
    assert tiles["clv"].values == [900_000_000]
