"""Importing orders from a CSV or Excel file: one row per order line, rows of one order
grouped by its order id (anywhere in the file).

Columns are found by their header, in English or Persian (``order id``/``شماره سفارش``,
``date``/``تاریخ`` (Jalali or Gregorian, optionally with a time, Tehran time),
``email``/``ایمیل``, ``mobile``/``موبایل``, ``name``/``نام``, ``sku``/``کد کالا``,
``product``/``کالا``, ``quantity``/``تعداد``, ``unit price``/``قیمت واحد``,
``status``/``وضعیت``, ``currency``/``واحد پول``). The file is read by the contact import's
readers (CSV in UTF-8, UTF-16 or Windows-1256 with any common delimiter; XLSX streamed).

An order with any bad row is rejected whole (every row with its reasons, by column, in the
active language), so no order is imported with a line missing. Orders are written in
batches, each batch in one transaction (one savepoint per order); the order is found again
by ``(source, order id)``, so running the same file again adds nothing. History is written
as backfill: the purchase events are dated when the order was placed and say so.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.permissions import require_permission
from peyvand.common.jalali import parse_date
from peyvand.common.money import parse_money
from peyvand.common.persian import clean_persian, to_ascii_digits
from peyvand.common.validators import normalize_email, normalize_phone
from peyvand.contacts.importing.mapping import split_full_name
from peyvand.contacts.importing.readers import ImportFileError, open_source

from .models import Order, OrderStatus
from .services import MSG_NO_CUSTOMER, customer_contact, order_upsert
from .signals import orders_changed_together

if TYPE_CHECKING:
    from peyvand.accounts.models import User

BATCH_SIZE = 200

# Our column -> the header names it is known by (compared after Persian normalization,
# lower case, without punctuation).
COLUMNS: dict[str, tuple[str, ...]] = {
    "order_id": ("order id", "order", "order number", "order no", "شماره سفارش", "کد سفارش"),
    "date": ("date", "order date", "placed at", "تاریخ", "تاریخ سفارش", "تاریخ خرید"),
    "email": ("email", "e-mail", "ایمیل", "پست الکترونیک"),
    "mobile": ("mobile", "phone", "cell", "موبایل", "تلفن همراه", "شماره موبایل", "تلفن"),
    "name": ("name", "customer", "customer name", "نام", "نام مشتری", "مشتری"),
    "sku": ("sku", "product code", "item code", "کد کالا", "کد محصول"),
    "product": ("product", "product name", "item", "کالا", "محصول", "نام کالا", "نام محصول"),
    "quantity": ("quantity", "qty", "تعداد"),
    "unit_price": ("unit price", "price", "قیمت واحد", "قیمت", "فی"),
    "status": ("status", "وضعیت"),
    "currency": ("currency", "واحد پول", "ارز"),
}
STATUS_WORDS: dict[str, str] = {
    **{value: value for value in OrderStatus.values},
    "processing": OrderStatus.PAID,
    "پرداخت شده": OrderStatus.PAID,
    "پرداخت‌شده": OrderStatus.PAID,
    "تکمیل شده": OrderStatus.COMPLETED,
    "تکمیل‌شده": OrderStatus.COMPLETED,
    "ارسال شده": OrderStatus.COMPLETED,
    "تحویل شده": OrderStatus.COMPLETED,
    "در انتظار": OrderStatus.PENDING,
    "در انتظار پرداخت": OrderStatus.PENDING,
    "لغو شده": OrderStatus.CANCELLED,
    "لغو‌شده": OrderStatus.CANCELLED,
    "لغو": OrderStatus.CANCELLED,
    "canceled": OrderStatus.CANCELLED,
    "مرجوع شده": OrderStatus.REFUNDED,
    "مرجوعی": OrderStatus.REFUNDED,
}
CURRENCY_WORDS = {
    "irr": "IRR",
    "rial": "IRR",
    "ریال": "IRR",
    "irt": "IRT",
    "toman": "IRT",
    "تومان": "IRT",
}
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def _key(header: str) -> str:
    text = clean_persian(header).lower().replace("_", " ").replace("-", " ")
    return " ".join(re.sub(r"[^\w\s\u200c]", " ", text).split())


_HEADER_INDEX = {_key(name): column for column, names in COLUMNS.items() for name in names}


def map_headers(headers: Sequence[str]) -> dict[str, str]:
    """Our column -> the file's header, for the headers we know (the first one wins)."""
    found: dict[str, str] = {}
    for header in headers:
        column = _HEADER_INDEX.get(_key(header))
        if column is not None and column not in found:
            found[column] = header
    return found


