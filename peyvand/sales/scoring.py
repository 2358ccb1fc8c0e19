"""Lead scoring by rules an administrator defines: attribute points (source, city, job title,
email domain …) and behaviour points (activities logged, repeated form submissions). The
score is the sum; the reasons are the rules that fired, biggest first."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from peyvand.common.persian import search_key
from peyvand.common.validators import phone_search_forms

from .models import OPEN_LEAD_STATUSES, Lead, ScoringField, ScoringOperator, ScoringRule


def _attribute(lead: Lead, field: str) -> Any:
    if field == ScoringField.EMAIL_DOMAIN:
        return lead.email.rpartition("@")[2] if lead.email else ""
    if field == ScoringField.ACTIVITIES:
        return lead.activities.count() if lead.pk else 0
    if field == ScoringField.SUBMISSIONS:
        same_person = Q(pk=lead.pk)
        if lead.phone:
            same_person |= Q(phone=lead.phone)
        if lead.email:
            same_person |= Q(email=lead.email)
        return Lead.objects.filter(same_person, web_form__isnull=False).count()
    return getattr(lead, field, "")


def rule_matches(rule: ScoringRule, lead: Lead) -> bool:
    """Whether ``rule``'s condition holds for ``lead`` (text compared Persian-normalized)."""
    value = _attribute(lead, rule.field)
    if rule.operator == ScoringOperator.IS_SET:
        return value not in (None, "", 0)
    if rule.operator == ScoringOperator.AT_LEAST:
        try:
            return value is not None and int(value) >= int(rule.value)
        except (TypeError, ValueError):
            return False
    wanted = search_key(rule.value)
    if not wanted:
        return False
    if rule.field == ScoringField.PHONE:
        # A phone is stored as +98912…; people write rules as 0912… or 98912….
        forms = phone_search_forms(str(value)) if value else []
        if rule.operator == ScoringOperator.EQUALS:
            return wanted in forms
        return any(wanted in form for form in forms)
    text = search_key(str(value or ""))
    if rule.operator == ScoringOperator.EQUALS:
        return text == wanted
    return wanted in text


def lead_score(
    lead: Lead, rules: list[ScoringRule] | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """The lead's score and its reasons (``{"rule": name, "points": n}``, largest effect
    first)."""
    active = rules if rules is not None else list(ScoringRule.objects.filter(is_active=True))
    fired = [rule for rule in active if rule_matches(rule, lead)]
    fired.sort(key=lambda rule: (-abs(rule.points), rule.pk or 0))
    return (
        sum(rule.points for rule in fired),
        [{"rule": rule.name, "points": rule.points} for rule in fired],
    )


def leads_rescore(*, only_open: bool = True) -> int:
    """Recompute every (open) lead's score after the rules changed; returns how many moved."""
    rules = list(ScoringRule.objects.filter(is_active=True))
    leads = Lead.objects.all()
    if only_open:
        leads = leads.filter(status__in=OPEN_LEAD_STATUSES)
    changed: list[Lead] = []
    for lead in leads.iterator(chunk_size=1000):
        score, reasons = lead_score(lead, rules)
        if score != lead.score or reasons != lead.score_reasons:
            lead.score, lead.score_reasons = score, reasons
            changed.append(lead)
    Lead.objects.bulk_update(changed, ["score", "score_reasons"], batch_size=500)
    return len(changed)
