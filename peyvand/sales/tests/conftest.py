"""Sales tests start from what a fresh install has: the default pipeline the data migration
makes (a transactional test elsewhere flushes it, so it is made again when missing)."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.sales.models import Pipeline
from peyvand.sales.pipelines import pipeline_create


@pytest.fixture(autouse=True)
def default_pipeline(db: Any) -> Pipeline:
    existing = Pipeline.objects.filter(is_default=True).first()
    return existing or pipeline_create(actor=None, name="فروش", is_default=True)
