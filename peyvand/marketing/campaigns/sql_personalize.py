"""Personalizing a campaign's messages inside PostgreSQL: each variant's subject and bodies
compiled into one SQL expression over the recipient's contact row, so a chunk of messages
is queued by one ``INSERT … SELECT`` and no recipient becomes a Python object.

The SQL must give exactly what :class:`~.personalize.VariantRenderer` gives. It does so for
the placeholders it knows (names, today's date, the unsubscribe link, ``custom.<key>``) and
for rows it can prove it renders alike; every other row (a custom value that is a number,
a name with surrounding spaces, a language with no date text here) is left to the Python
renderer by :attr:`SqlPlan.exact_condition`. A template naming anything else (another
placeholder a later feature adds, or a deeper ``custom.a.b``) gets no plan at all, and the
whole campaign renders in Python."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

from django.conf import settings

from peyvand.messaging.outbox import template_parts

from .personalize import placeholder_values

# The contact's columns, as the launch query aliases them (``c`` is contacts_contact).
_FIRST = "c.first_name"
_LAST = "c.last_name"
_FULL = (
    f"CASE WHEN {_FIRST} = '' THEN {_LAST} WHEN {_LAST} = '' THEN {_FIRST} "
    f"ELSE {_FIRST} || ' ' || {_LAST} END"
)
_HTML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;"))


@functools.cache
def _edge_whitespace_pattern() -> str:
    """A PostgreSQL regular expression matching text that starts or ends with a character
    Python's ``str.strip()`` removes (those rows' full names are left to Python)."""
    spaces = "".join(chr(code) for code in range(0x3001) if chr(code).isspace())
    return f"^[{spaces}]|[{spaces}]$"


def _escaped(expression: str) -> str:
    """``expression`` HTML-escaped as :func:`django.utils.html.escape` does."""
    for char, entity in _HTML_ESCAPES:
        quoted_char = char.replace("'", "''")
        expression = f"replace({expression}, '{quoted_char}', '{entity}')"
    return expression


@dataclass
class SqlPlan:
    """The SQL of one campaign's variants and the condition for rows it renders exactly."""

    # variant id → (subject, body_text, body_html) expressions, each with its parameters
    variants: dict[int, tuple[tuple[str, list[object]], ...]] = field(default_factory=dict)
    conditions: list[tuple[str, list[object]]] = field(default_factory=list)

    @property
    def exact_condition(self) -> tuple[str, list[object]]:
        if not self.conditions:
            return "TRUE", []
        sql = " AND ".join(f"({condition})" for condition, _ in self.conditions)
        return sql, [param for _, params in self.conditions for param in params]

    def variant_case(self, index: int) -> tuple[str, list[object]]:
        """``CASE r.variant_id WHEN … END`` for the subject (0), text (1) or HTML body (2)."""
        sql, params = ["CASE r.variant_id"], []
        for variant_id, expressions in self.variants.items():
            expression, expression_params = expressions[index]
            sql.append(f"WHEN {int(variant_id)} THEN {expression}")
            params.extend(expression_params)
        sql.append("END")
        return " ".join(sql), params


class _Compiler:
    """Turns templates into SQL, collecting the row conditions the placeholders need."""

    def __init__(self, *, channel: str, today: datetime.date) -> None:
        self.channel = channel
        self.today = today
        self.known = set(
            placeholder_values(
                channel=channel,
                first_name="",
                last_name="",
                custom_fields=None,
                language="",
                today=today,
            )
        )
        self.conditions: dict[str, tuple[str, list[object]]] = {}

    def value(self, name: str) -> tuple[str, list[object]] | None:
        """The SQL of one placeholder's text, or None when only Python can render it."""
        head, _, rest = name.partition(".")
        if head not in self.known:
            return "''", []  # unknown names render empty
        if head == "custom":
            if not rest or "." in rest:
                return None
            self._custom_condition(rest)
            return "COALESCE(c.custom_fields ->> %s::text, '')", [rest]
        if head not in {"first_name", "last_name", "full_name", "today", "unsubscribe_url"}:
            return None
        if rest:
            return "''", []  # a dotted path into text renders empty
        if head == "first_name":
            return _FIRST, []
        if head == "last_name":
            return _LAST, []
        if head == "full_name":
            pattern = _edge_whitespace_pattern()
            self.conditions["full_name"] = (
                f"{_FIRST} !~ %s AND {_LAST} !~ %s",
                [pattern, pattern],
            )
            return _FULL, []
        if head == "today":
            return self._today()
        unsubscribe = placeholder_values(
            channel=self.channel,
            first_name="",
            last_name="",
            custom_fields=None,
            language="",
            today=self.today,
        )["unsubscribe_url"]
        return "%s", [str(unsubscribe)]

    def _custom_condition(self, key: str) -> None:
        self.conditions.setdefault(
            "custom_object",
            (
                "c.custom_fields IS NULL OR jsonb_typeof(c.custom_fields) IN ('object', 'null')",
                [],
            ),
        )
        self.conditions[f"custom:{key}"] = (
            "COALESCE(jsonb_typeof(c.custom_fields -> %s::text), 'null') IN ('string', 'null')",
            [key],
        )

    def _today(self) -> tuple[str, list[object]]:
        languages = ["", *(code for code, _ in settings.LANGUAGES)]
        texts = {
            language: str(
                placeholder_values(
                    channel=self.channel,
                    first_name="",
                    last_name="",
                    custom_fields=None,
                    language=language,
                    today=self.today,
                )["today"]
            )
            for language in languages
        }
        self.conditions["today"] = (
            f"c.language IN ({', '.join(['%s'] * len(languages))})",
            list(languages),
        )
        sql = ["CASE c.language"]
        params: list[object] = []
        for language, text in texts.items():
            sql.append("WHEN %s THEN %s")
            params.extend([language, text])
        sql.append("END")
        return " ".join(sql), params

    def template(self, text: str, *, html: bool) -> tuple[str, list[object]] | None:
        pieces: list[str] = []
        params: list[object] = []
        for part in template_parts(text):
            if part.name is None:
                pieces.append("%s")
                params.append(part.text)
                continue
            compiled = self.value(part.name)
            if compiled is None:
                return None
            expression, expression_params = compiled
            pieces.append(_escaped(expression) if html else expression)
            params.extend(expression_params)
        if not pieces:
            return "''", []
        return "(" + " || ".join(pieces) + ")", params


def sql_plan(
    *, channel: str, today: datetime.date, variants: dict[int, tuple[str, str, str]]
) -> SqlPlan | None:
    """The SQL for these variants (id → subject, text body, HTML body), or None when some
    placeholder can only be rendered in Python."""
    compiler = _Compiler(channel=channel, today=today)
    plan = SqlPlan()
    for variant_id, (subject, body_text, body_html) in variants.items():
        compiled_subject = compiler.template(subject, html=False)
        compiled_text = compiler.template(body_text, html=False)
        compiled_html = compiler.template(body_html, html=True)
        if compiled_subject is None or compiled_text is None or compiled_html is None:
            return None
        subject_sql, subject_params = compiled_subject
        plan.variants[variant_id] = (
            (f"left({subject_sql}, 250)", subject_params),
            compiled_text,
            compiled_html,
        )
    plan.conditions = list(compiler.conditions.values())
    return plan
