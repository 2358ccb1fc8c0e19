"""``POST /api/v1/sentiment``: the sentiment of up to 100 texts with the configured analyzer
(for integrations that score chat transcripts, reviews or messages they hold themselves).
It reads and stores nothing of the CRM's, so any signed-in user may call it."""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Router, Schema

from peyvand.accounts.request import AuthenticatedRequest

from .base import SentimentLabel, analyze_sentiment

router = Router(tags=["intelligence"])

MAX_TEXTS = 100
MAX_TEXT_LENGTH = 5000


class SentimentIn(Schema):
    texts: list[Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]] = Field(
        min_length=1, max_length=MAX_TEXTS
    )


class SentimentOut(Schema):
    label: SentimentLabel
    score: float
    confidence: float


class SentimentResultsOut(Schema):
    results: list[SentimentOut]


@router.post("/sentiment", response=SentimentResultsOut)
def sentiment_analyze(request: AuthenticatedRequest, payload: SentimentIn) -> SentimentResultsOut:
    """One result per text, in order: label (positive, neutral, negative), score from -1 to
    1 and the analyzer's confidence from 0 to 1."""
    results = analyze_sentiment(payload.texts)
    return SentimentResultsOut(
        results=[
            SentimentOut(label=r.label, score=r.score, confidence=r.confidence) for r in results
        ]
    )
