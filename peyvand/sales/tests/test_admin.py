"""The sales settings in Django admin: pipelines keep open, won and lost stages."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.sales.models import Pipeline

pytestmark = pytest.mark.django_db


def _stage_rows(kinds: list[str]) -> dict[str, str]:
    data = {
        "stages-TOTAL_FORMS": str(len(kinds)),
        "stages-INITIAL_FORMS": "0",
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
    }
    for index, kind in enumerate(kinds):
        data |= {
            f"stages-{index}-position": str(index),
            f"stages-{index}-name": f"مرحله {index}",
            f"stages-{index}-kind": kind,
            f"stages-{index}-probability": "10",
        }
    return data


def test_admin_pipelines_need_open_won_and_lost_stages(admin_user: Any, logged_in: Any) -> None:
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = logged_in(admin_user)
    for page in ("pipeline", "assignmentrule", "scoringrule", "leadsourcecost"):
        assert client.get(f"/admin/sales/{page}/").status_code == 200
    base = {"name": "صادرات", "position": "1", "is_active": "on"}
    refused = client.post("/admin/sales/pipeline/add/", base | _stage_rows(["open", "won"]))
    assert refused.status_code == 200
    assert not Pipeline.objects.filter(name="صادرات").exists()
    saved = client.post("/admin/sales/pipeline/add/", base | _stage_rows(["open", "won", "lost"]))
    assert saved.status_code == 302
    assert Pipeline.objects.get(name="صادرات").stages.count() == 3


def test_an_administrator_sets_a_sellers_availability(
    admin_user: Any, sales_user: Any, logged_in: Any
) -> None:
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    page = logged_in(admin_user).get(f"/admin/accounts/user/{sales_user.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    for field in ("absent_until", "work_days", "work_start", "work_end"):
        assert f'name="{field}"' in body
