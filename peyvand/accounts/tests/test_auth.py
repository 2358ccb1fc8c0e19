"""Signing in and out, throttling, passwords (reset over real SMTP), CSRF and language."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.test import Client, override_settings
from django.utils import translation

from peyvand.accounts.models import User
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-123"


@pytest.fixture(autouse=True)
def _fast_password_hashing() -> None:
    """Signing in is what these tests are about: keep the project's real (Argon2) hashers."""


def tr(message: str, language: str = "fa") -> str:
    with translation.override(language):
        return translation.gettext(message)


def login(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- login and throttling ---------------------------------------------------------------


class TestLogin:
    def test_login_page_and_successful_login(self, client: Client, sales_user: User) -> None:
        page = client.get("/accounts/login/")
        assert page.status_code == 200
        html = page.content.decode()
        assert 'id="login-form"' in html
        assert 'id="notification-bell"' not in html
        response = login(client, sales_user.username, PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == "/"
        assert client.session["_auth_user_id"] == str(sales_user.pk)
        assert client.get("/").status_code == 200

    def test_login_follows_a_local_next(self, client: Client, sales_user: User) -> None:
        response = client.post(
            "/accounts/login/",
            {"username": sales_user.username, "password": PASSWORD, "next": "/contacts/?q=x"},
        )
        assert response["Location"] == "/contacts/?q=x"

    @pytest.mark.parametrize(
        "target", ["https://evil.example", "//evil.example/path", "https:///evil.example"]
    )
    def test_login_does_not_follow_an_outside_next(
        self, client: Client, sales_user: User, target: str
    ) -> None:
        page = client.get("/accounts/login/", {"next": target})
        assert page.status_code == 200
        response = client.post(
            "/accounts/login/",
            {"username": sales_user.username, "password": PASSWORD, "next": target},
        )
        assert response.status_code == 302
        assert response["Location"] == "/"
        # already signed in: the login page sends you home, not away
        again = client.get("/accounts/login/", {"next": target})
        assert again.status_code == 302
        assert again["Location"] == "/"

    def test_wrong_password_and_inactive_user_are_refused(
        self, client: Client, make_user: Callable[..., User]
    ) -> None:
        user = make_user()
        wrong = login(client, user.username, "not-the-password")
        assert wrong.status_code == 200
        assert not is_logged_in(client)
        assert wrong.context["form"].non_field_errors()
        user.is_active = False
        user.save()
        assert login(client, user.username, PASSWORD).status_code == 200
        assert not is_logged_in(client)

    def test_username_is_throttled_after_the_allowed_failures(
        self, client: Client, sales_user: User
    ) -> None:
        attempts = settings.PEYVAND_LOGIN_ATTEMPTS
        assert attempts == 5
        for _attempt in range(attempts):
            assert login(client, sales_user.username, "wrong-password").status_code == 200
        # the right password no longer helps, from any address
        response = login(client, sales_user.username, PASSWORD, REMOTE_ADDR="10.9.8.7")
        assert response.status_code == 429
        assert not is_logged_in(client)
        errors = response.context["form"].non_field_errors()
        assert errors == [tr("Too many failed attempts. Wait a few minutes and try again.")]
        assert errors[0] in response.content.decode()
        # the same username typed differently is the same account
        shouted = login(client, f"  {sales_user.username.upper()} ", PASSWORD)
        assert shouted.status_code == 429

    def test_throttled_attempts_do_not_check_the_password(
        self, client: Client, sales_user: User
    ) -> None:
        """Once throttled, no password hash is computed: guessing stays cheap to refuse."""
        for _attempt in range(settings.PEYVAND_LOGIN_ATTEMPTS):
            login(client, sales_user.username, "wrong-password")
        checked: list[str] = []

        def record(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
            checked.append(credentials["username"])

        user_login_failed.connect(record)
        try:
            response = login(client, sales_user.username, "still-wrong")
        finally:
            user_login_failed.disconnect(record)
        assert response.status_code == 429
        assert checked == []
        assert f'value="{sales_user.username}"' in response.content.decode()

    @override_settings(PEYVAND_LOGIN_ATTEMPTS=3)
    def test_limit_comes_from_settings(self, client: Client, sales_user: User) -> None:
        for _attempt in range(3):
            assert login(client, sales_user.username, "wrong").status_code == 200
        assert login(client, sales_user.username, PASSWORD).status_code == 429

    def test_address_is_throttled_across_usernames(self, client: Client, sales_user: User) -> None:
        """Failures count per client address too: guessing many usernames is stopped."""
        assert settings.PEYVAND_LOGIN_ATTEMPTS_PER_ADDRESS == 20
        for number in range(settings.PEYVAND_LOGIN_ATTEMPTS_PER_ADDRESS):
            response = login(client, f"guess{number}", "wrong", REMOTE_ADDR="192.0.2.10")
            assert response.status_code == 200
        blocked = login(client, sales_user.username, PASSWORD, REMOTE_ADDR="192.0.2.10")
        assert blocked.status_code == 429
        assert not is_logged_in(client)
        # the account itself is not locked: from another address it signs in
        allowed = login(client, sales_user.username, PASSWORD, REMOTE_ADDR="192.0.2.11")
        assert allowed.status_code == 302
        assert is_logged_in(client)

    def test_success_resets_the_username_counter(self, client: Client, sales_user: User) -> None:
        attempts = settings.PEYVAND_LOGIN_ATTEMPTS
        for _attempt in range(attempts - 1):
            login(client, sales_user.username, "wrong", REMOTE_ADDR="198.51.100.1")
        assert (
            login(client, sales_user.username, PASSWORD, REMOTE_ADDR="198.51.100.2").status_code
            == 302
        )
        client.logout()
        assert (
            login(client, sales_user.username, "wrong", REMOTE_ADDR="198.51.100.3").status_code
            == 200
        )
        response = login(client, sales_user.username, PASSWORD, REMOTE_ADDR="198.51.100.3")
        assert response.status_code == 302


class TestLogout:
    def test_logout_is_post_only(self, logged_in: Any, sales_user: User) -> None:
        client = logged_in(sales_user)
        assert client.get("/accounts/logout/").status_code == 405
        assert is_logged_in(client)
        response = client.post("/accounts/logout/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/"
        assert not is_logged_in(client)
        assert client.get("/").status_code == 302


# --- passwords ---------------------------------------------------------------------------


class TestPasswordChange:
    def test_change_password(self, logged_in: Any, sales_user: User) -> None:
        client = logged_in(sales_user)
        page = client.get("/accounts/password/change/")
        assert page.status_code == 200
        assert page.templates[0].name == ("accounts/password/form.html")
        assert 'id="notification-bell"' in page.content.decode()
        wrong = client.post(
            "/accounts/password/change/",
            {
                "old_password": "nope",
                "new_password1": "Another-pass-456",
                "new_password2": "Another-pass-456",
            },
        )
        assert wrong.status_code == 200
        assert list(wrong.context["form"].errors) == ["old_password"]
        response = client.post(
            "/accounts/password/change/",
            {
                "old_password": PASSWORD,
                "new_password1": "Another-pass-456",
                "new_password2": "Another-pass-456",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == "/accounts/password/change/done/"
        done = client.get(response["Location"])
        assert done.status_code == 200
        assert done.templates[0].name == ("accounts/password/done.html")
        sales_user.refresh_from_db()
        assert sales_user.check_password("Another-pass-456")
        assert is_logged_in(client)  # the session survives its own password change
        fresh = Client()
        assert login(fresh, sales_user.username, PASSWORD).status_code == 200
        assert login(fresh, sales_user.username, "Another-pass-456").status_code == 302


class TestPasswordReset:
    def test_reset_by_email_over_smtp(
        self, client: Client, make_user: Callable[..., User], smtp_inbox: Any
    ) -> None:
        inbox, port = smtp_inbox
        user = make_user(email="maryam@example.ir")
        make_user(email="other@example.ir")
        page = client.get("/accounts/password/reset/")
        assert page.status_code == 200
        assert page.templates[0].name == ("accounts/password/form.html")
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS=False,
        ):
            response = client.post("/accounts/password/reset/", {"email": "Maryam@Example.ir"})
        assert response.status_code == 302
        assert response["Location"] == "/accounts/password/reset/sent/"
        sent = client.get(response["Location"])
        assert sent.templates[0].name == ("accounts/password/done.html")

        assert len(inbox.messages) == 1
        recipients, message = inbox.messages[0]
        assert recipients == ["maryam@example.ir"]
        assert message["To"] == "maryam@example.ir"
        assert message["From"] == settings.DEFAULT_FROM_EMAIL
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        text = body.get_content()
        links = re.findall(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", text)
        assert len(links) == 1

        landing = client.get(links[0])
        assert landing.status_code == 302
        set_password_url = landing["Location"]
        assert set_password_url.endswith("/set-password/")
        form = client.get(set_password_url)
        assert form.status_code == 200
        assert form.context["validlink"] is True
        done = client.post(
            set_password_url,
            {"new_password1": "Fresh-secret-789", "new_password2": "Fresh-secret-789"},
        )
        assert done.status_code == 302
        assert done["Location"] == "/accounts/password/reset/complete/"
        assert client.get(done["Location"]).status_code == 200

        fresh = Client()
        assert login(fresh, user.username, PASSWORD).status_code == 200
        assert login(fresh, user.username, "Fresh-secret-789").status_code == 302
        assert fresh.session["_auth_user_id"] == str(user.pk)
        # the link works once
        reused = client.get(links[0], follow=True)
        assert reused.context["validlink"] is False

    def test_unknown_address_sends_nothing_but_looks_the_same(
        self, client: Client, smtp_inbox: Any
    ) -> None:
        inbox, port = smtp_inbox
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
        ):
            response = client.post("/accounts/password/reset/", {"email": "nobody@example.ir"})
        assert response["Location"] == "/accounts/password/reset/sent/"
        assert inbox.messages == []

    @override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    def test_reset_requests_are_throttled_per_address(
        self, client: Client, make_user: Callable[..., User]
    ) -> None:
        from django.core import mail

        make_user(email="maryam@example.ir")
        for _attempt in range(settings.PEYVAND_LOGIN_ATTEMPTS):
            response = client.post("/accounts/password/reset/", {"email": "maryam@example.ir"})
            assert response.status_code == 302
        blocked = client.post("/accounts/password/reset/", {"email": "maryam@example.ir"})
        assert blocked.status_code == 429
        assert blocked.context["form"].non_field_errors() == [
            tr("Too many requests. Wait a few minutes and try again.")
        ]
        assert len(mail.outbox) == settings.PEYVAND_LOGIN_ATTEMPTS


# --- CSRF and language ------------------------------------------------------------------


class TestCsrf:
    def test_post_without_token_is_403(self, sales_user: User) -> None:
        strict = Client(enforce_csrf_checks=True)
        assert login(strict, sales_user.username, PASSWORD).status_code == 403
        assert not is_logged_in(strict)

        strict.force_login(sales_user)
        contact = make_contact(actor=sales_user, lifecycle_stage="lead")
        refused = strict.post(
            "/contacts/bulk/",
            {"action": "stage", "stage": "customer", "selected": [str(contact.pk)]},
        )
        assert refused.status_code == 403
        assert strict.post("/accounts/language/", {"language": "en"}).status_code == 403
        assert strict.post("/contacts/new/", {"last_name": "x"}).status_code == 403
        assert Contact.objects.count() == 1

        # with the token from the page it goes through
        page = strict.get("/contacts/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
        assert token is not None
        accepted = strict.post(
            "/contacts/bulk/",
            {
                "action": "stage",
                "stage": "customer",
                "selected": [str(contact.pk)],
                "csrfmiddlewaretoken": token.group(1),
            },
        )
        assert accepted.status_code == 302
        contact.refresh_from_db()
        assert contact.lifecycle_stage == "customer"

    def test_htmx_header_token_is_accepted(self, sales_user: User) -> None:
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(sales_user)
        page = strict.get("/").content.decode()
        meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
        assert meta is not None
        contact = make_contact(actor=sales_user)
        response = strict.post(
            f"/tasks/activity/contact/{contact.pk}/",
            {"kind": "note", "body": "از htmx"},
            HTTP_X_CSRFTOKEN=meta.group(1),
        )
        assert response.status_code == 302


class TestLanguage:
    def test_switch_language_sets_the_user_and_the_cookie(
        self, logged_in: Any, sales_user: User
    ) -> None:
        client = logged_in(sales_user)
        assert '<html lang="fa" dir="rtl">' in client.get("/").content.decode()
        assert client.get("/accounts/language/").status_code == 405
        response = client.post("/accounts/language/", {"language": "en", "next": "/contacts/"})
        assert response.status_code == 302
        assert response["Location"] == "/contacts/"
        cookie = response.cookies["peyvand_language"]
        assert cookie.value == "en"
        assert cookie["samesite"] == "Lax"
        sales_user.refresh_from_db()
        assert sales_user.language == "en"
        page = client.get("/contacts/")
        assert '<html lang="en" dir="ltr">' in page.content.decode()
        assert page["Content-Language"] == "en"
        assert ">Contacts</h1>" in page.content.decode()

        back = client.post("/accounts/language/", {"language": "fa", "next": "/"})
        assert back.cookies["peyvand_language"].value == "fa"
        sales_user.refresh_from_db()
        assert sales_user.language == "fa"

    def test_users_choice_wins_over_the_cookie(self, logged_in: Any, sales_user: User) -> None:
        client = logged_in(sales_user)
        client.cookies["peyvand_language"] = "en"
        assert '<html lang="fa" dir="rtl">' in client.get("/").content.decode()

    def test_anonymous_switch_uses_the_cookie(self, client: Client) -> None:
        response = client.post(
            "/accounts/language/", {"language": "en", "next": "/accounts/login/"}
        )
        assert response["Location"] == "/accounts/login/"
        assert response.cookies["peyvand_language"].value == "en"
        page = client.get("/accounts/login/").content.decode()
        assert '<html lang="en" dir="ltr">' in page
        assert ">Log in</button>" in page

    @pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "javascript:x"])
    def test_switch_does_not_follow_an_outside_next(
        self, logged_in: Any, sales_user: User, target: str
    ) -> None:
        response = logged_in(sales_user).post(
            "/accounts/language/", {"language": "en", "next": target}
        )
        assert response["Location"] == "/"

    def test_unknown_language_falls_back_to_farsi(self, logged_in: Any, sales_user: User) -> None:
        sales_user.language = "en"
        sales_user.save()
        response = logged_in(sales_user).post("/accounts/language/", {"language": "de"})
        assert response.cookies["peyvand_language"].value == "fa"
        sales_user.refresh_from_db()
        assert sales_user.language == "fa"
