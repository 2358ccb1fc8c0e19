"""Products and quotes: line arithmetic and rounding, numbering by Jalali year, validation,
the Persian PDF, sending over real SMTP, the customer's answer, pages and visibility."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from pypdf import PdfReader

from peyvand.accounts.models import Role, VisibilityPolicy
from peyvand.contacts.tests.factories import make_contact
from peyvand.sales.models import Quote, QuoteStatus
from peyvand.sales.quote_pdf import quote_pdf
from peyvand.sales.quotes import (
    line_amounts,
    product_save,
    quote_create,
    quote_decide,
    quote_send,
    quote_update,
)
from peyvand.timeline.models import Event

from .factories import make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def laptop() -> Any:
    return product_save(
        actor=None,
        values={"code": " lp-15 ", "name": "لپ‌تاپ ۱۵ اينچ", "unit": "دستگاه", "price": 450_000_000},
    )


@pytest.fixture
def deal(sales_user: Any) -> Any:
    contact = make_contact(
        actor=sales_user, first_name="نرگس", last_name="اصفهانی", emails=["narges@example.ir"]
    )
    return make_deal(actor=sales_user, contact=contact, title="تجهیز دفتر")


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "vat", "taxable", "expected"),
    [
        (
            "20",
            450_000_000,
            "5",
            "10",
            True,
            (9_000_000_000, 450_000_000, 855_000_000, 9_405_000_000),
        ),
        ("1", 15_000_000, "0", "10", False, (15_000_000, 0, 0, 15_000_000)),
        # 2.5 × 3 = 7.5 → 8; discount 8 × 12.5% = 1 → 1; VAT 7 × 10% = 0.7 → 1
        ("2.5", 3, "12.5", "10", True, (8, 1, 1, 8)),
        # 0.5 rounds up (half up), not to even
        ("1", 5, "10", "10", True, (5, 1, 0, 4)),
        ("3", 333, "0", "9", True, (999, 0, 90, 1089)),  # 89.91 → 90
    ],
)
def test_line_amounts_round_half_up_to_a_rial(
    quantity: str, price: int, discount: str, vat: str, taxable: bool, expected: tuple[int, ...]
) -> None:
    amounts = line_amounts(
        quantity=Decimal(quantity),
        unit_price=price,
        discount_percent=Decimal(discount),
        vat_percent=Decimal(vat),
        is_taxable=taxable,
    )
    assert (amounts.gross, amounts.discount, amounts.vat, amounts.total) == expected


def test_products_are_normalized_and_codes_unique(laptop: Any, sales_user: Any) -> None:
    assert (laptop.code, laptop.name) == ("LP-15", "لپ‌تاپ ۱۵ اینچ")
    with pytest.raises(ValidationError) as error:
        product_save(actor=None, values={"code": "lp-15", "name": "x", "price": 1})
    assert error.value.message_dict["code"]
    with pytest.raises(PermissionDenied):
        product_save(actor=sales_user, values={"code": "x", "name": "x", "price": 1})


def test_a_quote_sums_its_lines_and_is_numbered_by_jalali_year(
    deal: Any, laptop: Any, sales_user: Any
) -> None:
    quote = quote_create(
        actor=sales_user,
        deal=deal,
        lines=[
            {"product": laptop, "quantity": "20", "discount_percent": "5"},
            {"description": "نصب و راه‌اندازی", "unit_price": 15_000_000, "is_taxable": False},
        ],
        values={"issued_on": datetime.date(2026, 11, 23)},
    )
    assert quote.number == "1405-0001"
    assert (quote.subtotal, quote.discount_total, quote.vat_total, quote.total) == (
        9_015_000_000,
        450_000_000,
        855_000_000,
        9_420_000_000,
    )
    lines = list(quote.lines.all())
    assert [(line.description, line.unit, line.unit_price) for line in lines] == [
        ("لپ‌تاپ ۱۵ اینچ", "دستگاه", 450_000_000),
        ("نصب و راه‌اندازی", "", 15_000_000),
    ]
    second = quote_create(
        actor=sales_user,
        deal=deal,
        lines=[{"product": laptop}],
        values={"issued_on": datetime.date(2027, 3, 20)},  # still 1405 (Esfand 29)
    )
    third = quote_create(
        actor=sales_user,
        deal=deal,
        lines=[{"product": laptop}],
        values={"issued_on": datetime.date(2027, 3, 21)},  # Nowruz 1406
    )
    assert (second.number, third.number) == ("1405-0002", "1406-0001")
    assert Event.objects.filter(deal=deal, verb="quote.created").count() == 3


def test_quote_errors_name_the_line_and_field(deal: Any, sales_user: Any) -> None:
    with pytest.raises(ValidationError) as error:
        quote_create(actor=sales_user, deal=deal, lines=[])
    assert list(error.value.message_dict) == ["lines"]
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            quote_create(
                actor=sales_user,
                deal=deal,
                lines=[
                    {"description": "ok", "unit_price": 10},
                    {"description": "bad", "unit_price": 10, "quantity": "0"},
                    {"description": "also bad", "unit_price": 10, "discount_percent": "120"},
                    {"description": "no price"},
                ],
            )
        assert error.value.message_dict == {
            "lines.1.quantity": ["The quantity must be more than zero."],
            "lines.2.discount_percent": ["Ensure this value is less than or equal to 100."],
            "lines.3.unit_price": ["Enter the unit price or choose a product."],
        }
    assert Quote.objects.count() == 0


def test_only_drafts_change_and_answers_are_final(deal: Any, laptop: Any, sales_user: Any) -> None:
    quote = quote_create(actor=sales_user, deal=deal, lines=[{"product": laptop}])
    quote = quote_update(actor=sales_user, quote=quote, lines=[{"product": laptop, "quantity": 2}])
    assert quote.total == 990_000_000
    with pytest.raises(ValidationError):
        quote_decide(actor=sales_user, quote=quote, accepted=False)
    quote_decide(actor=sales_user, quote=quote, accepted=False, note="گران است")
    quote.refresh_from_db()
    assert (quote.status, quote.decision_note) == (QuoteStatus.REJECTED, "گران است")
    with pytest.raises(ValidationError):
        quote_update(actor=sales_user, quote=quote, lines=[{"product": laptop}])
    with pytest.raises(ValidationError):
        quote_decide(actor=sales_user, quote=quote, accepted=True)
    assert Event.objects.filter(deal=deal, verb="quote.rejected").count() == 1


def test_the_pdf_is_persian_with_the_total_in_words(deal: Any, laptop: Any) -> None:
    quote = quote_create(
        actor=None,
        deal=deal,
        lines=[{"product": laptop, "quantity": "2"}, {"description": "بیمه حمل", "unit_price": 0}],
        values={"note": "تحویل دو هفته پس از پرداخت"},
    )
    data = quote_pdf(quote)
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("Vazirmatn" in name for name in fonts)
    text = reader.pages[0].extract_text()
    # Letters come back joined and in reading order; the shaping engine placed them.
    for words in (
        "پیش‌فاکتور",
        "خریدار: نرگس اصفهانی",
        "لپ‌تاپ",
        "بیمه حمل",
        # 2 × 45,000,000 Toman + 10% VAT = 99,000,000 Toman
        "مبلغ به حروف: نود و نه میلیون تومان",
        "تحویل دو هفته پس از پرداخت",
    ):
        assert words in text, words


def test_sending_emails_the_pdf_over_smtp(
    deal: Any, laptop: Any, sales_user: Any, smtp_settings: Any
) -> None:
    quote = quote_create(actor=sales_user, deal=deal, lines=[{"product": laptop}])
    quote_send(actor=sales_user, quote=quote, to=" Narges@Example.IR ", message="با سلام")
    quote.refresh_from_db()
    assert (quote.status, quote.sent_to) == (QuoteStatus.SENT, "narges@example.ir")
    assert len(smtp_settings.messages) == 1
    recipients, message = smtp_settings.messages[0]
    assert recipients == ["narges@example.ir"]
    attachments = list(message.iter_attachments())
    assert [part.get_filename() for part in attachments] == [f"quote-{quote.number}.pdf"]
    assert attachments[0].get_content().startswith(b"%PDF-")
    assert Event.objects.get(deal=deal, verb="quote.sent").payload["to"] == "narges@example.ir"


def test_a_failed_send_changes_nothing(
    deal: Any, laptop: Any, sales_user: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    quote = quote_create(actor=sales_user, deal=deal, lines=[{"product": laptop}])
    with pytest.raises(ValidationError) as error:
        quote_send(actor=sales_user, quote=quote, to="narges@example.ir")
    assert "to" in error.value.message_dict
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
    assert not Event.objects.filter(verb="quote.sent").exists()


def test_quote_pages_through_the_deal(
    deal: Any, laptop: Any, sales_user: Any, logged_in: Any, make_user: Any
) -> None:
    client = logged_in(sales_user)
    assert client.get(f"/sales/deals/{deal.pk}/quotes/new/").status_code == 200
    response = client.post(
        f"/sales/deals/{deal.pk}/quotes/new/",
        {
            "issued_on": "۱۴۰۵/۰۹/۰۲",
            "vat_percent": "10",
            "line0-product": laptop.pk,
            "line0-quantity": "۲",
            "line1-description": "آموزش",
            "line1-quantity": "1",
            "line1-unit_price": "۱٬۵۰۰٬۰۰۰",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    quote = Quote.objects.get()
    assert quote.issued_on == datetime.date(2026, 11, 23)
    assert [line.unit_price for line in quote.lines.all()] == [450_000_000, 15_000_000]
    page = client.get(f"/sales/quotes/{quote.pk}/")
    assert page.status_code == 200
    pdf = client.get(f"/sales/quotes/{quote.pk}/pdf/")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    deal_page = client.get(f"/sales/deals/{deal.pk}/").content.decode()
    assert "۱۴۰۵-۰۰۰۱" in deal_page

    VisibilityPolicy.objects.create(object_type="deal", level="private")
    outsider = logged_in(make_user(role=Role.SALES))
    for url in (f"/sales/quotes/{quote.pk}/", f"/sales/quotes/{quote.pk}/pdf/"):
        assert outsider.get(url).status_code == 404
    assert (
        outsider.post(f"/sales/quotes/{quote.pk}/send/", {"to": "x@example.ir"}).status_code == 404
    )


def test_a_line_error_shows_on_its_row(deal: Any, sales_user: Any, logged_in: Any) -> None:
    response = logged_in(sales_user).post(
        f"/sales/deals/{deal.pk}/quotes/new/",
        {"issued_on": "۱۴۰۵/۰۹/۰۲", "vat_percent": "10", "line0-description": "خدمات"},
    )
    assert response.status_code == 200
    assert 'data-error-for="line0"' in response.content.decode()
    assert Quote.objects.count() == 0
