import datetime
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.template import Context, Engine
from django.utils import translation
from django.utils.safestring import mark_safe

ENGINE = Engine(builtins=["peyvand.common.templatetags.persian_format"])
UTC = datetime.UTC


def render(source: str, language: str, **context: Any) -> str:
    with translation.override(language):
        return ENGINE.from_string(source).render(Context(context))


@pytest.mark.parametrize(("language", "expected"), [("fa", "۱۴۰۳/۰۵/۱۲"), ("en", "2024-08-02")])
def test_jdate(language: str, expected: str) -> None:
    assert render("{{ d|jdate }}", language, d=datetime.date(2024, 8, 2)) == expected


def test_jdate_with_datetime_uses_tehran_time() -> None:
    moment = datetime.datetime(2024, 3, 19, 21, 0, tzinfo=UTC)
    assert render("{{ d|jdate }}", "fa", d=moment) == "۱۴۰۳/۰۱/۰۱"


@pytest.mark.parametrize(
    ("language", "expected"), [("fa", "۱۴۰۳/۰۵/۱۲ ۱۴:۰۵"), ("en", "2024-08-02 14:05")]
)
def test_jdatetime(language: str, expected: str) -> None:
    moment = datetime.datetime(2024, 8, 2, 10, 35, tzinfo=UTC)
    assert render("{{ d|jdatetime }}", language, d=moment) == expected


def test_jdatetime_in_tehran_zone() -> None:
    moment = datetime.datetime(2024, 8, 2, 14, 5, tzinfo=zoneinfo.ZoneInfo("Asia/Tehran"))
    assert render("{{ d|jdatetime }}", "fa", d=moment) == "۱۴۰۳/۰۵/۱۲ ۱۴:۰۵"


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (1234, "fa", "۱۲۳۴"),
        (1234, "en", "1234"),
        ("صفحه 3 از 10", "fa", "صفحه ۳ از ۱۰"),
        (Decimal("2.5"), "fa", "۲.۵"),
    ],
)
def test_fadigits(value: object, language: str, expected: str) -> None:
    assert render("{{ v|fadigits }}", language, v=value) == expected


def test_fadigits_keeps_escaping() -> None:
    assert render("{{ v|fadigits }}", "fa", v="<b>1</b>") == "&lt;b&gt;۱&lt;/b&gt;"
    assert render("{{ v|fadigits }}", "fa", v=mark_safe("<b>1</b>")) == "<b>۱</b>"


@pytest.mark.parametrize(("language", "expected"), [("fa", "۱۲٬۳۴۵ تومان"), ("en", "12,345 Toman")])
def test_money_uses_setting(language: str, expected: str, settings: Any) -> None:
    settings.PEYVAND_MONEY_DISPLAY = "toman"
    assert render("{{ v|money }}", language, v=123450) == expected


def test_money_rial_setting(settings: Any) -> None:
    settings.PEYVAND_MONEY_DISPLAY = "rial"
    assert render("{{ v|money }}", "fa", v=123450) == "۱۲۳٬۴۵۰ ریال"
    assert render("{{ v|money }}", "en", v=123450) == "123,450 Rial"


def test_money_rounded_shows_an_estimate_in_whole_units(settings: Any) -> None:
    settings.PEYVAND_MONEY_DISPLAY = "toman"
    assert render("{{ v|money }}", "fa", v=7576574) == "۷۵۷٬۶۵۷٫۴ تومان"
    assert render("{{ v|money_rounded }}", "fa", v=7576574) == "۷۵۷٬۶۵۷ تومان"
    assert render("{{ v|money_rounded }}", "en", v=7576576.4) == "757,658 Toman"
    assert render("{{ v|money_rounded }}", "en", v=None) == ""


def test_money_unit_argument(settings: Any) -> None:
    settings.PEYVAND_MONEY_DISPLAY = "toman"
    assert render('{{ v|money:"rial" }}', "en", v=123450) == "123,450 Rial"


def test_money_accepts_decimal_and_numeric_strings() -> None:
    assert render("{{ v|money }}", "en", v=Decimal(123450)) == "12,345 Toman"
    assert render("{{ v|money }}", "en", v="123450") == "12,345 Toman"
    assert render("{{ v|money }}", "en", v="n/a") == "n/a"


@pytest.mark.parametrize("name", ["jdate", "jdatetime", "fadigits", "money"])
@pytest.mark.parametrize("language", ["fa", "en"])
def test_none_gives_empty_string(name: str, language: str) -> None:
    assert render(f"[{{{{ v|{name} }}}}]", language, v=None) == "[]"