@dataclass
class RejectedRow:
    """A row that was not imported, with its reasons by column."""

    number: int
    values: dict[str, str]
    errors: dict[str, list[str]]


@dataclass
class OrderImportResult:
    """What an import did (or, for a dry run, would do)."""

    headers: list[str] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    dry_run: bool = False

    def rejects_csv(self) -> str:
        """The rejected rows as CSV (the file's columns, its row number, the reasons), to
        fix and import again."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_("Row"), *self.headers, _("Errors")])
        for row in sorted(self.rejected, key=lambda item: item.number):
            reasons = "; ".join(
                f"{column}: {' '.join(messages)}" for column, messages in row.errors.items()
            )
            writer.writerow([row.number, *(row.values.get(h, "") for h in self.headers), reasons])
        return out.getvalue()


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    data: dict[str, Any]
    errors: dict[str, list[str]]


def _placed_at(text: str) -> datetime.datetime:
    """``1403/05/12``, ``1403/05/12 14:30``, ``2024-08-02T10:00`` (local time) as aware."""
    text = to_ascii_digits(text).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", text):
        try:
            parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as error:
            raise ValidationError(_("Enter a valid date.")) from error
        if parsed.tzinfo is not None:
            return parsed
        date_part, time_part = parsed.date(), parsed.time()
    else:
        day, _space, rest = text.partition(" ")
        date_part = parse_date(day)
        match = _TIME_RE.fullmatch(rest.strip()) if rest.strip() else None
        if rest.strip() and match is None:
            raise ValidationError(_("Enter a valid date."))
        hour, minute, second = (int(part or 0) for part in match.groups()) if match else (0, 0, 0)
        try:
            time_part = datetime.time(hour, minute, second)
        except ValueError as error:
            raise ValidationError(_("Enter a valid date.")) from error
    return datetime.datetime.combine(date_part, time_part, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _reachable(email: str, mobile: str) -> bool:
    """Whether the row names its customer by a valid email or mobile number."""
    for value, normalize in ((email, normalize_email), (mobile, normalize_phone)):
        if value:
            try:
                normalize(value)
            except ValidationError:
                continue
            return True
    return False


def _parse_row(number: int, values: dict[str, str], columns: Mapping[str, str]) -> _Row:
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}

    def cell(column: str) -> str:
        header = columns.get(column)
        return clean_persian(values.get(header, "")) if header else ""

    def fail(column: str, message: str) -> None:
        errors.setdefault(columns.get(column, column), []).append(message)

    data["order_id"] = cell("order_id")
    if not data["order_id"]:
        fail("order_id", _("This field is required."))
    try:
        data["placed_at"] = _placed_at(cell("date"))
    except ValidationError as error:
        fail("date", " ".join(error.messages) if cell("date") else _("This field is required."))
    data["email"], data["mobile"] = cell("email"), cell("mobile")
    if not _reachable(data["email"], data["mobile"]):
        fail("email" if "email" in columns else "mobile", str(MSG_NO_CUSTOMER))
    data["name"] = cell("name")
    data["sku"], data["product"] = cell("sku"), cell("product")
    if not data["sku"] and not data["product"]:
        fail("product", _("Give the product's name or SKU."))
    currency_word = cell("currency").lower()
    data["currency"] = CURRENCY_WORDS.get(currency_word, "IRR" if not currency_word else "")
    if not data["currency"]:
        fail("currency", _("Only Rial (IRR) and Toman (IRT) prices are supported."))
    quantity = to_ascii_digits(cell("quantity")) or "1"
    if not quantity.isdigit() or int(quantity) < 1:
        fail("quantity", _("The quantity must be at least 1."))
    else:
        data["quantity"] = int(quantity)
    unit = "toman" if data["currency"] == "IRT" else "rial"
    try:
        data["unit_price"] = parse_money(cell("unit_price"), unit=unit)
    except ValidationError as error:
        fail("unit_price", " ".join(error.messages))
    status_word = cell("status").lower()
    data["status"] = STATUS_WORDS.get(status_word, "" if status_word else OrderStatus.COMPLETED)
    if not data["status"]:
        fail("status", _("Choose one of the allowed values."))
    return _Row(number, values, data, errors)


def _reject(
    result: OrderImportResult, rows: Iterable[_Row], errors: Mapping[str, list[str]]
) -> None:
    """Reject every row of an order: a row keeps its own reasons, the others get ``errors``."""
    for row in rows:
        reasons = row.errors or dict(errors)
        result.rejected.append(RejectedRow(row.number, row.values, reasons))


def orders_import_file(
    *,
    path: Path | str,
    source: str = "import",
    actor: User | None = None,
    dry_run: bool = False,
    owner: User | None = None,
) -> OrderImportResult:
    """Import the orders of a CSV or XLSX file (see the module's docstring). ``owner`` owns
    the contacts created for new customers. Raises ``ImportFileError`` for a file that
    cannot be read, ``ValidationError`` (on ``file``) when the needed columns are missing."""
    if actor is not None:
        require_permission(actor, "write", "orders")
    result = OrderImportResult(dry_run=dry_run)
    groups: dict[str, list[_Row]] = {}
    with closing(open_source(path)) as rows:
        result.headers = list(rows.headers)
        columns = map_headers(rows.headers)
        missing = [name for name in ("order_id", "date", "unit_price") if name not in columns]
        if "email" not in columns and "mobile" not in columns:
            missing.append("email / mobile")
        if "sku" not in columns and "product" not in columns:
            missing.append("sku / product")
        if missing:
            raise ValidationError(
                {
                    "file": [
                        _("The file lacks the columns: %(columns)s.")
                        % {"columns": ", ".join(missing)}
                    ]
                }
            )
        for source_row in rows:
            result.rows += 1
            row = _parse_row(source_row.number, source_row.values, columns)
            groups.setdefault(row.data["order_id"] or f"#row{row.number}", []).append(row)
    batch: list[tuple[str, list[_Row]]] = []
    for order_id, order_rows in groups.items():
        if any(row.errors for row in order_rows):
            _reject(result, order_rows, {"": [_("Another row of this order was rejected.")]})
            continue
        batch.append((order_id, order_rows))
        if len(batch) >= BATCH_SIZE:
            _write_batch(result, batch, source=source, actor=actor, owner=owner)
            batch = []
    if batch:
        _write_batch(result, batch, source=source, actor=actor, owner=owner)
    return result


def _order_values(rows: Sequence[_Row]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    first = rows[0].data
    lines = [
        {
            "sku": row.data["sku"],
            "name": row.data["product"] or row.data["sku"],
            "quantity": row.data["quantity"],
            "unit_price": row.data["unit_price"],
        }
        for row in rows
    ]
    subtotal = sum(line["quantity"] * line["unit_price"] for line in lines)
    values = {
        "number": first["order_id"],
        "status": first["status"],
        "placed_at": first["placed_at"],
        "currency": first["currency"],
        "subtotal": subtotal,
        "total": subtotal,
        "channel": "import",
    }
    return values, lines


def _write_batch(
    result: OrderImportResult,
    batch: Sequence[tuple[str, list[_Row]]],
    *,
    source: str,
    actor: User | None,
    owner: User | None,
) -> None:
    """Write one batch in one transaction; an order the services refuse is rejected alone."""
    if result.dry_run:
        known = set(
            Order.objects.filter(
                source=source, external_id__in=[order_id for order_id, _rows in batch]
            ).values_list("external_id", flat=True)
        )
        for order_id, _rows in batch:
            if order_id in known:
                result.unchanged += 1
            else:
                result.created += 1
        return
    # One announcement of the batch's customers at its end, in one order (see signals).
    with transaction.atomic(), orders_changed_together():
        for order_id, rows in batch:
            values, lines = _order_values(rows)
            first = rows[0].data
            first_name, last_name = split_full_name(first["name"])
            try:
                with transaction.atomic():
                    contact = customer_contact(
                        email=first["email"],
                        phone=first["mobile"],
                        first_name=first_name,
                        last_name=last_name,
                        owner=owner,
                    )
                    outcome = order_upsert(
                        actor=actor,
                        source=source,
                        external_id=order_id,
                        contact=contact,
                        values=values,
                        lines=lines,
                        backfill=True,
                    ).outcome
            except ValidationError as error:
                reasons = {
                    name: [str(message) for message in messages]
                    for name, messages in error.message_dict.items()
                }
                _reject(result, rows, reasons)
                continue
            if outcome == "created":
                result.created += 1
            elif outcome == "updated":
                result.updated += 1
            else:
                result.unchanged += 1


__all__ = ["ImportFileError", "OrderImportResult", "map_headers", "orders_import_file"]
