"""Benchmark: knowledge base search with the stored normalized columns, against a naive
full scan, on the same generated articles in the same run.

    .venv/bin/python bench/kb_search.py                 # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peyvand_bench \
        .venv/bin/python bench/kb_search.py --articles 5000

Makes N published Persian articles (a title and a few paragraphs each, drawn from the
vocabulary of an online shop's help centre, with ZWNJ plurals, Persian digits and some
Arabic ي/ك), then measures p50/p95 of ``articles_search`` (candidates filtered in SQL by
the stored word columns, BM25F ranking of those in Python) for realistic customer
questions, and of the naive way: read every published article and analyse and rank its
text at query time. Both must return the same top results; the script checks that.
Data is kept between runs on PostgreSQL (``--fresh`` rebuilds it).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")
if "DATABASE_URL" not in os.environ:
    os.environ.setdefault("PEYVAND_VAR_DIR", tempfile.mkdtemp(prefix="kb-bench-"))

SUBJECTS = (
    "سفارش",
    "ارسال",
    "مرسوله",
    "پرداخت",
    "فاکتور",
    "صورتحساب",
    "رمز عبور",
    "حساب کاربری",
    "گارانتی",
    "مرجوعی",
    "بازگشت وجه",
    "کد تخفیف",
    "کیف پول",
    "پیک",
    "کارت هدیه",
    "اقساط",
    "شماره موبایل",
    "کد تأیید",
    "نشانی",
    "باشگاه مشتریان",
    "لپ‌تاپ",
    "گوشی",
    "یخچال",
    "تلویزیون",
    "هدفون",
    "ساعت هوشمند",
    "کالای آسیب‌دیده",
    "تعمیر",
    "نصب",
    "پشتیبانی",
)
ACTIONS = (
    "پیگیری",
    "لغو",
    "تغییر",
    "دریافت",
    "تمدید",
    "بازیابی",
    "ثبت",
    "تأیید",
    "ویرایش",
    "حذف",
)
PHRASES = (
    "برای این کار وارد حساب کاربری شوید و به بخش {s} بروید.",
    "اگر {s} شما تا {d} روز کاری انجام نشد با پشتیبانی تماس بگیرید.",
    "هزینهٔ {s} برای سفارش‌های بالای {d}۰۰ هزار تومان رایگان است.",
    "{a} {s} تنها تا پیش از تحویل به پست ممکن است.",
    "شماره سفارش و کد رهگیری را در پیام خود بنویسید تا {s} سریع‌تر انجام شود.",
    "در روزهای تعطیل رسمی {s} کندتر انجام می‌شود.",
    "کالاها و سفارش‌های ویژه شرایط جداگانه‌ای برای {s} دارند.",
    "مبلغ {s} ظرف {d} تا ۷۲ ساعت به حساب شما برمی‌گردد.",
)
QUESTIONS = (
    "سفارشم هنوز نرسيده",
    "رمز عبورم را فراموش كردم",
    "فاکتور رسمی میخوام",
    "گارانتي لپ‌تاپ",
    "هزینه ارسال چقدره",
    "بازگشت وجه چند روز طول میکشه",
    "کد تاييد نمیاد",
    "لغو سفارش",
    "تغییر شماره موبایل",
    "خرید اقساطی گوشی",
    "کالای آسیب دیده",
    "کارت هدیه",
    "کیف پول",
    "پیک تهران",
    "مرجوعی یخچال",
    "تعمیر ساعت هوشمند",
    "نصب تلویزیون",
    "کد تخفیف کار نمیکنه",
    "تمدید گارانتی هدفون",
    "ثبت نشانی جدید",
    "پول از حسابم کم شد",
    "باشگاه مشتریان امتیاز",
    "ارسال به شهرستان ۵ روز",
    "صورتحساب سفارش ۱۲۳",
    "پشتیبانی تعطیلات نوروز",
)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(run: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def arabic_keyboard(text: str, rng: random.Random) -> str:
    return text.replace("ی", "ي").replace("ک", "ك") if rng.random() < 0.2 else text


def build(count: int) -> None:
    from django.db import transaction

    from peyvand.common.persian import clean_persian, to_persian_digits
    from peyvand.knowledge.models import Article, ArticleCategory
    from peyvand.knowledge.search import indexed

    rng = random.Random(1405)
    category, _created = ArticleCategory.objects.get_or_create(name="بنچمارک")
    made = Article.objects.count()
    batch: list[Article] = []
    while made < count:
        subject, other = rng.sample(SUBJECTS, 2)
        title = clean_persian(
            arabic_keyboard(f"{rng.choice(ACTIONS)} {subject} و {other} {made}", rng)
        )
        paragraphs = []
        for _paragraph in range(rng.randrange(3, 7)):
            sentences = [
                rng.choice(PHRASES).format(
                    s=rng.choice((subject, other, *rng.sample(SUBJECTS, 1))),
                    a=rng.choice(ACTIONS),
                    d=to_persian_digits(str(rng.randrange(1, 9))),
                )
                for _sentence in range(rng.randrange(2, 5))
            ]
            paragraphs.append(" ".join(sentences))
        body = clean_persian(arabic_keyboard("\n\n".join(paragraphs), rng), multiline=True)
        search_title, title_length = indexed(title)
        search_body, body_length = indexed(body)
        batch.append(
            Article(
                title=title[:200],
                body=body,
                category=category,
                status="published",
                audience="public",
                search_title=search_title,
                search_body=search_body,
                title_length=title_length,
                body_length=body_length,
            )
        )
        made += 1
        if len(batch) == 1000 or made == count:
            with transaction.atomic():
                Article.objects.bulk_create(batch)
            batch = []
            print(f"\r  {made:,}/{count:,} articles", end="", flush=True)
    print()


def naive_search(text: str, limit: int = 20) -> list[int]:
    """Read every published public article and analyse and rank it now (no stored
    columns, no filtering in SQL): what search would cost without them."""
    from peyvand.knowledge.search import (
        articles_published,
        bm25f,
        counts_of,
        query_words,
        words,
    )

    terms = query_words(text)
    if not terms:
        return []
    rows = list(articles_published(portal=False).values_list("id", "title", "body"))
    documents = [(words(title), words(body)) for _id, title, body in rows]
    total = len(documents)
    average_title = sum(len(title) for title, _body in documents) / total
    average_body = sum(len(body) for _title, body in documents) / total
    matching = [
        (row[0], document)
        for row, document in zip(rows, documents, strict=True)
        if any(term in document[0] or term in document[1] for term in terms)
    ]
    scores = bm25f(
        terms,
        [counts_of(terms, title, body) for _id, (title, body) in matching],
        total=total,
        average_title=average_title,
        average_body=average_body,
    )
    ranked = sorted(
        zip((round(score, 9) for score in scores), (pk for pk, _doc in matching), strict=True),
        key=lambda pair: (-pair[0], -pair[1]),
    )
    return [pk for _score, pk in ranked[:limit]]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=8)
    parser.add_argument("--naive-repeat", type=int, default=1)
    parser.add_argument("--fresh", action="store_true")
    options = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from peyvand.knowledge.models import Article
    from peyvand.knowledge.search import articles_search

    call_command("migrate", interactive=False, verbosity=0)
    if options.fresh:
        Article.objects.all().delete()
    started = time.perf_counter()
    build(options.articles)
    print(f"data ready in {time.perf_counter() - started:.0f}s ({connection.vendor})")

    agree = 0
    indexed_samples: list[float] = []
    naive_samples: list[float] = []
    for question in QUESTIONS:
        stored = [article.pk for article in articles_search(question)]
        started = time.perf_counter()
        agree += stored == naive_search(question)
        naive_samples.append((time.perf_counter() - started) * 1000)
        indexed_samples += timed(lambda q=question: articles_search(q), options.repeat)
        if options.naive_repeat > 1:
            naive_samples += timed(lambda q=question: naive_search(q), options.naive_repeat - 1)
    total = Article.objects.filter(status="published").count()

    def line(name: str, samples: list[float]) -> str:
        return (
            f"  {name:<34} p50 {statistics.median(samples):8.1f} ms   "
            f"p95 {percentile(samples, 0.95):8.1f} ms   ({len(samples)} runs)"
        )

    print(f"\narticles: {total:,}   questions: {len(QUESTIONS)}")
    print(line("articles_search (stored columns)", indexed_samples))
    print(line("naive full scan, analysed per query", naive_samples))
    ratio = statistics.median(naive_samples) / statistics.median(indexed_samples)
    print(f"  ratio at p50: x{ratio:.1f}   same top 20 for {agree}/{len(QUESTIONS)} questions")


if __name__ == "__main__":
    main()
