"""The linear analyzer a site trains itself: the .npz written by scripts/train_sentiment.py
loads with NumPy alone, scores exactly as scikit-learn does, refuses pickled content, and
plugs in through the settings."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured

from peyvand.intelligence.sentiment import analyze_sentiment
from peyvand.intelligence.sentiment.evaluation import evaluate, read_labelled
from peyvand.intelligence.sentiment.linear import LinearSentimentAnalyzer, features

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "bench" / "data"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "train_sentiment", ROOT / "scripts" / "train_sentiment.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = read_labelled(DATA / "sentiment_dev_fa.tsv") + read_labelled(
        DATA / "sentiment_eval_fa.tsv"
    )
    path = tmp_path_factory.mktemp("model") / "sentiment.npz"
    _script().train(rows, path)
    return path


def test_features_are_words_pairs_and_marked_character_ngrams() -> None:
    assert features("خوب بود") == [
        "w:خوب", "w:بود", "b:خوب بود",
        "c:<خ", "c:خو", "c:وب", "c:ب>", "c:<خو", "c:خوب", "c:وب>", "c:<خوب", "c:خوب>",
        "c:<ب", "c:بو", "c:ود", "c:د>", "c:<بو", "c:بود", "c:ود>", "c:<بود", "c:بود>",
    ]  # fmt: skip


def test_the_model_file_matches_scikit_learn_and_is_small(model_path: Path) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    rows = read_labelled(DATA / "sentiment_dev_fa.tsv") + read_labelled(
        DATA / "sentiment_eval_fa.tsv"
    )
    vectorizer = TfidfVectorizer(analyzer=features, max_features=200_000)
    model = LogisticRegression(C=4.0, max_iter=2000).fit(
        vectorizer.fit_transform([t for _, t in rows]), [label for label, _ in rows]
    )
    texts = [text for _, text in read_labelled(DATA / "sentiment_test_fa.tsv")]
    expected = model.predict_proba(vectorizer.transform(texts))
    analyzer = LinearSentimentAnalyzer(model_path)
    assert analyzer.classes == list(model.classes_)
    np.testing.assert_allclose(analyzer.probabilities(texts), expected, atol=1e-4)
    assert model_path.stat().st_size < 200_000


def test_macro_f1_on_the_test_set(model_path: Path) -> None:
    rows = read_labelled(DATA / "sentiment_test_fa.tsv")
    predicted = [r.label for r in LinearSentimentAnalyzer(model_path).analyze([t for _, t in rows])]
    # Measured 0.940 with bench/sentiment_eval.py --linear-train (same-author sentences).
    assert evaluate([label for label, _ in rows], predicted).macro_f1 >= 0.91


def test_it_plugs_in_through_the_settings(model_path: Path, settings: Any) -> None:
    settings.PEYVAND_SENTIMENT_ANALYZER = (
        "peyvand.intelligence.sentiment.linear.LinearSentimentAnalyzer"
    )
    settings.PEYVAND_SENTIMENT_MODEL = str(model_path)
    results = analyze_sentiment(["خیلی ممنون، عالی بود", "سفارشم هنوز نرسیده و کسی جواب نمیده"])
    assert [r.label for r in results] == ["positive", "negative"]
    assert results[0].score > 0 > results[1].score


def test_a_model_file_with_pickled_objects_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(
        path,
        format=np.array("peyvand-sentiment-linear-1"),
        vocabulary=np.array([{"x": 1}], dtype=object),
    )
    with pytest.raises(ValueError, match="allow_pickle"):
        LinearSentimentAnalyzer(path)


def test_no_model_configured_is_reported(settings: Any, tmp_path: Path) -> None:
    settings.PEYVAND_SENTIMENT_MODEL = ""
    with pytest.raises(ImproperlyConfigured, match="names no model"):
        LinearSentimentAnalyzer()
    other = tmp_path / "other.npz"
    np.savez(other, format=np.array("something-else"))
    with pytest.raises(ImproperlyConfigured, match="is not a"):
        LinearSentimentAnalyzer(other)
