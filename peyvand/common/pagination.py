"""Keyset (cursor) pagination: stable, index-friendly pages for lists of any size.

A cursor is an opaque token holding the sort values of the last row shown; the next page
is "rows after that one in sort order", so page 1,000 costs the same as page 1.
"""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import DateTimeField, Model, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Page(Generic[M]):
    """One page of rows and the cursor of the next page (``None`` on the last page)."""

    items: list[M]
    next_cursor: str | None


def _encode(values: list[Any]) -> str:
    raw = json.dumps(
        [value.isoformat() if isinstance(value, datetime.date) else value for value in values],
        ensure_ascii=False,
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, count: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ValidationError({"cursor": [_("This cursor is not valid.")]}) from error
    if not isinstance(values, list) or len(values) != count:
        raise ValidationError({"cursor": [_("This cursor is not valid.")]})
    return values


def _cursor_value(model_field: Any, raw: Any) -> Any:
    """``raw`` (from a cursor, so from anyone) as a value of ``model_field``, or an error.

    Sort fields are non-null, so ``None`` is never valid; nor is anything the field cannot
    convert (a forged cursor must give a 400-style error, not a crash in the query).
    """
    invalid = ValidationError({"cursor": [_("This cursor is not valid.")]})
    if raw is None or isinstance(raw, dict | list):
        raise invalid
    try:
        if isinstance(model_field, DateTimeField):
            value = parse_datetime(raw) if isinstance(raw, str) else None
            if value is None or value.tzinfo is None:
                raise invalid
            return value
        return model_field.to_python(raw)
    except (ValidationError, TypeError, ValueError) as error:
        raise invalid from error


def _after(ordering: list[str], values: list[Any], model: type[Model]) -> Q:
    """Rows strictly after ``values`` in ``ordering`` (lexicographic over the sort keys)."""
    condition = Q()
    equal_so_far = Q()
    for name, raw in zip(ordering, values, strict=True):
        field = name.lstrip("-")
        value = _cursor_value(model._meta.get_field(field), raw)
        lookup = "lt" if name.startswith("-") else "gt"
        condition |= equal_so_far & Q(**{f"{field}__{lookup}": value})
        equal_so_far &= Q(**{field: value})
    return condition


def keyset_page(
    queryset: QuerySet[M], *, ordering: list[str], cursor: str | None, limit: int
) -> Page[M]:
    """One page of ``queryset`` sorted by ``ordering`` (which must end in a unique field).

    Sort fields must be non-null; a bad cursor raises ``ValidationError`` on ``cursor``.
    """
    queryset = queryset.order_by(*ordering)
    if cursor:
        queryset = queryset.filter(_after(ordering, _decode(cursor, len(ordering)), queryset.model))
    rows = list(queryset[: limit + 1])
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit and items:
        last = items[-1]
        next_cursor = _encode([getattr(last, name.lstrip("-")) for name in ordering])
    return Page(items=items, next_cursor=next_cursor)
