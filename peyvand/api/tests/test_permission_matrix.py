"""Who may do what through the API: role grants × record visibility, every endpoint.

The expected status codes are written out by hand below from the rules (role grants in
``accounts/permissions.py``, record visibility in ``accounts/visibility.py`` under the default
level ``team``), not computed by the code under test:

- every role reads contacts, companies, the timeline and tasks; ``read_only`` writes nothing;
- deleting contacts, companies and activities is for administrators and managers; deleting
  tasks also for sales, support and marketing;
- the permission check comes first (403), then visibility: a record the user may not see is
  404, and pointing a new record at one (``company_id``, ``contact_id``) is a 422 field error;
- under ``team`` visibility everyone sees their own and their teammates' records; only an
  administrator sees another team's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from peyvand.accounts.models import ObjectType, Role, Team, User, VisibilityLevel, VisibilityPolicy
from peyvand.contacts.models import Company, Contact
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.models import Activity, Task
from peyvand.timeline.services import activity_log, task_create

from . import delete, get, patch_json, post_json, quick_user, token_client

pytestmark = pytest.mark.django_db

ROLES = ("admin", "manager", "sales", "support", "marketing", "read_only")
RESOURCES = ("contacts", "companies", "activities", "tasks")
ACTIONS = ("list", "get", "create", "update", "delete")
OWNERSHIPS = ("own", "teammate", "other_team")

#                                 list  get  create update delete
# The record is the user's own or a teammate's (same team).
SAME_TEAM: dict[str, dict[str, tuple[int, int, int, int, int]]] = {
    "admin": {
        "contacts": (200, 200, 201, 200, 204),
        "companies": (200, 200, 201, 200, 204),
        "activities": (200, 200, 201, 200, 204),
        "tasks": (200, 200, 201, 200, 204),
    },
    "manager": {
        "contacts": (200, 200, 201, 200, 204),
        "companies": (200, 200, 201, 200, 204),
        "activities": (200, 200, 201, 200, 204),
        "tasks": (200, 200, 201, 200, 204),
    },
    "sales": {
        "contacts": (200, 200, 201, 200, 403),
        "companies": (200, 200, 201, 200, 403),
        "activities": (200, 200, 201, 200, 403),
        "tasks": (200, 200, 201, 200, 204),
    },
    "support": {
        "contacts": (200, 200, 201, 200, 403),
        "companies": (200, 200, 201, 200, 403),
        "activities": (200, 200, 201, 200, 403),
        "tasks": (200, 200, 201, 200, 204),
    },
    "marketing": {
        "contacts": (200, 200, 201, 200, 403),
        "companies": (200, 200, 201, 200, 403),
        "activities": (200, 200, 201, 200, 403),
        "tasks": (200, 200, 201, 200, 204),
    },
    "read_only": {
        "contacts": (200, 200, 403, 403, 403),
        "companies": (200, 200, 403, 403, 403),
        "activities": (200, 200, 403, 403, 403),
        "tasks": (200, 200, 403, 403, 403),
    },
}
# The record belongs to someone in another team. "create" points the new record at it:
# a contact in its company, a note or a task on its contact; a company is created with that
# person as owner, which any active user may be (there is nothing to see to refer to).
OTHER_TEAM: dict[str, dict[str, tuple[int, int, int, int, int]]] = {
    "admin": {
        "contacts": (200, 200, 201, 200, 204),
        "companies": (200, 200, 201, 200, 204),
        "activities": (200, 200, 201, 200, 204),
        "tasks": (200, 200, 201, 200, 204),
    },
    "manager": {
        "contacts": (200, 404, 422, 404, 404),
        "companies": (200, 404, 201, 404, 404),
        "activities": (200, 404, 422, 404, 404),
        "tasks": (200, 404, 422, 404, 404),
    },
    "sales": {
        "contacts": (200, 404, 422, 404, 403),
        "companies": (200, 404, 201, 404, 403),
        "activities": (200, 404, 422, 404, 403),
        "tasks": (200, 404, 422, 404, 404),
    },
    "support": {
        "contacts": (200, 404, 422, 404, 403),
        "companies": (200, 404, 201, 404, 403),
        "activities": (200, 404, 422, 404, 403),
        "tasks": (200, 404, 422, 404, 404),
    },
    "marketing": {
        "contacts": (200, 404, 422, 404, 403),
        "companies": (200, 404, 201, 404, 403),
        "activities": (200, 404, 422, 404, 403),
        "tasks": (200, 404, 422, 404, 404),
    },
    "read_only": {
        "contacts": (200, 404, 403, 403, 403),
        "companies": (200, 404, 403, 403, 403),
        "activities": (200, 404, 403, 403, 403),
        "tasks": (200, 404, 403, 403, 403),
    },
}
# Whether the record shows in the user's list.
LISTED = {
    "own": dict.fromkeys(ROLES, True),
    "teammate": dict.fromkeys(ROLES, True),
    "other_team": {"admin": True} | dict.fromkeys(ROLES[1:], False),
}
MODELS: dict[str, Any] = {
    "contacts": Contact,
    "companies": Company,
    "activities": Activity,
    "tasks": Task,
}


@dataclass
class World:
    user: User
    client: Client
    owner: User
    record: Any


def _record(resource: str, owner: User) -> Any:
    """A record of ``resource`` that belongs to ``owner``, made without any actor's rights."""
    if resource == "contacts":
        return make_contact(owner=owner)
    if resource == "companies":
        return make_company(owner=owner)
    if resource == "activities":
        return activity_log(
            actor=None,
            values={"kind": "note", "body": "یادداشت", "contact": _record("contacts", owner)},
        )
    return task_create(actor=None, values={"title": "پیگیری", "assignee": owner})


