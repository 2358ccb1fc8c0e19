"""Fixtures shared by every app's tests."""

from __future__ import annotations

import email
import email.policy
import os
import socket
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache
from django.db import connections
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


# Browser tests: Debian's chromium driven by Playwright (installed by `make browser`).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page(live_server: object) -> Iterator[object]:
    """A Chromium page (Persian locale, 1280×900) for tests against ``live_server``."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: run `make browser` (the test set-up does).")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # are still synchronous and on their own connection.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fa-IR", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()
        # ORM calls made while Playwright's loop runs get their own connection (Django keys
        # connections by context); close it here, in that same context.
        connections.close_all()


# Email: a local SMTP server (aiosmtpd) that keeps what it receives.
class _Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[_Inbox, int]]:
    """A real SMTP server on a free local port: ``(inbox, port)``; point Django at it with
    ``override_settings(EMAIL_BACKEND=…smtp…, EMAIL_HOST="127.0.0.1", EMAIL_PORT=port)`` or
    use ``smtp_settings``."""
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(smtp_inbox: tuple[_Inbox, int], settings: Any) -> _Inbox:
    """Django sends over real SMTP to the local ``smtp_inbox`` server; returns the inbox."""
    inbox, port = smtp_inbox
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    return inbox
