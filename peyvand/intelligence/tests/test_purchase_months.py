"""The purchase-month rollup (``PurchaseMonth``) against a brute-force recomputation.

Every test drives orders through the public services (order upsert, cancel, refund, the
order import, WooCommerce webhooks, contact merge and its undo) and then checks the stored
rows against :func:`brute_force`, which groups the purchases in Python: each order whose
status is in ``PURCHASE_STATUSES``, by the Jalali month of its Tehran date, with the count,
the sum of ``total − refunded_total``, the latest ``placed_at``, the customer's first month
and the next month with a purchase. The tests also pin explicit figures, so the comparison
is never of two empty sets.

The concurrency tests need PostgreSQL (each thread its own connection). The tests under
"Found by these tests" are the bugs they found in the first version and now guard: deadlocks
between a per-customer advisory lock and contact row locks, a rebuild failing in a transaction
with pending foreign-key checks, a documented command that did not exist, and order dates
outside the Jalali calendar's years crashing an import.
"""

from __future__ import annotations

import datetime
import itertools
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, connections, transaction

from peyvand.accounts.models import User
from peyvand.commerce import importing
from peyvand.commerce.demo_data import seed_commerce_demo
from peyvand.commerce.importing import orders_import_file
from peyvand.commerce.models import PURCHASE_STATUSES, Order, OrderStatus, ShopConnection
from peyvand.commerce.services import order_cancel, order_upsert, refund_record
from peyvand.commerce.signals import orders_changed_together
from peyvand.commerce.tests.factories import make_order
from peyvand.commerce.woocommerce import woocommerce_order_apply
from peyvand.common.jalali import JalaliMonth
from peyvand.contacts.merging import contact_merge_undo, contacts_merge
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence.models import PurchaseMonth
from peyvand.intelligence.purchase_months import (
    month_number_at,
    purchase_months_rebuild,
    purchase_months_refresh,
    whole_months,
)

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
UTC = datetime.UTC
_ids = itertools.count(1)

# (orders, net_total, last_at, first_month, next_month) by (contact id, month number).
Row = tuple[int, int, datetime.datetime, int, int | None]
Rows = dict[tuple[int, int], Row]


# --- The brute force and helpers ------------------------------------------------------------


def brute_force() -> Rows:
    """The rollup recomputed from every order, in Python."""
    months: dict[int, dict[int, list[Any]]] = defaultdict(dict)
    orders = Order.objects.values_list(
        "contact_id", "status", "placed_at", "total", "refunded_total"
    )
    for contact_id, status, placed_at, total, refunded in orders:
        if status not in PURCHASE_STATUSES:
            continue
        month = JalaliMonth.of(placed_at.astimezone(TEHRAN).date()).number()
        slot = months[contact_id].setdefault(month, [0, 0, placed_at])
        slot[0] += 1
        slot[1] += total - refunded
        slot[2] = max(slot[2], placed_at)
    rows: Rows = {}
    for contact_id, by_month in months.items():
        ordered = sorted(by_month)
        for index, month in enumerate(ordered):
            count, net, last_at = by_month[month]
            following = ordered[index + 1] if index + 1 < len(ordered) else None
            rows[(contact_id, month)] = (count, net, last_at, ordered[0], following)
    return rows


def stored() -> Rows:
    return {
        (contact_id, month): (orders, net, last_at, first, following)
        for contact_id, month, orders, net, last_at, first, following in (
            PurchaseMonth.objects.values_list(
                "contact_id",
                "month",
                "orders",
                "net_total",
                "last_at",
                "first_month",
                "next_month",
            )
        )
    }


def brute_force_days() -> dict[tuple[int, int], tuple[datetime.datetime, int, int]]:
    """Per (contact, month): the first purchase time, the number of Tehran days with a
    purchase and the net total of the first of those days, in Python."""
    by_day: dict[tuple[int, int], dict[datetime.date, list[Any]]] = defaultdict(dict)
    orders = Order.objects.values_list(
        "contact_id", "status", "placed_at", "total", "refunded_total"
    )
    for contact_id, status, placed_at, total, refunded in orders:
        if status not in PURCHASE_STATUSES:
            continue
        day = placed_at.astimezone(TEHRAN).date()
        month = JalaliMonth.of(day).number()
        slot = by_day[(contact_id, month)].setdefault(day, [placed_at, 0])
        slot[0] = min(slot[0], placed_at)
        slot[1] += total - refunded
    return {
        key: (min(first for first, _net in days.values()), len(days), days[min(days)][1])
        for key, days in by_day.items()
    }


def assert_matches() -> Rows:
    """The stored rows equal the brute force (the days columns too); returns them."""
    rows = stored()
    assert rows == brute_force()
    days = {
        (contact_id, month): (first_at, count, first_day_net)
        for contact_id, month, first_at, count, first_day_net in PurchaseMonth.objects.values_list(
            "contact_id", "month", "first_at", "days", "first_day_net"
        )
    }
    assert days == brute_force_days()
    return rows


def of(rows: Rows, contact: Contact) -> dict[int, Row]:
    """One contact's rows by month."""
    return {month: row for (contact_id, month), row in rows.items() if contact_id == contact.pk}


def tehran(
    year: int,
    month: int,
    day: int,
    hour: int = 12,
    minute: int = 0,
    second: int = 0,
    micro: int = 0,
) -> datetime.datetime:
    """A Tehran wall-clock time on a Jalali date (an aware datetime)."""
    gregorian = jdatetime.date(year, month, day).togregorian()
    return datetime.datetime.combine(
        gregorian, datetime.time(hour, minute, second, micro), tzinfo=TEHRAN
    )


