"""``POST /api/v1/sentiment``: signed-in users only, one result per text, bounded input."""

from __future__ import annotations

import pytest
from django.test import Client

from peyvand.accounts.models import Role
from peyvand.api.tests import post_json, quick_user, token_client

pytestmark = pytest.mark.django_db


def test_a_signed_in_user_scores_texts() -> None:
    client = token_client(quick_user(Role.READ_ONLY))
    response = post_json(
        client, "/sentiment", {"texts": ["خیلی ممنون، عالی بود", "خوب نبود", "فاکتور رو بفرستید"]}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "results": [
            {"label": "positive", "score": 0.964, "confidence": 0.9775},
            {"label": "negative", "score": -0.4879, "confidence": 0.68},
            {"label": "neutral", "score": 0.0, "confidence": 1.0},
        ]
    }


def test_anonymous_callers_are_refused() -> None:
    response = post_json(Client(), "/sentiment", {"texts": ["عالی"]})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "texts",
    [[], ["خوب"] * 101, ["ا" * 5001]],
)
def test_too_few_too_many_or_too_long_texts_are_refused(texts: list[str]) -> None:
    response = post_json(token_client(quick_user(Role.SALES)), "/sentiment", {"texts": texts})
    assert response.status_code == 422
