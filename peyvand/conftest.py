"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from peyvand.accounts.models import Role, Team, User
from peyvand.accounts.tests.factories import UserFactory
from peyvand.accounts.tokens import api_token_create


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 costs ~0.1 s a user and most tests make users; the tests about signing in
    (accounts/tests/test_auth.py) override this fixture to keep the real hashers."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Throttle counters live in the cache; every test starts with none."""
    cache.clear()


@pytest.fixture
def team(db: Any) -> Team:
    return Team.objects.create(name="فروش")


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(role: str = Role.SALES, teams: tuple[Team, ...] = (), **extra: Any) -> User:
        user = UserFactory(role=role, **extra)
        if teams:
            user.teams.set(teams)
        return user

    return make


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user(role=Role.ADMIN)


@pytest.fixture
def sales_user(make_user: Callable[..., User], team: Team) -> User:
    return make_user(role=Role.SALES, teams=(team,))


@pytest.fixture
def logged_in(client: Client) -> Callable[[User], Client]:
    def login(user: User) -> Client:
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_client(db: Any) -> Callable[..., Client]:
    """A client whose requests carry a bearer token of ``user`` with ``scopes``."""

    def make(
        user: User,
        scopes: tuple[str, ...] = ("*:read", "*:write", "*:delete"),
        language: str = "en",
    ) -> Client:
        _token, plain = api_token_create(user=user, name="test", scopes=scopes)
        return Client(HTTP_AUTHORIZATION=f"Bearer {plain}", HTTP_ACCEPT_LANGUAGE=language)

    return make