def _world(role: str, resource: str, ownership: str) -> World:
    team, other_team = Team.objects.create(name="الف"), Team.objects.create(name="ب")
    user = quick_user(role, teams=(team,))
    if ownership == "own":
        owner = user
    elif ownership == "teammate":
        owner = quick_user(Role.SALES, teams=(team,))
    else:
        owner = quick_user(Role.SALES, teams=(other_team,))
    return World(user=user, client=token_client(user), owner=owner, record=_record(resource, owner))


def _create(world: World, resource: str) -> HttpResponse:
    owner = world.owner
    if resource == "contacts":
        company = make_company(owner=owner)
        return post_json(world.client, "/contacts", {"last_name": "تازه", "company_id": company.pk})
    if resource == "companies":
        return post_json(world.client, "/companies", {"name": "تازه", "owner_id": owner.pk})
    contact = make_contact(owner=owner)
    if resource == "activities":
        return post_json(world.client, "/activities", {"contact_id": contact.pk, "body": "تازه"})
    return post_json(world.client, "/tasks", {"title": "تازه", "contact_id": contact.pk})


_CHANGES = {
    "contacts": {"city": "قم"},
    "companies": {"city": "قم"},
    "activities": {"body": "ویرایش"},
    "tasks": {"title": "ویرایش"},
}


def _call(world: World, resource: str, action: str) -> HttpResponse:
    path = f"/{resource}/{world.record.pk}"
    if action == "list":
        return get(world.client, f"/{resource}", {"status": "all"} if resource == "tasks" else {})
    if action == "get":
        return get(world.client, path)
    if action == "create":
        return _create(world, resource)
    if action == "update":
        return patch_json(world.client, path, _CHANGES[resource])
    return delete(world.client, path)


@pytest.mark.parametrize("ownership", OWNERSHIPS)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("role", ROLES)
def test_status_code(role, resource, action, ownership):
    table = OTHER_TEAM if ownership == "other_team" else SAME_TEAM
    expected = table[role][resource][ACTIONS.index(action)]
    world = _world(role, resource, ownership)
    model = MODELS[resource]
    count_before = model.objects.count()

    response = _call(world, resource, action)

    assert response.status_code == expected, response.content
    still_there = model.objects.filter(pk=world.record.pk).exists()
    if action == "list":
        listed = [item["id"] for item in response.json()["items"]]
        assert (world.record.pk in listed) is LISTED[ownership][role]
    elif action == "create":
        assert model.objects.count() == count_before + (1 if expected == 201 else 0)
    elif action == "update":
        world.record.refresh_from_db()
        field, value = next(iter(_CHANGES[resource].items()))
        assert (getattr(world.record, field) == value) is (expected == 200)
    elif action == "delete":
        assert still_there is (expected != 204)
    if expected in (403, 404):
        assert response.json() == {
            "detail": {
                403: "You do not have permission to do this.",
                404: "Not found.",
            }[expected]
        }


def test_the_tables_cover_every_role_and_resource():
    for table in (SAME_TEAM, OTHER_TEAM):
        assert set(table) == set(ROLES) == {role.value for role in Role}
        for grants in table.values():
            assert set(grants) == set(RESOURCES)


# Records without an owner: administrators and managers see them, the others do not.
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", 200),
        ("manager", 200),
        ("sales", 404),
        ("support", 404),
        ("marketing", 404),
        ("read_only", 404),
    ],
)
def test_a_contact_without_an_owner(role, expected):
    contact = make_contact(owner=None)

    response = get(token_client(quick_user(role)), f"/contacts/{contact.pk}")

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("level", "teammate", "other_team"),
    [
        (VisibilityLevel.PRIVATE, 404, 404),
        (VisibilityLevel.TEAM, 200, 404),
        (VisibilityLevel.EVERYONE, 200, 200),
    ],
)
def test_the_visibility_level_for_a_sales_user(level, teammate, other_team):
    VisibilityPolicy.objects.create(object_type=ObjectType.CONTACT, level=level)
    team, elsewhere = Team.objects.create(name="الف"), Team.objects.create(name="ب")
    client = token_client(quick_user(Role.SALES, teams=(team,)))
    of_teammate = make_contact(owner=quick_user(Role.SALES, teams=(team,)))
    of_other_team = make_contact(owner=quick_user(Role.SALES, teams=(elsewhere,)))

    assert get(client, f"/contacts/{of_teammate.pk}").status_code == teammate
    assert get(client, f"/contacts/{of_other_team.pk}").status_code == other_team
