"""Demo orders: an online shop's Persian catalogue and 18 months of purchases by the demo
contacts, with the repeat-purchase patterns customer analytics looks for: loyal customers
who buy every few weeks up to now, regulars every few months, lapsed customers who stopped
months ago, one-time buyers, newcomers, and people who never bought. Loyal customers and
regulars start at any time in the 18 months, so the cohorts of recent months (the
dashboard's default range) have customers who came back. A few orders are
cancelled or partly refunded, the last days' ones still pending or paid."""

from __future__ import annotations

import datetime
import random
import secrets
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from peyvand.contacts.models import Contact
from peyvand.sales.models import Product
from peyvand.sales.quotes import product_save

from .models import OrderStatus, ShopConnection
from .services import order_upsert, refund_record

SHOP_SLUG = "demo-shop"
# (code, name, price in Rials)
CATALOGUE = (
    ("SH-TEA-500", "چای سیاه لاهیجان ۵۰۰ گرمی", 2_450_000),
    ("SH-SAF-4", "زعفران سرگل ۴ گرمی", 6_800_000),
    ("SH-PIS-1", "پسته اکبری یک کیلویی", 9_500_000),
    ("SH-DAT-1", "خرمای مضافتی بم", 1_650_000),
    ("SH-HON-1", "عسل طبیعی سبلان", 4_200_000),
    ("SH-MUG", "ماگ سرامیکی لعاب‌دار", 1_350_000),
    ("SH-RUG-S", "گلیم دستباف کوچک", 38_000_000),
    ("SH-BOOK", "دیوان حافظ نفیس", 5_900_000),
    ("SH-SOAP", "صابون گیاهی دست‌ساز", 450_000),
    ("SH-NUT", "آجیل مخلوط شب یلدا", 7_800_000),
)
SHIPPING = 550_000
FREE_SHIPPING_FROM = 20_000_000
VAT_PERCENT = 10
DAYS = 548  # 18 months


def _pattern(rng: random.Random) -> str:
    return rng.choices(
        ("loyal", "regular", "lapsed", "once", "new", "never"),
        weights=(18, 22, 20, 18, 8, 14),
    )[0]


def _purchase_days(rng: random.Random, pattern: str) -> list[int]:
    """Days ago of each purchase for a customer of ``pattern`` (oldest first)."""
    if pattern == "loyal":
        day, gap = rng.randrange(90, DAYS), (18, 45)
        end = rng.randrange(0, 20)
    elif pattern == "regular":
        day, gap = rng.randrange(150, DAYS), (60, 120)
        end = rng.randrange(0, 60)
    elif pattern == "lapsed":
        day, gap = rng.randrange(450, DAYS), (25, 70)
        end = rng.randrange(240, 420)
    elif pattern == "once":
        return [rng.randrange(0, DAYS)]
    elif pattern == "new":
        return sorted({rng.randrange(0, 90) for _ in range(rng.randrange(1, 3))}, reverse=True)
    else:
        return []
    days = []
    while day >= end:
        days.append(day)
        day -= rng.randrange(*gap)
    return days


def _products() -> list[Product]:
    products = []
    for code, name, price in CATALOGUE:
        existing = Product.objects.filter(code=code).first()
        products.append(
            existing
            or product_save(
                actor=None,
                values={"code": code, "name": name, "unit": "عدد", "price": price},
            )
        )
    return products


def seed_commerce_demo(*, seed: int, contacts: Sequence[Contact]) -> int:
    """Orders for ``contacts`` over the last 18 months; returns how many. Seeding again
    adds nothing (orders are found by their shop id)."""
    rng = random.Random(f"commerce-{seed}")
    with transaction.atomic():
        shop = ShopConnection.objects.filter(slug=SHOP_SLUG).first() or (
            ShopConnection.objects.create(
                name="فروشگاه اینترنتی نمونه",
                slug=SHOP_SLUG,
                secret=secrets.token_urlsafe(24),
                is_active=False,
            )
        )
        products = _products()
    # Favourite products make "customers who bought X" recommendations non-trivial.
    now = timezone.now()
    made = 0
    for contact in contacts:
        pattern = _pattern(rng)
        favourites = rng.sample(products, k=3)
        with transaction.atomic():
            for days_ago in _purchase_days(rng, pattern):
                made += 1
                placed_at = now - datetime.timedelta(
                    days=days_ago, hours=rng.randrange(0, 12), minutes=rng.randrange(60)
                )
                chosen = {
                    (rng.choice(favourites) if rng.random() < 0.7 else rng.choice(products))
                    for _ in range(rng.randrange(1, 4))
                }
                lines: list[dict[str, Any]] = [
                    {
                        "sku": product.code,
                        "name": product.name,
                        "quantity": rng.choices((1, 2, 3), weights=(6, 3, 1))[0],
                        "unit_price": product.price,
                    }
                    for product in sorted(chosen, key=lambda item: item.code)
                ]
                subtotal = sum(line["quantity"] * line["unit_price"] for line in lines)
                discount = subtotal // 10 if rng.random() < 0.15 else 0
                shipping = 0 if subtotal >= FREE_SHIPPING_FROM else SHIPPING
                tax = (subtotal - discount) * VAT_PERCENT // 100
                if days_ago < 2:
                    status = rng.choice((OrderStatus.PENDING, OrderStatus.PAID))
                elif rng.random() < 0.05:
                    status = OrderStatus.CANCELLED
                else:
                    status = OrderStatus.COMPLETED
                result = order_upsert(
                    actor=None,
                    source=shop.order_source,
                    external_id=str(10_000 + made),
                    contact=contact,
                    values={
                        "number": str(10_000 + made),
                        "status": status,
                        "placed_at": placed_at,
                        "currency": "IRT",
                        "subtotal": subtotal,
                        "discount": discount,
                        "shipping": shipping,
                        "tax": tax,
                        "total": subtotal - discount + shipping + tax,
                        "channel": rng.choice(("checkout", "checkout", "mobile_app")),
                    },
                    lines=lines,
                    backfill=True,
                )
                if status == OrderStatus.COMPLETED and rng.random() < 0.04:
                    refund_record(
                        actor=None,
                        order=result.order,
                        # One item back, never more than was paid (a discounted order
                        # with free shipping can total less than its dearest item).
                        amount=min(lines[0]["unit_price"], result.order.refundable_amount),
                        reason="کالا آسیب‌دیده رسید",
                        refunded_at=placed_at + datetime.timedelta(days=rng.randrange(3, 12)),
                        external_id=f"R{made}",
                    )
    return made
