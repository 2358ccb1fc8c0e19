"""Portal test helpers: customers, a client signed in as one, reading codes from the local
SMTP inbox, and a clock the tests set (``at``)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from peyvand.accounts.models import Role, User
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.portal.session import CONTACT_KEY, SEEN_KEY

TEHRAN = ZoneInfo("Asia/Tehran")


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[..., datetime.datetime]:
    """``at(2026, 11, 25, 15)`` makes ``timezone.now`` that Tehran time; returns it."""

    def set_now(*parts: int) -> datetime.datetime:
        instant = datetime.datetime(*parts, tzinfo=TEHRAN)
        monkeypatch.setattr(timezone, "now", lambda: instant)
        return instant

    return set_now


@pytest.fixture
def customer(db: Any) -> Contact:
    return make_contact(
        first_name="مریم",
        last_name="رضایی",
        emails=["maryam@example.ir"],
        phones=["09121234567"],
    )


@pytest.fixture
def other_customer(db: Any) -> Contact:
    return make_contact(
        first_name="علی", last_name="کریمی", emails=["ali@example.ir"], phones=["09351112233"]
    )


def signed_in_client(contact: Contact) -> Client:
    """A client whose session holds a fresh portal sign-in of ``contact`` (what a
    successful code check leaves behind)."""
    client = Client()
    session = client.session
    session[CONTACT_KEY] = contact.pk
    session[SEEN_KEY] = int(timezone.now().timestamp())
    session.save()
    return client


@pytest.fixture
def portal(customer: Contact) -> Client:
    return signed_in_client(customer)


def last_code(inbox: Any, address: str) -> str:
    """The six-digit code in the newest message the local SMTP server got for ``address``."""
    for recipients, message in reversed(inbox.messages):
        if address in recipients:
            match = re.search(r"^\s+([0-9]{6})\s*$", message.get_content(), re.MULTILINE)
            assert match is not None, message.get_content()
            return match.group(1)
    raise AssertionError(f"no message to {address}")


def request_code(client: Client, address: str) -> Any:
    return client.post("/portal/sign-in/", {"address": address})


def enter_code(client: Client, code: str) -> Any:
    return client.post("/portal/sign-in/code/", {"code": code})


@pytest.fixture
def agent(make_user: Any) -> User:
    return make_user(role=Role.SUPPORT, first_name="امید")
