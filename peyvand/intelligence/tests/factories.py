"""Stored intelligence rows for tests that need a scored customer without running a fit."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from peyvand.contacts.models import Contact
from peyvand.intelligence.models import (
    ChurnRun,
    ClvRun,
    CustomerChurn,
    CustomerRfm,
    CustomerValue,
    RfmRun,
)


def make_rfm(
    contact: Contact, segment: str, scores: tuple[int, int, int] = (1, 1, 1), **values: Any
) -> CustomerRfm:
    """An RFM row for ``contact`` in ``segment`` (scores as given), with a run as the pages
    read it when there is none yet."""
    if values.pop("run", None) is None and not RfmRun.objects.exists():
        RfmRun.objects.create(as_of=timezone.now(), window_days=365)
    recency, frequency, monetary = scores
    return CustomerRfm.objects.create(
        contact=contact,
        last_purchase_at=values.pop("last_purchase_at", timezone.now()),
        frequency=values.pop("frequency", 1),
        monetary=values.pop("monetary", 1),
        recency_score=recency,
        frequency_score=frequency,
        monetary_score=monetary,
        segment=segment,
        **values,
    )


def make_clv_run(**values: Any) -> ClvRun:
    values.setdefault("as_of", timezone.now() - datetime.timedelta(hours=1))
    values.setdefault("horizon_days", 365)
    values.setdefault("annual_discount_rate", 0.3)
    return ClvRun.objects.create(**values)


def make_customer_value(
    contact: Contact, clv: int, alive: float = 0.8, *, run: ClvRun | None = None
) -> CustomerValue:
    """Stored predictions for ``contact``: CLV ``clv`` Rials with a band of half to double,
    P(alive) ``alive`` and 0.25 / 0.7 / 2.4 expected purchases over 30 / 90 / 365 days."""
    return CustomerValue.objects.create(
        contact=contact,
        run=run or make_clv_run(),
        repeat_purchases=2,
        expected_purchases_30=0.25,
        expected_purchases_90=0.7,
        expected_purchases_365=2.4,
        probability_alive=alive,
        expected_spend=clv // 3,
        clv=clv,
        clv_low=clv // 2,
        clv_high=clv * 2,
    )


def make_churn_run(**values: Any) -> ChurnRun:
    values.setdefault("as_of", timezone.now() - datetime.timedelta(hours=1))
    values.setdefault("horizon_days", 90)
    values.setdefault("training_rows", 500)
    values.setdefault("validation_rows", 520)
    values.setdefault("auc", 0.83)
    values.setdefault("brier", 0.14)
    return ChurnRun.objects.create(**values)


def make_customer_churn(
    contact: Contact,
    probability: float,
    reasons: list[dict[str, Any]] | None = None,
    *,
    run: ChurnRun | None = None,
) -> CustomerChurn:
    """A stored churn risk for ``contact`` (reasons: none unless given)."""
    return CustomerChurn.objects.create(
        contact=contact,
        run=run or make_churn_run(),
        probability=probability,
        reasons=reasons or [],
    )
