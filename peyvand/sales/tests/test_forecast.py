"""Forecast arithmetic by Jalali month and quarter, quotas, and the reports."""

from __future__ import annotations

import datetime
from typing import Any

import jdatetime
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from peyvand.accounts.models import Role
from peyvand.api.tests import get, token_client
from peyvand.sales.deals import deal_move_stage
from peyvand.sales.forecast import Period, forecast, quota_set, totals
from peyvand.sales.models import Deal, DealStageChange, Lead, LeadSourceCost, StageKind
from peyvand.sales.reports import DateRange, deal_summary, funnel, leads_by_source
from peyvand.sales.selectors import pipeline_default

from .factories import make_deal, make_lead, stage_of

pytestmark = pytest.mark.django_db


def jalali(year: int, month: int, day: int) -> datetime.date:
    return jdatetime.date(year, month, day).togregorian()


def test_periods_map_jalali_months_and_quarters_to_gregorian_dates() -> None:
    assert Period(year=1405, month=1).dates() == (
        datetime.date(2026, 3, 21),
        datetime.date(2026, 4, 21),
    )
    assert Period(year=1405, month=12).dates() == (
        datetime.date(2027, 2, 20),
        datetime.date(2027, 3, 21),
    )
    assert Period(year=1405, quarter=3).dates() == (
        datetime.date(2026, 9, 23),
        datetime.date(2026, 12, 22),
    )
    with pytest.raises(ValueError):
        Period(year=1405, month=13)
    with pytest.raises(ValueError):
        Period(year=1405)


def test_forecast_sums_categories_weights_and_quota(make_user: Any) -> None:
    seller = make_user(role=Role.SALES, first_name="رضا", last_name="احمدی")
    manager = make_user(role=Role.MANAGER)
    inside = jalali(1405, 9, 10)
    outside = jalali(1405, 10, 2)
    # 10% stage, pipeline category: weighted 1,000,005 × 10% = 100,000.5 → 100,001
    make_deal(owner=seller, amount=1_000_005, expected_close_date=inside)
    # 35% override, commit
    make_deal(
        owner=seller,
        amount=2_000_000,
        probability=35,
        forecast_category="commit",
        expected_close_date=inside,
    )
    make_deal(
        owner=seller, amount=3_000_000, forecast_category="best_case", expected_close_date=inside
    )
    make_deal(
        owner=seller, amount=9_000_000, forecast_category="omitted", expected_close_date=inside
    )
    make_deal(owner=seller, amount=7_000_000, expected_close_date=outside)
    won = make_deal(owner=seller, amount=4_000_000, expected_close_date=outside)
    deal_move_stage(
        actor=seller, deal=won, stage=stage_of(won.pipeline, StageKind.WON), close_reason="ok"
    )
    Deal.objects.filter(pk=won.pk).update(
        closed_at=timezone.make_aware(
            datetime.datetime.combine(jalali(1405, 9, 20), datetime.time(12))
        )
    )
    quota_set(actor=manager, user=seller, year=1405, month=9, amount=10_000_000)

    rows = forecast(Deal.objects.all(), Period(year=1405, month=9))
    assert len(rows) == 1
    row = rows[0]
    assert row.label == "رضا احمدی"
    assert row.won == 4_000_000
    assert row.pipeline == 1_000_005 + 2_000_000 + 3_000_000
    assert row.commit == 2_000_000 + 4_000_000
    assert row.best_case == 2_000_000 + 3_000_000 + 4_000_000
    assert row.weighted == 100_001 + 700_000 + 300_000 + 4_000_000
    assert row.quota == 10_000_000
    assert row.attainment == 0.4
    assert row.gap == 6_000_000
    quarter = forecast(Deal.objects.all(), Period(year=1405, quarter=3))
    assert quarter[0].pipeline == 6_000_005
    assert totals(rows).weighted == row.weighted


def test_forecast_by_team_counts_a_deal_for_each_team_of_its_owner(
    make_user: Any, team: Any
) -> None:
    from peyvand.accounts.models import Team

    other_team = Team.objects.create(name="فروش شیراز")
    both = make_user(role=Role.SALES, teams=(team, other_team))
    make_deal(owner=both, amount=5_000_000, expected_close_date=jalali(1405, 9, 1))
    rows = {
        row.label: row
        for row in forecast(Deal.objects.all(), Period(year=1405, month=9), group="team")
    }
    assert rows["فروش"].pipeline == 5_000_000
    assert rows["فروش شیراز"].pipeline == 5_000_000


