"""A marketer builds a segment by hand in a real Chromium: picks two conditions in the rule
builder, watches the live count follow each change, saves, and sees the members."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.accounts.models import Role, Team
from peyvand.accounts.tests.factories import PASSWORD, UserFactory
from peyvand.contacts.tests.factories import make_contact
from peyvand.marketing.models import Segment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_marketer_builds_a_segment_with_two_conditions(page: Any, live_server: Any) -> None:
    team = Team.objects.create(name="بازاریابی")
    marketer = UserFactory(username="sima", role=Role.MARKETING)
    marketer.teams.add(team)
    customers = [
        make_contact(first_name=name, city="تهران", lifecycle_stage="customer", owner=marketer)
        for name in ("نگار", "بهار")
    ]
    make_contact(city="تهران", lifecycle_stage="lead", owner=marketer)
    make_contact(city="شیراز", lifecycle_stage="customer", owner=marketer)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "sima")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click("text=بازاریابی")
    page.click("#new-segment")
    page.wait_for_load_state()  # htmx binds its triggers on DOMContentLoaded
    page.fill("#id_name", "مشتریان تهران")

    first = page.locator(".rule-row").nth(0)
    first.locator(".rule-kind").select_option("contact.city")
    first.locator("select[name$='-operator']").select_option("equals")
    first.locator("input[name$='-value']").fill("تهران")
    page.wait_for_selector('#live-count [data-count="3"]')

    page.click("#add-condition")
    second = page.locator(".rule-row").nth(1)
    second.locator(".rule-kind").select_option("contact.lifecycle_stage")
    second.locator("select[name$='-values']").select_option(["customer"])
    page.wait_for_selector('#live-count [data-count="2"]')

    # A date condition shows the date for "on or after" and the days for "in the last N days".
    page.click("#add-condition")
    third = page.locator(".rule-row").nth(2)
    third.locator(".rule-kind").select_option("contact.created")
    third.locator("select[name$='-operator']").select_option("within_last_days")
    assert third.locator("[data-param='date']").is_hidden()
    third.locator("input[name$='-days']").fill("۳۰")
    page.wait_for_selector('#live-count [data-count="2"]')
    third.locator(".rule-remove").click()

    page.click("#segment-save")
    page.wait_for_selector('#segment-count[data-count="2"]')
    for contact in customers:
        assert page.locator(f'#member-table tr[data-contact="{contact.pk}"]').count() == 1
    segment = Segment.objects.get()
    assert [item["kind"] for item in segment.rules["conditions"]] == [
        "contact.city",
        "contact.lifecycle_stage",
    ]
    assert segment.owner == marketer
