"""Benchmark: global search and the contact list page at scale (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peyvand_bench \
        .venv/bin/python bench/search.py --contacts 100000

Makes N contacts with realistic Persian data (Arabic ي/ك in some names, phones typed in
Persian digits, +98, 0098 …), then measures p50/p95 of
- ``global_search`` (the selector behind the search box) for names, phone fragments in ASCII
  and Persian digits, and national IDs;
- the contact list page (``/contacts/``) unfiltered, filtered by stage, and searched;
and, in the same run as the baseline, the same search with the trigram index disabled
(a sequential scan), so the figures are ratios on this machine, not absolute promises.
Data is kept between runs (``--fresh`` rebuilds it).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))
    return ordered[index]


def timed(run: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def build(contacts: int, batch: int = 5000) -> None:
    from django.db import transaction

    from peyvand.common.iran import CITIES, PROVINCES
    from peyvand.common.persian import clean_persian, name_key
    from peyvand.common.validators import normalize_phone
    from peyvand.contacts.demo_data import (
        FIRST_NAMES_FEMALE,
        FIRST_NAMES_MALE,
        LAST_NAMES,
        arabic_variant,
        demo_users,
        messy_phone,
        random_national_id,
    )
    from peyvand.contacts.models import Contact, ContactPhone
    from peyvand.contacts.services import contact_search_text

    rng = random.Random(7)
    owners = demo_users()
    stages = ["subscriber", "lead", "opportunity", "customer", "loyal", "advocate", "churned"]
    made = Contact.objects.count()
    while made < contacts:
        size = min(batch, contacts - made)
        rows, phones = [], []
        for _ in range(size):
            province = rng.choice(PROVINCES)
            first = clean_persian(
                arabic_variant(rng.choice(FIRST_NAMES_FEMALE + FIRST_NAMES_MALE), rng)
            )
            last = clean_persian(arabic_variant(rng.choice(LAST_NAMES), rng))
            number = normalize_phone(messy_phone(rng))
            contact = Contact(
                first_name=first,
                last_name=last,
                national_id=random_national_id(rng) if rng.random() < 0.5 else "",
                province=province.code,
                city=rng.choice(CITIES[province.code]),
                lifecycle_stage=rng.choice(stages),
                owner=rng.choice(owners),
            )
            contact.search_text = contact_search_text(contact, [number], [], searchable_keys=())
            contact.name_key = name_key(contact.first_name, contact.last_name)
            rows.append(contact)
            phones.append(number)
        with transaction.atomic():
            created = Contact.objects.bulk_create(rows)
            ContactPhone.objects.bulk_create(
                ContactPhone(contact=contact, number=number)
                for contact, number in zip(created, phones, strict=True)
            )
        made += size
        print(f"\r  {made:,}/{contacts:,} contacts", end="", flush=True)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()

    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (the benchmark is about PostgreSQL).")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from peyvand.accounts.models import Role, User
    from peyvand.common.persian import to_persian_digits
    from peyvand.contacts.models import Contact, ContactPhone
    from peyvand.contacts.selectors import global_search

    call_command("migrate", interactive=False, verbosity=0)
    if args.fresh:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE contacts_contactphone, contacts_contact CASCADE")
    started = time.perf_counter()
    build(args.contacts)
    print(f"data ready in {time.perf_counter() - started:.0f}s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")
        cursor.execute("ANALYZE contacts_contactphone")
    total = Contact.objects.count()

    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"role": Role.ADMIN, "is_superuser": True}
    )
    sample = list(
        Contact.objects.order_by("?").values_list("first_name", "last_name", "national_id")[
            : args.queries
        ]
    )
    numbers = list(
        ContactPhone.objects.order_by("?").values_list("number", flat=True)[: args.queries]
    )
    queries: list[tuple[str, str]] = []
    for index, (first, last, national_id) in enumerate(sample):
        kind = index % 4
        if kind == 0:
            queries.append(("name", f"{first.replace('ی', 'ي')} {last}"))
        elif kind == 1:
            queries.append(("phone ascii", "0" + numbers[index][3:10]))
        elif kind == 2:
            queries.append(("phone fa", to_persian_digits("0" + numbers[index][3:12])))
        else:
            queries.append(("national id", national_id or last))

    def run_searches() -> list[float]:
        samples = []
        for _kind, query in queries:
            started = time.perf_counter()
            global_search(admin, query, limit=10)
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    run_searches()  # warm the cache
    indexed = run_searches()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_bitmapscan = off")
        cursor.execute("SET enable_indexscan = off")
    scan = run_searches()
    with connection.cursor() as cursor:
        cursor.execute("RESET enable_bitmapscan")
        cursor.execute("RESET enable_indexscan")

    client = Client()
    client.force_login(admin)
    pages = {
        "list": "/contacts/",
        "list by stage": "/contacts/?stage=customer",
        "list sorted by name": "/contacts/?sort=name",
        "list searched": "/contacts/?q=" + sample[0][1],
    }
    page_samples = {}
    for name, url in pages.items():
        client.get(url)
        page_samples[name] = timed(lambda url=url: client.get(url), 30)

    def line(name: str, samples: list[float]) -> str:
        return (
            f"  {name:<24} p50 {percentile(samples, 0.5):7.1f} ms   "
            f"p95 {percentile(samples, 0.95):7.1f} ms"
        )

    print(f"\ncontacts: {total:,}   search queries: {len(queries)}   page loads: 30 each")
    print("global search (trigram index):")
    print(line("all queries", indexed))
    for kind in ("name", "phone ascii", "phone fa", "national id"):
        subset = [ms for (k, _q), ms in zip(queries, indexed, strict=True) if k == kind]
        print(line(kind, subset))
    print("baseline, same queries without indexes (sequential scan):")
    print(line("all queries", scan))
    print(
        f"  ratio p95 indexed / scan: {percentile(indexed, 0.95) / percentile(scan, 0.95):.3f}"
        f"   (speed-up x{statistics.median(scan) / statistics.median(indexed):.0f} at p50)"
    )
    print("contact list page (full request through Django):")
    for name, samples in page_samples.items():
        print(line(name, samples))


if __name__ == "__main__":
    main()
