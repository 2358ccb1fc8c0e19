"""The campaigns API: create (422 field errors), read, launch, stats; scoping."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from peyvand.accounts.models import Role, User
from peyvand.contacts.models import Contact
from peyvand.marketing.campaign_models import Campaign, CampaignStatus
from peyvand.marketing.campaigns.launch import campaign_run
from peyvand.marketing.models import Segment
from peyvand.marketing.services import segment_create

pytestmark = pytest.mark.django_db
API = "/api/v1"


def _post(client: Client, path: str, body: Any = None) -> Any:
    return client.post(API + path, json.dumps(body or {}), content_type="application/json")


def test_create_launch_and_stats(
    api_client: Callable[..., Client],
    marketer: User,
    everyone_segment: Segment,
    customer: Callable[..., Contact],
) -> None:
    customer()
    customer(phones=[], emails=[])
    client = api_client(marketer)
    created = _post(
        client,
        "/campaigns",
        {
            "name": "یلدا",
            "channel": "sms",
            "segment_id": everyone_segment.pk,
            "variants": [{"body_text": "یلدا مبارک {{ first_name }}"}],
        },
    )
    assert created.status_code == 201, created.content
    campaign_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    assert [v["label"] for v in created.json()["variants"]] == ["A"]
    launched = _post(client, f"/campaigns/{campaign_id}/launch")
    assert launched.status_code == 200
    assert launched.json()["status"] == CampaignStatus.SENDING
    campaign_run(campaign_id=campaign_id)
    stats = client.get(f"{API}/campaigns/{campaign_id}/stats").json()
    assert (stats["total"]["audience"], stats["total"]["no_address"]) == (2, 1)
    assert stats["total"]["queued"] == 1
    listed = client.get(f"{API}/campaigns").json()["items"]
    assert [item["id"] for item in listed] == [campaign_id]
    again = _post(client, f"/campaigns/{campaign_id}/launch")
    assert again.status_code == 422


def test_field_errors_are_422(
    api_client: Callable[..., Client], marketer: User, everyone_segment: Segment
) -> None:
    response = _post(
        api_client(marketer),
        "/campaigns",
        {
            "name": "x",
            "channel": "email",
            "segment_id": everyone_segment.pk,
            "variants": [{"body_text": "متن"}],
        },
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [(item["field"], item["msg"]) for item in detail] == [
        ("variants.0.subject", "An email needs a subject.")
    ]


def test_private_segments_campaigns_are_404_to_others(
    api_client: Callable[..., Client],
    make_user: Callable[..., User],
) -> None:
    owner = make_user(role=Role.MANAGER)
    other = make_user(role=Role.MANAGER)
    private = segment_create(
        actor=owner,
        values={"name": "خصوصی", "is_shared": False, "rules": {"match": "all", "conditions": []}},
    )
    created = _post(
        api_client(owner),
        "/campaigns",
        {
            "name": "x",
            "channel": "sms",
            "segment_id": private.pk,
            "variants": [{"body_text": "متن"}],
        },
    )
    assert created.status_code == 201
    campaign_id = created.json()["id"]
    assert api_client(other).get(f"{API}/campaigns/{campaign_id}").status_code == 404
    refused = _post(
        api_client(other),
        "/campaigns",
        {"name": "x", "channel": "sms", "segment_id": private.pk, "variants": [{"body_text": "a"}]},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "segment"
    assert Campaign.objects.count() == 1
