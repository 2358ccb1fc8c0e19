"""The built-in Persian sentiment analyzer: a polarity lexicon and a few rules of the
language, no training data and no dependency beyond the standard library.

Why a lexicon: no labelled Persian sentiment corpus with a licence we may ship could be
obtained through the registries this project installs from (see docs/architecture.md), so
the knowledge is written down instead, in ``intelligence/data/sentiment_lexicon_fa.json``
(CC0, our own). The rules:

* text is normalized with :func:`peyvand.common.persian.normalize_text` (Arabic/Persian
  letters, digits, ZWNJ), stretched letters ("عاااالی") are shortened, and the verb prefixes
  ``می``/``نمی`` and plural/comparative suffixes split off by a ZWNJ are joined back;
* phrases match longest first ("خیلی خوب", "جواب ندادند", "بی کیفیت");
* a word not in the lexicon is tried without a common suffix ("خوبه", "مشکلی") and, for a
  negated verb, without its ``ن``/``نمی`` prefix (flipping its polarity);
* negation flips a polar word: before it («نه», «هیچ», «بدون», «بی») or after it («نبود»,
  «نیست», «نشد», «پیش نیامد»); a negated complaint ("مشکلی نبود") counts less than a
  negated praise ("خوب نبود"), as people mean it; a word that carries its own negation
  agrees with «هیچ» instead of being flipped by it ("هیچ‌کس جواب نداد" stays negative);
* a service word followed by a negated verb is a complaint ("ثبت نشده", "قبول نکردند");
* intensifiers («خیلی», «واقعا», «اصلا») and diminishers («کمی», «نسبتا») scale the next
  polar word;
* after «ولی»/«اما» the clause weighs more and the one before it less; a clause opened by
  «هرچند»/«اگرچه» weighs less until its comma;
* emoji and emoticons carry polarity too.

The sum goes through ``tanh`` into a score in -1..1; a score past ``±THRESHOLD`` is
positive or negative, anything closer to zero (no polar word, or a balance) is neutral.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from peyvand.common.persian import normalize_text

from .base import SentimentLabel, SentimentResult

__all__ = ["LEXICON_PATH", "Lexicon", "LexiconSentimentAnalyzer", "load_lexicon", "tokenize"]

LEXICON_PATH = Path(__file__).resolve().parent.parent / "data" / "sentiment_lexicon_fa.json"

# Tuned on the development sentences in bench/data (never on the evaluation set).
THRESHOLD = 0.2
SCALE = 3.0  # the sum of weights that reaches tanh(1) ≈ 0.76
NEGATED_PRAISE = -0.8  # "خوب نبود": nearly as strong as "بد بود"
NEGATED_COMPLAINT = -0.5  # "مشکلی نبود": mildly positive
BEFORE_CONTRAST = 0.5
AFTER_CONTRAST = 1.5
CONCESSION = 0.5
MAX_PHRASE = 4
SERVICE_REFUSED = -2.0  # a service word with a negated verb: "جواب ندادند"
NEGATION_WINDOW = 3  # tokens a negator before a word may reach across
NEGATION_AFTER_GAP = 2  # tokens between a word and the negator after it

_EMOJI = "[\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2764]"
_TOKEN_RE = re.compile(rf"[:;]-?[()]|\(:|\):|{_EMOJI}|\w+|[.!?؟،,؛;\n]")
_CLAUSE_END = frozenset(".!?؟\n")
_COMMA = frozenset("،,؛;")
_STRETCHED_RE = re.compile(r"(\w)\1{2,}")
_JOIN_NEXT = frozenset({"می", "نمی"})
_JOIN_PREVIOUS = frozenset({"ها", "های", "هایی", "تر", "ترین", "ام", "ای", "اید", "اند"})


def tokenize(text: str) -> list[str]:
    """Normalized tokens: words, emoji, emoticons and clause punctuation, with ZWNJ-split
    affixes joined back (``نمی‌خواهم`` and ``نمیخواهم`` give one token)."""
    value = normalize_text(text.replace("\ufe0f", ""))
    value = _STRETCHED_RE.sub(r"\1", value)
    tokens: list[str] = []
    pending_prefix = ""
    for token in _TOKEN_RE.findall(value):
        if token in _JOIN_NEXT:
            pending_prefix += token
            continue
        if pending_prefix and token.isalpha():
            token = pending_prefix + token
        elif pending_prefix:
            tokens.append(pending_prefix)
        pending_prefix = ""
        if token in _JOIN_PREVIOUS and tokens and tokens[-1].isalpha():
            tokens[-1] += token
            continue
        tokens.append(token)
    if pending_prefix:
        tokens.append(pending_prefix)
    return tokens


@dataclass(frozen=True)
class Lexicon:
    """The lexicon's tables, with every key normalized the way :func:`tokenize` writes it
    (phrases as tuples of tokens)."""

    words: dict[tuple[str, ...], float]
    negators_before: frozenset[tuple[str, ...]]
    negators_after: frozenset[tuple[str, ...]]
    intensifiers: dict[tuple[str, ...], float]
    diminishers: dict[tuple[str, ...], float]
    contrast: frozenset[tuple[str, ...]]
    concession: frozenset[tuple[str, ...]]
    suffixes: tuple[str, ...]
    service_actions: frozenset[str] = frozenset()
    light_verb_stems: tuple[str, ...] = ()
    not_negated_verbs: frozenset[str] = frozenset()
    not_words: frozenset[str] = frozenset()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Lexicon:
        def key(phrase: str) -> tuple[str, ...]:
            return tuple(token for token in tokenize(phrase) if token not in _COMMA)

        return cls(
            words={key(k): float(v) for k, v in data["words"].items() if key(k)},
            negators_before=frozenset(map(key, data.get("negators_before", []))),
            negators_after=frozenset(map(key, data.get("negators_after", []))),
            intensifiers={key(k): float(v) for k, v in data.get("intensifiers", {}).items()},
            diminishers={key(k): float(v) for k, v in data.get("diminishers", {}).items()},
            contrast=frozenset(map(key, data.get("contrast", []))),
            concession=frozenset(map(key, data.get("concession", []))),
            suffixes=tuple(sorted(data.get("suffixes", []), key=len, reverse=True)),
            service_actions=frozenset(normalize_text(w) for w in data.get("service_actions", [])),
            light_verb_stems=tuple(normalize_text(w) for w in data.get("light_verb_stems", [])),
            not_negated_verbs=frozenset(
                normalize_text(w) for w in data.get("not_negated_verbs", [])
            ),
            not_words=frozenset(normalize_text(w) for w in data.get("not_words", [])),
        )

    def phrase_value(self, phrase: tuple[str, ...]) -> float | None:
        """A phrase's polarity, also with a suffix on its last word ("پاس کاریام")."""
        found = self.words.get(phrase)
        if found is not None or len(phrase) < 2:
            return found
        last = phrase[-1]
        for suffix in self.suffixes:
            stem = last[: -len(suffix)]
            if last.endswith(suffix) and len(stem) >= 2:
                found = self.words.get((*phrase[:-1], stem))
                if found is not None:
                    return found
        return None

    def carries_negation(self, token: str) -> bool:
        """Whether the token negates itself (a negated verb or a negator such as «نیست»),
        so that a «هیچ» or «نه» beside it agrees with it instead of flipping it."""
        return self.is_negated_verb(token) or (token,) in self.negators_after

    def is_negated_verb(self, token: str) -> bool:
        """Whether the token reads as a negated verb: ``نمی…``, or ``ن`` before a common
        verb stem ("ندادند", "نکرد", "نشده"), except words that only look like one."""
        if token in self.not_negated_verbs or len(token) < 3:
            return False
        if token.startswith("نمی") and len(token) > 4:
            return True
        return token.startswith("ن") and token[1:].startswith(self.light_verb_stems)

    def word_value(self, token: str) -> float | None:
        """A single token's polarity, trying it without a suffix and, for a negated verb
        form, without its ``ن``/``نمی`` prefix; ``None`` when it has none."""
        found = self.words.get((token,))
        if found is not None or token in self.not_words:
            return found  # "بدید" is "give", not "bad"
        for suffix in self.suffixes:
            stem = token[: -len(suffix)]
            if token.endswith(suffix) and len(stem) >= 2 and (stem,) in self.words:
                return self.words[(stem,)]
        if token.startswith("نمی") and (("می" + token[3:]),) in self.words:
            return _negated(self.words[("می" + token[3:],)])
        if token.startswith("ن") and len(token) >= 4 and (token[1:],) in self.words:
            return _negated(self.words[(token[1:],)])
        return None


