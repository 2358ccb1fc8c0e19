"""The quote as a PDF in Persian: right-to-left, letters joined by HarfBuzz shaping (fpdf2 +
uharfbuzz), the Vazirmatn font embedded, Jalali dates, Persian digits, amounts in the
display unit and the total in words."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.conf import settings
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from peyvand.common.jalali import format_date
from peyvand.common.money import UNIT_LABELS, display_unit, format_money
from peyvand.common.persian import to_persian_digits
from peyvand.common.words import number_to_persian_words

from .models import Quote

FONT_DIR = (
    Path(__file__).resolve().parent.parent / "web" / "static" / "vendor" / "vazirmatn" / "ttf"
)
FONT = "Vazirmatn"


def _money(rials: int) -> str:
    return format_money(rials, unit=display_unit(), language="fa")


def _amount(rials: int) -> str:
    """The number alone (no unit word), for table cells."""
    return _money(rials).rsplit(" ", 1)[0]


def _quantity(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return to_persian_digits(text.replace(".", "\u066b"))


def _in_words(rials: int) -> str:
    unit = display_unit()
    whole = rials // 10 if unit == "toman" else rials
    return f"{number_to_persian_words(whole)} {UNIT_LABELS[unit]['fa']}"


def quote_pdf(quote: Quote) -> bytes:
    """The quote's PDF (A4, one or more pages)."""
    deal = quote.deal
    pdf = FPDF(format="A4")
    pdf.set_title(f"پیش‌فاکتور {quote.number}")
    pdf.set_creator("Peyvand")
    pdf.add_font(FONT, style="", fname=str(FONT_DIR / "Vazirmatn-Regular.ttf"))
    pdf.add_font(FONT, style="B", fname=str(FONT_DIR / "Vazirmatn-Bold.ttf"))
    pdf.set_text_shaping(use_shaping_engine=True, script="arab", language="fas")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    pdf.set_font(FONT, style="B", size=16)
    pdf.cell(0, 10, "پیش‌فاکتور", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    header = [
        f"فروشنده: {settings.PEYVAND_COMPANY_NAME}",
        f"شماره: \u200e{to_persian_digits(quote.number)}\u200e",
        f"تاریخ: {format_date(quote.issued_on, 'fa')}",
    ]
    if quote.valid_until:
        header.append(f"اعتبار تا: {format_date(quote.valid_until, 'fa')}")
    buyer = deal.company.name if deal.company else ""
    if deal.contact:
        buyer = f"{deal.contact.full_name}{' — ' + buyer if buyer else ''}"
    header.append(f"خریدار: {buyer or '—'}")
    header.append(f"موضوع: {deal.title}")
    for line in header:
        pdf.cell(0, 7, line, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    unit_word = UNIT_LABELS[display_unit()]["fa"]
    # Right to left: the first column of the list is drawn on the left, so reverse.
    headings = [
        "ردیف",
        "شرح",
        "تعداد",
        "واحد",
        f"فی ({unit_word})",
        f"تخفیف ({unit_word})",
        f"مالیات ({unit_word})",
        f"مبلغ ({unit_word})",
    ]
    widths = [10, 52, 16, 14, 24, 22, 22, 30]
    pdf.set_font(FONT, size=9)
    with pdf.table(
        col_widths=tuple(reversed(widths)),
        text_align="CENTER",
        line_height=7,
        first_row_as_headings=True,
    ) as table:
        row = table.row()
        for heading in reversed(headings):
            row.cell(heading)
        for index, quote_line in enumerate(quote.lines.all(), start=1):
            cells = [
                to_persian_digits(str(index)),
                quote_line.description,
                _quantity(quote_line.quantity),
                quote_line.unit,
                _amount(quote_line.unit_price),
                _amount(quote_line.discount),
                _amount(quote_line.vat),
                _amount(quote_line.total),
            ]
            row = table.row()
            for cell in reversed(cells):
                row.cell(cell)
    pdf.ln(4)
    vat = to_persian_digits(f"{quote.vat_percent.normalize():f}")
    totals = [
        ("جمع", _money(quote.subtotal)),
        ("تخفیف", _money(quote.discount_total)),
        (f"مالیات بر ارزش افزوده ({vat}٪)", _money(quote.vat_total)),
        ("مبلغ قابل پرداخت", _money(quote.total)),
    ]
    for label, value in totals:
        pdf.set_font(FONT, style="B" if label == "مبلغ قابل پرداخت" else "", size=10)
        pdf.cell(0, 7, f"{label}: {value}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    pdf.multi_cell(0, 7, f"مبلغ به حروف: {_in_words(quote.total)}", align="R")
    if quote.note:
        pdf.ln(2)
        pdf.multi_cell(0, 6, f"توضیحات: {quote.note}", align="R")
    return bytes(pdf.output())
