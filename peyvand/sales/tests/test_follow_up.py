"""Follow-up tasks for deals and leads left without activity."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from peyvand.sales.follow_up import follow_ups_create
from peyvand.sales.models import Deal, Lead, Stage
from peyvand.timeline.models import Task, TaskStatus
from peyvand.timeline.services import activity_log, task_complete

from .factories import make_deal, make_lead

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _age_deal(deal: Deal, days: int) -> None:
    past = timezone.now() - days * DAY
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=past, created_at=past)


def test_a_quiet_deal_gets_one_follow_up_task_for_its_owner(sales_user: Any, settings: Any) -> None:
    settings.PEYVAND_LEAD_FOLLOW_UP_DAYS = 0
    deal = make_deal(actor=sales_user)
    Stage.objects.filter(pk=deal.stage_id).update(follow_up_days=5)
    _age_deal(deal, 4)
    assert follow_ups_create() == 0
    _age_deal(deal, 6)
    assert follow_ups_create() == 1
    task = Task.objects.get(deal=deal)
    assert task.assignee == sales_user
    assert task.title == f"پیگیری: {deal.title}"
    assert task.status == TaskStatus.OPEN
    # An open task is enough: no second one.
    assert follow_ups_create() == 0
    # Completing the task counts as activity: the clock starts again.
    task_complete(actor=sales_user, task=task)
    assert follow_ups_create() == 0
    assert follow_ups_create(now=timezone.now() + 6 * DAY) == 1


def test_activity_on_the_deal_resets_the_clock(sales_user: Any, settings: Any) -> None:
    settings.PEYVAND_LEAD_FOLLOW_UP_DAYS = 0
    deal = make_deal(actor=sales_user)
    Stage.objects.filter(pk=deal.stage_id).update(follow_up_days=3)
    _age_deal(deal, 10)
    activity_log(actor=sales_user, values={"kind": "call", "deal": deal, "subject": "تماس"})
    assert follow_ups_create() == 0
    assert follow_ups_create(now=timezone.now() + 4 * DAY) == 1


def test_stages_without_a_follow_up_rule_and_closed_deals_are_left_alone(
    sales_user: Any, settings: Any
) -> None:
    settings.PEYVAND_LEAD_FOLLOW_UP_DAYS = 0
    deal = make_deal(actor=sales_user)
    _age_deal(deal, 100)
    assert follow_ups_create() == 0


def test_an_open_lead_without_activity_gets_a_task(sales_user: Any, settings: Any) -> None:
    settings.PEYVAND_LEAD_FOLLOW_UP_DAYS = 2
    sales_user.language = "en"
    sales_user.save()
    lead = make_lead(actor=sales_user)
    assert follow_ups_create() == 0
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - 3 * DAY)
    assert follow_ups_create() == 1
    task = Task.objects.get(lead=lead)
    assert (task.assignee, task.title) == (sales_user, "Follow up lead: سارا کریمی")