def _negated(value: float) -> float:
    return value * (NEGATED_PRAISE if value > 0 else NEGATED_COMPLAINT)


@cache
def load_lexicon(path: str = str(LEXICON_PATH)) -> Lexicon:
    """The lexicon at ``path`` (the shipped one by default), read once per process. Plain
    JSON: nothing in it is executed."""
    with open(path, encoding="utf-8") as handle:
        return Lexicon.from_json(json.load(handle))


@dataclass
class _Item:
    kind: str  # word, before, after, intensify, contrast, concession, comma, end
    value: float = 0.0
    start: int = 0  # token index, for the distances of negation
    settled: bool = False  # the negation is already part of the value


def _items(tokens: list[str], lexicon: Lexicon) -> list[_Item]:
    """Tokens grouped into the lexicon's phrases, longest match first."""
    items: list[_Item] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in _CLAUSE_END:
            items.append(_Item("end", start=index))
            index += 1
            continue
        if token in _COMMA:
            items.append(_Item("comma", start=index))
            index += 1
            continue
        matched: _Item | None = None
        for size in range(min(MAX_PHRASE, len(tokens) - index), 0, -1):
            phrase = tuple(tokens[index : index + size])
            value = lexicon.phrase_value(phrase) if size > 1 else lexicon.words.get(phrase)
            if value is not None:
                # Negative concord: "هیچ‌کس جواب نداد" is negative, not doubly negated.
                settled = any(map(lexicon.carries_negation, phrase))
                matched = _Item("word", value, index, settled=settled)
            elif phrase in lexicon.negators_after:
                matched = _Item("after", start=index)
            elif phrase in lexicon.intensifiers:
                matched = _Item("intensify", lexicon.intensifiers[phrase], index)
            elif phrase in lexicon.diminishers:
                matched = _Item("intensify", lexicon.diminishers[phrase], index)
            elif phrase in lexicon.negators_before:
                matched = _Item("before", start=index)
            elif phrase in lexicon.contrast:
                matched = _Item("contrast", start=index)
            elif phrase in lexicon.concession:
                matched = _Item("concession", start=index)
            if matched is not None:
                index += size
                break
        if matched is None:
            value = lexicon.word_value(token)
            if value is not None:
                matched = _Item("word", value, index, settled=lexicon.carries_negation(token))
            elif token in lexicon.service_actions and _refused(tokens, index, lexicon):
                # "جواب ندادند", "ثبت نشده", "قبول نکردند": a service not given.
                matched = _Item("word", SERVICE_REFUSED, index, settled=True)
            index += 1
        if matched is not None:
            items.append(matched)
    return items


