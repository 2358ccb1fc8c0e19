"""Users the contacts tests share: one of the sales team, and one of another team."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from peyvand.accounts.models import Role, Team, User


@pytest.fixture
def teammate(make_user: Callable[..., User], team: Team) -> User:
    """A salesperson of the ``team`` that ``sales_user`` is in: they see each other's records."""
    return make_user(role=Role.SALES, teams=(team,))


@pytest.fixture
def outsider(make_user: Callable[..., User]) -> User:
    """A salesperson of another team: their records are invisible to the team."""
    return make_user(role=Role.SALES, teams=(Team.objects.create(name="پشتیبانی"),))
