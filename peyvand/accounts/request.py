"""The request type of views behind ``login_required`` (and of API endpoints behind auth)."""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class AuthenticatedRequest(HttpRequest):
    """An ``HttpRequest`` whose ``user`` is a signed-in ``User`` (never anonymous)."""

    user: User
    LANGUAGE_CODE: str
