"""Fast bulk reads and writes: PostgreSQL ``COPY`` and arrays where available, the ORM elsewhere.

Django's ``bulk_create`` spends tens of microseconds per field preparing values; for imports
of millions of rows that dominates. Here rows are plain dicts of column values (attnames,
e.g. ``owner_id``): on PostgreSQL ids are taken from the table's sequence in one query and
the rows are streamed with ``COPY`` in its text format, encoded here (a few times cheaper
than psycopg's per-value adaptation); on other databases model instances are created with
``bulk_create``. Either way the caller gets the new primary keys, in order.

:func:`links_insert` adds many-to-many links, ignoring those that exist, in one statement on
PostgreSQL. :func:`values_matching` looks many values up in one column: one query with a
single array parameter (``= ANY(%s)``) on PostgreSQL, where an ``IN`` list of thousands of
placeholders costs more to build, send and parse than to run; chunks of ``IN`` elsewhere.
:func:`list_items_matching` does the same for the items of a JSON list column.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.lookups import Lookup
from django.utils import timezone

# Values per ``IN (…)`` query where arrays are not available (SQLite allows 32766 parameters
# per statement; Django still assumes 999 for its own bulk operations).
IN_CHUNK = 900
# Rows encoded before each write to the ``COPY`` stream.
_COPY_CHUNK = 2000

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _copy_text(value: str) -> str:
    # Most values have nothing to escape: one scan instead of a per-character translation.
    return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


def _copy_float(value: float) -> str:
    if math.isfinite(value):
        return float.__repr__(value)
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _copy_iso(value: datetime.date | datetime.time) -> str:
    return value.isoformat()


# A value's text in ``COPY`` text format, by its exact type; any other type (a subclass,
# or a type psycopg knows and these do not) is written by psycopg's own text dumper.
_COPY_TEXT: dict[type, Callable[[Any], str]] = {
    str: _copy_text,
    int: str,
    bool: lambda value: "t" if value else "f",
    float: _copy_float,
    decimal.Decimal: str,
    datetime.datetime: _copy_iso,
    datetime.date: _copy_iso,
    uuid.UUID: str,
}


def _copy_encoder(cursor: Any) -> Callable[[Any], str]:
    """A function writing a value as a field of a ``COPY … FROM STDIN`` text-format line."""
    from psycopg.adapt import PyFormat, Transformer

    transformer = Transformer.from_context(cursor)

    def encode(value: Any) -> str:
        if value is None:
            return "\\N"
        known = _COPY_TEXT.get(type(value))
        if known is not None:
            return known(value)
        dumped = transformer.get_dumper(value, PyFormat.TEXT).dump(value)
        return bytes(dumped or b"").decode().translate(_COPY_ESCAPES)

    return encode


def _copy_json(value: Any) -> str:
    """A JSON column's value: its JSON text (``null`` for ``None``, as psycopg's ``Jsonb``)."""
    return _copy_text(json.dumps(value, ensure_ascii=False))


def _defaults(model: type[models.Model]) -> dict[str, Any]:
    """Each concrete field's default, or its auto_now value, by attname."""
    now = timezone.now()
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values[field.attname] = now
        else:
            # The declared default, "" for text fields, None for nullable ones.
            values[field.attname] = field.get_default()
    return values


def insert_rows(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, need_ids: bool = True
) -> list[int]:
    """Insert ``rows`` (attname → value; missing fields take their defaults).

    Returns the new primary keys in the order of ``rows`` (empty when ``need_ids`` is false
    on PostgreSQL, where ids are then left to the database).
    """
    if not rows:
        return []
    defaults = _defaults(model)
    if connection.vendor != "postgresql":
        created = model._default_manager.bulk_create(
            [model(**{**defaults, **row}) for row in rows], batch_size=500
        )
        return [int(obj.pk) for obj in created]
    table = model._meta.db_table
    pk_column = model._meta.pk.column if model._meta.pk else "id"
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    ids: list[int] = []
    with connection.cursor() as cursor:
        encode_value = _copy_encoder(cursor.cursor)
        if need_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        offset = 1 if need_ids else 0
        # Per column: where it sits in a line and how its values are written. A line starts
        # as the defaults (written once per call); each row replaces only its own keys.
        slots = {
            field.attname: (
                offset + index,
                _copy_json if isinstance(field, models.JSONField) else encode_value,
            )
            for index, field in enumerate(fields)
        }
        template = ["\\N"] * offset + [
            slots[field.attname][1](defaults[field.attname]) for field in fields
        ]
        columns = ([pk_column] if need_ids else []) + [field.column for field in fields]
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        statement = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
        with cursor.copy(statement) as copy:
            lines: list[str] = []
            for index, row in enumerate(rows):
                line = template.copy()
                if need_ids:
                    line[0] = str(ids[index])
                for name, value in row.items():
                    slot = slots.get(name)
                    if slot is not None:  # keys that are not columns are ignored
                        line[slot[0]] = slot[1](value)
                lines.append("\t".join(line))
                if len(lines) >= _COPY_CHUNK:
                    copy.write("\n".join(lines) + "\n")
                    lines = []
            if lines:
                copy.write("\n".join(lines) + "\n")
    return ids


