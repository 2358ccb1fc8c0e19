"""One error shape for the whole API, in the language of ``Accept-Language``; the OpenAPI spec.

English messages are asserted word for word. For Farsi the tests check that each message is
the catalog's translation of the English one, contains Persian letters and differs from the
English: so a missing or untranslated catalog entry fails here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import translation

from peyvand.accounts.models import Role, Team
from peyvand.contacts.tests.factories import make_contact

from . import API, delete, get, has_persian_letters, post_json, quick_user, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    team, elsewhere = Team.objects.create(name="الف"), Team.objects.create(name="ب")
    user = quick_user(Role.SALES, teams=(team,))
    return {
        "user": user,
        "contact": make_contact(actor=user),
        "hidden": make_contact(actor=quick_user(Role.SALES, teams=(elsewhere,))),
    }


def _farsi(english: str) -> str:
    with translation.override("fa"):
        return translation.gettext(english)


Request = Callable[[Client, dict[str, Any]], HttpResponse]

# name -> (request, [(field, English message, prefix kept as typed)])
FIELD_ERRORS: dict[str, tuple[Request, list[tuple[str, str, str]]]] = {
    "missing required field": (
        lambda client, world: post_json(client, "/tasks", {"description": "بدون عنوان"}),
        [("title", "This field is required.", "")],
    ),
    "missing required consent status": (
        lambda client, world: post_json(
            client, f"/contacts/{world['contact'].pk}/consents", {"channel": "sms"}
        ),
        [("status", "This field is required.", "")],
    ),
    "note without text": (
        lambda client, world: post_json(client, "/activities", {"contact_id": world["contact"].pk}),
        [("body", "Write the text of the note.", "")],
    ),
    "contact without a name": (
        lambda client, world: post_json(client, "/contacts", {"city": "تهران"}),
        [("last_name", "Enter a first name or a last name.", "")],
    ),
    "invalid phone": (
        lambda client, world: post_json(
            client, "/contacts", {"last_name": "رضایی", "phones": ["12345"]}
        ),
        [("phones", "Enter a valid phone number.", "«12345»: ")],
    ),
    "invalid national ID checksum": (
        lambda client, world: post_json(
            client, "/contacts", {"last_name": "رضایی", "national_id": "0013542410"}
        ),
        [("national_id", "This national ID is not valid; please check it.", "")],
    ),
    "national ID of the wrong length": (
        lambda client, world: post_json(
            client, "/contacts", {"last_name": "رضایی", "national_id": "12345"}
        ),
        [("national_id", "National ID must be 10 digits.", "")],
    ),
    "invalid company national ID": (
        lambda client, world: post_json(
            client, "/companies", {"name": "نمونه", "national_id": "14102334567"}
        ),
        [("national_id", "This company national ID is not valid; please check it.", "")],
    ),
    "unknown field": (
        lambda client, world: post_json(client, "/contacts", {"last_name": "x", "age": 3}),
        [("age", "This field is not allowed.", "")],
    ),
    "invisible contact": (
        lambda client, world: post_json(
            client, "/activities", {"contact_id": world["hidden"].pk, "body": "x"}
        ),
        [("contact_id", "No such record.", "")],
    ),
    "reminder after the due time": (
        lambda client, world: post_json(
            client,
            "/tasks",
            {"title": "x", "due_at": "2030-01-01T10:00Z", "remind_at": "2030-01-02T10:00Z"},
        ),
        [("remind_at", "The reminder must be before the due time.", "")],
    ),
    "bad date": (
        lambda client, world: post_json(
            client, "/contacts", {"last_name": "x", "birthday": "1369/02/11"}
        ),
        [("birthday", "Enter a valid date (YYYY-MM-DD).", "")],
    ),
    "bad cursor": (
        lambda client, world: get(client, "/contacts", {"cursor": "!!"}),
        [("cursor", "This cursor is not valid.", "")],
    ),
    "not a whole number": (
        lambda client, world: get(client, "/contacts/abc"),
        [("contact_id", "Enter a whole number.", "")],
    ),
}


@pytest.mark.parametrize("case", FIELD_ERRORS)
def test_field_errors_in_english(world, case):
    send, expected = FIELD_ERRORS[case]

    response = send(token_client(world["user"], language="en"), world)

    assert response.status_code == 422, response.content
    assert response["Content-Language"] == "en"
    assert [(item["field"], item["msg"]) for item in response.json()["detail"]] == [
        (field, prefix + message) for field, message, prefix in expected
    ]


@pytest.mark.parametrize("case", FIELD_ERRORS)
def test_field_errors_in_farsi(world, case):
    send, expected = FIELD_ERRORS[case]

    response = send(token_client(world["user"], language="fa"), world)

    assert response.status_code == 422, response.content
    assert response["Content-Language"] == "fa"
    detail = response.json()["detail"]
    assert [item["field"] for item in detail] == [field for field, _message, _prefix in expected]
    for item, (_field, english, prefix) in zip(detail, expected, strict=True):
        assert item["msg"].startswith(prefix)
        farsi = item["msg"][len(prefix) :]
        assert farsi != english
        assert has_persian_letters(farsi), farsi
        assert farsi == _farsi(english)


@pytest.mark.parametrize(
    ("path", "payload", "field", "message"),
    [
        ("/tasks", {"title": ""}, "title", "This field is required."),
        (
            "/tasks",
            {"title": "x", "due_at": "2030-02-30T10:00:00Z"},
            "due_at",
            "Enter a valid date and time (ISO 8601).",
        ),
        (
            "/tasks",
            {"title": "x", "priority": "soon"},
            "priority",
            "Choose one of the allowed values.",
        ),
        ("/contacts", {"last_name": "x", "tags": "یک"}, "tags", "Send a list."),
        ("/contacts", {"last_name": 5}, "last_name", "Enter text."),
        ("/contacts", {"last_name": "x" * 101}, "last_name", "This text is too long."),
        (
            "/activities",
            {"contact_id": 1, "kind": "call", "duration_seconds": -1},
            "duration_seconds",
            "Ensure this value is greater than or equal to 0.",
        ),
    ],
)
def test_other_pydantic_errors_are_translated_too(world, path, payload, field, message):
    english = post_json(token_client(world["user"], language="en"), path, payload)
    farsi = post_json(token_client(world["user"], language="fa"), path, payload)

    assert (english.status_code, farsi.status_code) == (422, 422)
    [english_error] = english.json()["detail"]
    [farsi_error] = farsi.json()["detail"]
    assert (english_error["field"], english_error["msg"]) == (field, message)
    assert farsi_error["field"] == field
    assert farsi_error["msg"] != english_error["msg"]
    assert has_persian_letters(farsi_error["msg"]), farsi_error


@pytest.mark.parametrize(
    ("status", "english"),
    [
        (401, "Authentication required: send a valid API token."),
        (403, "You do not have permission to do this."),
        (404, "Not found."),
    ],
)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_401_403_and_404_are_translated(world, status, english, language):
    if status == 401:
        response = Client(HTTP_ACCEPT_LANGUAGE=language).get(f"{API}/contacts")
    elif status == 403:
        response = delete(token_client(world["user"], language=language), "/contacts/1")
    else:
        response = get(token_client(world["user"], language=language), f"/contacts/{10**9}")

    assert response.status_code == status
    message = response.json()["detail"]
    if language == "en":
        assert message == english
    else:
        assert message != english
        assert has_persian_letters(message)
        assert message == _farsi(english)


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("fa", "fa"),
        ("fa-IR,fa;q=0.9,en;q=0.8", "fa"),
        ("de", "fa"),  # not offered: Persian first
    ],
)
def test_the_language_follows_accept_language(world, accept_language, expected):
    client = token_client(world["user"])
    response = client.get(f"{API}/contacts/{10**9}", HTTP_ACCEPT_LANGUAGE=accept_language)

    assert response["Content-Language"] == expected
    assert response.json() == {"detail": _farsi("Not found.") if expected == "fa" else "Not found."}


def test_without_accept_language_a_token_request_is_answered_in_the_users_language(world):
    world["user"].language = "en"
    world["user"].save(update_fields=["language"])
    client = token_client(world["user"])
    del client.defaults["HTTP_ACCEPT_LANGUAGE"]

    response = client.get(f"{API}/contacts/{10**9}")

    assert response.json() == {"detail": "Not found."}


def test_every_422_has_the_documented_shape(world):
    response = post_json(
        token_client(world["user"]),
        "/contacts",
        {"last_name": "x", "phones": ["1"], "national_id": "1", "tags": "not a list"},
    )

    assert response.status_code == 422
    for item in response.json()["detail"]:
        assert set(item) == {"loc", "field", "msg", "type"}
        assert item["loc"][0] in {"body", "query", "path"}
        assert item["loc"][-1] == item["field"].split(".")[-1]


def test_a_body_that_is_not_an_object_is_a_422(world):
    client = token_client(world["user"])

    response = client.post(f"{API}/contacts", json.dumps([1]), content_type="application/json")

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "payload"],
                "field": "",
                "msg": "The request body must be a JSON object.",
                "type": "model_attributes_type",
            }
        ]
    }


# --- OpenAPI -------------------------------------------------------------------------------

EXPECTED_OPERATIONS = {
    "/api/v1/contacts": {"get", "post"},
    "/api/v1/contacts/{contact_id}": {"get", "patch", "delete"},
    "/api/v1/contacts/{contact_id}/consents": {"post"},
    "/api/v1/contacts/{contact_id}/timeline": {"get"},
    "/api/v1/companies": {"get", "post"},
    "/api/v1/companies/{company_id}": {"get", "patch", "delete"},
    "/api/v1/activities": {"get", "post"},
    "/api/v1/activities/{activity_id}": {"get", "patch", "delete"},
    "/api/v1/tasks": {"get", "post"},
    "/api/v1/tasks/{task_id}": {"get", "patch", "delete"},
    "/api/v1/me": {"get"},
    "/api/v1/users": {"get"},
}


def test_the_openapi_spec_lists_every_endpoint():
    response = Client().get(f"{API}/openapi.json")

    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "Peyvand API"
    paths = spec["paths"]
    for path, methods in EXPECTED_OPERATIONS.items():
        assert set(paths.get(path, {})) == methods, path
    assert paths["/api/v1/contacts"]["post"]["summary"] == "Create a contact"
    created = paths["/api/v1/contacts"]["post"]["responses"]
    assert set(created) == {"201", "409"}
    assert set(spec["components"]["securitySchemes"]) == {"TokenAuth", "ActiveSessionAuth"}
    contact_in = spec["components"]["schemas"]["ContactIn"]
    assert contact_in["additionalProperties"] is False
    assert {"first_name", "phones", "national_id", "company_id"} <= set(contact_in["properties"])