def number(year: int, month: int) -> int:
    return year * 12 + month - 1


def buy(
    contact: Contact,
    placed_at: datetime.datetime,
    total: int = 100_000,
    *,
    status: str = OrderStatus.PAID,
    external_id: str | None = None,
) -> Order:
    """Create (or update, for a known ``external_id``) an order of ``total`` Rials."""
    return make_order(
        contact,
        external_id=external_id or f"PM{next(_ids)}",
        lines=[],
        status=status,
        placed_at=placed_at,
        subtotal=total,
        discount=0,
        shipping=0,
        tax=0,
        total=total,
    )


def change(order: Order, *, outcomes: tuple[str, ...] = ("updated",), **values: Any) -> Order:
    """Send ``order`` again through the upsert with some values changed."""
    current = Order.objects.get(pk=order.pk)
    data: dict[str, Any] = {
        "status": current.status,
        "placed_at": current.placed_at,
        "subtotal": current.subtotal,
        "discount": current.discount,
        "shipping": current.shipping,
        "tax": current.tax,
        "total": current.total,
    }
    data.update(values)
    result = order_upsert(
        actor=None,
        source=current.source,
        external_id=current.external_id,
        contact=current.contact,
        values=data,
    )
    assert result.outcome in outcomes
    return result.order


# --- The calendar ---------------------------------------------------------------------------


def test_month_numbers_are_the_jalali_months_of_tehran_time() -> None:
    assert settings.TIME_ZONE == "Asia/Tehran"
    assert JalaliMonth(1403, 1).number() == 16836  # the model's own example
    # 1 Farvardin 1405 is 21 March 2026; Tehran is UTC+03:30 (no DST since 2023).
    assert month_number_at(datetime.datetime(2026, 3, 20, 20, 29, 59, tzinfo=UTC)) == number(
        1404, 12
    )
    assert month_number_at(datetime.datetime(2026, 3, 20, 20, 30, tzinfo=UTC)) == number(1405, 1)
    # 1 Tir 1400 (22 June 2021) under the old summer time, UTC+04:30.
    assert month_number_at(datetime.datetime(2021, 6, 21, 19, 29, 59, tzinfo=UTC)) == number(
        1400, 3
    )
    assert month_number_at(datetime.datetime(2021, 6, 21, 19, 30, tzinfo=UTC)) == number(1400, 4)
    # Any zone gives the same instant's month.
    instant = tehran(1403, 7, 1, 0, 0)
    assert month_number_at(instant.astimezone(ZoneInfo("America/Los_Angeles"))) == number(1403, 7)


def _month_start(month: int) -> datetime.datetime:
    jalali = JalaliMonth.from_number(month)
    return tehran(jalali.year, jalali.month, 1, 0, 0)


@pytest.mark.parametrize("seed", range(4))
def test_whole_months_split_a_range_into_whole_months_and_partial_ends(seed: int) -> None:
    chance = random.Random(seed)
    base = tehran(1402, 1, 1, 0, 0)
    for _ in range(150):
        start = base + datetime.timedelta(minutes=chance.randrange(0, 60 * 24 * 800))
        if chance.random() < 0.3:  # a range that starts on a month's first midnight
            start = _month_start(month_number_at(start))
        end = start + datetime.timedelta(minutes=chance.randrange(1, 60 * 24 * 150))
        if chance.random() < 0.3:
            end = _month_start(month_number_at(end))
            if end <= start:
                continue
        inside = [
            month
            for month in range(month_number_at(start) - 1, month_number_at(end) + 2)
            if start <= _month_start(month) and _month_start(month + 1) <= end
        ]
        first, stop, partial = whole_months(start, end)
        if inside:
            assert (first, stop) == (inside[0], inside[-1] + 1)
            assert partial == [(start, _month_start(first)), (_month_start(stop), end)]
        else:
            assert first == stop
            assert partial == [(start, end)]


# --- Order writes ---------------------------------------------------------------------------


def test_orders_in_several_months_roll_up_per_customer_and_month() -> None:
    maryam, ali = make_contact(), make_contact(first_name="علی")
    buy(maryam, tehran(1403, 2, 3, 10), 100_000)
    buy(maryam, tehran(1403, 2, 28, 22), 250_000)
    buy(maryam, tehran(1403, 5, 1, 9), 70_000)
    buy(maryam, tehran(1403, 11, 17, 15), 30_000, status=OrderStatus.COMPLETED)
    buy(maryam, tehran(1403, 8, 1, 15), 999_000, status=OrderStatus.PENDING)
    buy(maryam, tehran(1403, 9, 1, 15), 999_000, status=OrderStatus.CANCELLED)
    buy(maryam, tehran(1403, 10, 1, 15), 999_000, status=OrderStatus.REFUNDED)
    buy(ali, tehran(1403, 5, 20, 8), 40_000)
    make_order(ali, placed_at=tehran(1403, 5, 21, 8))  # the factory's 337,000 order

    rows = assert_matches()
    assert of(rows, maryam) == {
        number(1403, 2): (2, 350_000, tehran(1403, 2, 28, 22), number(1403, 2), number(1403, 5)),
        number(1403, 5): (1, 70_000, tehran(1403, 5, 1, 9), number(1403, 2), number(1403, 11)),
        number(1403, 11): (1, 30_000, tehran(1403, 11, 17, 15), number(1403, 2), None),
    }
    assert of(rows, ali) == {
        number(1403, 5): (2, 377_000, tehran(1403, 5, 21, 8), number(1403, 5), None),
    }