def links_insert(
    through: type[models.Model], left: str, right: str, pairs: Iterable[tuple[int, int]]
) -> int:
    """Add rows ``(left, right)`` of a many-to-many ``through`` table (attnames, e.g.
    ``contact_id``, ``tag_id``), skipping pairs that exist; returns how many were given."""
    unique = list(dict.fromkeys(pairs))
    if not unique:
        return 0
    if connection.vendor != "postgresql":
        through._default_manager.bulk_create(
            [through(**{left: first, right: second}) for first, second in unique],
            ignore_conflicts=True,
            batch_size=2000,
        )
        return len(unique)
    meta = through._meta
    quote = connection.ops.quote_name
    columns = {field.attname: str(field.column) for field in meta.concrete_fields}
    left_column, right_column = columns[left], columns[right]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({quote(left_column)}, {quote(right_column)}) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING",
            [[first for first, _ in unique], [second for _, second in unique]],
        )
    return len(unique)


class AnyOf(Lookup):
    """``column = ANY(%s)`` with the values as one array parameter (PostgreSQL only).

    Integers are sent as ``bigint[]``: psycopg would pick the smallest integer type that
    holds them, and ``bigint = ANY(smallint[])`` is compared element by element for every
    row instead of through a hash of the array (seconds instead of milliseconds)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        field = self.lhs.output_field
        if isinstance(field, models.ForeignKey):
            field = field.target_field
        cast = "::bigint[]" if isinstance(field, models.IntegerField) else ""
        return f"%s{cast}", [list(value)]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def filter_values(queryset: QuerySet[Any], field: str, values: Iterable[Any]) -> QuerySet[Any]:
    """``queryset`` where ``field`` is one of ``values``: an array parameter on PostgreSQL,
    an ``IN`` list elsewhere (keep those under :data:`IN_CHUNK`, see
    :func:`values_matching`)."""
    if connection.vendor == "postgresql":
        return queryset.filter(AnyOf(F(field), list(values)))
    return queryset.filter(**{f"{field}__in": list(values)})


def values_matching(
    queryset: QuerySet[Any], field: str, values: Iterable[Any], *columns: str
) -> list[tuple[Any, ...]]:
    """``columns`` of the rows of ``queryset`` whose ``field`` is one of ``values``: one
    query on PostgreSQL, one per :data:`IN_CHUNK` values elsewhere."""
    wanted = list(values)
    if not wanted:
        return []
    if connection.vendor == "postgresql":
        return list(filter_values(queryset, field, wanted).order_by().values_list(*columns))
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        found += queryset.filter(**{f"{field}__in": chunk}).order_by().values_list(*columns)
    return found


def list_items_matching(
    queryset: QuerySet[Any], field: str, values: Iterable[str], *columns: str
) -> list[tuple[Any, ...]]:
    """``columns`` of the rows of ``queryset`` whose JSON list of strings ``field`` holds one
    of ``values``. On PostgreSQL one query with the values as one array parameter, probing
    a GIN index on the column once per value (``field @> [value]``: 20 ms for 5,000 values
    among 200,000 rows, where ``field ?| array`` rechecks every array against every
    candidate row, 0.44 s); ``json_each`` per :data:`IN_CHUNK` values elsewhere."""
    wanted = list(values)
    if not wanted:
        return []
    model = queryset.model
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field).column)
    key = connection.ops.quote_name(model._meta.pk.column)
    if connection.vendor == "postgresql":
        # The ids first, on their own: as a subquery the planner flattens it into a semi
        # join probing every row of the table (147 s for the case above).
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT {table}.{key} FROM unnest(%s::text[]) AS wanted(item) "
                f"JOIN {table} ON {table}.{column} @> jsonb_build_array(wanted.item)",
                [wanted],
            )
            ids = [row[0] for row in cursor.fetchall()]
        return values_matching(queryset, "pk", ids, *columns)
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        holding = RawSQL(
            f"SELECT {table}.{key} FROM {table}, json_each({table}.{column}) "
            f"WHERE json_each.value IN ({', '.join(['%s'] * len(chunk))})",
            chunk,
        )
        found += queryset.filter(pk__in=holding).order_by().values_list(*columns)
    return found


def analyze_if_stale(*tables: type[models.Model]) -> list[str]:
    """``ANALYZE`` those of ``tables`` (PostgreSQL only) that changed more since their last
    analysis than they held then (plus 10,000 rows); returns the tables analyzed.

    A bulk writer grows tables faster than autovacuum (or with it turned off) refreshes
    their statistics, and the planner then plans each batch's lookups for a table a hundred
    times smaller: a scan of every contact instead of 5,000 index probes. The threshold
    (the table at least doubled) keeps it to a few cheap analyses per import (each reads a
    fixed sample of 30,000 rows).
    """
    if connection.vendor != "postgresql" or not tables:
        return []
    names = [model._meta.db_table for model in tables]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "WHERE s.relname = ANY(%s) "
            "AND s.n_mod_since_analyze > 10000 + greatest(c.reltuples, 0)",
            [names],
        )
        stale = [name for (name,) in cursor.fetchall()]
        for name in stale:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")
    return stale
