"""API authentication: personal bearer tokens, or the browser session (with CSRF) for the UI."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja.security import HttpBearer, SessionAuth

from peyvand.accounts.tokens import api_token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer pv_…``: the token's user, narrowed to the token's scopes."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = api_token_authenticate(token)
        if api_token is None:
            return None
        user = api_token.user
        user.token_scopes = frozenset(api_token.scopes)  # type: ignore[attr-defined]
        if not request.headers.get("Accept-Language"):
            # The language middleware ran before we knew who is calling: use their choice.
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The logged-in UI user; CSRF is checked on unsafe methods by ``APIKeyCookie``."""

    def __call__(self, request: HttpRequest) -> Any:
        # Without a signed-in user there is no session for CSRF to protect: answer "not
        # authenticated" (401), not a CSRF failure (403), to a script with a bad or no token.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None
