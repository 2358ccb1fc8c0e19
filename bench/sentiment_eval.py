"""Persian sentiment: macro-F1 of the configured analyzer on the held-out evaluation set,
against the majority-class and plain-lexicon baselines, in one run.

    PYTHONPATH=. python bench/sentiment_eval.py [--set bench/data/sentiment_eval_fa.tsv]

Both sets are Peyvand's own (CC0); see bench/data/README.md. The development set tuned the
analyzer's thresholds; the evaluation set was never used to build or tune anything.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")

import django  # noqa: E402

django.setup()

from peyvand.intelligence.sentiment import LABELS, analyze_sentiment, get_analyzer  # noqa: E402
from peyvand.intelligence.sentiment.evaluation import (  # noqa: E402
    Evaluation,
    evaluate,
    majority_baseline,
    plain_lexicon_baseline,
    read_labelled,
)

DATA = ROOT / "bench" / "data"


def report(name: str, result: Evaluation) -> None:
    print(f"\n== {name}: macro-F1 {result.macro_f1:.3f}, accuracy {result.accuracy:.3f}")
    print(f"{'class':<10}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>5}")
    for label, (precision, recall, f1, support) in result.per_class.items():
        print(f"{label:<10}{precision:>10.3f}{recall:>8.3f}{f1:>7.3f}{support:>5}")
    print("confusion (rows: true, columns: predicted " + " / ".join(LABELS) + ")")
    for label in LABELS:
        print(f"  {label:<10}" + "".join(f"{result.confusion[label][p]:>6}" for p in LABELS))


def train_linear(train_files: list[str], held_out: str, texts: list[str]) -> list[str]:
    """Labels from a linear model trained (scikit-learn, scripts/train_sentiment.py) on
    ``train_files``, loaded back from its .npz as the product would load it."""
    import tempfile

    from peyvand.intelligence.sentiment.linear import LinearSentimentAnalyzer

    sys.path.insert(0, str(ROOT / "scripts"))
    from train_sentiment import train

    if any(Path(f).resolve() == Path(held_out).resolve() for f in train_files):
        raise SystemExit("the measured set must not be among the training files")
    rows = [row for path in train_files for row in read_labelled(path)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.npz"
        kept = train(rows, path)
        print(f"\nlinear model: {len(rows)} texts, {kept} features, {path.stat().st_size:,} bytes")
        return [result.label for result in LinearSentimentAnalyzer(path).analyze(texts)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(DATA / "sentiment_eval_fa.tsv"))
    parser.add_argument("--dev", default=str(DATA / "sentiment_dev_fa.tsv"))
    parser.add_argument("--errors", action="store_true", help="print the misclassified texts")
    parser.add_argument(
        "--linear-train",
        nargs="+",
        metavar="TSV",
        help="also train the linear model on these files and measure it on the same set",
    )
    args = parser.parse_args()
    rows = read_labelled(args.set)
    truth = [label for label, _ in rows]
    texts = [text for _, text in rows]
    dev_labels = [label for label, _ in read_labelled(args.dev)]
    counts = {label: truth.count(label) for label in LABELS}
    print(f"set: {args.set} ({len(rows)} texts: {counts})")
    print(f"analyzer: {type(get_analyzer()).__module__}.{type(get_analyzer()).__name__}")
    started = time.perf_counter()
    results = analyze_sentiment(texts)
    elapsed = time.perf_counter() - started
    predicted = [result.label for result in results]
    analyzer = evaluate(truth, predicted)
    majority = evaluate(truth, majority_baseline(dev_labels, len(truth)))
    plain = evaluate(truth, plain_lexicon_baseline(texts))
    report("majority class (of the development set)", majority)
    report("plain lexicon (word sum, no rules)", plain)
    report("analyzer", analyzer)
    linear_figure = ""
    if args.linear_train:
        linear = evaluate(truth, train_linear(args.linear_train, args.set, texts))
        report(f"linear model trained on {', '.join(args.linear_train)}", linear)
        linear_figure = f" | linear {linear.macro_f1:.3f}"
    print(
        f"\nmacro-F1: analyzer {analyzer.macro_f1:.3f}{linear_figure} | plain lexicon "
        f"{plain.macro_f1:.3f} | majority {majority.macro_f1:.3f}; "
        f"{len(texts) / elapsed:,.0f} texts/s"
    )
    if args.errors:
        for (label, text), result in zip(rows, results, strict=True):
            if result.label != label:
                print(f"{label:>8} -> {result.label:<8} {result.score:+.2f}  {text}")


if __name__ == "__main__":
    main()
