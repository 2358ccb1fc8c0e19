"""Writes for users, teams and visibility settings (administrators only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.timeline.events import event_record, field_changes, snapshot

from .models import Role, Team, User, VisibilityPolicy
from .permissions import require_permission

USER_FIELDS = ("username", "first_name", "last_name", "email", "role", "language", "is_active")


def _require_admin(actor: User | None) -> None:
    if actor is not None:
        require_permission(actor, "write", "settings")


def user_create(
    *,
    actor: User | None,
    values: Mapping[str, Any],
    password: str | None = None,
    teams: Sequence[Team] = (),
) -> User:
    """Create a user; a password is validated by Django's password rules."""
    _require_admin(actor)
    user = User(**{key: value for key, value in values.items() if key in USER_FIELDS})
    errors: dict[str, list[ValidationError]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        errors.update(error.error_dict)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as error:
            errors["password"] = list(error.error_list)
    elif actor is not None:
        errors["password"] = [
            ValidationError(_("Set a password for the new user."), code="required")
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.is_staff = user.role == Role.ADMIN
        user.save()
        user.teams.set(teams)
        event_record(
            actor=actor,
            verb="user.created",
            subject=user,
            summary=user.username,
            payload={"changes": field_changes({}, snapshot(user, USER_FIELDS))},
        )
    return user


def user_update(
    *,
    actor: User | None,
    user: User,
    values: Mapping[str, Any],
    teams: Sequence[Team] | None = None,
) -> User:
    """Change a user's details, role, language, activity or teams."""
    _require_admin(actor)
    with transaction.atomic():
        before = snapshot(user, USER_FIELDS)
        before["teams"] = sorted(user.teams.values_list("id", flat=True))
        for key, value in values.items():
            if key in USER_FIELDS:
                setattr(user, key, value)
        if actor is not None and actor.pk == user.pk and not user.is_active:
            raise ValidationError({"is_active": [_("You cannot deactivate your own account.")]})
        user.full_clean(exclude=["password"])
        user.is_staff = user.is_superuser or user.role == Role.ADMIN
        user.save()
        if teams is not None:
            user.teams.set(teams)
        after = snapshot(user, USER_FIELDS)
        after["teams"] = sorted(user.teams.values_list("id", flat=True))
        changes = field_changes(before, after)
        if changes:
            event_record(
                actor=actor,
                verb="user.updated",
                subject=user,
                summary=user.username,
                payload={"changes": changes},
            )
    return user


def user_set_language(*, user: User, language: str) -> User:
    """A user's own choice of interface language (any user may change their own)."""
    if language not in {"fa", "en"}:
        raise ValidationError({"language": [_("Choose Persian or English.")]})
    user.language = language
    user.save(update_fields=["language"])
    return user


def team_save(*, actor: User | None, values: Mapping[str, Any], team: Team | None = None) -> Team:
    """Create or rename a team."""
    _require_admin(actor)
    team = team or Team()
    before = snapshot(team, ("name", "description")) if team.pk else {}
    team.name = str(values.get("name", team.name)).strip()
    team.description = str(values.get("description", team.description or "")).strip()
    team.full_clean()
    with transaction.atomic():
        is_new = team.pk is None
        team.save()
        event_record(
            actor=actor,
            verb="team.created" if is_new else "team.updated",
            subject=team,
            summary=team.name,
            payload={"changes": field_changes(before, snapshot(team, ("name", "description")))},
        )
    return team


def visibility_set(*, actor: User | None, object_type: str, level: str) -> VisibilityPolicy:
    """Set who sees records of a type: private, team or everyone."""
    _require_admin(actor)
    with transaction.atomic():
        policy, _created = VisibilityPolicy.objects.get_or_create(object_type=object_type)
        before = policy.level if not _created else None
        policy.level = level
        policy.full_clean()
        policy.save()
        event_record(
            actor=actor,
            verb="visibility.changed",
            subject=policy,
            summary=f"{object_type}: {level}",
            payload={"changes": {"level": [before, level]}},
        )
    return policy


def user_set_password(*, actor: User | None, user: User, password: str) -> User:
    """Set a user's password after Django's password rules; an event records that it changed."""
    _require_admin(actor)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": list(error.error_list)}) from error
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        event_record(actor=actor, verb="user.password_set", subject=user, summary=user.username)
    return user
