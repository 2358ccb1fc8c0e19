"""The sentiment interface: what every analyzer returns, the protocol it follows, and the
one place that picks the analyzer named by ``PEYVAND_SENTIMENT_ANALYZER``.

The built-in analyzer (:class:`~peyvand.intelligence.sentiment.lexicon.LexiconSentimentAnalyzer`)
runs offline on the CPU with the product's own dependencies. A site with a stronger model
(a fine-tuned transformer, a hosted API) writes a class with the same ``analyze`` method and
names it in the setting; nothing else changes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

__all__ = [
    "DEFAULT_ANALYZER",
    "LABELS",
    "SentimentAnalyzer",
    "SentimentLabel",
    "SentimentResult",
    "analyze_sentiment",
    "get_analyzer",
]

SentimentLabel = Literal["positive", "neutral", "negative"]
LABELS: tuple[SentimentLabel, ...] = ("positive", "neutral", "negative")
DEFAULT_ANALYZER = "peyvand.intelligence.sentiment.lexicon.LexiconSentimentAnalyzer"


@dataclass(frozen=True, slots=True)
class SentimentResult:
    """The sentiment of one text: a label, a signed score from -1 (very negative) to 1 (very
    positive), and how sure the analyzer is of the label, from 0 to 1."""

    label: SentimentLabel
    score: float
    confidence: float

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise ValueError(f"unknown sentiment label {self.label!r}")
        if not -1.0 <= self.score <= 1.0:
            raise ValueError(f"sentiment score {self.score} is outside -1..1")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence} is outside 0..1")

    @property
    def is_negative(self) -> bool:
        return self.label == "negative"


@runtime_checkable
class SentimentAnalyzer(Protocol):
    """Anything that scores texts: one result per text, in the same order. Built with no
    arguments (configuration comes from settings or the environment) and reused across
    calls, so loading a model happens once per process."""

    def analyze(self, texts: Sequence[str]) -> list[SentimentResult]: ...


@functools.lru_cache(maxsize=4)
def _analyzer_for(path: str) -> SentimentAnalyzer:
    try:
        factory = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"PEYVAND_SENTIMENT_ANALYZER={path!r} cannot be imported: {error}"
        ) from error
    analyzer = factory()
    if not isinstance(analyzer, SentimentAnalyzer):
        raise ImproperlyConfigured(
            f"PEYVAND_SENTIMENT_ANALYZER={path!r} has no analyze(texts) method"
        )
    return analyzer


def get_analyzer() -> SentimentAnalyzer:
    """The analyzer named by ``PEYVAND_SENTIMENT_ANALYZER`` (a dotted path to a class),
    built once per process; the built-in lexicon analyzer by default."""
    path = getattr(settings, "PEYVAND_SENTIMENT_ANALYZER", "") or DEFAULT_ANALYZER
    return _analyzer_for(path)


def analyze_sentiment(texts: Sequence[str]) -> list[SentimentResult]:
    """Score texts with the configured analyzer, checking that it kept its side of the
    protocol (one :class:`SentimentResult` per text)."""
    if isinstance(texts, str):
        raise TypeError("analyze_sentiment takes a sequence of texts, not one string")
    results = list(get_analyzer().analyze(texts))
    if len(results) != len(texts) or not all(isinstance(r, SentimentResult) for r in results):
        raise ImproperlyConfigured(
            "the sentiment analyzer must return one SentimentResult per text"
        )
    return results