def test_only_managers_set_quotas(sales_user: Any) -> None:
    with pytest.raises(PermissionDenied):
        quota_set(actor=sales_user, user=sales_user, year=1405, month=1, amount=1)


def test_forecast_api_and_page(make_user: Any, logged_in: Any) -> None:
    seller = make_user(role=Role.SALES)
    make_deal(owner=seller, amount=20_000_000, expected_close_date=jalali(1405, 9, 5))
    response = get(token_client(seller), "/forecast", {"year": 1405, "month": 9})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["start"], body["end"]) == ("2026-11-22", "2026-12-22")
    assert body["rows"][0]["weighted"] == 2_000_000
    page = logged_in(seller).get("/sales/forecast/", {"year": 1405, "month": 9})
    assert page.status_code == 200
    assert "آذر" in page.content.decode()
    assert "۲٬۰۰۰٬۰۰۰ تومان" in page.content.decode()


def test_funnel_win_rate_cycle_and_cost_per_lead(sales_user: Any) -> None:
    pipeline = pipeline_default()
    assert pipeline is not None
    second = stage_of(pipeline, index=1)
    won_stage, lost_stage = stage_of(pipeline, StageKind.WON), stage_of(pipeline, StageKind.LOST)
    deals = [make_deal(actor=sales_user, amount=amount) for amount in (10, 20, 30, 41)]
    deal_move_stage(actor=sales_user, deal=deals[0], stage=second)
    deal_move_stage(actor=sales_user, deal=deals[1], stage=second)
    deal_move_stage(actor=sales_user, deal=deals[1], stage=won_stage, close_reason="ok")
    deal_move_stage(actor=sales_user, deal=deals[2], stage=won_stage, close_reason="ok")
    deal_move_stage(actor=sales_user, deal=deals[3], stage=lost_stage, close_reason="no")
    Deal.objects.filter(pk=deals[1].pk).update(
        created_at=timezone.now() - datetime.timedelta(days=4)
    )
    today = timezone.localdate()
    period = DateRange(start=today - datetime.timedelta(days=30), end=today)
    steps = funnel(Deal.objects.all(), pipeline, period)
    reached = [step.reached for step in steps]
    # 4 deals entered the first stage; deals 0, 1 (and 2, which won) reached the second …
    assert reached == [4, 3, 2, 2, 2]
    assert steps[1].conversion == 0.75
    summary = deal_summary(Deal.objects.all(), period)
    assert (summary.won, summary.lost) == (2, 1)
    assert summary.win_rate == 2 / 3
    assert summary.average_won_amount == 25
    assert summary.average_cycle_days is not None and round(summary.average_cycle_days) == 2
    assert DealStageChange.objects.filter(deal=deals[0]).count() == 2

    for index in range(3):
        make_lead(actor=sales_user, phone=f"0912000000{index}", source="instagram")
    LeadSourceCost.objects.create(source="instagram", start=today, end=today, amount=1_000_000)
    rows = leads_by_source(Lead.objects.all(), period)
    assert [(row.source, row.leads, row.cost, row.cost_per_lead) for row in rows] == [
        ("instagram", 3, 1_000_000, 333_333)
    ]


def test_the_quota_page_lets_managers_set_and_others_only_read(
    make_user: Any, logged_in: Any
) -> None:
    from django.test import Client

    from peyvand.sales.models import Quota

    seller = make_user(role=Role.SALES)
    manager = make_user(role=Role.MANAGER)
    form = {"user": seller.pk, "year": "1405", "month": "9", "amount": "۵۰٬۰۰۰٬۰۰۰"}
    seller_client = logged_in(seller)
    assert seller_client.get("/sales/quotas/").status_code == 200
    assert seller_client.post("/sales/quotas/", form).status_code == 403
    assert Quota.objects.count() == 0
    manager_client = Client()
    manager_client.force_login(manager)
    assert manager_client.post("/sales/quotas/", form).status_code == 302
    quota = Quota.objects.get()
    assert (quota.user, quota.year, quota.month, quota.amount) == (seller, 1405, 9, 500_000_000)
