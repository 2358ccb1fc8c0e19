"""Test data for the knowledge base, made through the services."""

from __future__ import annotations

from typing import Any

from peyvand.knowledge.models import Article, ArticleCategory
from peyvand.knowledge.services import article_save, category_save


def make_category(name: str = "سفارش و ارسال", position: int = 0) -> ArticleCategory:
    existing = ArticleCategory.objects.filter(name=name).first()
    return existing or category_save(actor=None, values={"name": name, "position": position})


def make_article(
    title: str = "پیگیری سفارش",
    body: str = "کد رهگیری سفارش با پیامک فرستاده می‌شود.",
    *,
    status: str = "published",
    audience: str = "public",
    category: ArticleCategory | None = None,
    **extra: Any,
) -> Article:
    return article_save(
        actor=extra.pop("actor", None),
        values={
            "title": title,
            "body": body,
            "category": category or make_category(),
            "status": status,
            "audience": audience,
            **extra,
        },
    )
