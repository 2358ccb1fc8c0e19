"""A marketer builds a journey by hand in a real Chromium: a wait, an SMS moved above a
branch, a branch with a step in its yes path; saves, activates, and a new contact enters."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from peyvand.accounts.models import Role
from peyvand.accounts.tests.factories import PASSWORD, UserFactory
from peyvand.contacts.tests.factories import make_contact
from peyvand.marketing.journey_models import Journey, JourneyRun

from .journey_helpers import Clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_marketer_builds_and_activates_a_journey(page: Any, live_server: Any) -> None:
    UserFactory(username="sima", role=Role.MARKETING)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "sima")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/marketing/journeys/")
    page.click("#new-journey")
    page.fill("#id_name", "خوش‌آمد سرنخ‌ها")
    page.select_option("#id_trigger_kind", "contact_created")

    def settled() -> None:
        # htmx wires new content up a moment after it appears (and marks what it wired).
        page.wait_for_function(
            "[...document.querySelectorAll('#steps [hx-get]')]"
            ".every(el => el['htmx-internal-data'])"
        )

    def add(kind: str) -> Any:
        before = page.locator("#steps > .step-card").count()
        page.select_option("#add-kind", kind)
        page.click("#add-step")
        page.wait_for_function(
            f"document.querySelectorAll('#steps > .step-card').length === {before + 1}"
        )
        settled()
        return page.locator("#steps > .step-card").nth(before)

    wait = add("wait")
    wait.locator("input[name$='-days']").fill("۲")  # Persian digits are numbers too
    branch = add("branch")
    # A segment condition first (its inputs load in place), then the run's own test.
    branch.locator(".branch-condition").select_option("contact.city")
    branch.locator("input[name$='c-value']").wait_for()
    branch.locator(".branch-condition").select_option("journey.purchased_since_entry")
    page.wait_for_function(
        "!document.querySelector('#steps .step-card[data-kind=branch] input[name$=\"c-value\"]')"
    )
    branch.locator("[data-side='yes'] .add-kind").select_option("add_tag")
    branch.locator("[data-side='yes'] .add-step").click()
    page.wait_for_selector("[data-side='yes'] .step-card")
    settled()
    branch.locator("[data-side='yes'] .step-card input[name$='-tag']").fill("خریدار")
    sms = add("send_sms")
    sms.locator("textarea[name$='-body']").fill("سلام {{ first_name }}")
    sms.locator(".step-up").first.click()
    assert page.locator("#steps > .step-card").nth(1).get_attribute("data-kind") == "send_sms"

    page.click("#journey-save")
    page.wait_for_selector("#journey-status[data-status='draft']")
    journey = Journey.objects.get()
    assert [item["kind"] for item in journey.definition["steps"]] == ["wait", "send_sms", "branch"]
    assert journey.definition["steps"][0]["params"] == {"days": 2, "hours": 0}
    assert journey.definition["steps"][2]["yes"] == [
        {"kind": "add_tag", "params": {"tag": "خریدار"}}
    ]

    page.click("#journey-activate")
    page.wait_for_selector("#journey-status[data-status='active']")
    contact = make_contact()
    Clock(timezone.now() + datetime.timedelta(minutes=1)).tick()
    page.reload()
    page.wait_for_selector('#stat-entered[data-value="1"]')
    assert JourneyRun.objects.get().contact == contact