def test_an_order_becomes_a_purchase_and_stops_being_one() -> None:
    contact = make_contact()
    buy(contact, tehran(1403, 1, 10), 50_000)
    order = buy(contact, tehran(1403, 3, 10), 80_000, status=OrderStatus.PENDING)
    assert set(of(assert_matches(), contact)) == {number(1403, 1)}

    change(order, status=OrderStatus.PAID)
    rows = assert_matches()
    assert of(rows, contact)[number(1403, 3)] == (
        1,
        80_000,
        tehran(1403, 3, 10),
        number(1403, 1),
        None,
    )
    assert of(rows, contact)[number(1403, 1)][4] == number(1403, 3)

    change(order, status=OrderStatus.COMPLETED)
    assert of(assert_matches(), contact)[number(1403, 3)][:2] == (1, 80_000)

    change(order, status=OrderStatus.PENDING)
    rows = assert_matches()
    assert set(of(rows, contact)) == {number(1403, 1)}
    assert of(rows, contact)[number(1403, 1)][4] is None


def test_cancelling_removes_the_purchase_and_moves_first_and_next_months() -> None:
    contact = make_contact()
    early = buy(contact, tehran(1403, 1, 5), 10_000)
    middle = buy(contact, tehran(1403, 4, 5), 20_000)
    buy(contact, tehran(1403, 4, 6), 25_000)
    buy(contact, tehran(1403, 9, 5), 30_000)
    assert assert_matches()

    order_cancel(actor=None, order=middle, reason="مشتری منصرف شد")
    rows = assert_matches()
    assert of(rows, contact)[number(1403, 4)][:2] == (1, 25_000)

    order_cancel(actor=None, order=early)
    rows = assert_matches()
    assert of(rows, contact) == {
        number(1403, 4): (1, 25_000, tehran(1403, 4, 6), number(1403, 4), number(1403, 9)),
        number(1403, 9): (1, 30_000, tehran(1403, 9, 5), number(1403, 4), None),
    }
    order_cancel(actor=None, order=early)  # again: nothing changes
    assert stored() == rows


def test_partial_and_full_refunds(admin_user: User) -> None:
    contact = make_contact()
    order = buy(contact, tehran(1403, 6, 10), 500_000)
    buy(contact, tehran(1403, 6, 12), 100_000)
    buy(contact, tehran(1403, 8, 1), 60_000)

    refund_record(actor=admin_user, order=order, amount=120_000, reason="آسیب دیده")
    rows = assert_matches()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PARTIALLY_REFUNDED
    assert of(rows, contact)[number(1403, 6)][:2] == (2, 480_000)

    refund_record(actor=admin_user, order=order, amount=300_000, external_id="R2")
    rows = assert_matches()
    assert of(rows, contact)[number(1403, 6)][:2] == (2, 180_000)
    # The same refund again is not counted twice.
    refund_record(actor=admin_user, order=order, amount=300_000, external_id="R2")
    assert stored() == rows

    # The rest: the order is refunded in full, no longer a purchase.
    refund_record(actor=admin_user, order=order, amount=80_000)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
    rows = assert_matches()
    assert of(rows, contact)[number(1403, 6)] == (
        1,
        100_000,
        tehran(1403, 6, 12),
        number(1403, 6),
        number(1403, 8),
    )


def test_a_single_order_refunded_in_full_leaves_no_row() -> None:
    contact = make_contact()
    order = buy(contact, tehran(1403, 6, 10), 500_000)
    refund_record(actor=None, order=order, amount=500_000)
    assert assert_matches() == {}


def test_an_update_that_moves_the_order_to_another_month() -> None:
    contact = make_contact()
    order = buy(contact, tehran(1403, 3, 10), 100_000)
    buy(contact, tehran(1403, 3, 20), 40_000)
    buy(contact, tehran(1403, 7, 20), 10_000)

    change(order, placed_at=tehran(1403, 12, 2, 18), subtotal=150_000, total=150_000)
    rows = assert_matches()
    assert of(rows, contact) == {
        number(1403, 3): (1, 40_000, tehran(1403, 3, 20), number(1403, 3), number(1403, 7)),
        number(1403, 7): (1, 10_000, tehran(1403, 7, 20), number(1403, 3), number(1403, 12)),
        number(1403, 12): (1, 150_000, tehran(1403, 12, 2, 18), number(1403, 3), None),
    }

    # Back to a month before every other one: it becomes the first month.
    change(order, placed_at=tehran(1402, 12, 29, 23, 59))
    rows = assert_matches()
    assert {row[3] for row in of(rows, contact).values()} == {number(1402, 12)}

    # A change the rollup does not care about (the note) keeps the rows as they are.
    change(order, note="یادداشت")
    assert stored() == rows


def test_unchanged_and_stale_upserts_change_nothing() -> None:
    contact = make_contact()
    modified = datetime.datetime(2026, 1, 2, tzinfo=UTC)
    values = {
        "status": "paid",
        "placed_at": tehran(1404, 9, 9),
        "subtotal": 70_000,
        "total": 70_000,
    }
    order_upsert(
        actor=None,
        source="api",
        external_id="S-1",
        contact=contact,
        values=values,
        source_modified_at=modified,
    )
    rows = assert_matches()
    again = order_upsert(
        actor=None, source="api", external_id="S-1", contact=contact, values=values
    )
    assert again.outcome == "unchanged"
    older = order_upsert(
        actor=None,
        source="api",
        external_id="S-1",
        contact=contact,
        values={**values, "status": "cancelled"},
        source_modified_at=modified - datetime.timedelta(hours=1),
    )
    assert older.outcome == "stale"
    assert assert_matches() == rows
    assert of(rows, contact)[number(1404, 9)][:2] == (1, 70_000)


