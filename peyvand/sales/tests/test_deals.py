"""Deals through the services: creation, stage moves with reasons and history, money."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from peyvand.accounts.models import Role
from peyvand.contacts.tests.factories import make_contact
from peyvand.sales.deals import deal_move_stage, deal_update, rials_from_currency
from peyvand.sales.models import DealStageChange, DealStatus, StageKind
from peyvand.sales.selectors import pipeline_default
from peyvand.timeline.models import Event

from .factories import make_deal, make_pipeline, stage_of

pytestmark = pytest.mark.django_db


def test_a_fresh_install_has_a_default_pipeline_with_open_won_and_lost_stages() -> None:
    pipeline = pipeline_default()
    assert pipeline is not None
    kinds = list(pipeline.stages.order_by("position").values_list("kind", flat=True))
    assert kinds == ["open", "open", "open", "open", "won", "lost"]


def test_a_new_deal_starts_in_the_first_open_stage_and_records_it(sales_user: Any) -> None:
    deal = make_deal(actor=sales_user)
    first = stage_of(pipeline_default())  # type: ignore[arg-type]
    assert deal.stage == first
    assert deal.status == DealStatus.OPEN
    assert deal.owner == sales_user
    assert list(DealStageChange.objects.filter(deal=deal).values_list("stage_name", flat=True)) == [
        first.name
    ]
    event = Event.objects.get(deal=deal, verb="deal.created")
    assert event.actor == sales_user


def test_moving_to_won_needs_a_reason_and_then_closes_the_deal(sales_user: Any) -> None:
    contact = make_contact(actor=sales_user, first_name="رضا", last_name="محمدی")
    deal = make_deal(actor=sales_user, contact=contact)
    won = stage_of(deal.pipeline, StageKind.WON)
    with pytest.raises(ValidationError) as error, translation.override("en"):
        deal_move_stage(actor=sales_user, deal=deal, stage=won)
    assert error.value.message_dict["close_reason"] == ["Say why the deal was won."]
    with pytest.raises(ValidationError) as error:
        deal_move_stage(actor=sales_user, deal=deal, stage=won)
    assert error.value.message_dict["close_reason"] == ["دلیل موفقیت معامله را بنویسید."]
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN
    assert DealStageChange.objects.filter(deal=deal).count() == 1

    deal = deal_move_stage(actor=sales_user, deal=deal, stage=won, close_reason="قیمت مناسب")
    deal.refresh_from_db()
    assert deal.status == DealStatus.WON
    assert deal.close_reason == "قیمت مناسب"
    assert deal.closed_at is not None
    assert deal.win_probability == 100
    event = Event.objects.get(deal=deal, verb="deal.won")
    assert event.contact == contact
    assert event.payload["to_stage"] == won.name
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "customer"


def test_stage_history_records_time_in_each_stage(sales_user: Any) -> None:
    deal = make_deal(actor=sales_user)
    second = stage_of(deal.pipeline, index=1)
    start = timezone.now()
    DealStageChange.objects.filter(deal=deal).update(entered_at=start - datetime.timedelta(days=3))
    deal.__class__.objects.filter(pk=deal.pk).update(
        stage_entered_at=start - datetime.timedelta(days=3)
    )
    deal_move_stage(actor=sales_user, deal=deal, stage=second)
    stays = list(DealStageChange.objects.filter(deal=deal).order_by("entered_at"))
    assert [stay.stage_id for stay in stays] == [deal.stage_id, second.pk]
    assert stays[0].left_at is not None and stays[1].left_at is None
    assert round(stays[0].duration(stays[0].left_at).total_seconds() / 86400) == 3
    event = Event.objects.get(deal=deal, verb="deal.stage_changed")
    assert round(event.payload["days_in_previous_stage"]) == 3


def test_a_stage_of_another_pipeline_is_refused(sales_user: Any) -> None:
    deal = make_deal(actor=sales_user)
    other = stage_of(make_pipeline("عمده‌فروشی"))
    with pytest.raises(ValidationError) as error:
        deal_move_stage(actor=sales_user, deal=deal, stage=other)
    assert "stage" in error.value.message_dict


def test_reopening_a_lost_deal_clears_the_close(sales_user: Any) -> None:
    deal = make_deal(actor=sales_user)
    lost = stage_of(deal.pipeline, StageKind.LOST)
    deal_move_stage(actor=sales_user, deal=deal, stage=lost, close_reason="بودجه ندارد")
    deal = deal_move_stage(actor=sales_user, deal=deal, stage=stage_of(deal.pipeline, index=2))
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason, deal.closed_at) == (DealStatus.OPEN, "", None)
    assert Event.objects.filter(deal=deal, verb="deal.reopened").count() == 1


def test_read_only_users_cannot_move_deals(make_user: Any, sales_user: Any) -> None:
    deal = make_deal(actor=sales_user)
    viewer = make_user(role=Role.READ_ONLY)
    with pytest.raises(PermissionDenied):
        deal_move_stage(actor=viewer, deal=deal, stage=stage_of(deal.pipeline, index=1))


@pytest.mark.parametrize(
    ("amount", "rate", "rials"),
    [
        (Decimal("1000.00"), 600_000, 600_000_000),
        (Decimal("0.50"), 3, 2),  # 1.5 rounds half up
        (Decimal("0.49"), 3, 1),  # 1.47 rounds down
        (Decimal("12.34"), 1, 12),
    ],
)
def test_foreign_currency_amounts_round_half_up_to_a_rial(
    amount: Decimal, rate: int, rials: int
) -> None:
    assert rials_from_currency(amount, rate) == rials


def test_a_dollar_deal_is_stored_in_rials_with_its_rate(sales_user: Any) -> None:
    deal = make_deal(
        actor=sales_user, currency="USD", currency_amount="2500", exchange_rate=820_000
    )
    assert deal.amount == 2_050_000_000
    with pytest.raises(ValidationError) as error:
        make_deal(actor=sales_user, currency="EUR", currency_amount="10")
    assert "exchange_rate" in error.value.message_dict


def test_weighted_amount_uses_the_stage_probability_unless_overridden(sales_user: Any) -> None:
    deal = make_deal(actor=sales_user, amount=1_000_005)
    assert deal.win_probability == 10
    assert deal.weighted_amount == 100_001  # 100000.5 rounds half up
    deal = deal_update(actor=sales_user, deal=deal, values={"probability": 35})
    assert deal.weighted_amount == 350_002  # 350001.75


def test_merging_contacts_moves_their_deals_and_undo_moves_them_back(admin_user: Any) -> None:
    from peyvand.contacts.merging import contact_merge_undo, contacts_merge

    survivor = make_contact(actor=admin_user, first_name="مینا", last_name="احمدی")
    other = make_contact(actor=admin_user, first_name="مينا", last_name="احمدي")
    deal = make_deal(actor=admin_user, contact=other)
    merge = contacts_merge(actor=admin_user, survivor=survivor, others=[other])
    deal.refresh_from_db()
    assert deal.contact_id == survivor.pk
    contact_merge_undo(actor=admin_user, merge=merge)
    deal.refresh_from_db()
    assert deal.contact_id == other.pk
