"""Order pages: the list (filters, keyset pages) and one order with its lines and refunds.
Orders change through shops, imports and the API, so the pages read (and cancel)."""

from __future__ import annotations

import datetime
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.common.jalali import parse_date
from peyvand.common.pagination import keyset_page
from peyvand.web.form_errors import flash_service_errors

from .forms import OrderImportForm
from .importing import ImportFileError, OrderImportResult, orders_import_file
from .models import OrderLine, OrderStatus
from .selectors import ORDER_ORDERING, orders_filtered, orders_visible_to
from .services import order_cancel

PAGE_SIZE = 50
_FILTER_KEYS = ("contact", "status", "source", "placed_from", "placed_to")


def _date(value: str) -> datetime.date | None:
    try:
        return parse_date(value) if value else None
    except ValidationError:
        return None


@login_required
def order_list(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "orders")
    filters = {key: str(request.GET[key]).strip() for key in _FILTER_KEYS if request.GET.get(key)}
    queryset = orders_filtered(
        request.user,
        {
            **filters,
            "placed_from": _date(filters.get("placed_from", "")),
            "placed_to": _date(filters.get("placed_to", "")),
        },
    ).select_related("contact")
    try:
        page = keyset_page(
            queryset,
            ordering=ORDER_ORDERING,
            cursor=request.GET.get("cursor") or None,
            limit=PAGE_SIZE,
        )
    except ValidationError:
        raise Http404 from None
    context = {
        "orders": page.items,
        "next_cursor": page.next_cursor,
        "next_query": urlencode({**filters, "cursor": page.next_cursor or ""}),
        "filters": filters,
        "statuses": [("purchase", _("Purchases")), *OrderStatus.choices],
        "can_import": has_permission(request.user, "write", "orders"),
    }
    return render(request, "commerce/order_list.html", context)


def _visible_order(request: AuthenticatedRequest, order_id: int) -> Any:
    order = (
        orders_visible_to(request.user)
        .select_related("contact")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related("product").order_by("position", "id"),
            ),
            "refunds",
        )
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise Http404
    return order


@login_required
def order_detail(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    require_permission(request.user, "read", "orders")
    order = _visible_order(request, order_id)
    context = {
        "order": order,
        "can_cancel": has_permission(request.user, "write", "orders")
        and order.status not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
        and order.refunded_total == 0,
    }
    return render(request, "commerce/order_detail.html", context)


@login_required
@require_POST
def order_cancel_view(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    require_permission(request.user, "write", "orders")
    order = _visible_order(request, order_id)
    try:
        order_cancel(actor=request.user, order=order, reason=str(request.POST.get("reason", "")))
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("The order was cancelled."))
    return redirect("commerce:order_detail", order_id=order.pk)


def _import_file(form: OrderImportForm, user: Any) -> OrderImportResult:
    """Run the import on the uploaded file (kept in a temporary file with its extension, which
    tells the reader its format)."""
    upload = form.cleaned_data["file"]
    suffix = Path(upload.name).suffix.lower()
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        return orders_import_file(
            path=handle.name,
            source=form.cleaned_data["source"],
            actor=user,
            dry_run=form.cleaned_data["dry_run"],
            owner=user,
        )


@login_required
def order_import(request: AuthenticatedRequest) -> HttpResponse:
    """Upload a file of order lines: a preview first, then the import; rejected rows come
    back as a CSV to download, fix and upload again."""
    require_permission(request.user, "write", "orders")
    form = OrderImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = _import_file(form, request.user)
        except ImportFileError as error:
            form.add_error("file", str(error))
        except ValidationError as error:
            form.add_error("file", " ".join(error.messages))
    context: dict[str, Any] = {"form": form, "result": result}
    if result is not None and result.rejected:
        # A BOM so that Excel reads the Persian text as UTF-8.
        context["rejects_href"] = "data:text/csv;charset=utf-8," + quote(
            "\ufeff" + result.rejects_csv()
        )
    return render(request, "commerce/order_import.html", context)
