"""A linear sentiment model a site trains on its own labelled comments, for when the
built-in lexicon is not enough and a transformer is too much.

``scripts/train_sentiment.py`` fits TF-IDF over the :func:`features` of each text (word
uni- and bigrams of the normalized tokens, and character 2–4-grams inside each word, so
"ناراضی‌ام" and "ناراضیم" share most of their features) and a multinomial logistic
regression with scikit-learn, and writes the vocabulary, IDF weights and coefficients to a
compressed ``.npz``. This module reads that file with NumPy alone (``allow_pickle=False``:
a model file can hold arrays, never code) and scores exactly as scikit-learn would.

Use it with ``PEYVAND_SENTIMENT_MODEL=/path/to/model.npz`` and
``PEYVAND_SENTIMENT_ANALYZER`` set to this module's ``LinearSentimentAnalyzer``.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import LABELS, SentimentLabel, SentimentResult
from .lexicon import tokenize

__all__ = ["FORMAT", "LinearSentimentAnalyzer", "features"]

FORMAT = "peyvand-sentiment-linear-1"


def features(text: str) -> list[str]:
    """The model's features of one text: ``w:`` words, ``b:`` word pairs, ``c:`` character
    2–4-grams of each word with ``<``/``>`` marking its ends."""
    words = [token for token in tokenize(text) if token.isalnum() or not token.isascii()]
    found = [f"w:{word}" for word in words]
    found += [f"b:{first} {second}" for first, second in itertools.pairwise(words)]
    for word in words:
        marked = f"<{word}>"
        for size in (2, 3, 4):
            found += [f"c:{marked[i : i + size]}" for i in range(len(marked) - size + 1)]
    return found


class LinearSentimentAnalyzer:
    """Scores texts with a model written by ``scripts/train_sentiment.py``. The score is
    P(positive) − P(negative); the confidence is the probability of the chosen label."""

    def __init__(self, model_path: str | Path | None = None) -> None:
        path = model_path or getattr(settings, "PEYVAND_SENTIMENT_MODEL", "")
        if not path:
            raise ImproperlyConfigured("PEYVAND_SENTIMENT_MODEL names no model file")
        with np.load(path, allow_pickle=False) as data:
            if str(data["format"]) != FORMAT:
                raise ImproperlyConfigured(f"{path} is not a {FORMAT} model")
            vocabulary = [str(feature) for feature in data["vocabulary"]]
            self.idf = data["idf"].astype(np.float64)
            self.coef = data["coef"].astype(np.float64)  # classes × features
            self.intercept = data["intercept"].astype(np.float64)
            self.classes: list[SentimentLabel] = [str(c) for c in data["classes"]]  # type: ignore[misc]
        if set(self.classes) != set(LABELS) or self.coef.shape != (3, len(vocabulary)):
            raise ImproperlyConfigured(f"{path} does not hold a three-class model")
        self.index = {feature: column for column, feature in enumerate(vocabulary)}

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per text, columns in ``self.classes`` order."""
        matrix = np.zeros((len(texts), len(self.index)))
        for row, text in enumerate(texts):
            for feature, count in Counter(features(text or "")).items():
                column = self.index.get(feature)
                if column is not None:
                    matrix[row, column] = count
        matrix *= self.idf
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
        logits = matrix @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def analyze(self, texts: Sequence[str]) -> list[SentimentResult]:
        probabilities = self.probabilities(texts)
        positive = self.classes.index("positive")
        negative = self.classes.index("negative")
        results = []
        for row in probabilities:
            best = int(row.argmax())
            score = float(np.clip(row[positive] - row[negative], -1.0, 1.0))
            results.append(
                SentimentResult(
                    label=self.classes[best],
                    score=round(score, 4),
                    confidence=round(float(row[best]), 4),
                )
            )
        return results
