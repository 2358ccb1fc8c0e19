"""Benchmark: importing a messy Persian contact file on PostgreSQL, against COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peyvand_bench_import \
        .venv/bin/python bench/import.py --rows 1000000

Generates N rows of realistic Persian contacts (Arabic ي/ك in some names, phones typed as
Persian digits, +98 …, 0098 …, with dashes; Jalali and Gregorian birthdays; about 2% bad
rows and 3% repeats of earlier rows), then, in the same run:
- the limit: PostgreSQL ``COPY`` of the same file into a bare table of text columns;
- the product: a real import (normalization, validation, duplicate matching, contacts,
  phones, emails, tags and one event per contact, in batches with checkpoints);
- a rerun of the same file, which must add nothing;
- the floor of the product's schema: the rows the import wrote (contacts, phones, emails,
  tag links, events) copied with ``COPY`` into tables made ``LIKE`` the product's, with
  the same indexes (trigram search included) but no foreign keys: what writing alone costs,
  without reading, normalizing, validating or matching anything.
Prints rows/s for each and the ratios import / COPY and import / schema floor.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")

HEADERS = ["نام", "نام خانوادگی", "موبایل", "ایمیل", "کد ملی", "شهر", "تاریخ تولد", "برچسب"]


def generate(path: Path, rows: int, seed: int = 5) -> None:
    from peyvand.common.iran import CITIES, PROVINCES
    from peyvand.common.jalali import to_jalali
    from peyvand.contacts.demo_data import (
        FIRST_NAMES_FEMALE,
        FIRST_NAMES_MALE,
        LAST_NAMES,
        arabic_variant,
        messy_phone,
        random_national_id,
    )

    rng = random.Random(seed)
    first_names = FIRST_NAMES_FEMALE + FIRST_NAMES_MALE
    recent: list[list[str]] = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for index in range(rows):
            roll = rng.random()
            if roll < 0.03 and recent:
                writer.writerow(rng.choice(recent))  # a repeated row
                continue
            province = rng.choice(PROVINCES)
            birthday = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(16000))
            if rng.random() < 0.5:
                year, month, day = to_jalali(birthday)
                birthday_text = f"{year}/{month:02d}/{day:02d}"
            else:
                birthday_text = birthday.isoformat()
            row = [
                arabic_variant(rng.choice(first_names), rng),
                arabic_variant(rng.choice(LAST_NAMES), rng),
                messy_phone(rng),
                f"user{index}@Example.IR" if rng.random() < 0.5 else "",
                random_national_id(rng) if rng.random() < 0.4 else "",
                rng.choice(CITIES[province.code]),
                birthday_text if rng.random() < 0.6 else "",
                rng.choice(["", "", "VIP", "نمایشگاه"]),
            ]
            if roll > 0.98:
                row[2] = "۰۹۱۲-abc"  # a bad phone: rejected with a reason
            writer.writerow(row)
            if len(recent) < 1000:
                recent.append(row)
            elif rng.random() < 0.01:
                recent[rng.randrange(1000)] = row


def copy_baseline(path: Path) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_import")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_bare_import ("
            + ", ".join(f"c{i} text" for i in range(len(HEADERS)))
            + ")"
        )
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        path.open("rb") as handle,
        cursor.copy("COPY bench_bare_import FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
    ):
        while chunk := handle.read(1 << 20):
            copy.write(chunk)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_bare_import")
    return elapsed


# The tables an import of contacts writes, in the order it writes them.
WRITTEN_TABLES = (
    "contacts_contact",
    "contacts_contactphone",
    "contacts_contactemail",
    "contacts_contact_tags",
    "timeline_event",
)


def schema_floor() -> float:
    """Seconds to ``COPY`` what the import wrote into indexed copies of its tables."""
    from django.db import connection, transaction

    dumps: dict[str, bytes] = {}
    with connection.cursor() as cursor:
        for table in WRITTEN_TABLES:
            chunks = []
            with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                for chunk in copy:
                    chunks.append(bytes(chunk))
            dumps[table] = b"".join(chunks)
            cursor.execute(f"DROP TABLE IF EXISTS bench_floor_{table}")
            # Columns, defaults, checks and indexes; no foreign keys (LIKE never copies them).
            cursor.execute(f"CREATE TABLE bench_floor_{table} (LIKE {table} INCLUDING ALL)")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in WRITTEN_TABLES:
            with cursor.copy(f"COPY bench_floor_{table} FROM STDIN") as copy:
                data = dumps[table]
                for start in range(0, len(data), 1 << 20):
                    copy.write(data[start : start + (1 << 20)])
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        for table in WRITTEN_TABLES:
            cursor.execute(f"DROP TABLE bench_floor_{table}")
    return elapsed


def run_import(path: Path, actor: object) -> tuple[float, object]:
    from django.core.files import File

    from peyvand.contacts.importing.engine import ImportRunner
    from peyvand.contacts.importing.services import (
        import_job_configure,
        import_job_create,
        import_job_start,
    )

    with path.open("rb") as handle:
        job = import_job_create(actor=actor, upload=File(handle), original_name=path.name)  # type: ignore[arg-type]
    job = import_job_configure(
        actor=actor,
        job=job,
        mapping=job.mapping,
        duplicate_policy="skip",
        owner=actor,  # type: ignore[arg-type]
    )
    job = import_job_start(actor=actor, job=job, dry_run=False, enqueue=False)  # type: ignore[arg-type]
    started = time.perf_counter()
    last = [started]

    def progress(current: object) -> None:
        now = time.perf_counter()
        if now - last[0] > 5:
            last[0] = now
            done = current.rows_done  # type: ignore[attr-defined]
            print(f"\r  {done:,} rows, {done / (now - started):,.0f}/s", end="", flush=True)

    job = ImportRunner(job, progress=progress).run()
    print()
    return time.perf_counter() - started, job


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep-file", action="store_true")
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from peyvand.accounts.models import Role, User
    from peyvand.contacts.models import Contact
    from peyvand.timeline.models import Event

    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE timeline_event, contacts_contactphone, contacts_contactemail, "
            "contacts_contact_tags, contacts_contact, contacts_company CASCADE"
        )
    actor, _ = User.objects.get_or_create(
        username="bench-importer", defaults={"role": Role.ADMIN, "is_superuser": True}
    )
    path = Path("/tmp") / f"peyvand-bench-import-{args.rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {path} in {time.perf_counter() - started:.0f}s")
    size_mb = path.stat().st_size / 1e6
    copy_seconds = copy_baseline(path)
    import_seconds, job = run_import(path, actor)
    rerun_seconds, rerun = run_import(path, actor)
    floor_seconds = schema_floor()
    copy_rate = args.rows / copy_seconds
    import_rate = args.rows / import_seconds
    floor_rate = args.rows / floor_seconds
    print(f"\nfile: {args.rows:,} rows, {size_mb:.0f} MB")
    print(f"COPY into a bare table:   {copy_seconds:8.1f} s  {copy_rate:10,.0f} rows/s")
    print(f"import (first run):       {import_seconds:8.1f} s  {import_rate:10,.0f} rows/s")
    print(f"ratio import / COPY:      {import_rate / copy_rate:8.3f}")
    print(f"schema floor (no FKs):    {floor_seconds:8.1f} s  {floor_rate:10,.0f} rows/s")
    print(f"ratio import / floor:     {import_rate / floor_rate:8.3f}")
    print(
        f"  created {job.created_count:,}, skipped {job.skipped_count:,}, "  # type: ignore[attr-defined]
        f"rejected {job.rejected_count:,}"  # type: ignore[attr-defined]
    )
    print(
        f"rerun: {rerun_seconds:.1f} s ({args.rows / rerun_seconds:,.0f} rows/s), "
        f"created {rerun.created_count:,}, "  # type: ignore[attr-defined]
        f"skipped {rerun.skipped_count:,}, rejected {rerun.rejected_count:,}"  # type: ignore[attr-defined]
    )
    print(
        f"contacts in the database: {Contact.objects.count():,}; events: {Event.objects.count():,}"
    )
    if not args.keep_file:
        path.unlink()


if __name__ == "__main__":
    main()
