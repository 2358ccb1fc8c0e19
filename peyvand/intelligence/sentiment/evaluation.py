"""Measuring a sentiment analyzer on labelled texts: per-class precision, recall and F1,
macro-F1, the confusion matrix, and the two baselines every figure is compared with (the
majority class, and the plain lexicon: the same words summed, without any rule).

Used by ``bench/sentiment_eval.py`` and the tests; pure Python, no model code.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from peyvand.common.persian import normalize_text

from .base import LABELS, SentimentLabel
from .lexicon import Lexicon, load_lexicon

__all__ = [
    "Evaluation",
    "evaluate",
    "majority_baseline",
    "plain_lexicon_baseline",
    "read_labelled",
]


@dataclass(frozen=True)
class Evaluation:
    """Figures of one analyzer on one labelled set."""

    size: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, tuple[float, float, float, int]]  # precision, recall, F1, support
    confusion: dict[str, dict[str, int]]  # confusion[true][predicted]


def read_labelled(path: str | Path) -> list[tuple[SentimentLabel, str]]:
    """Rows of a ``label<TAB>text`` file with a header line; labels are checked."""
    rows: list[tuple[SentimentLabel, str]] = []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for number, row in enumerate(reader, start=2):
            if not row:
                continue
            label, text = row[0].strip(), row[1].strip()
            if label not in LABELS:
                raise ValueError(f"{path}:{number}: unknown label {label!r}")
            rows.append((label, text))  # type: ignore[arg-type]
    return rows


def evaluate(truth: Sequence[str], predicted: Sequence[str]) -> Evaluation:
    """Precision, recall and F1 per label, their unweighted mean (macro-F1), accuracy and
    the confusion matrix. A class never predicted has precision 0 (as scikit-learn's
    ``zero_division=0``)."""
    if len(truth) != len(predicted):
        raise ValueError("truth and predictions differ in length")
    confusion: dict[str, dict[str, int]] = {t: dict.fromkeys(LABELS, 0) for t in LABELS}
    for t, p in zip(truth, predicted, strict=True):
        confusion[t][p] += 1
    per_class: dict[str, tuple[float, float, float, int]] = {}
    for label in LABELS:
        hits = confusion[label][label]
        predicted_count = sum(confusion[t][label] for t in LABELS)
        support = sum(confusion[label].values())
        precision = hits / predicted_count if predicted_count else 0.0
        recall = hits / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = (precision, recall, f1, support)
    macro_f1 = sum(values[2] for values in per_class.values()) / len(LABELS)
    correct = sum(confusion[label][label] for label in LABELS)
    return Evaluation(
        size=len(truth),
        accuracy=correct / len(truth) if truth else 0.0,
        macro_f1=macro_f1,
        per_class=per_class,
        confusion=confusion,
    )


def majority_baseline(train_labels: Sequence[str], count: int) -> list[str]:
    """The most frequent label of the development set, predicted for every text."""
    label = Counter(train_labels).most_common(1)[0][0]
    return [label] * count


def plain_lexicon_baseline(texts: Sequence[str], lexicon: Lexicon | None = None) -> list[str]:
    """Sum the lexicon's one-word entries found among the whitespace tokens of the
    normalized text; the sign is the label. No phrases, suffixes, negation, intensity or
    contrast: what the rules add is the difference from this."""
    lexicon = lexicon or load_lexicon()
    labels = []
    for text in texts:
        total = sum(lexicon.words.get((token,), 0.0) for token in normalize_text(text).split())
        labels.append("positive" if total > 0 else "negative" if total < 0 else "neutral")
    return labels
