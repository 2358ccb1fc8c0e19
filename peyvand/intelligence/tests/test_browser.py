"""The insights dashboard in a real Chromium: every chart draws without a script error, a
chart downloads as PNG, and a pinned chart draws on the home page."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from peyvand.accounts.models import Role
from peyvand.accounts.tests.factories import UserFactory
from peyvand.commerce.models import Order, OrderStatus
from peyvand.contacts.services import contact_update
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence.purchase_months import purchase_months_refresh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
_numbers = itertools.count(1)


def test_dashboard_draws_exports_and_pins(page, live_server) -> None:  # type: ignore[no-untyped-def]
    boss = UserFactory(username="boss", role=Role.MANAGER)
    now = timezone.now()
    for index in range(6):
        contact = make_contact(owner=boss, source="instagram")
        contact_update(actor=None, contact=contact, values={"lifecycle_stage": "customer"})
        for days in (40 * (index % 3) + 35, 1):
            Order.objects.create(
                contact=contact,
                source="test",
                external_id=str(next(_numbers)),
                status=OrderStatus.COMPLETED,
                placed_at=now - datetime.timedelta(days=days),
                subtotal=1000,
                total=1000,
            )
        purchase_months_refresh([contact.pk])
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "Pass-word-123")
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/insights/")
    for chart in ("retention", "customers", "cohorts", "journey"):
        page.locator(f"#chart-{chart} canvas").first.wait_for()
    page.locator("#spark-new_customers canvas").wait_for()
    assert page.locator("#card-clv .not-computed").count() == 1
    assert page.locator("#card-leads .no-data").count() == 1
    assert errors == []

    with page.expect_download() as download:
        page.click("[data-png='chart-journey']")
    assert download.value.suggested_filename == "journey.png"

    page.click("[data-pin='retention']")
    page.wait_for_url(f"{live_server.url}/insights/")
    page.goto(f"{live_server.url}/")
    page.locator("#pinned-charts #chart-retention canvas").wait_for()
    assert errors == []
