"""Persian demo articles for the help centre (``data/demo_articles.json``): four categories
of the questions an online shop's customers ask most (orders and delivery, payment and
invoices, the account, warranty and returns), with one portal-only article and one draft.

The same articles are the collection of the retrieval evaluation in
``knowledge/tests/test_evaluation.py``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import NamedTuple

from .models import Article, ArticleCategory
from .services import article_save, category_save

DATA_FILE = Path(__file__).resolve().parent / "data" / "demo_articles.json"
CATEGORIES = ("سفارش و ارسال", "پرداخت و صورتحساب", "حساب کاربری", "گارانتی و مرجوعی")


class DemoArticle(NamedTuple):
    category: str
    title: str
    body: str
    audience: str
    status: str


@cache
def demo_articles() -> tuple[DemoArticle, ...]:
    rows = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return tuple(DemoArticle(**row) for row in rows)


def seed_knowledge_demo() -> int:
    """Create the demo categories and articles unless the knowledge base has articles
    already; returns how many articles were made."""
    if Article.objects.exists():
        return 0
    categories = {}
    for position, name in enumerate(CATEGORIES, start=1):
        existing = ArticleCategory.objects.filter(name=name).first()
        categories[name] = existing or category_save(
            actor=None, values={"name": name, "position": position * 10}
        )
    articles = demo_articles()
    for item in articles:
        article_save(
            actor=None,
            values={
                "title": item.title,
                "body": item.body,
                "category": categories[item.category],
                "status": item.status,
                "audience": item.audience,
            },
        )
    return len(articles)
