"""Who gets a new lead or deal: assignment rules tried in order, skipping absent people and,
when a rule says so, people outside their working hours.

The methods: territory (province or city, then round-robin among the rule's people),
history (whoever last owned this contact or one of its deals), round-robin within a team
(fair: each person gets every n-th record), and load (fewest open deals). The first rule
that yields an available person wins; the caller records which rule fired.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.common.persian import search_key

from .models import AssignmentMethod, AssignmentRule, AssignmentTarget, Deal
from .selectors import open_deal_counts

if TYPE_CHECKING:
    from peyvand.contacts.models import Contact


@dataclass(frozen=True)
class Assignment:
    """The chosen owner (``None``: no rule applied) and the rule that chose them."""

    owner: User | None
    rule: AssignmentRule | None = None

    def event_payload(self) -> dict[str, object]:
        if self.rule is None:
            return {"owner": self.owner.pk if self.owner else None, "rule": None}
        return {
            "owner": self.owner.pk if self.owner else None,
            "rule": self.rule.name,
            "rule_id": self.rule.pk,
            "method": self.rule.method,
        }


@dataclass(frozen=True)
class AssignmentFacts:
    """What the rules look at in the record being assigned."""

    target: str  # "lead" or "deal"
    province: str = ""
    city: str = ""
    source: str = ""
    contact: Contact | None = None


def is_available(user: User, moment: datetime.datetime, *, check_hours: bool) -> bool:
    """Active, not away today and (when asked) inside their working days and hours, in the
    site's time zone (Tehran)."""
    if not user.is_active:
        return False
    local = timezone.localtime(moment)
    if user.absent_until is not None and local.date() <= user.absent_until:
        return False
    if not check_hours:
        return True
    days = user.work_days if isinstance(user.work_days, list) else []
    if local.weekday() not in days:
        return False
    return user.work_start <= local.time().replace(tzinfo=None) < user.work_end


def _candidates(rule: AssignmentRule) -> list[User]:
    users = {user.pk: user for user in rule.users.filter(is_active=True)}
    if rule.team_id is not None:
        for user in User.objects.filter(teams=rule.team_id, is_active=True):
            users.setdefault(user.pk, user)
    return [users[user_id] for user_id in sorted(users)]


def _matches(rule: AssignmentRule, facts: AssignmentFacts) -> bool:
    if rule.applies_to not in (facts.target, AssignmentTarget.BOTH):
        return False
    sources = rule.sources if isinstance(rule.sources, list) else []
    if sources and facts.source not in sources:
        return False
    if rule.method == AssignmentMethod.TERRITORY:
        provinces = rule.provinces if isinstance(rule.provinces, list) else []
        cities = {search_key(str(city)) for city in (rule.cities or [])}
        in_province = bool(facts.province) and facts.province in provinces
        in_city = bool(facts.city) and search_key(facts.city) in cities
        return in_province or in_city
    if rule.method == AssignmentMethod.HISTORY:
        return facts.contact is not None
    return True


def next_in_turn(last_assigned_id: int | None, available: list[User]) -> User:
    """The first available person after the one picked last (``available`` in id order):
    the round-robin turn shared by sales rules and ticket categories."""
    after = [
        user for user in available if last_assigned_id is not None and user.pk > last_assigned_id
    ]
    return after[0] if after else available[0]


def _previous_owner(contact: Contact) -> User | None:
    """Who last worked with this contact: the owner of its newest deal, else its owner."""
    latest = (
        Deal.objects.filter(contact=contact, owner__isnull=False)
        .select_related("owner")
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is not None and latest.owner is not None:
        return latest.owner
    return contact.owner


def _pick(rule: AssignmentRule, facts: AssignmentFacts, moment: datetime.datetime) -> User | None:
    check_hours = rule.respect_working_hours
    if rule.method == AssignmentMethod.HISTORY:
        assert facts.contact is not None
        previous = _previous_owner(facts.contact)
        candidates = _candidates(rule)
        if previous is None or (candidates and previous not in candidates):
            return None
        return previous if is_available(previous, moment, check_hours=check_hours) else None
    available = [
        user for user in _candidates(rule) if is_available(user, moment, check_hours=check_hours)
    ]
    if not available:
        return None
    if rule.method == AssignmentMethod.LOAD:
        counts = open_deal_counts([user.pk for user in available])
        return min(available, key=lambda user: (counts[user.pk], user.pk))
    return next_in_turn(rule.last_assigned_id, available)


def owner_pick(facts: AssignmentFacts, *, now: datetime.datetime | None = None) -> Assignment:
    """Try the active rules in order; the first that yields an available person wins.

    Call inside the transaction that saves the record: the rule row is locked while its
    round-robin turn moves on, so concurrent submissions never pick the same person twice.
    """
    moment = now or timezone.now()
    with transaction.atomic():
        rules = AssignmentRule.objects.filter(is_active=True).order_by("position", "id")
        for candidate_rule in rules:
            if not _matches(candidate_rule, facts):
                continue
            rule = AssignmentRule.objects.select_for_update().get(pk=candidate_rule.pk)
            owner = _pick(rule, facts, moment)
            if owner is None:
                continue
            if rule.method in (AssignmentMethod.ROUND_ROBIN, AssignmentMethod.TERRITORY):
                AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned_id=owner.pk)
                rule.last_assigned_id = owner.pk
            return Assignment(owner=owner, rule=rule)
    return Assignment(owner=None)