def _refused(tokens: list[str], index: int, lexicon: Lexicon) -> bool:
    """Whether a negated verb or a negator follows the service word at ``index`` within
    two tokens."""
    for token in tokens[index + 1 : index + 3]:
        if lexicon.is_negated_verb(token) or (token,) in lexicon.negators_after:
            return True
    return False


def lexicon_total(text: str, lexicon: Lexicon) -> float:
    """The signed sum of the text's polar words after the rules (negation, intensity,
    contrast); 0.0 for a text with no polar word."""
    items = _items(tokenize(text), lexicon)
    contributions: list[list[float]] = [[]]  # per clause since the last contrast
    total = 0.0
    clause_weight = 1.0
    concession = False
    negate_until = -1
    factor = 1.0
    for position, item in enumerate(items):
        if item.kind in {"end", "comma"}:
            concession = False
            factor = 1.0
            negate_until = -1
            if item.kind == "end":
                total += sum(contributions[-1]) * clause_weight
                contributions = [[]]
                clause_weight = 1.0
            continue
        if item.kind == "contrast":
            total += sum(contributions[-1]) * BEFORE_CONTRAST * clause_weight
            contributions.append([])
            clause_weight = AFTER_CONTRAST
            factor = 1.0
            continue
        if item.kind == "concession":
            concession = True
            continue
        if item.kind == "before":
            negate_until = item.start + NEGATION_WINDOW
            continue
        if item.kind == "intensify":
            factor *= item.value
            continue
        if item.kind == "after":
            continue
        value = item.value
        if not item.settled and (item.start <= negate_until or _negated_after(items, position)):
            value = _negated(value)
            negate_until = -1
        value *= factor
        factor = 1.0
        if concession:
            value *= CONCESSION
        contributions[-1].append(value)
    total += sum(contributions[-1]) * clause_weight
    return total


def _negated_after(items: list[_Item], position: int) -> bool:
    """Whether a negator follows the word at ``position`` closely, before the next polar
    word or the end of the clause."""
    word = items[position]
    for later in items[position + 1 :]:
        if later.kind == "after":
            return later.start - word.start <= NEGATION_AFTER_GAP + 1
        if later.kind in {"word", "end", "comma", "contrast"}:
            return False
    return False


def score_from_total(total: float) -> tuple[SentimentLabel, float, float]:
    """Label, score in -1..1 and confidence in 0..1 for a lexicon sum."""
    score = math.tanh(total / SCALE)
    if score >= THRESHOLD:
        label: SentimentLabel = "positive"
    elif score <= -THRESHOLD:
        label = "negative"
    else:
        label = "neutral"
    if label == "neutral":
        confidence = 1.0 - 0.5 * abs(score) / THRESHOLD
    else:
        confidence = 0.5 + 0.5 * (abs(score) - THRESHOLD) / (1.0 - THRESHOLD)
    return label, round(score, 4), round(min(1.0, max(0.0, confidence)), 4)


class LexiconSentimentAnalyzer:
    """Persian sentiment from the shipped lexicon and rules: offline, CPU-only and
    deterministic. ``lexicon_path`` points at another lexicon of the same JSON shape."""

    def __init__(self, lexicon_path: str | Path | None = None) -> None:
        self.lexicon = load_lexicon(str(lexicon_path or LEXICON_PATH))

    def analyze(self, texts: Sequence[str]) -> list[SentimentResult]:
        results = []
        for text in texts:
            label, score, confidence = score_from_total(lexicon_total(text or "", self.lexicon))
            results.append(SentimentResult(label=label, score=score, confidence=confidence))
        return results
