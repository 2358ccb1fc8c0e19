"""The help centre as a visitor uses it, in a real Chromium: typing on an Arabic keyboard
(ي and ك) in the search box finds the Persian article, which the visitor opens and marks
as helpful; the vote is counted once."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.knowledge.models import Article, ArticleVote

from .factories import make_article, make_category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_searches_with_arabic_letters_and_votes_helpful(
    page: Any, live_server: Any
) -> None:
    category = make_category("حساب کاربری")
    article = make_article(
        "بازیابی رمز عبور",
        "در صفحهٔ ورود روی **فراموشی رمز عبور** بزنید و کد پیامک‌شده را وارد کنید.",
        category=category,
    )
    make_article("هزینه ارسال", "ارسال بالای ۵۰۰ هزار تومان رایگان است.", category=category)
    make_article("رمز پورتال", "فقط برای پورتال: رمز عبور سازمانی.", audience="portal")

    page.goto(f"{live_server.url}/help/")
    page.fill("#help-query", "رمز عبورم را فراموش كرده‌ام، كمك كنيد")  # Arabic ك and ي
    page.press("#help-query", "Enter")
    page.wait_for_url("**/help/search/**")
    results = page.locator("#help-results [data-article]")
    assert results.count() == 1
    assert results.first.get_attribute("data-article") == str(article.pk)
    results.first.click()
    page.wait_for_url(f"**/help/articles/{article.pk}/")
    assert page.locator("#article-body strong").inner_text() == "فراموشی رمز عبور"
    page.click("#vote-yes")
    page.wait_for_selector("#vote-done")
    assert page.locator("#vote-form").count() == 0
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no, article.view_count) == (1, 0, 1)
    page.reload()
    page.wait_for_selector("#vote-done")
    assert ArticleVote.objects.filter(article=article).count() == 1
    assert Article.objects.get(pk=article.pk).helpful_yes == 1
