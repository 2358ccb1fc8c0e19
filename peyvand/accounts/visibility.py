"""Record-level visibility: every selector narrows its queryset through ``scope_by_owner``.

Rules, per object type (``VisibilityPolicy``):
- administrators see everything;
- everyone sees the records they own;
- managers also see records owned by members of their teams;
- level ``team``: members see records owned by anyone who shares a team with them;
- level ``everyone``: every active user sees every record, owned or not.
Records with no owner are visible to administrators and managers, and to everyone under
level ``everyone``. Key accounts add one rule: a company marked as a key account with an
account team, and the contacts and deals of that company, are visible to every member of
that team whatever the level (``account_team_field`` names the path to the team).
Anonymous or inactive users see nothing: scoping fails closed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model, Q, QuerySet

from .models import ObjectType, Role, VisibilityLevel, VisibilityPolicy

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User

M = TypeVar("M", bound=Model)


def visibility_level(object_type: str) -> str:
    """The configured level for an object type; ``team`` when none is set."""
    policy = VisibilityPolicy.objects.filter(object_type=object_type).first()
    return policy.level if policy else VisibilityLevel.TEAM


def teammate_ids(user: User) -> QuerySet[User, int]:
    from .models import User as UserModel

    return UserModel.objects.filter(teams__in=user.teams.all()).values_list("id", flat=True)


def visibility_filter(
    user: User | AnonymousUser | None,
    object_type: ObjectType | str,
    owner_field: str = "owner",
    account_team_field: str | None = None,
) -> Q | None:
    """The Q that keeps only visible records; ``None`` means no restriction (admin / everyone).

    Raises nothing: an anonymous or inactive user gets a filter that matches no row.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser or user.role == Role.ADMIN:
        return None
    level = visibility_level(str(object_type))
    if level == VisibilityLevel.EVERYONE:
        return None
    visible = Q(**{f"{owner_field}_id": user.pk})
    if user.role == Role.MANAGER:
        visible |= Q(**{f"{owner_field}__in": teammate_ids(user)})
        visible |= Q(**{f"{owner_field}__isnull": True})
    elif level == VisibilityLevel.TEAM:
        visible |= Q(**{f"{owner_field}__in": teammate_ids(user)})
    if account_team_field is not None:
        key_account_flag = account_team_field.removesuffix("account_team") + "is_key_account"
        visible |= Q(
            **{
                f"{account_team_field}__in": user.teams.values_list("id", flat=True),
                key_account_flag: True,
            }
        )
    return visible


def scope_by_owner(
    queryset: QuerySet[M],
    user: User | AnonymousUser | None,
    object_type: ObjectType | str,
    owner_field: str = "owner",
    account_team_field: str | None = None,
) -> QuerySet[M]:
    """Narrow ``queryset`` to the records ``user`` may see."""
    condition = visibility_filter(user, object_type, owner_field, account_team_field)
    if condition is None:
        return queryset
    return queryset.filter(condition)


def owners_visible_to(user: User, object_type: ObjectType | str) -> QuerySet[User]:
    """Active users whose records of ``object_type`` ``user`` sees (the mirror of the rules
    above): handing a record to anyone else would make it vanish from the user's view."""
    from .models import User as UserModel

    users = UserModel.objects.filter(is_active=True)
    if not user.is_authenticated or not user.is_active:
        return users.none()
    if user.is_superuser or user.role == Role.ADMIN:
        return users
    level = visibility_level(str(object_type))
    if level == VisibilityLevel.EVERYONE:
        return users
    if user.role == Role.MANAGER or level == VisibilityLevel.TEAM:
        return users.filter(Q(pk=user.pk) | Q(pk__in=teammate_ids(user))).distinct()
    return users.filter(pk=user.pk)
