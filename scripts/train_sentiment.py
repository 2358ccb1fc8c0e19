"""Train the linear sentiment model (``peyvand.intelligence.sentiment.linear``) on labelled
Persian texts and write it as a compressed ``.npz`` that loads with NumPy alone.

    PYTHONPATH=. python scripts/train_sentiment.py TRAIN.tsv [MORE.tsv ...] -o model.npz \
        [--max-features 200000] [--c 4.0]

Each input is ``label<TAB>text`` with a header line (labels positive/neutral/negative), such
as the sets in bench/data or a site's own labelled comments. Deterministic: the same inputs
give the same file. Only features with a non-zero weight are kept, so the file stays small.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")


def train(
    rows: list[tuple[str, str]], output: Path, *, max_features: int = 200_000, c: float = 4.0
) -> int:
    """Fit and write the model; the number of features kept."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from peyvand.intelligence.sentiment.linear import FORMAT, features

    labels = [label for label, _ in rows]
    texts = [text for _, text in rows]
    vectorizer = TfidfVectorizer(analyzer=features, max_features=max_features, dtype=np.float64)
    matrix = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(matrix, labels)
    keep = np.flatnonzero(np.abs(model.coef_).max(axis=0) > 1e-6)
    vocabulary = vectorizer.get_feature_names_out()[keep]
    np.savez_compressed(
        output,
        format=np.array(FORMAT),
        vocabulary=vocabulary.astype(str),
        idf=vectorizer.idf_[keep].astype(np.float32),
        coef=model.coef_[:, keep].astype(np.float32),
        intercept=model.intercept_.astype(np.float32),
        classes=np.array([str(label) for label in model.classes_]),
    )
    return len(keep)


def main() -> None:
    import django

    django.setup()
    from peyvand.intelligence.sentiment.evaluation import read_labelled

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--max-features", type=int, default=200_000)
    parser.add_argument("--c", type=float, default=4.0)
    args = parser.parse_args()
    rows = [row for path in args.inputs for row in read_labelled(path)]
    kept = train(rows, args.output, max_features=args.max_features, c=args.c)
    size = args.output.stat().st_size
    print(f"{len(rows)} texts, {kept} features, {size / 1024:.0f} KB -> {args.output}")


if __name__ == "__main__":
    main()
