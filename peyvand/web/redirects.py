"""Where a page goes after saving a record."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _


def redirect_after_save(
    request: HttpRequest, visible: QuerySet[Any], record: Model, detail: str, fallback: str
) -> HttpResponse:
    """Back to the record's page (``detail``), or to ``fallback`` (its list) when the save
    handed it to someone whose records this user does not see (the page would be a 404)."""
    if visible.filter(pk=record.pk).exists():
        messages.success(request, _("Saved."))
        return redirect(detail, record.pk)
    messages.info(
        request,
        _("Saved. It now belongs to %(owner)s and is not visible to you.")
        % {"owner": getattr(record, "owner", None) or _("nobody")},
    )
    return redirect(fallback)