# --- Tehran month edges ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_esfand", "next_year"),
    [
        ((1403, 12, 30), 1404),  # a leap Esfand of 30 days: 1 Farvardin 1404 is 21 March 2025
        ((1404, 12, 29), 1405),  # 1 Farvardin 1405 is 21 March 2026
    ],
)
def test_the_last_minute_of_esfand_and_the_first_of_farvardin(
    last_esfand: tuple[int, int, int], next_year: int
) -> None:
    contact = make_contact()
    year, month, day = last_esfand
    late = tehran(year, month, day, 23, 59, 59, 999_999)
    buy(contact, tehran(year, month, day, 23, 59), 1_000)
    buy(contact, late, 2_000)
    new_year = tehran(next_year, 1, 1, 0, 0)
    assert new_year - late == datetime.timedelta(microseconds=1)
    buy(contact, new_year, 4_000)
    # The same instants written in UTC: 00:00 Tehran is 20:30 UTC the day before.
    assert new_year.astimezone(UTC).time() == datetime.time(20, 30)
    buy(contact, new_year.astimezone(UTC) + datetime.timedelta(minutes=1), 8_000)

    rows = assert_matches()
    esfand, farvardin = number(year, 12), number(next_year, 1)
    assert of(rows, contact) == {
        esfand: (2, 3_000, late, esfand, farvardin),
        farvardin: (2, 12_000, new_year + datetime.timedelta(minutes=1), esfand, None),
    }


def test_month_edges_under_the_old_summer_time() -> None:
    """1 Mehr 1400 (23 September 2021) starts at UTC+03:30, a day after summer time ended;
    1 Tir 1400 (22 June 2021) starts at UTC+04:30."""
    contact = make_contact()
    for year, month in ((1400, 4), (1400, 7), (1401, 1), (1401, 7)):
        start = tehran(year, month, 1, 0, 0)
        buy(contact, start - datetime.timedelta(seconds=1), 1)
        buy(contact, start, 10)
    rows = assert_matches()
    assert of(rows, contact)[number(1400, 4)][:2] == (1, 10)
    assert of(rows, contact)[number(1400, 6)][:2] == (1, 1)
    assert of(rows, contact)[number(1400, 7)][:2] == (1, 10)
    assert of(rows, contact)[number(1400, 12)][:2] == (1, 1)
    assert of(rows, contact)[number(1401, 1)][:2] == (1, 10)
    assert tehran(1400, 4, 1, 0, 0).utcoffset() == datetime.timedelta(hours=4, minutes=30)
    assert tehran(1400, 7, 1, 0, 0).utcoffset() == datetime.timedelta(hours=3, minutes=30)


# --- Import and webhooks --------------------------------------------------------------------

IMPORT_HEADER = (
    "شماره سفارش,تاریخ,ایمیل,موبایل,نام مشتری,کد کالا,کالا,تعداد,قیمت واحد,وضعیت,واحد پول"
)
STATUS_WORDS = ["تکمیل شده", "پرداخت شده", "", "در انتظار", "لغو شده", "مرجوعی", "processing"]


def _import_rows(chance: random.Random, orders: int) -> list[str]:
    rows: list[str] = []
    for index in range(orders):
        customer = chance.randrange(8)
        email = f"buyer{customer}@example.ir" if customer % 2 else ""
        mobile = "" if customer % 2 else f"0912555{customer:04d}"
        year, month = chance.choice([(1402, 11), (1402, 12), (1403, 1), (1403, 6), (1403, 12)])
        day = chance.randrange(1, 30)
        when = f"{year}/{month:02d}/{day:02d} {chance.randrange(24):02d}:{chance.randrange(60):02d}"
        if index % 17 == 3:
            when = "1403/12/30 23:59"
        elif index % 17 == 4:
            when = "1404/01/01 00:00"
        status = chance.choice(STATUS_WORDS)
        currency = chance.choice(["ریال", "تومان"])
        for line in range(chance.randrange(1, 3)):
            rows.append(
                f"IM-{index},{when},{email},{mobile},خریدار {customer},SKU-{line},کالا {line},"
                f"{chance.randrange(1, 4)},{chance.randrange(1, 50) * 1000},{status},{currency}"
            )
    return rows


def test_an_order_import_with_many_orders_in_several_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "BATCH_SIZE", 9)
    chance = random.Random(7)
    rows = _import_rows(chance, 60)
    # One order with a bad row is rejected whole; the rest are written.
    rows.append("IM-BAD,1403/06/01 10:00,bad@example.ir,,بد,SKU-1,کالا,0,1000,تکمیل شده,ریال")
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([IMPORT_HEADER, *rows]), encoding="utf-8")
    existing = make_contact(emails=["buyer1@example.ir"])
    buy(existing, tehran(1402, 12, 5), 5_000)

    result = orders_import_file(path=path, source="import:shop")
    assert (result.created, len({row.number for row in result.rejected})) == (60, 1)
    rows_after = assert_matches()
    assert len(rows_after) >= 10
    assert sum(row[0] for row in rows_after.values()) == Order.objects.purchases().count()
    assert any(contact_id == existing.pk for contact_id, _month in rows_after)
    # Both sides of the new year's edge are there.
    months = {month for _contact, month in rows_after}
    assert {number(1403, 12), number(1404, 1)} <= months

    # The same file again changes nothing; a second file moves and re-statuses orders.
    again = orders_import_file(path=path, source="import:shop")
    assert again.unchanged == 60
    assert stored() == rows_after
    changed = [
        row.replace("1403/06/", "1403/07/").replace("مرجوعی", "پرداخت شده")
        for row in rows
        if not row.startswith("IM-BAD")
    ]
    path.write_text("\n".join([IMPORT_HEADER, *changed]), encoding="utf-8")
    second = orders_import_file(path=path, source="import:shop")
    assert second.updated > 0
    assert assert_matches() != rows_after


