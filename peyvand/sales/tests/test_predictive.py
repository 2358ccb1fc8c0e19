"""The predictive lead score: trained only with enough outcomes, learns which features win,
predicts new leads with reasons."""

from __future__ import annotations

import random
from typing import Any

import pytest

from peyvand.sales.deals import deal_move_stage
from peyvand.sales.leads import lead_convert, lead_set_status
from peyvand.sales.models import Lead, LeadScoreModel, StageKind
from peyvand.sales.predictive import fit, model_train, open_leads_predict, predictive_refresh
from peyvand.sales.selectors import pipeline_default

from .factories import make_lead, stage_of

pytestmark = pytest.mark.django_db


def test_fit_learns_a_separable_signal() -> None:
    rng = random.Random(7)
    rows = []
    for _index in range(200):
        referral = rng.random() < 0.5
        won = rng.random() < (0.85 if referral else 0.15)
        rows.append(({"source=referral" if referral else "source=instagram": 1.0}, int(won)))
    weights, _bias = fit(rows)
    assert weights["source=referral"] > 0.5
    assert weights["source=instagram"] < -0.5


def _history(sales_user: Any, count: int) -> None:
    """``count`` finished leads: referrals with a company mostly win, the rest mostly lose."""
    pipeline = pipeline_default()
    assert pipeline is not None
    won, lost = stage_of(pipeline, StageKind.WON), stage_of(pipeline, StageKind.LOST)
    rng = random.Random(11)
    for index in range(count):
        good = index % 2 == 0
        lead = make_lead(
            actor=sales_user,
            phone=f"0912{index:07d}",
            source="referral" if good else "instagram",
            company_name="پارس" if good else "",
        )
        if not good and index % 4 == 1:
            lead_set_status(actor=sales_user, lead=lead, status="unqualified", reason="بودجه ندارد")
            continue
        _contact, _company, deal = lead_convert(actor=sales_user, lead=lead)
        assert deal is not None
        wins = rng.random() < (0.9 if good else 0.1)
        deal_move_stage(
            actor=sales_user, deal=deal, stage=won if wins else lost, close_reason="نتیجه"
        )


def test_no_model_until_there_are_enough_outcomes(sales_user: Any) -> None:
    _history(sales_user, 10)
    assert model_train() is None
    assert LeadScoreModel.objects.count() == 0
    assert predictive_refresh() == 0


def test_new_leads_get_a_chance_to_win_and_reasons(sales_user: Any) -> None:
    _history(sales_user, 60)
    open_lead = make_lead(
        actor=sales_user, phone="09351112233", source="referral", company_name="آریا"
    )
    model = model_train()
    assert model is not None
    assert model.samples == 60
    assert open_leads_predict(model) == 1
    open_lead.refresh_from_db()
    assert open_lead.win_probability is not None and open_lead.win_probability > 0.6
    assert open_lead.win_reasons[0]["effect"] > 0
    # A new lead is predicted as it is captured.
    weak = make_lead(actor=sales_user, phone="09351112244", source="instagram")
    assert weak.win_probability is not None and weak.win_probability < 0.4
    finished = Lead.objects.exclude(status__in=["new", "working", "qualified"])
    assert not finished.filter(win_probability__isnull=False).exists()


def test_the_lead_page_shows_the_prediction(sales_user: Any, logged_in: Any) -> None:
    _history(sales_user, 40)
    model_train()
    lead = make_lead(actor=sales_user, phone="09351112255", source="referral", company_name="نو")
    page = logged_in(sales_user).get(f"/sales/leads/{lead.pk}/").content.decode()
    assert 'id="win-probability"' in page
    assert "منبع: معرفی" in page
    assert "نام شرکت را داده" in page
