"""Benchmark: purchase-history aggregates and the orders list at scale (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peyvand_bench \
        .venv/bin/python bench/orders.py --contacts 20000 --orders 200000

Makes N contacts and M orders over 18 months (a few lines each), then measures:
- ``Order.objects.per_contact()``: one row per customer with orders, net spend, first and
  last purchase (the input of RFM and lifetime value), next to a baseline in the same run:
  a plain ``COUNT(*)`` over the orders table (one sequential pass), so the aggregate's cost
  is also a ratio of reading the table once;
- one contact's ``purchase_summary()`` (the 360 card) with the ``(contact, placed_at)``
  index, and the same with index scans disabled (the baseline a missing index would give);
- the orders list page, first page and a deep keyset page.
Figures are ratios on this machine, not absolute promises. Data is kept between runs
(``--fresh`` rebuilds it).
"""

from __future__ import annotations

import argparse
import datetime
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


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def build(contacts: int, orders: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from peyvand.commerce.models import Order, OrderLine
    from peyvand.contacts.models import Contact

    missing_contacts = contacts - Contact.objects.count()
    rng = random.Random(1403)
    if missing_contacts > 0:
        Contact.objects.bulk_create(
            [
                Contact(first_name="مشتری", last_name=f"شماره {index}")
                for index in range(missing_contacts)
            ],
            batch_size=5000,
        )
    contact_ids = list(Contact.objects.values_list("pk", flat=True))
    missing = orders - Order.objects.count()
    now = timezone.now()
    statuses = ["completed"] * 80 + ["paid"] * 5 + ["cancelled"] * 8 + ["pending"] * 4
    statuses += ["partially_refunded"] * 3
    made = Order.objects.count()
    while missing > 0:
        size = min(5000, missing)
        batch = []
        for index in range(size):
            subtotal = rng.randrange(1, 60) * 500_000
            status = rng.choice(statuses)
            batch.append(
                Order(
                    # Few customers buy often, many once: a skewed choice.
                    contact_id=contact_ids[int(len(contact_ids) * rng.random() ** 2)],
                    source="bench",
                    external_id=str(made + index),
                    status=status,
                    placed_at=now - datetime.timedelta(minutes=rng.randrange(548 * 24 * 60)),
                    currency="IRR",
                    subtotal=subtotal,
                    total=subtotal,
                    refunded_total=subtotal // 10 if status == "partially_refunded" else 0,
                )
            )
        with transaction.atomic():
            created = Order.objects.bulk_create(batch)
            OrderLine.objects.bulk_create(
                [
                    OrderLine(
                        order=order,
                        name="کالا",
                        quantity=1,
                        unit_price=order.subtotal,
                        total=order.subtotal,
                    )
                    for order in created
                ]
            )
        made += size
        missing -= size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (the benchmark is about PostgreSQL).")

    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # response.context, for following the "next page" links
    from django.db import connection
    from django.test import Client

    from peyvand.accounts.models import Role, User
    from peyvand.commerce.models import Order

    call_command("migrate", interactive=False, verbosity=0)
    if args.fresh:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE commerce_orderline, commerce_order CASCADE")
    started = time.perf_counter()
    build(args.contacts, args.orders)
    print(f"data ready in {time.perf_counter() - started:.0f}s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE commerce_order")
        cursor.execute("ANALYZE contacts_contact")

    def count_all() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM commerce_order")
            cursor.fetchone()

    def per_contact() -> None:
        list(Order.objects.per_contact())

    per_contact()
    baseline = timed(count_all, 5)
    aggregate = timed(per_contact, 5)
    customers = len(list(Order.objects.per_contact()))

    contact_ids = list(Order.objects.order_by("?").values_list("contact_id", flat=True)[:200])

    def summaries() -> list[float]:
        samples = []
        for contact_id in contact_ids:
            started = time.perf_counter()
            Order.objects.filter(contact_id=contact_id).purchase_summary()
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    summaries()
    indexed = summaries()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_bitmapscan = off")
        cursor.execute("SET enable_indexscan = off")
    scanned = summaries()[:20]
    with connection.cursor() as cursor:
        cursor.execute("RESET enable_bitmapscan")
        cursor.execute("RESET enable_indexscan")

    admin, _created = User.objects.get_or_create(
        username="bench-admin", defaults={"role": Role.ADMIN, "is_superuser": True}
    )
    client = Client()
    client.force_login(admin)
    response = client.get("/commerce/orders/")  # warm up: the first request loads every app
    first_page = timed(lambda: client.get("/commerce/orders/"), 20)
    url = "/commerce/orders/"
    for _ in range(50):  # 50 pages deep
        response = client.get(url)
        url = f"/commerce/orders/?{response.context['next_query']}"
    deep_page = timed(lambda: client.get(url), 20)

    def line(name: str, samples: list[float]) -> str:
        return (
            f"  {name:<34} p50 {percentile(samples, 0.5):8.1f} ms   "
            f"p95 {percentile(samples, 0.95):8.1f} ms"
        )

    total = Order.objects.count()
    print(f"\norders: {total:,}   customers with purchases: {customers:,}")
    print(line("COUNT(*) over orders (baseline)", baseline))
    print(line("per_contact() (RFM/CLV input)", aggregate))
    ratio = statistics.median(aggregate) / max(statistics.median(baseline), 1e-6)
    print(f"  per_contact / one pass            {ratio:8.1f}×")
    print(line("one contact's summary (index)", indexed))
    print(line("same without index scans", scanned))
    print(line("orders page 1", first_page))
    print(line("orders page 51 (keyset)", deep_page))


if __name__ == "__main__":
    main()
