"""The portal sign-in is its own thing: a staff login opens no portal page, a portal
sign-in opens no staff page or API; signing in rotates the session key; signing out and
two idle hours end it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from peyvand.accounts.models import User
from peyvand.contacts.merging import contacts_merge
from peyvand.contacts.models import Contact
from peyvand.portal.session import CONTACT_KEY, SEEN_KEY

from .conftest import enter_code, last_code, request_code, signed_in_client

pytestmark = pytest.mark.django_db


def test_signing_in_rotates_the_session_key_and_returns_to_the_page_asked_for(
    client: Client, customer: Contact, smtp_settings: Any
) -> None:
    first = client.get("/portal/tickets/?status=open")
    assert first["Location"] == "/portal/sign-in/?next=%2Fportal%2Ftickets%2F%3Fstatus%3Dopen"
    client.get(first["Location"])
    request_code(client, "maryam@example.ir")
    before = client.session.session_key
    response = enter_code(client, last_code(smtp_settings, "maryam@example.ir"))
    assert response["Location"] == "/portal/tickets/?status=open"
    assert client.session.session_key != before
    assert client.session[CONTACT_KEY] == customer.pk


@pytest.mark.parametrize("target", ["https://evil.example/", "/contacts/", "//evil.example/x"])
def test_only_a_portal_page_is_a_place_to_return_to(
    client: Client, customer: Contact, smtp_settings: Any, target: str
) -> None:
    client.get("/portal/sign-in/", {"next": target})
    request_code(client, "maryam@example.ir")
    response = enter_code(client, last_code(smtp_settings, "maryam@example.ir"))
    assert response["Location"] == "/portal/tickets/"


def test_a_staff_login_gives_no_portal_access(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    response = client.get("/portal/tickets/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/sign-in/")
    assert client.get("/portal/profile/").status_code == 302


def test_a_portal_sign_in_gives_no_staff_access(portal: Client) -> None:
    assert portal.get("/portal/tickets/").status_code == 200
    for path in ("/", "/contacts/", "/sales/deals/", "/admin/"):
        response = portal.get(path)
        assert response.status_code == 302, path
        assert "/login/" in response["Location"], path
    assert portal.get("/api/v1/contacts").status_code == 401


def test_signing_out_ends_the_portal_session_and_needs_a_post(portal: Client) -> None:
    assert portal.get("/portal/sign-out/").status_code == 405
    key = portal.session.session_key
    response = portal.post("/portal/sign-out/")
    assert response["Location"] == "/portal/sign-in/"
    assert CONTACT_KEY not in portal.session
    assert portal.session.session_key != key
    assert portal.get("/portal/tickets/").status_code == 302


def test_a_portal_sign_in_ends_after_two_idle_hours(customer: Contact, at: Any) -> None:
    at(2026, 11, 25, 8, 0)
    client = signed_in_client(customer)
    at(2026, 11, 25, 10, 0)  # exactly two hours later: still signed in, and the clock resets
    assert client.get("/portal/tickets/").status_code == 200
    at(2026, 11, 25, 12, 0)
    assert client.get("/portal/tickets/").status_code == 200
    at(2026, 11, 25, 14, 0, 1)
    assert client.get("/portal/tickets/").status_code == 302
    assert CONTACT_KEY not in client.session and SEEN_KEY not in client.session


def test_the_idle_limit_comes_from_the_setting(customer: Contact, at: Any, settings: Any) -> None:
    settings.PEYVAND_PORTAL_SESSION_SECONDS = 600
    at(2026, 11, 25, 8, 0)
    client = signed_in_client(customer)
    at(2026, 11, 25, 8, 10, 1)
    assert client.get("/portal/tickets/").status_code == 302


def test_a_contact_merged_into_another_is_signed_out(
    portal: Client, customer: Contact, other_customer: Contact, admin_user: User
) -> None:
    contacts_merge(actor=admin_user, survivor=other_customer, others=[customer])
    assert portal.get("/portal/tickets/").status_code == 302
    assert CONTACT_KEY not in portal.session


def test_the_portal_speaks_the_contact_s_language(customer: Contact) -> None:
    customer.language = "en"
    customer.save(update_fields=["language"])
    response = signed_in_client(customer).get("/portal/tickets/")
    assert response["Content-Language"] == "en"
    assert "My tickets" in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_signed_in_customer_skips_the_sign_in_pages(portal: Client) -> None:
    assert portal.get("/portal/sign-in/")["Location"] == "/portal/tickets/"
    assert portal.get("/portal/sign-in/code/")["Location"] == "/portal/tickets/"
    assert portal.get("/portal/")["Location"] == "/portal/tickets/"
