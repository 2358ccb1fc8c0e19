"""Authentication of the API: bearer tokens (scopes, revocation, expiry) and the session."""

from __future__ import annotations

import datetime
import hashlib
import json

import pytest
from django.test import Client
from django.utils import timezone

from peyvand.accounts.models import ApiToken, Role
from peyvand.accounts.tokens import api_token_create, api_token_revoke
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_company, make_contact

from . import API, delete, get, post_json, quick_user, token_client

pytestmark = pytest.mark.django_db

UNAUTHENTICATED = {"detail": "Authentication required: send a valid API token."}
FORBIDDEN = {"detail": "You do not have permission to do this."}
CONTACT = {"last_name": "رضایی"}


def _bearer(value: str, **options) -> Client:
    return Client(HTTP_AUTHORIZATION=value, HTTP_ACCEPT_LANGUAGE="en", **options)


@pytest.fixture
def user():
    return quick_user(Role.MANAGER)


def test_a_valid_token_authenticates_its_user(user):
    response = get(token_client(user), "/me")

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "role": "manager",
        "language": "fa",
    }


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer nonsense",
        "Bearer pv_abc",
        "Bearer xx_{prefix}_{secret}",
        "Bearer pv_{prefix}_{secret}x",
        "Bearer pv_{prefix}_wrong-secret",
        "Bearer pv_00000000_{secret}",
        "Basic {secret}",
        "Token pv_{prefix}_{secret}",
    ],
)
def test_a_missing_or_wrong_token_is_401(user, header):
    token, plain = api_token_create(user=user, name="cli")
    _kind, prefix, secret = plain.split("_", 2)
    options = {}
    if header is not None:
        options["HTTP_AUTHORIZATION"] = header.format(prefix=prefix, secret=secret)
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **options)

    for response in (
        client.get(f"{API}/contacts"),
        client.post(f"{API}/contacts", json.dumps(CONTACT), content_type="application/json"),
        client.delete(f"{API}/contacts/1"),
    ):
        assert (response.status_code, response.json()) == (401, UNAUTHENTICATED)
    assert not Contact.objects.exists()
    token.refresh_from_db()
    assert token.last_used_at is None


def test_a_script_without_a_session_gets_401_not_a_csrf_failure(user):
    """A POST with a bad token and no cookies has no session to protect: it is 401, not 403."""
    for client in (
        Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en"),
        _bearer("Bearer pv_00000000_nope", enforce_csrf_checks=True),
    ):
        response = client.post(
            f"{API}/contacts", json.dumps(CONTACT), content_type="application/json"
        )
        assert (response.status_code, response.json()) == (401, UNAUTHENTICATED)

    _token, plain = api_token_create(user=user, name="cli")
    good = _bearer(f"Bearer {plain}", enforce_csrf_checks=True)
    created = good.post(f"{API}/contacts", json.dumps(CONTACT), content_type="application/json")
    assert created.status_code == 201  # a token needs no CSRF token


def test_a_revoked_token_stops_working_at_once(user):
    token, plain = api_token_create(user=user, name="cli")
    client = _bearer(f"Bearer {plain}")
    assert get(client, "/me").status_code == 200

    api_token_revoke(token=token)

    assert (get(client, "/me").status_code, get(client, "/me").json()) == (401, UNAUTHENTICATED)


def test_an_expired_token_is_refused(user):
    token, plain = api_token_create(user=user, name="cli")
    client = _bearer(f"Bearer {plain}")
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    assert get(client, "/me").status_code == 200

    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    assert get(client, "/me").status_code == 401


def test_the_token_of_an_inactive_user_is_refused(user):
    client = token_client(user)
    assert get(client, "/me").status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert (get(client, "/me").status_code, get(client, "/me").json()) == (401, UNAUTHENTICATED)