def test_demo_orders_roll_up() -> None:
    contacts = [make_contact() for _ in range(16)]
    assert seed_commerce_demo(seed=1404, contacts=contacts) > 0
    rows = assert_matches()
    assert len({contact_id for contact_id, _month in rows}) >= 3
    assert Order.objects.exclude(refunded_total=0).exists()


WOO_ORDER: dict[str, Any] = {
    "id": 5100,
    "number": "5100",
    "status": "processing",
    "currency": "IRT",
    "date_created_gmt": "2025-03-20T20:29:00",  # 30 Esfand 1403 (a leap year) 23:59 Tehran
    "date_modified_gmt": "2025-03-20T20:35:00",
    "discount_total": "0",
    "shipping_total": "0",
    "total": "10000",
    "total_tax": "0",
    "billing": {"first_name": "سارا", "last_name": "کریمی", "email": "sara@example.ir"},
    "line_items": [{"name": "ماگ", "quantity": 1, "total": "10000", "sku": "MUG-1"}],
    "refunds": [],
}


def test_woocommerce_webhooks_keep_the_rollup_in_step() -> None:
    shop = ShopConnection.objects.create(name="فروشگاه", slug="shop-pm", secret="s")
    woocommerce_order_apply(shop=shop, topic="order.created", payload=WOO_ORDER)
    second = {**WOO_ORDER, "id": 5101, "number": "5101", "date_created_gmt": "2025-03-20T20:30:00"}
    woocommerce_order_apply(shop=shop, topic="order.created", payload=second)
    contact = Order.objects.get(external_id="5100").contact
    rows = assert_matches()
    assert of(rows, contact) == {
        number(1403, 12): (
            1,
            100_000,
            datetime.datetime(2025, 3, 20, 20, 29, tzinfo=UTC),
            number(1403, 12),
            number(1404, 1),
        ),
        number(1404, 1): (
            1,
            100_000,
            datetime.datetime(2025, 3, 20, 20, 30, tzinfo=UTC),
            number(1403, 12),
            None,
        ),
    }
    # A partial refund in the payload, then the second order deleted in the shop.
    refunded = {
        **WOO_ORDER,
        "status": "completed",
        "date_modified_gmt": "2025-03-21T08:00:00",
        "refunds": [{"id": 77, "reason": "", "total": "-2500"}],
    }
    woocommerce_order_apply(shop=shop, topic="order.updated", payload=refunded)
    assert of(assert_matches(), contact)[number(1403, 12)][:2] == (1, 75_000)
    woocommerce_order_apply(shop=shop, topic="order.deleted", payload={"id": 5101})
    rows = assert_matches()
    assert set(of(rows, contact)) == {number(1403, 12)}
    assert of(rows, contact)[number(1403, 12)][4] is None


# --- Contact merge and undo -----------------------------------------------------------------


def test_merge_moves_the_rows_and_undo_moves_them_back(admin_user: User) -> None:
    survivor, merged, second = make_contact(), make_contact(), make_contact()
    bystander = make_contact()
    buy(survivor, tehran(1403, 3, 1), 100_000)
    buy(survivor, tehran(1403, 5, 1), 200_000)
    buy(merged, tehran(1403, 5, 20), 30_000)  # the same month as the survivor's
    buy(merged, tehran(1403, 8, 20), 40_000)  # a month the survivor has no purchase in
    buy(merged, tehran(1403, 9, 20), 1_000, status=OrderStatus.PENDING)
    buy(second, tehran(1402, 10, 2), 7_000)  # before the survivor's first month
    buy(bystander, tehran(1403, 5, 2), 9_000)
    before = assert_matches()

    merge = contacts_merge(actor=admin_user, survivor=survivor, others=[merged, second])
    rows = assert_matches()
    assert {contact_id for contact_id, _month in rows} == {survivor.pk, bystander.pk}
    first = number(1402, 10)
    assert of(rows, survivor) == {
        first: (1, 7_000, tehran(1402, 10, 2), first, number(1403, 3)),
        number(1403, 3): (1, 100_000, tehran(1403, 3, 1), first, number(1403, 5)),
        number(1403, 5): (2, 230_000, tehran(1403, 5, 20), first, number(1403, 8)),
        number(1403, 8): (1, 40_000, tehran(1403, 8, 20), first, None),
    }
    assert of(rows, bystander) == of(before, bystander)

    # An order that arrives after the merge stays on the survivor through the undo.
    late = buy(survivor, tehran(1403, 8, 25), 5_000)
    assert of(assert_matches(), survivor)[number(1403, 8)][:2] == (2, 45_000)

    contact_merge_undo(actor=admin_user, merge=merge)
    rows = assert_matches()
    assert of(rows, merged) == of(before, merged)
    assert of(rows, second) == of(before, second)
    first = number(1403, 3)
    assert of(rows, survivor) == {
        first: (1, 100_000, tehran(1403, 3, 1), first, number(1403, 5)),
        number(1403, 5): (1, 200_000, tehran(1403, 5, 1), first, number(1403, 8)),
        number(1403, 8): (1, 5_000, late.placed_at, first, None),
    }


