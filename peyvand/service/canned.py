"""Canned responses: which ones an agent may use and edit, and filling their placeholders
from the ticket. Placeholders are plain ``{{ name }}`` words replaced by text (never a
template language: a canned text cannot run code or read other data)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role
from peyvand.accounts.permissions import require_permission
from peyvand.common.jalali import format_date
from peyvand.common.persian import clean_persian

from .models import CannedResponse, Ticket

if TYPE_CHECKING:
    from peyvand.accounts.models import User

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
PLACEHOLDERS = ("name", "first_name", "ticket", "subject", "agent", "company", "today")


def canned_visible_to(user: User) -> QuerySet[CannedResponse]:
    """Shared responses and the user's own."""
    return CannedResponse.objects.filter(Q(is_shared=True) | Q(owner=user)).select_related(
        "category"
    )


def canned_values(ticket: Ticket, agent: User) -> dict[str, str]:
    contact = ticket.contact
    return {
        "name": contact.full_name if contact else "",
        "first_name": (contact.first_name if contact else "") or "",
        "ticket": f"#{ticket.pk}",
        "subject": ticket.subject,
        "agent": agent.get_full_name() or agent.get_username(),
        "company": ticket.company.name if ticket.company else "",
        "today": format_date(timezone.localdate()),
    }


def canned_render(
    canned: CannedResponse, ticket: Ticket, agent: User, values: dict[str, str] | None = None
) -> str:
    """The response's text with its placeholders filled; unknown ones stay as typed.
    ``values`` (from :func:`canned_values`) saves rebuilding them for each response."""
    values = values if values is not None else canned_values(ticket, agent)

    def fill(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    return PLACEHOLDER.sub(fill, canned.body).strip()


def _may_edit(actor: User, canned: CannedResponse) -> bool:
    return canned.owner_id == actor.pk or actor.role in {Role.ADMIN, Role.MANAGER}


def canned_save(
    *, actor: User, values: Mapping[str, Any], canned: CannedResponse | None = None
) -> CannedResponse:
    """Create or change a canned response. Anyone who writes tickets keeps their own;
    only managers and administrators share one with everyone or edit others'."""
    require_permission(actor, "write", "tickets")
    if canned is not None and not _may_edit(actor, canned):
        raise ValidationError({"title": [_("Only its owner or a manager may change it.")]})
    record = canned or CannedResponse(owner=actor)
    record.title = clean_persian(str(values.get("title") or ""))[:150]
    record.body = clean_persian(str(values.get("body") or ""), multiline=True)
    record.category = values.get("category")
    wants_shared = bool(values.get("is_shared"))
    errors: dict[str, list[ValidationError]] = {}
    if wants_shared and actor.role not in {Role.ADMIN, Role.MANAGER}:
        errors["is_shared"] = [
            ValidationError(_("Only managers share responses with everyone."), "forbidden")
        ]
    record.is_shared = wants_shared
    unknown = sorted(set(PLACEHOLDER.findall(record.body)) - set(PLACEHOLDERS))
    if unknown:
        errors["body"] = [
            ValidationError(
                _("Unknown placeholder: %(names)s. Use: %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(PLACEHOLDERS)},
                "invalid",
            )
        ]
    try:
        record.full_clean(exclude=list(errors))
    except ValidationError as failure:
        for key, messages in failure.error_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        record.save()
    return record


def canned_delete(*, actor: User, canned: CannedResponse) -> None:
    require_permission(actor, "write", "tickets")
    if not _may_edit(actor, canned):
        raise ValidationError({"title": [_("Only its owner or a manager may change it.")]})
    canned.delete()
