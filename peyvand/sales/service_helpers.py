"""Small pieces every sales service shares: the role check, validation into field errors,
and telling a new owner that a record was assigned to them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model

from peyvand.accounts.models import Notification
from peyvand.accounts.permissions import Area, require_permission

if TYPE_CHECKING:
    from peyvand.accounts.models import User


def check_permission(actor: User | None, action: str, area: Area) -> None:
    """System writes (``actor`` None: web forms, the worker) skip the role check; people
    never do."""
    if actor is not None:
        require_permission(actor, action, area)  # type: ignore[arg-type]


def error(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def validate(
    instance: Model,
    errors: dict[str, list[ValidationError]] | None = None,
    *,
    exclude: Iterable[str] = (),
) -> None:
    """``full_clean`` merged with errors found earlier; raise them all at once, by field."""
    found = dict(errors or {})
    try:
        instance.full_clean(
            exclude=[*found.keys(), "search_text", *exclude],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as failure:
        for key, messages in failure.error_dict.items():
            found.setdefault(key, []).extend(messages)
    if found:
        raise ValidationError(found)


def notify_assignee(
    *, owner: User | None, actor: User | None, title: str, url: str, kind: str = "assignment"
) -> None:
    """An in-app notification for the new owner, unless they assigned it to themselves;
    created after the transaction commits, so a rolled-back save notifies nobody."""
    if owner is None or (actor is not None and actor.pk == owner.pk):
        return

    def _create() -> None:
        Notification.objects.create(user=owner, title=title[:250], url=url, kind=kind)

    transaction.on_commit(_create)


def text_value(value: Any) -> str:
    return "" if value is None else str(value).strip()
