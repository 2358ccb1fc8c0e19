"""Follow-up: an open deal or lead left without activity for too long gets a task for its
owner, so undecided customers are never forgotten.

Deals use their stage's ``follow_up_days``; open leads use ``PEYVAND_LEAD_FOLLOW_UP_DAYS``.
The quiet time counts from the latest of: the last logged activity or completed task, the
entry into the current stage (deals), the creation. A record that already has an open task
gets none; run by the worker every hour, safe to run from several workers at once.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from peyvand.timeline.models import Task, TaskStatus
from peyvand.timeline.services import task_create

from .models import Deal, DealStatus, Lead, LeadStatus, Stage


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
            status__in=[LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.QUALIFIED],
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
        with transaction.atomic():
            deal = Deal.objects.select_for_update().filter(pk=deal_id).first()
            if deal is None or deal.owner is None or _has_open_task(Q(deal=deal)):
                continue
            with override(deal.owner.language or "fa"):
                title = _("Follow up: %(title)s") % {"title": deal.title}
            task_create(
                actor=None,
                values={
                    "title": title[:250],
                    "assignee": deal.owner,
                    "deal": deal,
                    "contact": deal.contact,
                    "company": deal.company,
                    "due_at": moment,
                    "remind_at": moment,
                },
            )
            created += 1
    for lead_id in _leads_due(moment):
        with transaction.atomic():
            lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
            if lead is None or lead.owner is None or _has_open_task(Q(lead=lead)):
                continue
            with override(lead.owner.language or "fa"):
                title = _("Follow up lead: %(name)s") % {"name": str(lead)}
            task_create(
                actor=None,
                values={
                    "title": title[:250],
                    "assignee": lead.owner,
                    "lead": lead,
                    "contact": lead.contact,
                    "due_at": moment,
                    "remind_at": moment,
                },
            )
            created += 1
    return created


def _has_open_task(condition: Q) -> bool:
    return Task.objects.filter(condition, status=TaskStatus.OPEN).exists()
