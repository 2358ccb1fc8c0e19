"""Reads of campaigns, scoped: a user sees the campaigns of the segments they may open
(none without marketing read permission)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from ..campaign_models import Campaign
from ..selectors import segments_visible_to

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from peyvand.accounts.models import User


def campaigns_visible_to(user: User | AnonymousUser | None) -> QuerySet[Campaign]:
    return Campaign.objects.filter(segment__in=segments_visible_to(user)).select_related(
        "segment", "created_by", "winner"
    )
