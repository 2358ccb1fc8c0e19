"""Benchmark: duplicate contact detection, quality and speed, in memory (no database).

    PEYVAND_VAR_DIR=/tmp/pv-h8 .venv/bin/python bench/dedupe.py --contacts 100000 --also-1m

Generates N synthetic Persian contacts with a known ground truth, the way real data arrives:

* base people: names from ``demo_data`` (some typed with Arabic ي/ك), a phone typed in mixed
  forms (Persian digits, +98, 0098, dashes) normalized with ``normalize_phone`` as the product
  does, sometimes a second phone, an email for about half, a national ID for about half, a city;
* about 10% of them get 1–2 duplicates, each with 1–3 realistic variations: Arabic/Persian
  letter swaps, the phone typed in another digit form, ZWNJ/space changes, first and last name
  swapped, a one-character typo, a missing or a second phone, the email in another case, a
  missing email, national ID or city;
* hard non-duplicates: namesakes (same common first and last name, same city, their own phone)
  and relatives (same last name and city, a different first name, sharing a home phone);
  with only ~1,100 distinct names, ordinary namesakes are everywhere too.

Then runs ``find_person_duplicates`` on the records and prints size, true and predicted pairs,
precision, recall, F1 and wall time, next to a baseline measured in the same run: one linear
pass that only normalizes the records (the dedupe's own preparation step, with its memo
cleared and the cyclic GC paused as in the dedupe), so the dedupe cost is also given as a
ratio of that pass.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")

PERSIAN_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "chmail.ir", "example.ir")
ZWNJ = "\u200c"

# Variation name -> relative weight (how often it is picked for a duplicate).
VARIATIONS: dict[str, float] = {
    "arabic_letters": 1.0,
    "phone_digits": 1.0,
    "spacing": 1.0,
    "swapped_names": 0.7,
    "typo": 1.2,
    "missing_phone": 0.5,
    "second_phone": 0.5,
    "email_case": 0.7,
    "missing_email": 0.4,
    "missing_national_id": 0.4,
    "missing_city": 0.3,
}


@dataclass
class Person:
    """A contact as generated, before it becomes a PersonRecord."""

    first_name: str
    last_name: str
    phones: list[str]
    emails: list[str]
    national_id: str
    city: str
    kind: str = "base"
    variations: list[str] = field(default_factory=list)


class Generator:
    """Makes synthetic people with demo_data's name lists and messy inputs."""

    def __init__(self, seed: int) -> None:
        from peyvand.common.iran import CITIES, PROVINCES
        from peyvand.contacts import demo_data

        self.rng = random.Random(seed)
        self.demo = demo_data
        self.cities = CITIES
        self.provinces = PROVINCES
        self.serial = 0

    def phone(self) -> str:
        from peyvand.common.validators import normalize_phone

        return normalize_phone(self.demo.messy_phone(self.rng))

    def email(self) -> str:
        self.serial += 1
        return f"user{self.serial}@{self.rng.choice(EMAIL_DOMAINS)}"

    def city(self) -> str:
        rng = self.rng
        province = (
            rng.choice(self.provinces[:12]) if rng.random() < 0.8 else rng.choice(self.provinces)
        )
        return rng.choice(self.cities[province.code])

    def first_name(self, is_female: bool) -> str:
        names = self.demo.FIRST_NAMES_FEMALE if is_female else self.demo.FIRST_NAMES_MALE
        return self.rng.choice(names)

    def person(self) -> Person:
        rng = self.rng
        phones = [self.phone()] if rng.random() < 0.97 else []
        if phones and rng.random() < 0.08:
            phones.append(self.phone())
        return Person(
            first_name=self.demo.arabic_variant(self.first_name(rng.random() < 0.5), rng),
            last_name=self.demo.arabic_variant(rng.choice(self.demo.LAST_NAMES), rng),
            phones=phones,
            emails=[self.email()] if rng.random() < 0.55 else [],
            national_id=self.demo.random_national_id(rng) if rng.random() < 0.45 else "",
            city=self.city() if rng.random() < 0.95 else "",
        )

    def namesake(self, base: Person) -> Person:
        """Another person with the same (common) name in the same city."""
        other = self.person()
        other.first_name = self.demo.arabic_variant(clean(base.first_name), self.rng)
        other.last_name = self.demo.arabic_variant(clean(base.last_name), self.rng)
        other.city = base.city
        other.kind = "namesake"
        return other

    def relative(self, base: Person) -> Person:
        """A family member: same last name and city, another first name, a shared phone."""
        rng = self.rng
        other = self.person()
        first = clean(base.first_name)
        while clean(other.first_name) == first:
            other.first_name = self.first_name(rng.random() < 0.5)
        other.last_name = base.last_name
        other.city = base.city
        if base.phones:
            shared = rng.choice(base.phones)
            other.phones = [shared] if rng.random() < 0.7 else [*other.phones, shared]
        other.kind = "relative"
        return other

    def duplicate(self, base: Person) -> Person:
        """The same person entered again, with 1–3 variations."""
        rng = self.rng
        copy = replace(base, phones=list(base.phones), emails=list(base.emails), kind="duplicate")
        names, weights = zip(*VARIATIONS.items(), strict=True)
        chosen: set[str] = set()
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            chosen.add(rng.choices(names, weights=weights)[0])
        copy.variations = sorted(chosen)
        for variation in copy.variations:
            getattr(self, "vary_" + variation)(copy)
        return copy

    # Each vary_* changes a duplicate in place.

    def vary_arabic_letters(self, person: Person) -> None:
        table = str.maketrans({"ی": "ي", "ک": "ك"})
        person.first_name = person.first_name.translate(table)
        person.last_name = person.last_name.translate(table)

    def vary_phone_digits(self, person: Person) -> None:
        from peyvand.common.persian import to_persian_digits
        from peyvand.common.validators import normalize_phone

        def retype(e164: str) -> str:
            national = "0" + e164[3:]
            typed = self.rng.choice(
                (to_persian_digits(national), f"{national[:4]} {national[4:7]} {national[7:]}")
            )
            return normalize_phone(typed)

        person.phones = [retype(phone) for phone in person.phones]

    def vary_spacing(self, person: Person) -> None:
        rng = self.rng
        if ZWNJ in person.last_name:
            person.last_name = person.last_name.replace(ZWNJ, rng.choice((" ", "")))
        elif person.first_name.startswith("عبد"):
            person.first_name = "عبد" + rng.choice((" ", ZWNJ)) + person.first_name[3:]
        else:
            # Copy-paste artefacts: a trailing ZWNJ, doubled or surrounding spaces.
            person.last_name = rng.choice(
                (person.last_name + ZWNJ, f"  {person.last_name} ", person.last_name + " ")
            )

    def vary_swapped_names(self, person: Person) -> None:
        person.first_name, person.last_name = person.last_name, person.first_name

    def vary_typo(self, person: Person) -> None:
        rng = self.rng
        if rng.random() < 0.7:
            person.last_name = typo(person.last_name, rng)
        else:
            person.first_name = typo(person.first_name, rng)

    def vary_missing_phone(self, person: Person) -> None:
        person.phones = person.phones[1:]

    def vary_second_phone(self, person: Person) -> None:
        person.phones.append(self.phone())

    def vary_email_case(self, person: Person) -> None:
        person.emails = [email.upper() for email in person.emails]

    def vary_missing_email(self, person: Person) -> None:
        person.emails = []

    def vary_missing_national_id(self, person: Person) -> None:
        person.national_id = ""

    def vary_missing_city(self, person: Person) -> None:
        person.city = ""


