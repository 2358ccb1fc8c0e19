"""What each role may do, per area of the product. Record visibility lives in ``visibility``.

One table answers "may this user read/write/delete in this area?" for pages, the API and
services alike; an API token narrows it further with its scopes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User

Area = Literal[
    "contacts",
    "companies",
    "timeline",
    "tasks",
    "leads",
    "deals",
    "products",
    "pipelines",
    "tickets",
    "articles",
    "orders",
    "settings",
    "marketing",
]
Action = Literal["read", "write", "delete"]

AREAS: tuple[Area, ...] = (
    "contacts",
    "companies",
    "timeline",
    "tasks",
    "leads",
    "deals",
    "products",
    "pipelines",
    "tickets",
    "articles",
    "orders",
    "settings",
    "marketing",
)

_WORKING_AREAS: frozenset[str] = frozenset({"contacts", "companies", "timeline", "tasks"})
# Everyone who talks to customers may log a ticket (a phone call to sales is one too).
_SERVICE: frozenset[str] = frozenset({"tickets"})
# Everyone signed in reads the knowledge base; support and managers write it.
_ARTICLES: frozenset[str] = frozenset({"articles"})
# Everyone who works in Peyvand reads the sales side; who may change it depends on the role.
_SALES_READ: frozenset[str] = frozenset({"leads", "deals", "products", "pipelines"})
# Orders mostly arrive from shops and imports; everyone reads them, managers and sellers
# (who take orders by phone) write them, managers delete.
_ORDERS: frozenset[str] = frozenset({"orders"})
# Segments (and later campaigns): everyone reads them (members are still scoped to the
# contacts each user may see); marketing and managers build and delete them.
_MARKETING: frozenset[str] = frozenset({"marketing"})

# role -> action -> areas
ROLE_GRANTS: dict[str, dict[str, frozenset[str]]] = {
    Role.ADMIN: {
        "read": frozenset(AREAS),
        "write": frozenset(AREAS),
        "delete": frozenset(AREAS),
    },
    Role.MANAGER: {
        "read": _WORKING_AREAS | _SALES_READ | _SERVICE | _ARTICLES | _ORDERS | _MARKETING,
        "write": _WORKING_AREAS | _SALES_READ | _SERVICE | _ARTICLES | _ORDERS | _MARKETING,
        "delete": _WORKING_AREAS | {"leads", "deals", "products", "tickets", "orders"} | _MARKETING,
    },
    Role.SALES: {
        "read": _WORKING_AREAS | _SALES_READ | _SERVICE | _ARTICLES | _ORDERS | _MARKETING,
        "write": _WORKING_AREAS | {"leads", "deals"} | _SERVICE | _ORDERS,
        "delete": frozenset({"tasks"}),
    },
    Role.SUPPORT: {
        "read": _WORKING_AREAS | _SALES_READ | _SERVICE | _ARTICLES | _ORDERS | _MARKETING,
        "write": _WORKING_AREAS | _SERVICE | _ARTICLES,
        "delete": frozenset({"tasks"}),
    },
    Role.MARKETING: {
        "read": _WORKING_AREAS | _SALES_READ | _SERVICE | _ARTICLES | _ORDERS | _MARKETING,
        "write": _WORKING_AREAS | {"leads"} | _MARKETING,
        "delete": frozenset({"tasks"}) | _MARKETING,
    },
    Role.READ_ONLY: {
        "read": _WORKING_AREAS | _SALES_READ | _SERVICE | _ARTICLES | _ORDERS | _MARKETING,
        "write": frozenset(),
        "delete": frozenset(),
    },
}


def has_permission(user: User | AnonymousUser | None, action: Action, area: Area) -> bool:
    """True when the user's role grants ``action`` in ``area`` (fails closed)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    grants = ROLE_GRANTS.get(user.role, {})
    if area not in grants.get(action, frozenset()):
        return False
    token_scopes: frozenset[str] | None = getattr(user, "token_scopes", None)
    if token_scopes is not None:
        return scope_allows(token_scopes, action, area)
    return True


def scope_allows(scopes: frozenset[str], action: Action, area: Area) -> bool:
    """A token scope ``area:write`` also allows reading; ``area:delete`` needs its own scope."""
    wanted = {f"{area}:{action}", f"*:{action}"}
    if action == "read":
        wanted |= {f"{area}:write", "*:write"}
    return bool(wanted & scopes)


def require_permission(user: User | AnonymousUser | None, action: Action, area: Area) -> None:
    """Raise ``PermissionDenied`` unless the user may do ``action`` in ``area``."""
    if not has_permission(user, action, area):
        raise PermissionDenied(_("You do not have permission to do this."))


def is_manager_of_teams(user: User) -> bool:
    return user.role == Role.MANAGER