def test_a_read_scope_reads_but_does_not_write(user):
    contact = make_contact(actor=user)
    client = token_client(user, scopes=("contacts:read",))

    assert get(client, "/contacts").status_code == 200
    assert get(client, f"/contacts/{contact.pk}").status_code == 200
    for response in (
        post_json(client, "/contacts", CONTACT),
        client.patch(
            f"{API}/contacts/{contact.pk}", json.dumps(CONTACT), content_type="application/json"
        ),
        delete(client, f"/contacts/{contact.pk}"),
        get(client, "/companies"),  # another area
        get(client, "/tasks"),
    ):
        assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert Contact.objects.count() == 1


def test_write_implies_read_but_delete_needs_its_own_scope(user):
    contact = make_contact(actor=user)
    writer = token_client(user, scopes=("*:write",))

    assert get(writer, f"/contacts/{contact.pk}").status_code == 200
    assert get(writer, "/companies").status_code == 200
    assert post_json(writer, "/contacts", CONTACT).status_code == 201
    refused = delete(writer, f"/contacts/{contact.pk}")
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    assert Contact.objects.filter(pk=contact.pk).exists()

    contacts_only = token_client(user, scopes=("*:write", "contacts:delete"))
    company = make_company(actor=user)
    assert delete(contacts_only, f"/companies/{company.pk}").status_code == 403
    assert delete(contacts_only, f"/contacts/{contact.pk}").status_code == 204


def test_an_area_write_scope_allows_reading_only_that_area(user):
    client = token_client(user, scopes=("companies:write",))

    assert get(client, "/companies").status_code == 200
    assert post_json(client, "/companies", {"name": "نمونه"}).status_code == 201
    assert get(client, "/contacts").status_code == 403


def test_scopes_never_widen_the_role():
    sales = quick_user(Role.SALES)
    contact = make_contact(actor=sales)
    read_only = quick_user(Role.READ_ONLY)

    assert delete(token_client(sales), f"/contacts/{contact.pk}").status_code == 403
    assert post_json(token_client(read_only), "/contacts", CONTACT).status_code == 403


def test_last_used_at_is_stamped_at_most_once_a_minute(user):
    token, plain = api_token_create(user=user, name="cli")
    client = _bearer(f"Bearer {plain}")
    assert token.last_used_at is None

    before = timezone.now()
    get(client, "/me")
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    assert before <= first_use <= timezone.now()

    get(client, "/me")
    token.refresh_from_db()
    assert token.last_used_at == first_use

    long_ago = timezone.now() - datetime.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=long_ago)
    get(client, "/me")
    token.refresh_from_db()
    assert token.last_used_at > first_use


def test_only_a_hash_of_the_secret_is_stored(user):
    token, plain = api_token_create(user=user, name="cli", scopes=("contacts:read",))
    kind, prefix, secret = plain.split("_", 2)

    assert (kind, prefix) == ("pv", token.prefix)
    assert len(prefix) == 8
    assert len(secret) >= 40
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert stored["scopes"] == ["contacts:read"]
    for value in stored.values():
        assert secret not in str(value)
        assert plain not in str(value)


def test_the_session_of_a_signed_in_user_authenticates_reads():
    user = quick_user(Role.SALES)
    make_contact(actor=user)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)

    response = client.get(f"{API}/contacts")

    assert response.status_code == 200
    assert len(response.json()["items"]) == 1
    assert get(client, "/me").json()["id"] == user.pk


def test_an_unsafe_session_request_needs_the_csrf_token():
    user = quick_user(Role.SALES)
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)

    refused = client.post(f"{API}/contacts", json.dumps(CONTACT), content_type="application/json")

    assert refused.status_code == 403
    assert refused.json() == {"detail": "CSRF check Failed"}
    assert not Contact.objects.exists()

    csrf_token = "a" * 32
    client.cookies["csrftoken"] = csrf_token
    accepted = client.post(
        f"{API}/contacts",
        json.dumps(CONTACT),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_token,
    )
    assert accepted.status_code == 201, accepted.content
    assert Contact.objects.get().owner_id == user.pk


def test_the_session_of_a_deactivated_user_does_not_authenticate():
    user = quick_user(Role.SALES)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert (get(client, "/me").status_code, get(client, "/me").json()) == (401, UNAUTHENTICATED)