def clean(text: str) -> str:
    return text.replace("ي", "ی").replace("ك", "ک")


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip: a substituted, missing, extra or two swapped letters."""
    letters = [index for index, char in enumerate(text) if char in PERSIAN_LETTERS + "يك"]
    if len(letters) < 2:
        return text
    index = rng.choice(letters[:-1])
    kind = rng.randrange(4)
    if kind == 0:
        new = rng.choice([char for char in PERSIAN_LETTERS if char != text[index]])
        return text[:index] + new + text[index + 1 :]
    if kind == 1:
        return text[:index] + text[index + 1 :]
    if kind == 2:
        return text[:index] + rng.choice(PERSIAN_LETTERS) + text[index:]
    return text[:index] + text[index + 1] + text[index] + text[index + 2 :]


def generate(count: int, seed: int) -> tuple[list[Any], set[tuple[int, int]], dict[int, Person]]:
    """``count`` PersonRecords (shuffled), the true duplicate pairs, and each id's Person."""
    from peyvand.contacts.duplicates import PersonRecord

    maker = Generator(seed)
    rng = maker.rng
    people: list[Person] = []
    clusters: list[list[int]] = []
    while len(people) < count:
        base = maker.person()
        people.append(base)
        roll = rng.random()
        if roll < 0.10:
            cluster = [len(people) - 1]
            for _ in range(1 if rng.random() < 0.7 else 2):
                people.append(maker.duplicate(base))
                cluster.append(len(people) - 1)
            clusters.append(cluster)
        elif roll < 0.15:
            people.append(maker.namesake(base))
        elif roll < 0.20:
            people.append(maker.relative(base))
    people = people[:count]
    ids = list(range(1, len(people) + 1))
    rng.shuffle(ids)  # duplicates are not next to each other
    by_id = dict(zip(ids, people, strict=True))
    truth: set[tuple[int, int]] = set()
    for cluster in clusters:
        members = sorted(ids[index] for index in cluster if index < count)
        for position, low in enumerate(members):
            truth.update((low, high) for high in members[position + 1 :])
    records = [
        PersonRecord(
            id=person_id,
            first_name=person.first_name,
            last_name=person.last_name,
            phones=tuple(person.phones),
            emails=tuple(person.emails),
            national_id=person.national_id,
            city=person.city,
        )
        for person_id, person in sorted(by_id.items())
    ]
    return records, truth, by_id


