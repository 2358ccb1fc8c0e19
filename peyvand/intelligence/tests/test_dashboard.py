"""The insights dashboard, its CSVs and pins: who may see what, figures over the viewer's
own records, filters, pins without IDOR and with CSRF, and query counts that do not grow
with the data."""

from __future__ import annotations

import csv
import datetime
import io
import itertools
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from peyvand.accounts.models import Role, Team, User
from peyvand.commerce.models import Order, OrderStatus
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence.models import PinnedChart
from peyvand.intelligence.purchase_months import purchase_months_refresh

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")
# 1405/01 … 1405/03
FILTERS = "?start=1405/01&end=1405/03"
FARVARDIN = datetime.datetime(2026, 3, 25, 10, tzinfo=TEHRAN)
ORDIBEHESHT = datetime.datetime(2026, 4, 25, 10, tzinfo=TEHRAN)
_numbers = itertools.count(1)


def buy(contact: Contact, when: datetime.datetime, total: int = 1000) -> Order:
    order = Order.objects.create(
        contact=contact,
        source="test",
        external_id=str(next(_numbers)),
        status=OrderStatus.COMPLETED,
        placed_at=when,
        subtotal=total,
        total=total,
    )
    purchase_months_refresh([contact.pk])
    return order


def read_csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def shop(make_user: Callable[..., User]) -> dict[str, Any]:
    """Two teams; north's contacts: one steady instagram customer (1404/10, 1405/02) and a
    new website one (1405/01); south's: one new instagram customer (1405/02)."""
    north, south = Team.objects.create(name="شمال"), Team.objects.create(name="جنوب")
    north_seller = make_user(role=Role.SALES, teams=(north,))
    south_seller = make_user(role=Role.SALES, teams=(south,))
    steady = make_contact(owner=north_seller, source="instagram")
    fresh = make_contact(owner=north_seller, source="website")
    other = make_contact(owner=south_seller, source="instagram")
    buy(steady, datetime.datetime(2026, 1, 5, 10, tzinfo=TEHRAN))  # 1404/10
    buy(steady, ORDIBEHESHT, 3000)
    buy(fresh, FARVARDIN, 500)
    buy(other, ORDIBEHESHT, 700)
    return {
        "north": north,
        "south": south,
        "manager": make_user(role=Role.MANAGER, teams=(north,), language="en"),
        "admin": make_user(role=Role.ADMIN, language="en"),
        "marketing": make_user(role=Role.MARKETING, teams=(north,)),
        "seller": north_seller,
    }


def test_sales_and_support_may_not_see_insights(shop: dict[str, Any], logged_in: Any) -> None:
    client = logged_in(shop["seller"])
    assert client.get("/insights/").status_code == 403
    assert client.get("/insights/charts/retention.csv").status_code == 403
    assert client.post("/insights/pins/", {"chart": "retention"}).status_code == 403
    assert not PinnedChart.objects.exists()
    home = client.get("/")
    assert "/insights/" not in [item["url"] for item in home.context["nav_items"]]


