"""Follow-up: an open deal or lead left without activity for too long gets a task for its
owner, so undecided customers are never forgotten.

Deals use their stage's ``follow_up_days``; open leads use ``PEYVAND_LEAD_FOLLOW_UP_DAYS``.
The quiet time counts from the latest of: the last logged activity or completed task, the
entry into the current stage (deals), the creation. A record that already has an open task
gets none; run by the worker every hour, safe to run from several workers at once.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from peyvand.timeline.models import Task, TaskStatus
from peyvand.timeline.services import task_create

from .models import OPEN_LEAD_STATUSES, Deal, DealStatus, Lead, Stage


def _open_task(field: str) -> Exists:
    return Exists(Task.objects.filter(status=TaskStatus.OPEN, **{field: OuterRef("pk")}))


def _deals_due(now: datetime.datetime) -> list[int]:
    due: list[int] = []
    for stage in Stage.objects.filter(follow_up_days__isnull=False, kind="open"):
        assert stage.follow_up_days is not None
        cutoff = now - datetime.timedelta(days=stage.follow_up_days)
        quiet = (
            Deal.objects.filter(stage=stage, status=DealStatus.OPEN, owner__isnull=False)
            .annotate(
                touched=Greatest(
                    Coalesce("last_activity_at", "stage_entered_at"), "stage_entered_at"
                )
            )
            .filter(touched__lt=cutoff)
            .exclude(_open_task("deal"))
            .values_list("pk", flat=True)
        )
        due.extend(quiet)
    return due


def _leads_due(now: datetime.datetime) -> list[int]:
    days = int(getattr(settings, "PEYVAND_LEAD_FOLLOW_UP_DAYS", 3))
    if days <= 0:
        return []
    cutoff = now - datetime.timedelta(days=days)
    return list(
        Lead.objects.filter(
            status__in=OPEN_LEAD_STATUSES,
            owner__isnull=False,
        )
        .annotate(touched=Greatest(Coalesce("last_activity_at", "created_at"), "created_at"))
        .filter(touched__lt=cutoff)
        .exclude(_open_task("lead"))
        .values_list("pk", flat=True)
    )


def follow_ups_create(*, now: datetime.datetime | None = None) -> int:
    """Create the follow-up tasks that are due; returns how many were created."""
    moment = now or timezone.now()
    created = 0
    for deal_id in _deals_due(moment):
        created += _follow_up(
            Deal,
            deal_id,
            "deal",
            moment,
            lambda deal: _("Follow up: %(title)s") % {"title": deal.title},
        )
    for lead_id in _leads_due(moment):
        created += _follow_up(
            Lead,
            lead_id,
            "lead",
            moment,
            lambda lead: _("Follow up lead: %(name)s") % {"name": str(lead)},
        )
    return created


def _follow_up(
    model: type[Deal] | type[Lead],
    record_id: int,
    field: str,
    moment: datetime.datetime,
    title: Callable[[Any], str],
) -> bool:
    """One task for the record's owner, in the owner's language, due now; the record is
    locked and checked again so two workers never create two tasks."""
    with transaction.atomic():
        record = model._default_manager.select_for_update().filter(pk=record_id).first()
        if record is None or record.owner is None or _has_open_task(Q(**{field: record})):
            return False
        with override(record.owner.language or "fa"):
            text = title(record)
        task_create(
            actor=None,
            values={
                "title": text[:250],
                "assignee": record.owner,
                field: record,
                "contact": record.contact,
                "company": getattr(record, "company", None),
                "due_at": moment,
                "remind_at": moment,
            },
        )
    return True


def _has_open_task(condition: Q) -> bool:
    return Task.objects.filter(condition, status=TaskStatus.OPEN).exists()