def shares_identifier(first: Person, second: Person) -> bool:
    """Whether a pair shares anything but its name and city (otherwise it is unfindable)."""
    return bool(
        set(first.phones) & set(second.phones)
        or {email.lower() for email in first.emails} & {email.lower() for email in second.emails}
        or (first.national_id and first.national_id == second.national_id)
    )


def run(count: int, seed: int, threshold: float, verbose: bool) -> None:
    from peyvand.contacts.duplicates import people as duplicates_people
    from peyvand.contacts.duplicates import scoring as duplicates_scoring

    started = time.perf_counter()
    records, truth, by_id = generate(count, seed)
    generated = time.perf_counter() - started

    gc.collect()
    duplicates_scoring._SEARCH_KEYS.clear()
    started = time.perf_counter()
    with duplicates_scoring._without_cyclic_gc():  # the same conditions the dedupe runs under
        prepared = [duplicates_people._prepare_person(record) for record in records]
    baseline = time.perf_counter() - started
    del prepared
    gc.collect()

    duplicates_scoring._SEARCH_KEYS.clear()
    started = time.perf_counter()
    found = duplicates_people.find_person_duplicates(records, threshold=threshold)
    elapsed = time.perf_counter() - started

    predicted = {(pair.first_id, pair.second_id) for pair in found}
    true_positives = len(predicted & truth)
    linked = {pair for pair in truth if shares_identifier(by_id[pair[0]], by_id[pair[1]])}
    precision = true_positives / len(predicted) if predicted else 1.0
    recall = true_positives / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(
        f"contacts {len(records):>9,}  true pairs {len(truth):>7,}  "
        f"predicted {len(predicted):>7,}  (seed {seed}, threshold {threshold})"
    )
    print(
        f"  precision {precision:.4f}   recall {recall:.4f}   F1 {f1:.4f}   "
        f"(generated in {generated:.1f}s)"
    )
    print(
        f"  dedupe {elapsed:6.2f}s   normalize-only pass {baseline:5.2f}s   "
        f"ratio {elapsed / baseline:4.1f}x"
    )
    print(
        f"  true pairs sharing a phone, email or national ID: {len(linked):,} "
        f"(recall ceiling {len(linked) / len(truth):.4f}); recall on those "
        f"{len(predicted & linked) / len(linked):.4f}"
    )
    if verbose:
        explain(predicted, truth, by_id, found)


def explain(
    predicted: set[tuple[int, int]],
    truth: set[tuple[int, int]],
    by_id: dict[int, Person],
    found: list[Any],
) -> None:
    """Counts of misses by variation and of false alarms by kind, with a few examples."""
    from peyvand.contacts.duplicates import PersonRecord, score_pair

    def record(person_id: int) -> PersonRecord:
        person = by_id[person_id]
        return PersonRecord(
            person_id,
            person.first_name,
            person.last_name,
            tuple(person.phones),
            tuple(person.emails),
            person.national_id,
            person.city,
        )

    missed = sorted(truth - predicted)
    by_variation: Counter[str] = Counter()
    for low, high in missed:
        variations = by_id[low].variations + by_id[high].variations
        by_variation["+".join(sorted(set(variations))) or "-"] += 1
    print(f"  missed {len(missed)}: {by_variation.most_common(12)}")
    for low, high in missed[:8]:
        score, reasons = score_pair(record(low), record(high))
        print(f"    miss {score:.3f} {[str(r.code) for r in reasons]}")
        print(f"       {by_id[low]}\n       {by_id[high]}")
    false_alarms = [pair for pair in found if (pair.first_id, pair.second_id) not in truth]
    kinds: Counter[str] = Counter(
        f"{by_id[pair.first_id].kind}/{by_id[pair.second_id].kind}" for pair in false_alarms
    )
    print(f"  false alarms {len(false_alarms)}: {kinds.most_common(8)}")
    for pair in false_alarms[:8]:
        print(f"    alarm {pair.score:.3f} {[r.code for r in pair.reasons]}")
        print(f"       {by_id[pair.first_id]}\n       {by_id[pair.second_id]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--also-1m", action="store_true", help="also run 1,000,000 contacts")
    parser.add_argument("--seed", type=int, default=1403, help="tuning used seed 11")
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--verbose", action="store_true", help="explain misses and alarms")
    args = parser.parse_args()

    import django

    django.setup()
    from peyvand.contacts.duplicates import DEFAULT_THRESHOLD

    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    run(args.contacts, args.seed, threshold, args.verbose)
    if args.also_1m:
        run(1_000_000, args.seed, threshold, args.verbose)


if __name__ == "__main__":
    main()
