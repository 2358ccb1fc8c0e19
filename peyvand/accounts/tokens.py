"""Personal API tokens: ``pv_<prefix>_<secret>``, of which only a SHA-256 hash is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiToken, User
from .permissions import AREAS

ACTIONS = ("read", "write", "delete")
ALL_SCOPES: tuple[str, ...] = tuple(
    f"{area}:{action}" for area in ("*", *AREAS) for action in ACTIONS
)
DEFAULT_SCOPES: tuple[str, ...] = ("*:read", "*:write")
TOKEN_PREFIX = "pv"
# Update last_used_at at most this often, so every request does not write a row.
_LAST_USED_RESOLUTION_SECONDS = 60


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    """Validate scope names like ``contacts:read`` or ``*:write``."""
    cleaned = sorted({scope.strip() for scope in scopes if scope.strip()})
    unknown = [scope for scope in cleaned if scope not in ALL_SCOPES]
    if unknown:
        raise ValidationError(
            {
                "scopes": [
                    ValidationError(
                        _("Unknown scope: %(scopes)s") % {"scopes": ", ".join(unknown)},
                        code="invalid_scope",
                    )
                ]
            }
        )
    if not cleaned:
        raise ValidationError(
            {"scopes": [ValidationError(_("Choose at least one scope."), code="required")]}
        )
    return cleaned


def api_token_create(
    *, user: User, name: str, scopes: Iterable[str] = DEFAULT_SCOPES
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the plain token, shown only once."""
    cleaned = clean_scopes(scopes)
    name = name.strip() or _("API token")
    with transaction.atomic():
        while True:
            prefix = secrets.token_hex(4)
            if not ApiToken.objects.filter(prefix=prefix).exists():
                break
        secret = secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=prefix, secret_hash=_hash(secret), scopes=cleaned
        )
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token; it stops working at once."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token for ``raw`` (user active, not revoked or expired), else ``None``."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    _kind, prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    now = timezone.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if (
        token.last_used_at is None
        or (now - token.last_used_at).total_seconds() > _LAST_USED_RESOLUTION_SECONDS
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
