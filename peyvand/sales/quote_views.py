"""Pages for the product catalogue and for quotes: build a quote from a deal (lines from the
catalogue or free text), see it with its totals, download the PDF, send it by email and
record the customer's answer. A quote is visible to whoever sees its deal."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.common.forms import JalaliDateField, MoneyField
from peyvand.common.persian import search_key
from peyvand.contacts.selectors import contact_first_email
from peyvand.web.form_errors import add_service_errors, flash_service_errors
from peyvand.web.forms import StyledForm

from .deal_products import deal_product_rows, deal_products_set
from .models import Deal, Product, Quote
from .quote_pdf import quote_pdf
from .quotes import (
    default_vat_percent,
    line_rows,
    product_save,
    quote_create,
    quote_decide,
    quote_send,
    quote_update,
)
from .selectors import deals_visible_to

LINE_ROWS = 8


class ProductForm(StyledForm):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=40)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    unit = forms.CharField(label=gettext_lazy("Unit"), max_length=30, initial="عدد")
    price = MoneyField(label=gettext_lazy("Price"))
    is_taxable = forms.BooleanField(
        label=gettext_lazy("Subject to VAT"), required=False, initial=True
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@login_required
def product_list(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "products")
    products = Product.objects.all()
    query = request.GET.get("q", "").strip()
    if query:
        products = products.filter(search_text__contains=search_key(query).lower() or query)
    return render(
        request,
        "sales/product_list.html",
        {
            "products": products[:500],
            "q": query,
            "can_write": has_permission(request.user, "write", "products"),
        },
    )


def _product_form(request: AuthenticatedRequest, product: Product | None) -> HttpResponse:
    require_permission(request.user, "write", "products")
    initial = (
        {name: getattr(product, name) for name in ProductForm.base_fields} if product else None
    )
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            product_save(actor=request.user, values=form.cleaned_data, product=product)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:product_list")
    return render(request, "sales/product_form.html", {"form": form, "record": product})


@login_required
def product_create(request: AuthenticatedRequest) -> HttpResponse:
    return _product_form(request, None)


@login_required
def product_edit(request: AuthenticatedRequest, product_id: int) -> HttpResponse:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise Http404
    return _product_form(request, product)


class QuoteForm(StyledForm):
    issued_on = JalaliDateField(label=gettext_lazy("Date"))
    valid_until = JalaliDateField(label=gettext_lazy("Valid until"), required=False)
    vat_percent = forms.DecimalField(
        label=gettext_lazy("VAT (%)"), max_digits=5, decimal_places=2, min_value=0, max_value=100
    )
    note = forms.CharField(
        label=gettext_lazy("Terms and notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QuoteLineForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(is_active=True), required=False
    )
    description = forms.CharField(max_length=300, required=False)
    quantity = forms.DecimalField(max_digits=12, decimal_places=3, required=False)
    unit_price = MoneyField(required=False)
    discount_percent = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("product") or data.get("description"))


def _line_forms(request: AuthenticatedRequest, rows: list[dict[str, Any]]) -> list[QuoteLineForm]:
    """The editable line rows: what was posted, else ``rows`` (saved lines) then blanks."""
    if request.method == "POST":
        return [QuoteLineForm(request.POST, prefix=f"line{index}") for index in range(LINE_ROWS)]
    forms_: list[QuoteLineForm] = []
    for index in range(max(LINE_ROWS, len(rows))):
        initial: dict[str, Any] = {}
        if index < len(rows):
            row = rows[index]
            initial = {
                "product": row["product"],
                "description": row["description"],
                "quantity": row["quantity"].normalize(),
                "unit_price": row["unit_price"],
                "discount_percent": row["discount_percent"].normalize(),
            }
        forms_.append(QuoteLineForm(prefix=f"line{index}", initial=initial))
    return forms_


def _posted_rows(line_forms: list[QuoteLineForm]) -> list[dict[str, Any]]:
    return [
        {key: value for key, value in line.cleaned_data.items() if value not in (None, "")}
        for line in line_forms
        if not line.is_blank()
    ]


def _visible_deal(request: AuthenticatedRequest, deal_id: int) -> Deal:
    deal = deals_visible_to(request.user).select_related("contact", "company").filter(pk=deal_id)
    found = deal.first()
    if found is None:
        raise Http404
    return found


def _visible_quote(request: AuthenticatedRequest, quote_id: int) -> Quote:
    quote = (
        Quote.objects.filter(pk=quote_id, deal__in=deals_visible_to(request.user))
        .select_related("deal", "deal__contact", "deal__company")
        .first()
    )
    if quote is None:
        raise Http404
    return quote


def _quote_form(request: AuthenticatedRequest, deal: Deal, quote: Quote | None) -> HttpResponse:
    require_permission(request.user, "write", "deals")
    from django.utils import timezone

    initial = {
        "issued_on": quote.issued_on if quote else timezone.localdate(),
        "valid_until": quote.valid_until if quote else None,
        "vat_percent": (quote.vat_percent if quote else default_vat_percent()).normalize(),
        "note": quote.note if quote else "",
    }
    form = QuoteForm(request.POST or None, initial=initial)
    # A new quote starts with the deal's products.
    saved_rows = line_rows(quote.lines.all()) if quote else deal_product_rows(deal)
    line_forms = _line_forms(request, saved_rows)
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in line_forms):
        rows = _posted_rows(line_forms)
        try:
            if quote is None:
                saved = quote_create(
                    actor=request.user, deal=deal, lines=rows, values=form.cleaned_data
                )
            else:
                saved = quote_update(
                    actor=request.user, quote=quote, lines=rows, values=form.cleaned_data
                )
        except ValidationError as error:
            _show_line_errors(form, line_forms, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:quote_detail", saved.pk)
    context = {
        "form": form,
        "line_forms": line_forms,
        "deal": deal,
        "record": quote,
        "products": Product.objects.filter(is_active=True),
    }
    return render(request, "sales/quote_form.html", context)


def _show_line_errors(
    form: forms.Form, line_forms: list[QuoteLineForm], error: ValidationError
) -> None:
    """``lines.<n>.<field>`` errors go to the n-th filled row; the rest to the quote form."""
    filled = [line for line in line_forms if not line.is_blank()]
    remaining: dict[str, list[ValidationError]] = {}
    by_field = error.error_dict if hasattr(error, "error_dict") else {"": error.error_list}
    for key, messages_ in by_field.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
            index = int(parts[1])
            if index < len(filled):
                target = parts[2] if parts[2] in filled[index].fields else None
                for message in messages_:
                    filled[index].add_error(target, message)
                continue
        remaining[key] = list(messages_)
    if remaining:
        add_service_errors(form, ValidationError(remaining), {"lines": "__all__"})


@login_required
def deal_products(request: AuthenticatedRequest, deal_id: int) -> HttpResponse:
    """Edit the products on a deal (the same line rows as a quote)."""
    require_permission(request.user, "write", "deals")
    deal = _visible_deal(request, deal_id)
    form = StyledForm(request.POST or None)
    line_forms = _line_forms(request, deal_product_rows(deal))
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in line_forms):
        try:
            deal_products_set(actor=request.user, deal=deal, rows=_posted_rows(line_forms))
        except ValidationError as error:
            _show_line_errors(form, line_forms, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:deal_detail", deal.pk)
    context = {
        "form": form,
        "line_forms": line_forms,
        "deal": deal,
        "products": Product.objects.filter(is_active=True),
    }
    return render(request, "sales/deal_products.html", context)


@login_required
def quote_create_view(request: AuthenticatedRequest, deal_id: int) -> HttpResponse:
    return _quote_form(request, _visible_deal(request, deal_id), None)


@login_required
def quote_edit(request: AuthenticatedRequest, quote_id: int) -> HttpResponse:
    quote = _visible_quote(request, quote_id)
    return _quote_form(request, quote.deal, quote)


@login_required
def quote_detail(request: AuthenticatedRequest, quote_id: int) -> HttpResponse:
    require_permission(request.user, "read", "deals")
    quote = _visible_quote(request, quote_id)
    contact = quote.deal.contact
    context = {
        "quote": quote,
        "lines": quote.lines.select_related("product"),
        "default_to": contact_first_email(contact),
        "can_write": has_permission(request.user, "write", "deals"),
    }
    return render(request, "sales/quote_detail.html", context)


@login_required
def quote_pdf_view(request: AuthenticatedRequest, quote_id: int) -> HttpResponse:
    require_permission(request.user, "read", "deals")
    quote = _visible_quote(request, quote_id)
    response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="quote-{quote.number}.pdf"'
    return response


@login_required
@require_POST
def quote_send_view(request: AuthenticatedRequest, quote_id: int) -> HttpResponse:
    require_permission(request.user, "write", "deals")
    quote = _visible_quote(request, quote_id)
    try:
        quote_send(
            actor=request.user,
            quote=quote,
            to=request.POST.get("to", ""),
            message=request.POST.get("message", ""),
        )
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("The quote was emailed."))
    return redirect("sales:quote_detail", quote.pk)


@login_required
@require_POST
def quote_decide_view(request: AuthenticatedRequest, quote_id: int) -> HttpResponse:
    require_permission(request.user, "write", "deals")
    quote = _visible_quote(request, quote_id)
    try:
        quote_decide(
            actor=request.user,
            quote=quote,
            accepted=request.POST.get("decision") == "accepted",
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("The customer's answer was recorded."))
    return redirect("sales:quote_detail", quote.pk)
