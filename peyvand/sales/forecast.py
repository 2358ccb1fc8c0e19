"""The sales forecast by Jalali month or quarter, per owner or per team, against quotas.

For a period and the deals the viewer may see, each row (an owner or a team) has:
- ``won``: deals won with ``closed_at`` in the period;
- ``commit`` / ``best_case``: open deals expected to close in the period whose owner
  categorised them so (best case includes commit), plus ``won``;
- ``pipeline``: every open deal expected to close in the period (not omitted);
- ``weighted``: Σ amount × probability of those open deals, rounded half up per deal, + won;
- ``quota`` and ``attainment`` (won ÷ quota, ``None`` without a quota).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, Team, User
from peyvand.common.jalali import JalaliMonth

from .models import Deal, DealStatus, ForecastCategory, Quota

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


@dataclass(frozen=True)
class Period:
    """A Jalali month (``month`` set) or quarter (``quarter`` set) of ``year``."""

    year: int
    month: int | None = None
    quarter: int | None = None

    def __post_init__(self) -> None:
        if (self.month is None) == (self.quarter is None):
            raise ValueError("give a month or a quarter")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError("month must be 1..12")
        if self.quarter is not None and not 1 <= self.quarter <= 4:
            raise ValueError("quarter must be 1..4")

    @property
    def months(self) -> list[int]:
        if self.month is not None:
            return [self.month]
        assert self.quarter is not None
        first = (self.quarter - 1) * 3 + 1
        return [first, first + 1, first + 2]

    def dates(self) -> tuple[datetime.date, datetime.date]:
        """Gregorian first day and the day after the last day."""
        first = JalaliMonth(self.year, self.months[0])
        last = JalaliMonth(self.year, self.months[-1])
        return first.first_day(), last.next().first_day()

    @classmethod
    def current_month(cls, today: datetime.date | None = None) -> Period:
        month = JalaliMonth.of(today or timezone.localdate())
        return cls(year=month.year, month=month.month)


@dataclass
class ForecastRow:
    key: int | None
    label: str
    won: int = 0
    commit: int = 0
    best_case: int = 0
    pipeline: int = 0
    weighted: int = 0
    quota: int = 0
    deal_ids: list[int] = field(default_factory=list)

    @property
    def attainment(self) -> float | None:
        return self.won / self.quota if self.quota else None

    @property
    def gap(self) -> int:
        """How much is still missing to reach the quota (never negative)."""
        return max(0, self.quota - self.won)


def _group_keys(deal: Deal, group: str, teams_of: dict[int, list[int]]) -> list[int | None]:
    if group == "team":
        return list(teams_of.get(deal.owner_id or 0, [])) or [None]
    return [deal.owner_id]


def forecast(deals: QuerySet[Deal], period: Period, *, group: str = "owner") -> list[ForecastRow]:
    """One row per owner (``group="owner"``) or team (``"team"``; a deal counts for each of
    its owner's teams) with the figures above, plus quotas; sorted by weighted, largest
    first."""
    start, end = period.dates()
    start_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    end_at = timezone.make_aware(datetime.datetime.combine(end, datetime.time.min))
    relevant = deals.filter(
        Q(status=DealStatus.OPEN, expected_close_date__gte=start, expected_close_date__lt=end)
        | Q(status=DealStatus.WON, closed_at__gte=start_at, closed_at__lt=end_at)
    ).select_related("stage")
    owner_ids = set(relevant.values_list("owner_id", flat=True))
    teams_of: dict[int, list[int]] = defaultdict(list)
    for user_id, team_id in User.teams.through.objects.filter(
        user_id__in=[owner for owner in owner_ids if owner]
    ).values_list("user_id", "team_id"):
        teams_of[user_id].append(team_id)
    rows: dict[int | None, ForecastRow] = {}
    for deal in relevant:
        for key in _group_keys(deal, group, teams_of):
            row = rows.setdefault(key, ForecastRow(key=key, label=""))
            _add(row, deal)
    _add_quotas(rows, period, group)
    _label(rows, group)
    return sorted(rows.values(), key=lambda row: (-row.weighted, row.label))


def _add(row: ForecastRow, deal: Deal) -> None:
    row.deal_ids.append(deal.pk)
    if deal.status == DealStatus.WON:
        row.won += deal.amount
        row.commit += deal.amount
        row.best_case += deal.amount
        row.weighted += deal.amount
        return
    if deal.forecast_category == ForecastCategory.OMITTED:
        return
    row.pipeline += deal.amount
    row.weighted += deal.weighted_amount
    if deal.forecast_category == ForecastCategory.COMMIT:
        row.commit += deal.amount
        row.best_case += deal.amount
    elif deal.forecast_category == ForecastCategory.BEST_CASE:
        row.best_case += deal.amount


def _add_quotas(rows: dict[int | None, ForecastRow], period: Period, group: str) -> None:
    field_name = "team" if group == "team" else "user"
    quotas = (
        Quota.objects.filter(
            year=period.year, month__in=period.months, **{f"{field_name}__isnull": False}
        )
        .values(f"{field_name}_id")
        .annotate(total=Sum("amount"))
    )
    for quota in quotas:
        key = quota[f"{field_name}_id"]
        rows.setdefault(key, ForecastRow(key=key, label="")).quota = int(quota["total"] or 0)


def _label(rows: dict[int | None, ForecastRow], group: str) -> None:
    ids = [key for key in rows if key is not None]
    if group == "team":
        names = {team.pk: team.name for team in Team.objects.filter(pk__in=ids)}
    else:
        names = {user.pk: str(user) for user in User.objects.filter(pk__in=ids)}
    for key, row in rows.items():
        row.label = names.get(key, "—") if key is not None else "—"


def totals(rows: Iterable[ForecastRow]) -> ForecastRow:
    """The sum of the rows; give it per-owner rows (a deal counts once there, while per
    team it counts for each of its owner's teams)."""
    total = ForecastRow(key=None, label="")
    for row in rows:
        for name in ("won", "commit", "best_case", "pipeline", "weighted", "quota"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return total


def can_set_quotas(user: User | AnonymousUser) -> bool:
    """Managers and administrators set quotas; everyone who reads deals sees them."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or getattr(user, "role", None) in (Role.ADMIN, Role.MANAGER))
    )


def quota_set(
    *,
    actor: User | AnonymousUser | None,
    year: int,
    month: int,
    amount: int,
    user: User | None = None,
    team: Team | None = None,
) -> Quota:
    """Create or change the quota of a person or a team for one Jalali month (managers and
    administrators only)."""
    if actor is not None and not can_set_quotas(actor):
        raise PermissionDenied(_("Only managers set quotas."))
    if (user is None) == (team is None):
        raise ValidationError({"user": [_("Choose a person or a team.")]})
    if amount < 0:
        raise ValidationError({"amount": [_("The amount cannot be negative.")]})
    if not 1 <= month <= 12:
        raise ValidationError({"month": [_("Choose a month from 1 to 12.")]})
    quota, _created = Quota.objects.update_or_create(
        user=user,
        team=team,
        year=year,
        month=month,
        defaults={"amount": amount, "set_by": actor if isinstance(actor, User) else None},
    )
    return quota
