"""Record visibility: level × role × who owns the record, and failing closed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from peyvand.accounts.models import Role, Team, User, VisibilityLevel, VisibilityPolicy
from peyvand.accounts.visibility import visibility_level
from peyvand.contacts.models import Contact
from peyvand.contacts.selectors import (
    companies_visible_to,
    contact_for_display,
    contacts_filtered,
    contacts_visible_to,
)
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.models import Task
from peyvand.timeline.selectors import tasks_visible_to
from peyvand.timeline.services import task_create

pytestmark = pytest.mark.django_db

ALL = frozenset({"own", "teammate", "other_team", "unowned"})

# level -> role -> the owner relations whose records the role sees.
EXPECTED: dict[str, dict[str, frozenset[str]]] = {
    VisibilityLevel.PRIVATE: {
        Role.ADMIN: ALL,
        Role.MANAGER: frozenset({"own", "teammate", "unowned"}),
        Role.SALES: frozenset({"own"}),
        Role.READ_ONLY: frozenset({"own"}),
    },
    VisibilityLevel.TEAM: {
        Role.ADMIN: ALL,
        Role.MANAGER: frozenset({"own", "teammate", "unowned"}),
        Role.SALES: frozenset({"own", "teammate"}),
        Role.READ_ONLY: frozenset({"own", "teammate"}),
    },
    VisibilityLevel.EVERYONE: {
        Role.ADMIN: ALL,
        Role.MANAGER: ALL,
        Role.SALES: ALL,
        Role.READ_ONLY: ALL,
    },
}


@dataclass
class World:
    viewer: User
    teammate: User
    outsider: User
    contacts: dict[str, Contact]

    def labels(self, user: Any) -> set[str]:
        names = {contact.pk: label for label, contact in self.contacts.items()}
        return {names[pk] for pk in contacts_visible_to(user).values_list("pk", flat=True)}


def _set_level(object_type: str, level: str) -> None:
    VisibilityPolicy.objects.update_or_create(object_type=object_type, defaults={"level": level})


@pytest.fixture
def world_for(make_user: Callable[..., User]) -> Callable[[str], World]:
    """A viewer with ``role`` in team A, a teammate in A, an outsider in team B, and one
    contact per owner relation (the viewer's own, the teammate's, the outsider's, nobody's)."""

    def build(role: str) -> World:
        team_a = Team.objects.create(name="الف")
        team_b = Team.objects.create(name="ب")
        viewer = make_user(role=role, teams=(team_a,))
        teammate = make_user(role=Role.SALES, teams=(team_a,))
        outsider = make_user(role=Role.SALES, teams=(team_b,))
        contacts = {
            "own": make_contact(owner=viewer, last_name="خودی"),
            "teammate": make_contact(owner=teammate, last_name="هم‌تیمی"),
            "other_team": make_contact(owner=outsider, last_name="بیرونی"),
            "unowned": make_contact(owner=None, last_name="بی‌صاحب"),
        }
        return World(viewer=viewer, teammate=teammate, outsider=outsider, contacts=contacts)

    return build


@pytest.mark.parametrize("level", list(EXPECTED))
@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.SALES, Role.READ_ONLY])
def test_visibility_matrix(world_for: Callable[[str], World], level: str, role: str) -> None:
    world = world_for(role)
    _set_level("contact", level)
    assert world.labels(world.viewer) == EXPECTED[level][role]


@pytest.mark.parametrize("level", list(EXPECTED))
def test_the_other_users_see_by_the_same_rules(
    world_for: Callable[[str], World], level: str
) -> None:
    world = world_for(Role.SALES)
    _set_level("contact", level)
    if level == VisibilityLevel.EVERYONE:
        expected_teammate = expected_outsider = ALL
    elif level == VisibilityLevel.TEAM:
        expected_teammate = frozenset({"own", "teammate"})  # the viewer's and their own
        expected_outsider = frozenset({"other_team"})
    else:
        expected_teammate = frozenset({"teammate"})
        expected_outsider = frozenset({"other_team"})
    assert world.labels(world.teammate) == expected_teammate
    assert world.labels(world.outsider) == expected_outsider


def test_no_policy_means_team_level(world_for: Callable[[str], World]) -> None:
    world = world_for(Role.SALES)
    assert not VisibilityPolicy.objects.exists()
    assert visibility_level("contact") == VisibilityLevel.TEAM
    assert world.labels(world.viewer) == {"own", "teammate"}


@pytest.mark.parametrize("level", list(EXPECTED))
@pytest.mark.parametrize(
    "who", ["none", "anonymous", "inactive_admin", "inactive_sales", "inactive_superuser"]
)
def test_anonymous_and_inactive_users_see_nothing(
    world_for: Callable[[str], World], make_user: Callable[..., User], level: str, who: str
) -> None:
    world = world_for(Role.SALES)
    _set_level("contact", level)
    _set_level("company", level)
    make_company(owner=None)
    users: dict[str, Any] = {
        "none": None,
        "anonymous": AnonymousUser(),
        "inactive_admin": make_user(role=Role.ADMIN, is_active=False),
        "inactive_sales": world.viewer,
        "inactive_superuser": make_user(role=Role.ADMIN, is_superuser=True, is_active=False),
    }
    if who == "inactive_sales":
        world.viewer.is_active = False
        world.viewer.save(update_fields=["is_active"])
    user = users[who]
    assert world.labels(user) == set()
    assert list(companies_visible_to(user)) == []
    assert list(contacts_filtered(user, {"q": "خودی"})) == []
    with pytest.raises(Contact.DoesNotExist):
        contact_for_display(user, world.contacts["own"].pk)


def test_superuser_sees_everything_whatever_the_role(
    world_for: Callable[[str], World], make_user: Callable[..., User]
) -> None:
    world = world_for(Role.SALES)
    _set_level("contact", VisibilityLevel.PRIVATE)
    assert world.labels(make_user(role=Role.READ_ONLY, is_superuser=True)) == ALL


def test_a_user_without_teams_sees_only_their_own(
    world_for: Callable[[str], World], make_user: Callable[..., User]
) -> None:
    world = world_for(Role.SALES)
    loner = make_user(role=Role.SALES)
    mine = make_contact(owner=loner)
    assert set(contacts_visible_to(loner)) == {mine}
    lone_manager = make_user(role=Role.MANAGER)
    # A manager with no team still sees unowned records and their own, nobody else's.
    assert world.labels(lone_manager) == {"unowned"}


def test_membership_in_several_teams_opens_each(make_user: Callable[..., User]) -> None:
    team_a = Team.objects.create(name="الف")
    team_b = Team.objects.create(name="ب")
    team_c = Team.objects.create(name="ج")
    viewer = make_user(teams=(team_a, team_b))
    in_a = make_contact(owner=make_user(teams=(team_a,)))
    in_b = make_contact(owner=make_user(teams=(team_b,)))
    make_contact(owner=make_user(teams=(team_c,)))
    visible = list(contacts_visible_to(viewer).order_by("id"))
    assert visible == [in_a, in_b]  # no duplicates from the team join


def test_levels_are_per_object_type(world_for: Callable[[str], World]) -> None:
    world = world_for(Role.SALES)
    outsider_company = make_company(owner=world.outsider)
    _set_level("contact", VisibilityLevel.PRIVATE)
    _set_level("company", VisibilityLevel.EVERYONE)
    assert world.labels(world.viewer) == {"own"}
    assert list(companies_visible_to(world.viewer)) == [outsider_company]


def test_changing_owner_moves_visibility(world_for: Callable[[str], World]) -> None:
    from peyvand.contacts.services import contact_update

    world = world_for(Role.SALES)
    contact = world.contacts["other_team"]
    contact_update(actor=None, contact=contact, values={"owner": world.viewer})
    assert world.labels(world.viewer) == {"own", "teammate", "other_team"}
    assert world.labels(world.outsider) == set()


# --- tasks ---------------------------------------------------------------------------------


@pytest.fixture
def task_world(make_user: Callable[..., User]) -> dict[str, Any]:
    team_a = Team.objects.create(name="الف")
    team_b = Team.objects.create(name="ب")
    viewer = make_user(role=Role.SALES, teams=(team_a,))
    teammate = make_user(role=Role.SALES, teams=(team_a,))
    outsider = make_user(role=Role.SALES, teams=(team_b,))
    tasks = {
        "assigned": task_create(actor=outsider, values={"title": "۱", "assignee": viewer}),
        "created": task_create(actor=viewer, values={"title": "۲", "assignee": outsider}),
        "teammate": task_create(actor=teammate, values={"title": "۳"}),
        "other_team": task_create(actor=outsider, values={"title": "۴"}),
        "unassigned": task_create(actor=None, values={"title": "۵"}),
    }
    return {"viewer": viewer, "outsider": outsider, "tasks": tasks}


def _task_labels(world: dict[str, Any], user: Any) -> set[str]:
    names = {task.pk: label for label, task in world["tasks"].items()}
    return {names[pk] for pk in tasks_visible_to(user).values_list("pk", flat=True)}


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (VisibilityLevel.PRIVATE, {"assigned", "created"}),
        (VisibilityLevel.TEAM, {"assigned", "created", "teammate"}),
        (VisibilityLevel.EVERYONE, {"assigned", "created", "teammate", "other_team", "unassigned"}),
    ],
)
def test_tasks_visible_to_includes_created_and_assigned(
    task_world: dict[str, Any], level: str, expected: set[str]
) -> None:
    _set_level("task", level)
    assert _task_labels(task_world, task_world["viewer"]) == expected


def test_task_visibility_for_the_outsider_and_a_manager(
    task_world: dict[str, Any], make_user: Callable[..., User]
) -> None:
    _set_level("task", VisibilityLevel.PRIVATE)
    assert _task_labels(task_world, task_world["outsider"]) == {"assigned", "created", "other_team"}
    manager = make_user(role=Role.MANAGER, teams=tuple(task_world["viewer"].teams.all()))
    # Managers see tasks assigned to their teams' members and unassigned ones.
    assert _task_labels(task_world, manager) == {"assigned", "teammate", "unassigned"}


@pytest.mark.parametrize("who", ["none", "anonymous", "inactive"])
def test_tasks_fail_closed(task_world: dict[str, Any], who: str) -> None:
    user: Any = {"none": None, "anonymous": AnonymousUser(), "inactive": task_world["viewer"]}[who]
    if who == "inactive":
        user.is_active = False
        user.save(update_fields=["is_active"])
    for level in VisibilityLevel.values:
        _set_level("task", level)
        assert list(tasks_visible_to(user)) == [], level
    assert Task.objects.count() == 5
