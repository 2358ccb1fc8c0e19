"""Products and quotes (پیش‌فاکتور): the catalogue, quote lines with discounts and VAT,
sending the Persian PDF by email, and the customer's answer. Money is integer Rials; every
line amount is rounded half up to a Rial, and the quote's totals are the sums of its lines.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.common.jalali import to_jalali
from peyvand.common.money import round_half_up
from peyvand.common.persian import clean_persian, search_key
from peyvand.common.validators import normalize_email

from .deals import deal_event
from .models import Deal, PricedLine, Product, Quote, QuoteLine, QuoteStatus
from .service_helpers import check_permission, error, validate

if TYPE_CHECKING:
    from peyvand.accounts.models import User

PRODUCT_FIELDS = ("code", "name", "description", "unit", "price", "is_taxable", "is_active")


def product_save(
    *, actor: User | None, values: Mapping[str, Any], product: Product | None = None
) -> Product:
    """Create or change a catalogue product (code unique, trimmed and upper-cased)."""
    check_permission(actor, "write", "products")
    item = product or Product()
    for name in PRODUCT_FIELDS:
        if name in values:
            value = values[name]
            if isinstance(value, str):
                value = clean_persian(value) if name in {"name", "unit"} else value.strip()
            if name == "code" and isinstance(value, str):
                value = value.upper()
            setattr(item, name, value)
    if item.code and Product.objects.filter(code=item.code).exclude(pk=item.pk).exists():
        raise error("code", _("A product with this code already exists."), "unique")
    item.search_text = "|".join(filter(None, [search_key(item.name), item.code.lower()]))
    validate(item)
    with transaction.atomic():
        item.save()
    return item


@dataclass(frozen=True)
class LineAmounts:
    gross: int
    discount: int
    vat: int
    total: int


def line_amounts(
    *,
    quantity: Decimal,
    unit_price: int,
    discount_percent: Decimal,
    vat_percent: Decimal,
    is_taxable: bool,
) -> LineAmounts:
    """gross = quantity × unit price; discount = gross × %; VAT on (gross − discount) when
    taxable; each rounded half up to a Rial; total = gross − discount + VAT."""
    gross = round_half_up(quantity * unit_price)
    discount = round_half_up(Decimal(gross) * discount_percent / 100)
    net = gross - discount
    vat = round_half_up(Decimal(net) * vat_percent / 100) if is_taxable else 0
    return LineAmounts(gross=gross, discount=discount, vat=vat, total=net + vat)


def default_vat_percent() -> Decimal:
    return Decimal(str(settings.PEYVAND_VAT_PERCENT))


def _decimal(value: Any, field: str, errors: dict[str, list[ValidationError]]) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(ValidationError(_("Enter a number."), code="invalid"))
        return Decimal(0)
    if not number.is_finite():
        errors.setdefault(field, []).append(ValidationError(_("Enter a number."), code="invalid"))
        return Decimal(0)
    return number


Line = TypeVar("Line", bound=PricedLine)


def build_lines(
    rows: Sequence[Mapping[str, Any]], vat_percent: Decimal, line_class: type[Line]
) -> list[Line]:
    """Priced lines (of a quote or a deal) from input rows (``product``, ``description``,
    ``quantity``, ``unit``, ``unit_price``, ``discount_percent``, ``is_taxable``; product
    values fill what is left out), amounts computed; errors keyed
    ``lines.<index>.<field>``."""
    errors: dict[str, list[ValidationError]] = {}
    lines: list[Line] = []
    for index, row in enumerate(rows):
        product: Product | None = row.get("product")
        prefix = f"lines.{index}."
        quantity = _decimal(row.get("quantity", 1), prefix + "quantity", errors)
        discount = _decimal(row.get("discount_percent") or 0, prefix + "discount_percent", errors)
        price = row.get("unit_price")
        if price is None and product is not None:
            price = product.price
        if price is None:
            errors.setdefault(prefix + "unit_price", []).append(
                ValidationError(_("Enter the unit price or choose a product."), code="required")
            )
            price = 0
        line = line_class(
            position=index,
            product=product,
            description=clean_persian(
                str(row.get("description") or (product.name if product else ""))
            ),
            quantity=quantity,
            unit=clean_persian(str(row.get("unit") or (product.unit if product else ""))),
            unit_price=price,
            discount_percent=discount,
            is_taxable=bool(row.get("is_taxable", product.is_taxable if product else True)),
        )
        try:
            line.full_clean(exclude=["quote", "deal"])
        except ValidationError as failure:
            for field, messages in failure.error_dict.items():
                if prefix + field not in errors:
                    errors[prefix + field] = list(messages)
        if quantity <= 0 and prefix + "quantity" not in errors:
            errors[prefix + "quantity"] = [
                ValidationError(_("The quantity must be more than zero."), code="min_value")
            ]
        if not errors:
            amounts = line_amounts(
                quantity=quantity,
                unit_price=line.unit_price,
                discount_percent=discount,
                vat_percent=vat_percent,
                is_taxable=line.is_taxable,
            )
            line.gross, line.discount, line.vat, line.total = (
                amounts.gross,
                amounts.discount,
                amounts.vat,
                amounts.total,
            )
        lines.append(line)
    if errors:
        raise ValidationError(errors)
    return lines


def line_rows(lines: Iterable[PricedLine]) -> list[dict[str, Any]]:
    """Saved lines as the rows :func:`build_lines` takes (to copy or edit them)."""
    return [
        {
            "product": line.product,
            "description": line.description,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "is_taxable": line.is_taxable,
        }
        for line in lines
    ]


def _quote_lines(rows: Sequence[Mapping[str, Any]], vat_percent: Decimal) -> list[QuoteLine]:
    if not rows:
        raise error("lines", _("Add at least one line."), "required")
    return build_lines(rows, vat_percent, QuoteLine)


def _next_number(issued_on: datetime.date) -> str:
    """``<Jalali year>-<sequence>``, e.g. ``1405-0007``."""
    year = to_jalali(issued_on)[0]
    prefix = f"{year}-"
    last = (
        Quote.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


def _apply(quote: Quote, lines: list[QuoteLine]) -> None:
    quote.subtotal = sum(line.gross for line in lines)
    quote.discount_total = sum(line.discount for line in lines)
    quote.vat_total = sum(line.vat for line in lines)
    quote.total = sum(line.total for line in lines)


def quote_create(
    *,
    actor: User | None,
    deal: Deal,
    lines: Sequence[Mapping[str, Any]],
    values: Mapping[str, Any] | None = None,
) -> Quote:
    """A draft quote for ``deal`` with its lines (``product``, ``description``, ``quantity``,
    ``unit``, ``unit_price``, ``discount_percent``, ``is_taxable``; product values fill what
    is left out). ``values``: ``issued_on`` (today), ``valid_until``, ``vat_percent``
    (``PEYVAND_VAT_PERCENT``), ``note``."""
    check_permission(actor, "write", "deals")
    given = dict(values or {})
    quote = Quote(
        deal=deal,
        created_by=actor,
        issued_on=given.get("issued_on") or timezone.localdate(),
        valid_until=given.get("valid_until"),
        vat_percent=Decimal(str(given.get("vat_percent") or default_vat_percent())),
        note=str(given.get("note") or "").strip(),
    )
    built = _quote_lines(lines, quote.vat_percent)
    _apply(quote, built)
    validate(quote, exclude=["number", "deal"])
    for _attempt in range(5):
        try:
            with transaction.atomic():
                quote.number = _next_number(quote.issued_on)
                quote.save()
                for line in built:
                    line.quote = quote
                QuoteLine.objects.bulk_create(built)
                _record(actor, quote, "quote.created")
            return quote
        except IntegrityError:
            quote.pk = None  # another quote took the number: take the next one
    raise error("number", _("Could not number the quote; try again."), "conflict")


def quote_update(
    *,
    actor: User | None,
    quote: Quote,
    lines: Sequence[Mapping[str, Any]] | None = None,
    values: Mapping[str, Any] | None = None,
) -> Quote:
    """Change a draft quote: its lines (all replaced) and dates, VAT and note."""
    check_permission(actor, "write", "deals")
    with transaction.atomic():
        quote = Quote.objects.select_for_update().get(pk=quote.pk)
        if quote.status != QuoteStatus.DRAFT:
            raise error("status", _("Only a draft quote can be changed."), "not_draft")
        for name in ("issued_on", "valid_until", "vat_percent", "note"):
            if values and name in values:
                value = values[name]
                if name == "vat_percent":
                    value = Decimal(str(value))
                setattr(quote, name, value)
        rows = lines if lines is not None else line_rows(quote.lines.all())
        built = _quote_lines(rows, quote.vat_percent)
        _apply(quote, built)
        validate(quote, exclude=["number", "deal"])
        quote.save()
        quote.lines.all().delete()
        for line in built:
            line.quote = quote
        QuoteLine.objects.bulk_create(built)
        _record(actor, quote, "quote.updated")
    return quote


def _record(actor: User | None, quote: Quote, verb: str, **extra: Any) -> None:
    deal_event(
        actor=actor,
        deal=quote.deal,
        verb=verb,
        subject=quote,
        summary=quote.number,
        payload={"number": quote.number, "total": quote.total, "status": quote.status, **extra},
    )


def quote_send(*, actor: User | None, quote: Quote, to: str, message: str = "") -> Quote:
    """Email the quote's PDF to ``to`` over SMTP, then mark it sent (a failed send changes
    nothing and says so)."""
    from .quote_pdf import quote_pdf

    check_permission(actor, "write", "deals")
    try:
        address = normalize_email(to)
    except ValidationError as failure:
        raise ValidationError({"to": failure.messages}) from failure
    if quote.status in (QuoteStatus.ACCEPTED, QuoteStatus.REJECTED):
        raise error("status", _("This quote has already been answered."), "answered")
    pdf = quote_pdf(quote)
    subject = _("Quote %(number)s from %(company)s") % {
        "number": quote.number,
        "company": settings.PEYVAND_COMPANY_NAME,
    }
    body = message.strip() or _("Please find the quote attached.")
    sender = getattr(actor, "email", "") or settings.DEFAULT_FROM_EMAIL
    email = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        reply_to=[sender] if sender != settings.DEFAULT_FROM_EMAIL else None,
    )
    email.attach(f"quote-{quote.number}.pdf", pdf, "application/pdf")
    try:
        email.send(fail_silently=False)
    except OSError as failure:
        raise error(
            "to", _("The email could not be sent: %(reason)s") % {"reason": failure}, "smtp"
        ) from failure
    with transaction.atomic():
        quote = Quote.objects.select_for_update().select_related("deal").get(pk=quote.pk)
        quote.status = QuoteStatus.SENT
        quote.sent_at, quote.sent_to = timezone.now(), address
        quote.save(update_fields=["status", "sent_at", "sent_to", "updated_at"])
        _record(actor, quote, "quote.sent", to=address)
    return quote


def quote_decide(*, actor: User | None, quote: Quote, accepted: bool, note: str = "") -> Quote:
    """Record the customer's answer: accepted or rejected (a rejection needs a reason)."""
    check_permission(actor, "write", "deals")
    note = clean_persian(note)
    if not accepted and not note:
        raise error("decision_note", _("Say why the quote was rejected."), "required")
    with transaction.atomic():
        quote = Quote.objects.select_for_update().select_related("deal").get(pk=quote.pk)
        if quote.status in (QuoteStatus.ACCEPTED, QuoteStatus.REJECTED):
            raise error("status", _("This quote has already been answered."), "answered")
        quote.status = QuoteStatus.ACCEPTED if accepted else QuoteStatus.REJECTED
        quote.decision_note, quote.decided_at = note, timezone.now()
        quote.save(update_fields=["status", "decision_note", "decided_at", "updated_at"])
        _record(actor, quote, "quote.accepted" if accepted else "quote.rejected", note=note)
    return quote