def test_admin_sees_every_chart_with_exact_figures(shop: dict[str, Any], logged_in: Any) -> None:
    client = logged_in(shop["admin"])
    with translation.override("en"):
        response = client.get("/insights/" + FILTERS, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    keys = [item.spec.key for item in response.context["charts"]]
    assert keys == [
        "kpis",
        "retention",
        "customers",
        "cohorts",
        "rfm",
        "clv",
        "churn_risk",
        "journey",
        "leads",
        "cac",
        "service",
        "satisfaction",
    ]
    charts = {item.spec.key: item for item in response.context["charts"]}
    # CLV and churn risk are not there yet; RFM has not run.
    assert charts["clv"].chart is None and charts["churn_risk"].chart is None
    assert charts["rfm"].chart is not None and charts["rfm"].chart.is_empty
    tiles = {tile.key: tile for tile in charts["kpis"].tiles}
    assert tiles["new_customers"].values == [1, 1, 0]
    assert tiles["active_customers"].values == [2, 3, 3]
    # Farvardin: steady was active at the start and stayed: 100 %.
    assert tiles["retention"].values == [100.0, 100.0, 100.0]
    assert tiles["repeat"].values == [0.0, 50.0, None]
    assert tiles["nps"].note == "Not collected"
    assert tiles["clv"].note == "Not computed yet"
    content = response.content.decode()
    assert 'id="data-cohorts"' in content and 'data-kind="heatmap"' in content
    # No stage changes in these months: the journey says so instead of drawing.
    assert charts["journey"].chart is not None and charts["journey"].chart.is_empty
    assert "/insights/" in [item["url"] for item in response.context["nav_items"]]


def test_csv_of_a_chart(shop: dict[str, Any], logged_in: Any) -> None:
    client = logged_in(shop["admin"])
    with translation.override("en"):
        rows = read_csv(client.get("/insights/charts/customers.csv" + FILTERS))
    assert rows == [
        ["Month", "New", "Reactivated", "Churned", "Active at end"],
        ["1405/01", "1", "0", "0", "2"],
        ["1405/02", "1", "0", "0", "3"],
        ["1405/03", "0", "0", "0", "3"],
    ]
    with translation.override("en"):
        cohorts = read_csv(client.get("/insights/charts/cohorts.csv" + FILTERS))
    assert cohorts[1:] == [
        ["1405/01", "1", "0", "0"],
        ["1405/02", "1", "0"],
        ["1405/03", "0"],
    ]
    response = client.get("/insights/charts/retention.csv" + FILTERS)
    assert response["Content-Disposition"] == 'attachment; filename="retention-1405-01-1405-03.csv"'
    assert client.get("/insights/charts/nothing.csv").status_code == 404


def test_every_figure_is_over_the_viewers_records(shop: dict[str, Any], logged_in: Any) -> None:
    """The north manager sees north's two customers, not south's."""
    client = logged_in(shop["manager"])
    with translation.override("en"):
        rows = read_csv(client.get("/insights/charts/customers.csv" + FILTERS))
    assert [row[1] for row in rows[1:]] == ["1", "0", "0"]
    assert [row[4] for row in rows[1:]] == ["2", "2", "2"]


def test_team_and_source_filters(shop: dict[str, Any], logged_in: Any) -> None:
    client = logged_in(shop["admin"])
    south = f"{FILTERS}&team={shop['south'].pk}"
    rows = read_csv(client.get("/insights/charts/customers.csv" + south))
    assert [row[1] for row in rows[1:]] == ["0", "1", "0"]
    instagram = f"{FILTERS}&source=instagram"
    rows = read_csv(client.get("/insights/charts/customers.csv" + instagram))
    assert [row[4] for row in rows[1:]] == ["1", "2", "2"]


def test_bad_filters_show_field_errors_and_fall_back(shop: dict[str, Any], logged_in: Any) -> None:
    client = logged_in(shop["admin"])
    with translation.override("en"):
        response = client.get("/insights/?start=1405/13&team=999&source=moon")
    assert response.status_code == 200
    errors = response.context["errors"]
    assert errors["start"] == ["Enter a Jalali month such as 1405/01."]
    assert errors["team"] == ["Choose one of the teams."]
    assert errors["source"] == ["Choose one of the sources."]
    filters = response.context["filters"]
    assert (filters.team_id, filters.source) == (None, None)
    assert len(filters.period.months()) == 6


def test_marketing_sees_customer_and_lead_charts_not_service(
    shop: dict[str, Any], logged_in: Any
) -> None:
    client = logged_in(shop["marketing"])
    response = client.get("/insights/" + FILTERS)
    keys = {item.spec.key for item in response.context["charts"]}
    assert {"retention", "leads", "cac", "journey"} <= keys
    assert not keys & {"service", "satisfaction"}
    tiles = {tile.key for tile in response.context["charts"][0].tiles}
    assert "csat" not in tiles and "retention" in tiles
    assert client.get("/insights/charts/service.csv").status_code == 404
    # A chart they may not see cannot be pinned.
    assert client.post("/insights/pins/", {"chart": "service"}).status_code == 400
    assert client.post("/insights/pins/", {"chart": "nothing"}).status_code == 400
    assert not PinnedChart.objects.exists()


def test_pin_shows_on_the_home_page_and_unpin_removes_it(
    shop: dict[str, Any], logged_in: Any
) -> None:
    client = logged_in(shop["manager"])
    response = client.post("/insights/pins/", {"chart": "retention", "next": "/insights/"})
    assert response.status_code == 302 and response["Location"] == "/insights/"
    client.post("/insights/pins/", {"chart": "kpis"})
    client.post("/insights/pins/", {"chart": "retention"})  # twice: still one
    assert list(
        PinnedChart.objects.filter(user=shop["manager"]).values_list("chart_key", "position")
    ) == [("retention", 1), ("kpis", 2)]
    home = client.get("/")
    assert [item.spec.key for item in home.context["pinned_charts"]] == ["retention", "kpis"]
    assert b'id="pinned-charts"' in home.content and b"insights.js" in home.content
    page = client.get("/insights/")
    pinned = {item.spec.key: item.is_pinned for item in page.context["charts"]}
    assert pinned["retention"] and pinned["kpis"] and not pinned["cohorts"]
    client.post("/insights/pins/", {"chart": "retention", "action": "unpin"})
    assert [item.spec.key for item in client.get("/").context["pinned_charts"]] == ["kpis"]


def test_pins_are_per_user_and_off_site_next_is_ignored(
    shop: dict[str, Any], logged_in: Any
) -> None:
    PinnedChart.objects.create(user=shop["admin"], chart_key="cohorts", position=1)
    client = logged_in(shop["manager"])
    # Unpinning someone else's chart key only touches one's own pins.
    client.post("/insights/pins/", {"chart": "cohorts", "action": "unpin"})
    assert PinnedChart.objects.filter(user=shop["admin"], chart_key="cohorts").exists()
    response = client.post("/insights/pins/", {"chart": "rfm", "next": "https://evil.example/"})
    assert response["Location"] == "/insights/"
    assert client.get("/").context["pinned_charts"][0].spec.key == "rfm"


def test_pinning_needs_the_csrf_token(shop: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(shop["manager"])
    assert client.post("/insights/pins/", {"chart": "rfm"}).status_code == 403
    assert not PinnedChart.objects.exists()
    assert client.get("/insights/pins/").status_code == 405


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def add_customers(owner: User, total: int) -> None:
    for index in range(total):
        contact = make_contact(owner=owner, source="instagram" if index % 2 else "website")
        buy(contact, FARVARDIN)
        buy(contact, ORDIBEHESHT)


def test_query_counts_do_not_grow_with_the_data(shop: dict[str, Any], logged_in: Any) -> None:
    client = logged_in(shop["admin"])
    PinnedChart.objects.create(user=shop["admin"], chart_key="kpis", position=1)
    PinnedChart.objects.create(user=shop["admin"], chart_key="cohorts", position=2)
    page_small = count_queries(client, "/insights/" + FILTERS)
    home_small = count_queries(client, "/")
    add_customers(shop["seller"], 12)
    page_large = count_queries(client, "/insights/" + FILTERS)
    home_large = count_queries(client, "/")
    assert page_large == page_small
    assert home_large == home_small
    # Session, user, notifications, pins, teams, the team filter's check, and per figure
    # set: customer flows 1, spend 1, leads 3, service times 5, satisfaction 4, NPS 1,
    # journey 1, RFM 2 (the run, the grouped rows), lifetime value 4 (average, count, 99th
    # percentile, buckets), churn risk 2 (the list, then whether any run scored since it is
    # empty).
    assert page_small == 29


def test_home_charts_use_the_last_months(shop: dict[str, Any], logged_in: Any) -> None:
    contact = make_contact(owner=shop["seller"])
    buy(contact, timezone.now() - datetime.timedelta(days=1))
    PinnedChart.objects.create(user=shop["manager"], chart_key="customers", position=1)
    client = logged_in(shop["manager"])
    (item,) = client.get("/").context["pinned_charts"]
    assert item.chart is not None
    assert item.chart.csv[-1][1] == "1"  # one new customer this month