def test_merging_a_customer_without_purchases_changes_nothing(admin_user: User) -> None:
    survivor, window_shopper = make_contact(), make_contact()
    buy(survivor, tehran(1403, 3, 1), 100_000)
    buy(window_shopper, tehran(1403, 1, 1), 100_000, status=OrderStatus.CANCELLED)
    before = assert_matches()
    merge = contacts_merge(actor=admin_user, survivor=survivor, others=[window_shopper])
    assert assert_matches() == before
    contact_merge_undo(actor=admin_user, merge=merge)
    assert assert_matches() == before


def test_merge_into_a_customer_without_purchases_and_undo(admin_user: User) -> None:
    survivor, buyer = make_contact(), make_contact()
    buy(buyer, tehran(1403, 3, 1), 100_000)
    buy(buyer, tehran(1403, 4, 1), 100_000)
    before = assert_matches()
    merge = contacts_merge(actor=admin_user, survivor=survivor, others=[buyer])
    assert set(of(assert_matches(), survivor)) == {number(1403, 3), number(1403, 4)}
    contact_merge_undo(actor=admin_user, merge=merge)
    assert assert_matches() == before


# --- Rebuild and refresh --------------------------------------------------------------------


def _mixed_history(admin_user: User) -> list[Contact]:
    contacts = [make_contact() for _ in range(4)]
    chance = random.Random(3)
    orders = []
    for index in range(24):
        contact = contacts[index % 4]
        month = chance.choice([(1402, 12), (1403, 1), (1403, 2), (1403, 7)])
        placed = tehran(*month, chance.randrange(1, 29), chance.randrange(24))
        status = chance.choice([OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.PENDING])
        orders.append(buy(contact, placed, chance.randrange(1, 100) * 1000, status=status))
    paid = [order for order in orders if order.is_purchase]
    refund_record(actor=admin_user, order=paid[0], amount=paid[0].total)
    refund_record(actor=admin_user, order=paid[1], amount=1)
    order_cancel(actor=admin_user, order=paid[2])
    contacts_merge(actor=admin_user, survivor=contacts[0], others=[contacts[1]])
    return contacts


@pytest.mark.django_db(transaction=True)
def test_the_rebuild_gives_the_rows_kept_incrementally(admin_user: User) -> None:
    """Run with every service call in its own committed transaction, as in production (on
    PostgreSQL the rebuild cannot run in a transaction that wrote rows: see
    :func:`test_a_rebuild_in_a_transaction_that_wrote_orders`)."""
    contacts = _mixed_history(admin_user)
    for year in (1403, 1404):  # the edges of a year
        farvardin = tehran(year + 1, 1, 1, 0, 0)
        buy(contacts[3], farvardin, 11)
        buy(contacts[3], farvardin - datetime.timedelta(microseconds=1), 22)
    incremental = assert_matches()
    assert len(incremental) >= 8
    assert purchase_months_rebuild() == len(incremental)
    assert stored() == incremental
    # The rebuild replaces whatever the table held.
    PurchaseMonth.objects.filter(pk=PurchaseMonth.objects.order_by("pk")[0].pk).delete()
    PurchaseMonth.objects.filter(contact=contacts[3]).update(orders=99, next_month=None)
    PurchaseMonth.objects.create(
        contact=contacts[2],
        month=1,
        orders=5,
        net_total=5,
        first_at=tehran(1400, 1, 1),
        last_at=tehran(1400, 1, 1),
        days=1,
        first_day_net=5,
        first_month=1,
    )
    assert stored() != incremental
    assert purchase_months_rebuild() == len(incremental)
    assert stored() == incremental

    # No purchase left at all: the rebuild empties the table.
    for order in Order.objects.purchases():
        if order.refunded_total:
            refund_record(actor=admin_user, order=order, amount=order.refundable_amount)
        else:
            order_cancel(actor=admin_user, order=order)
    assert assert_matches() == {}
    PurchaseMonth.objects.create(
        contact=contacts[0],
        month=5,
        orders=1,
        net_total=1,
        first_at=tehran(1403, 1, 1),
        last_at=tehran(1403, 1, 1),
        days=1,
        first_day_net=1,
        first_month=5,
    )
    assert purchase_months_rebuild() == 0
    assert not PurchaseMonth.objects.exists()


def test_a_refresh_recomputes_only_the_contacts_asked_for(admin_user: User) -> None:
    one, two = _mixed_history(admin_user)[2:]
    incremental = assert_matches()
    PurchaseMonth.objects.filter(contact__in=[one, two]).update(orders=99, next_month=None)
    assert purchase_months_refresh([]) == 0
    assert purchase_months_refresh([one.pk, one.pk]) == len(of(incremental, one))
    assert of(stored(), one) == of(incremental, one)
    assert {row[0] for row in of(stored(), two).values()} == {99}
    assert purchase_months_refresh([str(two.pk)]) == len(of(incremental, two))
    assert stored() == incremental


# --- Transactions ---------------------------------------------------------------------------


def test_a_transaction_that_fails_midway_leaves_the_rollup_unchanged(admin_user: User) -> None:
    contact = make_contact()
    kept = buy(contact, tehran(1403, 2, 2), 100_000)
    before = assert_matches()

    with pytest.raises(ValidationError), transaction.atomic():
        buy(contact, tehran(1403, 4, 4), 50_000)
        change(kept, placed_at=tehran(1403, 6, 6))
        refund_record(actor=admin_user, order=kept, amount=10_000)
        assert len(of(stored(), contact)) == 2  # the rows moved inside the transaction
        # Then a write the services refuse: the total is not subtotal − discount + …
        buy(contact, tehran(1403, 5, 5), -1)
    assert assert_matches() == before

    with pytest.raises(ValidationError), transaction.atomic():
        order_cancel(actor=admin_user, order=kept)
        refund_record(actor=admin_user, order=kept, amount=1)  # a cancelled order
    assert assert_matches() == before


