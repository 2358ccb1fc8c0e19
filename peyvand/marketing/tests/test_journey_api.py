"""The journeys API: create, read, change (versions), activate, pause, archive, statistics,
templates, a contact's runs; field-level 422s; permissions and scoping."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from peyvand.accounts.models import Role
from peyvand.contacts.tests.factories import make_contact
from peyvand.marketing.journey_models import Journey

from .journey_helpers import Clock

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    return getattr(client, method)(
        BASE + path, data=json.dumps(body or {}), content_type="application/json"
    )


@pytest.fixture
def marketer(make_user: Any) -> Any:
    return make_user(role=Role.MARKETING)


SMS_FLOW = {
    "steps": [
        {"kind": "wait", "params": {"days": 1}},
        {"kind": "send_sms", "params": {"body": "سلام {{ first_name }}"}},
    ]
}


def test_create_activate_pause_and_runs_of_a_contact(api_client: Any, marketer: Any) -> None:
    client = api_client(marketer)
    created = send(
        client,
        "post",
        "/journeys",
        {"name": "خوش‌آمد", "trigger_kind": "contact_created", "definition": SMS_FLOW},
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["version"], body["entry_policy"]) == ("draft", 1, "once_ever")
    assert body["definition"]["steps"][0] == {"kind": "wait", "params": {"days": 1, "hours": 0}}
    journey_id = body["id"]

    assert send(client, "post", f"/journeys/{journey_id}/activate").json()["status"] == "active"
    contact = make_contact(owner=marketer)
    Clock(timezone.now() + datetime.timedelta(minutes=1)).tick()

    runs = client.get(f"{BASE}/contacts/{contact.pk}/journey-runs").json()
    assert [(run["journey_id"], run["state"], run["version"]) for run in runs] == [
        (journey_id, "waiting", 1)
    ]
    assert [line["outcome"] for line in runs[0]["log"]] == ["entered", "waiting"]
    assert client.get(f"{BASE}/journeys/{journey_id}/stats").json() == {
        "entered": 1,
        "active": 1,
        "completed": 0,
        "exited": 0,
        "failed": 0,
    }

    changed = send(
        client,
        "patch",
        f"/journeys/{journey_id}",
        {"definition": {"steps": [{"kind": "add_tag", "params": {"tag": "نو"}}]}},
    )
    assert changed.json()["version"] == 2
    assert send(client, "post", f"/journeys/{journey_id}/pause").json()["status"] == "paused"
    listed = client.get(f"{BASE}/journeys").json()
    assert [item["id"] for item in listed["items"]] == [journey_id]


def test_validation_errors_name_the_field(api_client: Any, marketer: Any) -> None:
    client = api_client(marketer)
    response = send(
        client,
        "post",
        "/journeys",
        {
            "name": "x",
            "trigger_kind": "inactivity",
            "trigger_params": {"days": 0},
            "definition": {
                "steps": [
                    {"kind": "send_sms", "params": {}},
                    {
                        "kind": "branch",
                        "params": {"condition": {"kind": "contact.nothing"}},
                        "yes": [{"kind": "teleport"}],
                    },
                ]
            },
        },
    )
    assert response.status_code == 422
    fields = [item["field"] for item in response.json()["detail"]]
    assert fields == [
        "trigger_params.days",
        "definition.steps.0.params.body",
        "definition.steps.1.params.condition.kind",
        "definition.steps.1.yes.0.kind",
    ]
    unknown_trigger = send(client, "post", "/journeys", {"name": "x", "trigger_kind": "moon"})
    assert unknown_trigger.status_code == 422
    empty = send(client, "post", "/journeys", {"name": "x", "trigger_kind": "deal_won"})
    activate = send(client, "post", f"/journeys/{empty.json()['id']}/activate")
    assert activate.status_code == 422
    assert activate.json()["detail"][0]["field"] == "definition"


def test_templates_make_drafts(api_client: Any, marketer: Any) -> None:
    client = api_client(marketer)
    keys = [item["key"] for item in client.get(f"{BASE}/journeys/templates").json()]
    assert keys == [
        "welcome_series",
        "post_purchase",
        "birthday",
        "service_renewal",
        "undecided_leads",
        "win_back",
        "csat_detractors",
    ]
    made = send(client, "post", "/journeys/from-template", {"template": "birthday"})
    assert made.status_code == 201
    assert (made.json()["trigger_kind"], made.json()["status"]) == ("birthday", "draft")
    assert send(client, "post", "/journeys/from-template", {"template": "x"}).status_code == 422


def test_permissions(api_client: Any, make_user: Any, marketer: Any) -> None:
    sales = api_client(make_user(role=Role.SALES))
    # Every role reads marketing; a token without the marketing scope does not.
    contacts_only = api_client(make_user(role=Role.SUPPORT), scopes=("contacts:read",))
    assert sales.get(f"{BASE}/journeys").status_code == 200
    created = send(sales, "post", "/journeys", {"name": "x", "trigger_kind": "deal_won"})
    assert created.status_code == 403
    assert contacts_only.get(f"{BASE}/journeys").status_code == 403
    read_only = api_client(marketer, scopes=("*:read",))
    denied = send(read_only, "post", "/journeys", {"name": "x", "trigger_kind": "deal_won"})
    assert denied.status_code == 403
    assert not Journey.objects.exists()
    # A contact the caller may not see: 404, not their journeys.
    hidden = make_contact(owner=make_user(role=Role.SALES))
    assert sales.get(f"{BASE}/contacts/{hidden.pk}/journey-runs").status_code == 404
