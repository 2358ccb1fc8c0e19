"""Journey pages through the HTTP client: the list with templates, the builder's posted
cards turned into steps (and errors placed on their card), editing a live journey, the
status buttons, run history pages and permissions."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from peyvand.accounts.models import Role
from peyvand.contacts.tests.factories import make_contact
from peyvand.marketing.journey_models import Journey, JourneyStatus

from .journey_helpers import Clock, active_journey, step, wait

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer(make_user: Any) -> Any:
    return make_user(role=Role.MARKETING)


def builder_post(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "پیگیری",
        "description": "",
        "trigger_kind": "deal_lost",
        "entry_policy": "once_ever",
        "entry_interval_days": "",
        "node": ["sa1:", "sb2:", "sb3:sb2.yes", "sc4:"],
        "sa1-kind": "wait",
        "sa1-days": "2",
        "sa1-hours": "0",
        "sb2-kind": "branch",
        "sb2c-kind": "contact.city",
        "sb2c-operator": "equals",
        "sb2c-value": "تهران",
        "sb3-kind": "add_tag",
        "sb3-tag": "تهرانی",
        "sc4-kind": "send_sms",
        "sc4-body": "سلام {{ first_name }}",
        "sc4-category": "marketing",
    }
    data.update(extra)
    return data


def test_the_builder_saves_a_flow_with_a_branch(logged_in: Any, marketer: Any) -> None:
    client: Client = logged_in(marketer)
    response = client.post("/marketing/journeys/new/", builder_post())
    journey = Journey.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/marketing/journeys/{journey.pk}/"
    assert journey.trigger_kind == "deal_lost"
    assert journey.owner == marketer
    assert journey.definition == {
        "steps": [
            {"kind": "wait", "params": {"days": 2, "hours": 0}},
            {
                "kind": "branch",
                "params": {
                    "condition": {
                        "kind": "contact.city",
                        "params": {"operator": "equals", "value": "تهران"},
                    }
                },
                "yes": [{"kind": "add_tag", "params": {"tag": "تهرانی"}}],
                "no": [],
            },
            {
                "kind": "send_sms",
                "params": {"body": "سلام {{ first_name }}", "category": "marketing"},
            },
        ]
    }
    page = client.get(f"/marketing/journeys/{journey.pk}/edit/").content.decode()
    # The edit page shows the same cards again, the branch's step inside its yes path.
    assert page.count('class="step-card') == 4
    assert 'value="تهرانی"' in page


def test_errors_are_shown_on_their_card(logged_in: Any, marketer: Any) -> None:
    client: Client = logged_in(marketer)
    with translation.override("en"):
        response = client.post(
            "/marketing/journeys/new/",
            builder_post(**{"sc4-body": "", "sa1-days": "0"}),
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-error-for="body"' in page
    assert 'data-error-for="days"' in page
    assert not Journey.objects.exists()


def test_editing_a_live_journey_makes_a_version_and_says_so(logged_in: Any, marketer: Any) -> None:
    journey = active_journey([wait(days=1)], trigger_kind="deal_lost")
    make_contact()
    from peyvand.marketing.journeys.triggers import run_start

    run_start(
        journey=journey, contact_id=make_contact().pk, trigger_key="manual", now=timezone.now()
    )
    client: Client = logged_in(marketer)
    response = client.post(f"/marketing/journeys/{journey.pk}/edit/", builder_post(), follow=True)
    journey.refresh_from_db()
    assert journey.version == 2
    assert response.status_code == 200


def test_status_buttons_and_templates(logged_in: Any, marketer: Any) -> None:
    client: Client = logged_in(marketer)
    listing = client.get("/marketing/journeys/").content.decode()
    assert listing.count("data-template=") == 7
    client.post("/marketing/journeys/templates/birthday/")
    journey = Journey.objects.get()
    assert journey.status == JourneyStatus.DRAFT
    client.post(f"/marketing/journeys/{journey.pk}/activate/")
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.ACTIVE
    client.post(f"/marketing/journeys/{journey.pk}/pause/")
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.PAUSED
    client.post(f"/marketing/journeys/{journey.pk}/archive/")
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.ARCHIVED
    assert client.get(f"/marketing/journeys/{journey.pk}/edit/").status_code == 404
    assert client.get("/marketing/journeys/templates/birthday/").status_code == 405


def test_run_history_pages(logged_in: Any, marketer: Any, make_user: Any) -> None:
    journey = active_journey([step("add_tag", tag="یک"), wait(days=1)])
    contact = make_contact(owner=marketer)
    Clock(timezone.now() + datetime.timedelta(minutes=1)).tick()
    run = journey.runs.get()
    client: Client = logged_in(marketer)
    history = client.get(f"/marketing/journeys/contact/{contact.pk}/").content.decode()
    assert history.count('data-outcome="') == 3
    assert client.get(f"/marketing/journeys/runs/{run.pk}/").status_code == 200
    detail = client.get(f"/marketing/journeys/{journey.pk}/").content.decode()
    assert 'id="stat-entered" data-value="1"' in detail
    assert 'id="stat-active" data-value="1"' in detail
    contact_page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert f"/marketing/journeys/contact/{contact.pk}/" in contact_page

    # A salesperson who may not see the contact sees neither its runs nor its history.
    other = logged_in(make_user(role=Role.SALES))
    assert other.get(f"/marketing/journeys/contact/{contact.pk}/").status_code == 404
    assert other.get(f"/marketing/journeys/runs/{run.pk}/").status_code == 404


def test_only_marketing_writers_build(logged_in: Any, make_user: Any) -> None:
    client: Client = logged_in(make_user(role=Role.SALES))
    assert client.get("/marketing/journeys/").status_code == 200
    assert client.get("/marketing/journeys/new/").status_code == 403
    assert client.post("/marketing/journeys/new/", builder_post()).status_code == 403
    assert client.post("/marketing/journeys/templates/birthday/").status_code == 403
    assert not Journey.objects.exists()


def test_builder_fragments(logged_in: Any, marketer: Any) -> None:
    client: Client = logged_in(marketer)
    card = client.get("/marketing/journeys/builder/step/", {"kind": "branch"}).content.decode()
    assert 'data-side="yes"' in card and 'data-side="no"' in card
    assert (
        client.get(
            "/marketing/journeys/builder/step/", {"kind": "branch", "parent": "sx.yes"}
        ).status_code
        == 404
    )
    trigger = client.get("/marketing/journeys/builder/trigger/", {"trigger_kind": "inactivity"})
    assert 'name="trigger-days"' in trigger.content.decode()


def test_pages_use_a_fixed_number_of_queries(
    logged_in: Any, marketer: Any, django_assert_num_queries: Any
) -> None:
    client: Client = logged_in(marketer)
    for count in (1, 4):
        for _ in range(count):
            journey = active_journey([step("add_tag", tag="x"), wait(days=1)])
            make_contact(owner=marketer)
        Clock(timezone.now() + datetime.timedelta(minutes=1)).tick()
        contact_id = journey.runs.get().contact_id
        client.get("/marketing/journeys/")  # the session is read once
        with django_assert_num_queries(4):
            client.get("/marketing/journeys/")
        with django_assert_num_queries(7):
            client.get(f"/marketing/journeys/{journey.pk}/")
        with django_assert_num_queries(9):
            client.get(f"/marketing/journeys/contact/{contact_id}/")