def test_a_rolled_back_savepoint_inside_a_committed_transaction() -> None:
    contact = make_contact()
    with transaction.atomic():
        buy(contact, tehran(1403, 2, 2), 100_000)
        try:
            with transaction.atomic():
                buy(contact, tehran(1403, 3, 3), 50_000)
                buy(contact, tehran(1403, 1, 1), 50_000)
                raise RuntimeError("the caller gives up")
        except RuntimeError:
            pass
        buy(contact, tehran(1403, 2, 9), 1_000)
    rows = assert_matches()
    assert of(rows, contact) == {
        number(1403, 2): (2, 101_000, tehran(1403, 2, 9), number(1403, 2), None),
    }


# --- Random histories -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_random_order_histories_always_match_the_brute_force(seed: int, admin_user: User) -> None:
    chance = random.Random(seed)
    contacts = [make_contact() for _ in range(3)]
    months = [(1402, 12), (1403, 1), (1403, 2), (1403, 12), (1404, 1)]
    orders: list[Order] = []
    merges = []
    done: set[str] = set()

    def when() -> datetime.datetime:
        year, month = chance.choice(months)
        if chance.random() < 0.25:  # right at a month's edge
            start = tehran(year, month, 1, 0, 0)
            return start - datetime.timedelta(seconds=chance.choice([1, 0]))
        return tehran(year, month, chance.randrange(1, 29), chance.randrange(24))

    for _step in range(40):
        action = chance.random()
        live = [Order.objects.get(pk=order.pk) for order in orders]
        if action < 0.4 or not live:
            status = chance.choice(
                [OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.PENDING, "cancelled"]
            )
            contact, placed, total = chance.choice(contacts), when(), 1000 * chance.randrange(1, 99)
            if chance.random() < 0.5:
                orders.append(buy(contact, placed, total, status=status))
            else:  # created paid, then changed
                orders.append(buy(contact, placed, total))
                change(orders[-1], outcomes=("updated", "unchanged"), status=status)
            done.add("create")
        elif action < 0.6:
            order = chance.choice(live)
            if order.status == OrderStatus.REFUNDED:
                continue
            change(
                order,
                outcomes=("updated", "unchanged"),
                placed_at=when(),
                status=chance.choice([OrderStatus.PAID, OrderStatus.PENDING]),
            )
            done.add("update")
        elif action < 0.7:
            order = chance.choice(live)
            if order.status != OrderStatus.CANCELLED and order.refunded_total == 0:
                order_cancel(actor=None, order=order)
                done.add("cancel")
        elif action < 0.85:
            order = chance.choice(live)
            if order.is_purchase and order.refundable_amount:
                amount = chance.choice(
                    [1, order.refundable_amount // 2 or 1, order.refundable_amount]
                )
                refund_record(actor=admin_user, order=order, amount=amount)
                done.add("refund")
        elif action < 0.93 and not merges:
            survivor, other = chance.sample(contacts, 2)
            merges.append(contacts_merge(actor=admin_user, survivor=survivor, others=[other]))
            done.add("merge")
        elif merges:
            contact_merge_undo(actor=admin_user, merge=merges.pop())
            done.add("undo")
        assert_matches()
    assert assert_matches()
    assert len(done) >= 5, done


# --- Found by these tests -------------------------------------------------------------------------


def test_a_rebuild_in_a_transaction_that_wrote_orders() -> None:
    contact = make_contact()
    with transaction.atomic():
        buy(contact, tehran(1403, 1, 1), 1_000)
        assert purchase_months_rebuild() == 1
    assert assert_matches()


def test_the_rebuild_command_the_module_names_exists() -> None:
    contact = make_contact()
    buy(contact, tehran(1403, 1, 1), 1_000)
    PurchaseMonth.objects.all().delete()
    call_command("purchase_months", "rebuild", stdout=StringIO())
    assert assert_matches()


def test_an_import_with_a_mistyped_year_still_imports_the_other_orders(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    rows = [
        "Y-1,0024-08-02T10:00,typo@example.ir,,خریدار,SKU-1,کالا,1,1000,تکمیل شده,ریال",
        "Y-2,1403/05/12 14:30,good@example.ir,,خریدار,SKU-1,کالا,1,2000,تکمیل شده,ریال",
    ]
    path.write_text("\n".join([IMPORT_HEADER, *rows]), encoding="utf-8")
    result = orders_import_file(path=path)
    assert result.created + len(result.rejected) == 2
    good = Order.objects.get(external_id="Y-2")
    assert of(stored(), good.contact) == {
        number(1403, 5): (1, 2_000, good.placed_at, number(1403, 5), None)
    }


# --- Concurrent writers (PostgreSQL) --------------------------------------------------------


def _in_threads(*jobs: Callable[[], object]) -> list[BaseException]:
    """Run each job in its own thread (and so its own connection) at the same moment; the
    errors they raised."""
    barrier = threading.Barrier(len(jobs))
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as error:  # reported by the caller's assertion
            with lock:
                failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return failures


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_writers_of_the_same_customer_at_once() -> None:
    contact, other = make_contact(), make_contact()
    months = [(1403, 1), (1403, 2), (1403, 3)]
    for round_ in range(5):

        def writer(hour: int, round_: int = round_) -> None:
            for index in range(5):
                year, month = months[(index + round_) % len(months)]
                buy(contact, tehran(year, month, 10, hour, index), 1_000 * (index + 1))
                buy(other, tehran(year, month, 11, hour), 10)

        assert _in_threads(lambda: writer(1), lambda: writer(2)) == []
        rows = assert_matches()
        assert sum(row[0] for row in of(rows, contact).values()) == 10 * (round_ + 1)
        assert sum(row[1] for row in of(rows, contact).values()) == 30_000 * (round_ + 1)
        assert sum(row[0] for row in of(rows, other).values()) == 10 * (round_ + 1)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_new_orders_updates_and_a_rebuild_at_once() -> None:
    contact, other = make_contact(), make_contact()
    existing = [buy(contact, tehran(1403, 4, day), 10_000) for day in range(1, 13)]
    for round_ in range(3):

        def create(round_: int = round_) -> None:
            for index in range(4):
                buy(contact, tehran(1403, 4 + index % 3, 15, round_ + 1), 3_000)
                buy(other, tehran(1403, 1 + index, 1, round_ + 1), 1)

        def update(round_: int = round_) -> None:
            for order in existing[round_ * 4 : round_ * 4 + 4]:
                change(order, placed_at=tehran(1403, 8 + round_, 9), subtotal=9_000, total=9_000)

        def rebuild() -> None:
            for _ in range(3):
                purchase_months_rebuild()

        assert _in_threads(create, update, rebuild) == []
        rows = assert_matches()
        assert sum(row[0] for row in of(rows, contact).values()) == 12 + 4 * (round_ + 1)
        assert sum(row[1] for row in of(rows, contact).values()) == (
            120_000 - 4_000 * (round_ + 1) + 12_000 * (round_ + 1)
        )


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_refunds_and_cancels_of_one_customer_at_once(admin_user: User) -> None:
    """Both lock the customer's row before the rollup's lock, so they queue up."""
    contact = make_contact()
    existing = [buy(contact, tehran(1403, 1 + day % 6, day), 10_000) for day in range(1, 19)]
    for round_ in range(3):
        mine = existing[round_ * 6 : round_ * 6 + 6]

        def refund(mine: list[Order] = mine) -> None:
            refund_record(actor=admin_user, order=mine[0], amount=4_000)
            refund_record(actor=admin_user, order=mine[1], amount=10_000)

        def cancel(mine: list[Order] = mine) -> None:
            order_cancel(actor=admin_user, order=mine[2])
            order_cancel(actor=admin_user, order=mine[3])

        def both(mine: list[Order] = mine) -> None:
            refund_record(actor=admin_user, order=mine[4], amount=2_000)
            order_cancel(actor=admin_user, order=mine[5])

        assert _in_threads(refund, cancel, both) == []
        rows = assert_matches()
        assert sum(row[0] for row in of(rows, contact).values()) == 18 - 4 * (round_ + 1)
        assert sum(row[1] for row in of(rows, contact).values()) == (
            180_000 - 46_000 * (round_ + 1)
        )


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("first_write", "other_write"),
    [("create", "refund"), ("create", "cancel"), ("create", "merge"), ("update", "refund")],
)
def test_an_order_write_and_another_write_of_the_same_customer_at_once(
    first_write: str, other_write: str, admin_user: User
) -> None:
    contact, duplicate = make_contact(), make_contact()
    earlier = buy(contact, tehran(1403, 1, 1), 10_000)
    updated = buy(contact, tehran(1403, 4, 4), 20_000)
    buy(duplicate, tehran(1403, 3, 3), 7_000)
    holding = threading.Event()

    def first() -> None:
        # A transaction that commits a moment after its order write, as an import batch (up
        # to 200 orders in one transaction) or a slower request does.
        with transaction.atomic():
            if first_write == "create":
                buy(contact, tehran(1403, 2, 2), 1_000)
            else:
                change(updated, placed_at=tehran(1403, 5, 5))
            holding.set()
            time.sleep(1.5)

    def other() -> None:
        assert holding.wait(timeout=10)
        if other_write == "refund":
            refund_record(actor=None, order=earlier, amount=1_000)
        elif other_write == "cancel":
            order_cancel(actor=None, order=earlier)
        else:
            contacts_merge(actor=admin_user, survivor=contact, others=[duplicate])

    failures = _in_threads(first, other)
    if failures:
        raise failures[0]
    assert assert_matches()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_transactions_writing_orders_of_the_same_customers_in_opposite_orders() -> None:
    first, second = make_contact(), make_contact()
    midway = threading.Barrier(2)

    def batch(customers: tuple[Contact, Contact]) -> None:
        # What the order import does: its customers are announced once, at the end, sorted.
        with transaction.atomic(), orders_changed_together():
            buy(customers[0], tehran(1403, 2, 2), 1_000)
            midway.wait(timeout=10)
            buy(customers[1], tehran(1403, 3, 3), 2_000)

    failures = _in_threads(lambda: batch((first, second)), lambda: batch((second, first)))
    if failures:
        raise failures[0]
    rows = assert_matches()
    assert of(rows, first) == of(rows, second) != {}


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_refund_during_a_rebuild(admin_user: User) -> None:
    contact = make_contact()
    order = buy(contact, tehran(1403, 2, 2), 10_000)
    rebuilding = threading.Event()

    def slow_rebuild() -> None:
        with transaction.atomic():  # a rebuild of many rows: the commit comes a while later
            purchase_months_rebuild()
            rebuilding.set()
            time.sleep(1.5)

    def refund() -> None:
        assert rebuilding.wait(timeout=10)
        refund_record(actor=admin_user, order=order, amount=1_000)

    failures = _in_threads(slow_rebuild, refund)
    if failures:
        raise failures[0]
    assert of(assert_matches(), contact)[number(1403, 2)][:2] == (1, 9_000)
