from __future__ import annotations

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from peyvand.accounts.models import User
from peyvand.commerce.importing import orders_import_file
from peyvand.commerce.models import Order, OrderLine
from peyvand.commerce.services import VERB_PURCHASED
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db

HEADER = "شماره سفارش,تاریخ,ایمیل,موبایل,نام مشتری,کد کالا,کالا,تعداد,قیمت واحد,وضعیت,واحد پول"
ROWS = [
    "A-1,1403/05/12 14:30,sara@example.ir,,سارا کریمی,MUG-1,ماگ,2,150000,تکمیل شده,ریال",
    "A-2,2024-09-01,,۰۹۱۲۱۱۱۲۲۳۳,علی رضایی,,کتاب,1,۵۰٬۰۰۰,,تومان",
    "A-1,1403/05/12 14:30,sara@example.ir,,سارا کریمی,PEN-2,خودکار,3,10000,تکمیل شده,ریال",
]


def _write(
    tmp_path: Path, lines: list[str], name: str = "orders.csv", encoding: str = "utf-8"
) -> Path:
    path = tmp_path / name
    text = "\n".join([HEADER, *lines])
    if encoding == "cp1256":
        # What Excel's Persian CSV export holds: Arabic yeh and kaf.
        text = text.replace("ی", "ي").replace("ک", "ك")
    path.write_bytes(text.encode(encoding))
    return path


def test_rows_group_into_orders_and_rerun_adds_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, ROWS)
    result = orders_import_file(path=path, source="import:shop")
    assert (result.rows, result.created, result.updated, result.rejected) == (3, 2, 0, [])
    first = Order.objects.get(external_id="A-1")
    assert (first.status, first.currency, first.total, first.source) == (
        "completed",
        "IRR",
        330_000,
        "import:shop",
    )
    # 1403/05/12 14:30 Tehran is 11:00 UTC
    assert first.placed_at == datetime.datetime(2024, 8, 2, 11, 0, tzinfo=datetime.UTC)
    assert list(first.lines.values_list("sku", "quantity", "unit_price", "total")) == [
        ("MUG-1", 2, 150_000, 300_000),
        ("PEN-2", 3, 10_000, 30_000),
    ]
    second = Order.objects.get(external_id="A-2")
    assert (second.total, second.currency, second.status) == (500_000, "IRT", "completed")
    assert list(second.contact.phones.values_list("number", flat=True)) == ["+989121112233"]
    assert (second.contact.first_name, second.contact.last_name) == ("علی", "رضایی")
    event = Event.objects.get(verb=VERB_PURCHASED, subject_id=first.pk)
    assert event.occurred_at == first.placed_at
    assert event.payload["backfill"] is True

    again = orders_import_file(path=path, source="import:shop")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert (Order.objects.count(), OrderLine.objects.count(), Contact.objects.count()) == (2, 3, 2)


def test_existing_contacts_are_matched(tmp_path: Path) -> None:
    sara = make_contact(emails=["sara@example.ir"])
    orders_import_file(path=_write(tmp_path, ROWS[:1]))
    assert Order.objects.get().contact == sara


def test_bad_rows_reject_their_whole_order_with_reasons(tmp_path: Path, english: None) -> None:
    lines = [
        *ROWS,
        "B-1,1403/13/40,b@example.ir,,ب,X,ایکس,0,abc,,دلار",
        "B-2,1403/01/01,b@example.ir,,ب,X,ایکس,1,10,,",
        "B-2,1403/01/01,b@example.ir,,ب,,,1,10,,",
    ]
    path = _write(tmp_path, lines)
    result = orders_import_file(path=path)
    assert result.created == 2
    rejected = {row.number: row.errors for row in result.rejected}
    assert rejected == {
        4: {
            "تاریخ": ["Enter a valid date, such as 1403/01/01 or 2024-03-20."],
            "واحد پول": ["Only Rial (IRR) and Toman (IRT) prices are supported."],
            "تعداد": ["The quantity must be at least 1."],
            "قیمت واحد": ["Enter an amount as a number, such as 12,500."],
        },
        5: {"": ["Another row of this order was rejected."]},
        6: {"کالا": ["Give the product's name or SKU."]},
    }
    assert set(Order.objects.values_list("external_id", flat=True)) == {"A-1", "A-2"}
    csv_text = result.rejects_csv()
    assert csv_text.splitlines()[0] == f"Row,{HEADER},Errors"
    assert csv_text.splitlines()[2].startswith("5,B-2,1403/01/01")


def test_a_windows_1256_csv_and_an_xlsx_file(tmp_path: Path) -> None:
    orders_import_file(path=_write(tmp_path, ROWS[:1], "win.csv", encoding="cp1256"))
    assert Order.objects.get().lines.get().name == "ماگ"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Order ID", "Date", "Mobile", "Product", "Quantity", "Unit price"])
    sheet.append(["X-1", datetime.date(2025, 1, 5), "09127776655", "Tea", 4, 25000])
    path = tmp_path / "orders.xlsx"
    workbook.save(path)
    result = orders_import_file(path=path)
    assert (result.created, result.rejected) == (1, [])
    assert Order.objects.get(external_id="X-1").total == 100_000


def test_missing_columns_are_a_file_error(tmp_path: Path, english: None) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("name,total\nx,1\n", encoding="utf-8")
    with pytest.raises(Exception) as caught:
        orders_import_file(path=path)
    assert caught.value.messages == [  # type: ignore[attr-defined]
        "The file lacks the columns: order_id, date, unit_price, email / mobile, sku / product."
    ]


def test_command_dry_run_then_import_with_rejects_file(
    tmp_path: Path, admin_user: User, english: None
) -> None:
    path = _write(tmp_path, [*ROWS, "C-1,,c@example.ir,,,X,ایکس,1,10,,"])
    out = StringIO()
    call_command(
        "import", "orders", str(path), "--dry-run", f"--user={admin_user.username}", stdout=out
    )
    assert "preview: 4 rows, would create 2 orders" in out.getvalue()
    assert Order.objects.count() == 0
    out = StringIO()
    call_command("import", "orders", str(path), "--source=import:old", stdout=out)
    assert (
        "done: 4 rows, created 2 orders, updated 0, unchanged 0, rejected 1 rows" in out.getvalue()
    )
    rejects = tmp_path / "orders.rejects.csv"
    assert "This field is required." in rejects.read_text(encoding="utf-8-sig")
    assert set(Order.objects.values_list("source", flat=True)) == {"import:old"}
    with pytest.raises(CommandError):
        call_command("import", "orders", str(tmp_path / "none.csv"), stdout=StringIO())
