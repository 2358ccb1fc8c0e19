"""Retrieval quality on a labelled Persian evaluation set.

The collection is the 16 demo articles (``knowledge/data/demo_articles.json``: 14 public,
one portal-only, one draft). Each question is what a customer would type, with the article
that answers it; many are typed on an Arabic keyboard (ي/ك), with or without ZWNJ, or with
Persian, Arabic-Indic or ASCII digits. ``articles_suggest(portal=True)`` must rank the right
article first (top-1) or among the first three (top-3). The figures asserted are the ones
measured on this set; a change to the analyser or the ranking that lowers them fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.knowledge.demo_data import seed_knowledge_demo
from peyvand.knowledge.models import Article
from peyvand.knowledge.search import articles_suggest

pytestmark = pytest.mark.django_db

TRACKING = "پیگیری سفارش با کد رهگیری"
DELAY = "تأخیر در تحویل سفارش"
SHIPPING = "هزینهٔ ارسال و ارسال رایگان"
CANCEL = "تغییر نشانی تحویل یا لغو سفارش"
REFUND = "بازگشت وجه و زمان واریز"
PAYMENT = "روش‌های پرداخت و خرید اقساطی"
INVOICE = "دریافت فاکتور رسمی"
CHARGED = "پول از حسابم کم شد ولی سفارش ثبت نشد"
PASSWORD = "بازیابی رمز عبور"
MOBILE = "تغییر شماره موبایل حساب کاربری"
SMS_CODE = "کد تأیید پیامکی نمی‌رسد"
WARRANTY = "شرایط گارانتی کالا"
RETURN = "مرجوع کردن کالا تا ۷ روز"
DAMAGED = "کالای آسیب‌دیده یا ناقص تحویل گرفتم"
CONTRACT = "تمدید قرارداد پشتیبانی سازمانی"

QUESTIONS: tuple[tuple[str, str], ...] = (
    ("سلام، سفارشم هنوز نرسيده و از زمان تحويل گذشته", DELAY),
    ("چرا ارسال سفارش من اینقدر تاخير داره؟ ۶ روزه منتظرم", DELAY),
    ("بسته ام ديرتر از موعد تحويل ميشه؟", DELAY),
    ("كد رهگيري مرسوله رو از كجا ببينم", TRACKING),
    ("وضعیت سفارشم رو چطوری پیگیری کنم", TRACKING),
    ("هزینه ی ارسال به شهرستان چقدره؟", SHIPPING),
    ("ارسال رايگان از چند تومان است", SHIPPING),
    ("ميخوام سفارشمو لغو كنم", CANCEL),
    ("آدرس تحویل رو اشتباه زدم، چطور تغییرش بدم؟", CANCEL),
    ("پولم كي برميگرده؟ سفارش رو لغو كردم", REFUND),
    ("بازگشت وجه چند روز کاری طول میکشه", REFUND),
    ("شماره شبا براي واريز وجه مرجوعي", REFUND),
    ("میشه قسطی خرید کرد؟", PAYMENT),
    ("پرداخت در محل با کارتخوان دارید؟", PAYMENT),
    ("فاکتور رسمی با کد اقتصادی شرکت میخوام", INVOICE),
    ("صورتحساب سفارشم را از کجا دانلود کنم", INVOICE),
    ("پول از کارتم کسر شد ولی سفارش ثبت نشد", CHARGED),
    ("مبلغ از حسابم كم شده اما سفارشي نيست", CHARGED),
    ("رمز عبورم را فراموش كردم", PASSWORD),
    ("رمزمو یادم رفته چطوری وارد شم", PASSWORD),
    ("فراموشي رمز", PASSWORD),
    ("ميخوام شماره موبايلم رو عوض كنم", MOBILE),
    ("به سیم‌کارت قبلی دسترسی ندارم، شماره جدید ثبت کنم", MOBILE),
    ("كد تاييد برام پيامك نميشه", SMS_CODE),
    ("کد ورود نمی‌آد", SMS_CODE),
    ("گارانتي گوشي چند ماهه است؟", WARRANTY),
    ("گوشیم آب خورده، گارانتی پوشش میده؟", WARRANTY),
    ("ميتونم كالا رو پس بدم؟ ۳ روز پيش تحويل گرفتم", RETURN),
    ("مرجوعی کالا ظرف 7 روز", RETURN),
    ("كالا شكسته به دستم رسيد", DAMAGED),
    ("یکی از اقلام سفارش ناقص بود", DAMAGED),
    ("تمدید قرارداد پشتیبانی شرکت ما", CONTRACT),
    ("تخفيف تمديد زودهنگام قرارداد", CONTRACT),
)


@pytest.fixture
def collection() -> dict[str, int]:
    seed_knowledge_demo()
    return dict(Article.objects.values_list("title", "id"))


def _hits(collection: dict[str, int]) -> tuple[int, int, list[Any]]:
    top1 = top3 = 0
    misses = []
    for question, title in QUESTIONS:
        ranked = [article.pk for article in articles_suggest(question, portal=True, limit=3)]
        expected = collection[title]
        top1 += bool(ranked) and ranked[0] == expected
        top3 += expected in ranked
        if not ranked or ranked[0] != expected:
            misses.append((question, title, ranked))
    return top1, top3, misses


def test_the_evaluation_set_is_large_and_covers_every_published_article(
    collection: dict[str, int],
) -> None:
    assert len(QUESTIONS) == 33
    assert len(collection) == 16
    answered = {title for _question, title in QUESTIONS}
    published = set(Article.objects.filter(status="published").values_list("title", flat=True))
    assert answered == published


def test_top_1_and_top_3_hits(collection: dict[str, int]) -> None:
    """Measured: 31 of 33 first, 32 of 33 in the first three. The two misses are honest
    ones: «بسته ام دیرتر از موعد …» shares only «بسته» and «تحویل» with the articles (the
    delay article says «تأخیر», not «دیر»), and «… پس بدم؟ … تحویل گرفتم» says "give back"
    colloquially while the damaged-item article's title ends in «تحویل گرفتم» (the return
    article is second)."""
    top1, top3, misses = _hits(collection)
    assert (top1, top3) == (31, 32), misses
    assert [(question, title) for question, title, _ranked in misses] == [
        ("بسته ام ديرتر از موعد تحويل ميشه؟", DELAY),
        ("ميتونم كالا رو پس بدم؟ ۳ روز پيش تحويل گرفتم", RETURN),
    ]
