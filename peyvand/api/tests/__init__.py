"""Tests of the REST API at ``/api/v1/``, and the small helpers its modules share.

Users here are made with :func:`quick_user`, without hashing a password: Argon2 costs about
0.15 s a user, and the permission matrix alone makes hundreds of users.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from django.test import Client

from peyvand.accounts.models import Role, Team, User
from peyvand.accounts.tokens import api_token_create

API = "/api/v1"
ALL_SCOPES = ("*:read", "*:write", "*:delete")

_usernames = itertools.count(1)
_PERSIAN_LETTERS_RE = re.compile(r"[\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc]")


def quick_user(role: str = Role.SALES, teams: Iterable[Team] = (), **extra: Any) -> User:
    """An active user with ``role`` in ``teams`` (no usable password; tokens need none)."""
    user = User.objects.create(username=f"api-user-{next(_usernames)}", role=role, **extra)
    teams = list(teams)
    if teams:
        user.teams.set(teams)
    return user


def token_client(
    user: User,
    scopes: Iterable[str] = ALL_SCOPES,
    language: str = "en",
    **client_options: Any,
) -> Client:
    """A test client whose requests carry a fresh bearer token of ``user``."""
    _token, plain = api_token_create(user=user, name="api test", scopes=tuple(scopes))
    return Client(
        HTTP_AUTHORIZATION=f"Bearer {plain}", HTTP_ACCEPT_LANGUAGE=language, **client_options
    )


def post_json(client: Client, path: str, data: Any) -> HttpResponse:
    return client.post(f"{API}{path}", json.dumps(data), content_type="application/json")


def patch_json(client: Client, path: str, data: Any) -> HttpResponse:
    return client.patch(f"{API}{path}", json.dumps(data), content_type="application/json")


def get(client: Client, path: str, params: dict[str, Any] | None = None) -> HttpResponse:
    return client.get(f"{API}{path}", params or {})


def delete(client: Client, path: str) -> HttpResponse:
    return client.delete(f"{API}{path}")


def without_times(body: dict[str, Any], *names: str) -> dict[str, Any]:
    """``body`` without its server-set timestamps (``created_at``/``updated_at`` by default)."""
    drop = set(names or ("created_at", "updated_at"))
    return {key: value for key, value in body.items() if key not in drop}


def has_persian_letters(text: str) -> bool:
    return bool(_PERSIAN_LETTERS_RE.search(text))


def national_id_for(first_nine: str) -> str:
    """A valid 10-digit national ID (کد ملی) that starts with ``first_nine``.

    Written out here from the published rule rather than imported, so the tests do not
    trust the code they test: weights 10..2, remainder r of 11, check digit r if r < 2
    else 11 - r.
    """
    remainder = sum(
        int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True)
    )
    remainder %= 11
    return first_nine + str(remainder if remainder < 2 else 11 - remainder)


def company_national_id_for(first_ten: str) -> str:
    """A valid 11-digit company national ID (شناسه ملی) that starts with ``first_ten``.

    The rule: add (tenth digit + 2) to each of the first ten digits, weight them
    29, 27, 23, 19, 17, 29, 27, 23, 19, 17, sum, take the remainder of 11; 10 becomes 0.
    """
    shift = int(first_ten[9]) + 2
    weights = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)
    remainder = sum((int(d) + shift) * w for d, w in zip(first_ten, weights, strict=True)) % 11
    return first_ten + str(0 if remainder == 10 else remainder)
