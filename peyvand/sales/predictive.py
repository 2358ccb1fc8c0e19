"""The predictive lead score: a logistic regression trained on the history of leads whose
outcome is known (converted into a won deal = 1; converted into a lost deal, or
disqualified = 0), retrained daily by the worker once there are enough outcomes. Each open
lead gets a predicted chance to win and the features that pushed it most, in words.

Plain Python: 2,000 outcomes with a dozen features train in about a second (300 epochs of
batch gradient descent) on the 2-core development machine; a daily job can afford it and the
product needs no numerical library for it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .models import OPEN_LEAD_STATUSES, DealStatus, Lead, LeadScoreModel, LeadStatus

MIN_OUTCOMES = 30
MIN_EACH_CLASS = 5
EPOCHS = 300
LEARNING_RATE = 0.3
L2 = 0.01


def lead_features(lead: Lead) -> dict[str, float]:
    """Binary features of a lead (only those that are on)."""
    features = {
        f"source={lead.source or '-'}": 1.0,
        "has_company": float(bool(lead.company_name)),
        "has_email": float(bool(lead.email)),
        "has_phone": float(bool(lead.phone)),
        "has_campaign": float(bool(lead.utm_campaign or lead.utm_source)),
        "has_message": float(bool(lead.message.strip())),
        "from_web_form": float(lead.web_form_id is not None),
        "has_estimate": float(bool(lead.estimated_amount)),
        "manager_title": float("مدیر" in lead.job_title or "manager" in lead.job_title.lower()),
    }
    if lead.province:
        features[f"province={lead.province}"] = 1.0
    return {name: value for name, value in features.items() if value}


def outcome_leads() -> Iterable[tuple[Lead, int]]:
    """Leads whose outcome is known, with 1 for won and 0 for lost or disqualified."""
    finished = Lead.objects.filter(
        Q(status=LeadStatus.UNQUALIFIED)
        | Q(status=LeadStatus.CONVERTED, deal__status__in=[DealStatus.WON, DealStatus.LOST])
    ).select_related("deal")
    for lead in finished.iterator(chunk_size=1000):
        won = (
            lead.status == LeadStatus.CONVERTED
            and lead.deal is not None
            and (lead.deal.status == DealStatus.WON)
        )
        yield lead, int(won)


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1 / (1 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1 + exp)


def fit(rows: list[tuple[dict[str, float], int]]) -> tuple[dict[str, float], float]:
    """Batch gradient descent on the log loss with a small L2 penalty; returns weights and
    bias."""
    names = sorted({name for features, _label in rows for name in features})
    weights = dict.fromkeys(names, 0.0)
    positives = sum(label for _features, label in rows)
    rate = positives / len(rows)
    bias = math.log(rate / (1 - rate))
    count = len(rows)
    for _epoch in range(EPOCHS):
        gradient = dict.fromkeys(names, 0.0)
        bias_gradient = 0.0
        for features, label in rows:
            error = _sigmoid(bias + sum(weights[name] * v for name, v in features.items())) - label
            bias_gradient += error
            for name, value in features.items():
                gradient[name] += error * value
        bias -= LEARNING_RATE * bias_gradient / count
        for name in names:
            weights[name] -= LEARNING_RATE * (gradient[name] / count + L2 * weights[name])
    return weights, bias


def model_train() -> LeadScoreModel | None:
    """Train on the known outcomes; ``None`` (and no change) while there are fewer than
    ``MIN_OUTCOMES`` of them or fewer than ``MIN_EACH_CLASS`` wins or losses."""
    rows = [(lead_features(lead), label) for lead, label in outcome_leads()]
    positives = sum(label for _features, label in rows)
    if len(rows) < MIN_OUTCOMES or min(positives, len(rows) - positives) < MIN_EACH_CLASS:
        return None
    weights, bias = fit(rows)
    return LeadScoreModel.objects.create(
        weights={name: round(value, 6) for name, value in weights.items()},
        bias=round(bias, 6),
        samples=len(rows),
        positives=positives,
    )


def _feature_label(name: str) -> str:
    from peyvand.common.iran import PROVINCE_CHOICES
    from peyvand.contacts.models import Source

    key, _sep, value = name.partition("=")
    if key == "source":
        return _("Source: %(value)s") % {"value": dict(Source.choices).get(value, value)}
    if key == "province":
        return _("Province: %(value)s") % {"value": dict(PROVINCE_CHOICES).get(value, value)}
    labels = {
        "has_company": _("Names a company"),
        "has_email": _("Gave an email"),
        "has_phone": _("Gave a phone"),
        "has_campaign": _("Came from a campaign"),
        "has_message": _("Wrote a message"),
        "from_web_form": _("Came through a web form"),
        "has_estimate": _("Has an estimated value"),
        "manager_title": _("A manager"),
    }
    return str(labels.get(name, name))


def predict(model: LeadScoreModel, lead: Lead) -> tuple[float, list[dict[str, object]]]:
    """The chance to win (0–1) and the three features with the largest effect."""
    features = lead_features(lead)
    weights = model.weights if isinstance(model.weights, dict) else {}
    effects = {name: float(weights.get(name, 0.0)) * value for name, value in features.items()}
    probability = _sigmoid(model.bias + sum(effects.values()))
    top = sorted((item for item in effects.items() if item[1]), key=lambda item: -abs(item[1]))
    return probability, [{"feature": name, "effect": round(effect, 3)} for name, effect in top[:3]]


def reason_labels(reasons: list[dict[str, object]]) -> list[tuple[str, bool]]:
    """``(label, raises the chance)`` for a lead's stored prediction reasons."""
    return [
        (_feature_label(str(reason.get("feature", ""))), float(str(reason.get("effect", 0))) > 0)
        for reason in reasons
        if isinstance(reason, dict)
    ]


def open_leads_predict(model: LeadScoreModel | None = None) -> int:
    """Store the latest model's prediction on every open lead; returns how many changed."""
    chosen = model or LeadScoreModel.objects.first()
    if chosen is None:
        return 0
    changed: list[Lead] = []
    open_leads = Lead.objects.filter(status__in=OPEN_LEAD_STATUSES)
    for lead in open_leads.iterator(chunk_size=1000):
        probability, reasons = predict(chosen, lead)
        rounded = round(probability, 4)
        if lead.win_probability != rounded or lead.win_reasons != reasons:
            lead.win_probability, lead.win_reasons = rounded, reasons
            changed.append(lead)
    with transaction.atomic():
        Lead.objects.bulk_update(changed, ["win_probability", "win_reasons"], batch_size=500)
    return len(changed)


def predictive_refresh() -> int:
    """The worker's daily job: retrain when there is enough history, then predict."""
    model = model_train()
    return open_leads_predict(model)
