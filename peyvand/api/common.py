"""Pieces every router shares: the page envelope and resolving related ids safely."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import ValidationError as RequestValidationError

from peyvand.accounts.models import Team, User
from peyvand.common.pagination import Page, keyset_page
from peyvand.contacts.selectors import companies_visible_to, contacts_visible_to

if TYPE_CHECKING:
    from peyvand.contacts.models import Company, Contact

T = TypeVar("T")
M = TypeVar("M", bound=Model)

MAX_PAGE_SIZE = 200


class PageOut(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None


def resolve_relations(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Turn ``owner_id``/``company_id``/``contact_id``/``assignee_id``/``account_team_id``
    into objects.

    An id that does not exist or is not visible to ``user`` is a field error (never a hint
    that the object exists).
    """
    values = dict(data)
    errors: dict[str, list[ValidationError]] = {}

    def _not_found(field: str) -> None:
        errors[field] = [ValidationError(_("No such record."), code="does_not_exist")]

    for field, target in (("owner_id", "owner"), ("assignee_id", "assignee")):
        if field in values:
            user_id = values.pop(field)
            if user_id is None:
                values[target] = None
            else:
                found = User.objects.filter(pk=user_id, is_active=True).first()
                if found is None:
                    _not_found(field)
                else:
                    values[target] = found
    if "account_team_id" in values:
        team_id = values.pop("account_team_id")
        team = None if team_id is None else Team.objects.filter(pk=team_id).first()
        if team_id is not None and team is None:
            _not_found("account_team_id")
        values["account_team"] = team
    if "company_id" in values:
        company_id = values.pop("company_id")
        company: Company | None = None
        if company_id is not None:
            company = companies_visible_to(user).filter(pk=company_id).first()
            if company is None:
                _not_found("company_id")
        values["company"] = company
    if "contact_id" in values:
        contact_id = values.pop("contact_id")
        contact: Contact | None = None
        if contact_id is not None:
            contact = contacts_visible_to(user).filter(pk=contact_id).first()
            if contact is None:
                _not_found("contact_id")
        values["contact"] = contact
    if errors:
        raise ValidationError(errors)
    return values


def page_limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE_SIZE))


def cursor_page(
    queryset: QuerySet[M], *, ordering: list[str], cursor: str | None, limit: int
) -> Page[M]:
    """``keyset_page`` for an API list, with ``limit`` clamped to ``MAX_PAGE_SIZE``.

    A cursor that cannot be used is a 422 on the ``cursor`` query parameter, both when it does
    not decode and when it decodes to values of the wrong type for the sort fields (a cursor
    edited by hand: ``["abc"]`` for an id, ``null`` or ``"yesterday"`` for a time), which would
    otherwise fail inside the ORM as a 500.
    """
    try:
        return keyset_page(queryset, ordering=ordering, cursor=cursor, limit=page_limit(limit))
    except (ValidationError, ValueError, TypeError) as error:
        if not cursor:
            raise
        raise RequestValidationError(
            [{"loc": ("query", "cursor"), "msg": _("This cursor is not valid."), "type": "invalid"}]
        ) from error
