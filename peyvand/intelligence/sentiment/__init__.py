"""Persian sentiment of customer text (survey comments, feedback, tickets).

Use :func:`analyze_sentiment` (one :class:`SentimentResult` per text); the analyzer behind it
is the one named by ``PEYVAND_SENTIMENT_ANALYZER`` (the built-in lexicon analyzer by
default). See docs/architecture.md, "Sentiment".
"""

from .base import (
    DEFAULT_ANALYZER,
    LABELS,
    SentimentAnalyzer,
    SentimentLabel,
    SentimentResult,
    analyze_sentiment,
    get_analyzer,
)

__all__ = [
    "DEFAULT_ANALYZER",
    "LABELS",
    "SentimentAnalyzer",
    "SentimentLabel",
    "SentimentResult",
    "analyze_sentiment",
    "get_analyzer",
]
