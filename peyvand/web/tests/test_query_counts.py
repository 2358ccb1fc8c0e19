"""Pages run a fixed number of queries however many rows they show (no N+1).

Each test renders a page with 3 rows, adds 22 more (with phones, emails, tags, notes, tasks,
consent), renders it again and checks both counts against the exact number measured.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peyvand.accounts.models import Role, Team, User
from peyvand.contacts.models import Company, Contact
from peyvand.contacts.services import contact_set_consent, custom_field_save
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.services import activity_log, task_create

pytestmark = pytest.mark.django_db


SMALL, LARGE = 3, 25
_serial = itertools.count(1)


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def add_contacts(*, actor: User, owner: User, company: Company | None, total: int) -> list[Contact]:
    """``total`` contacts, each with two phones, an email, tags, a note, a call and a task."""
    now = timezone.now()
    contacts = []
    for _index in range(total):
        number = next(_serial)
        contact = make_contact(
            actor=actor,
            first_name=f"نام{number}",
            last_name=f"خانوادگی{number}",
            owner=owner,
            company=company,
            phones=[f"0912{number:07d}", f"0935{number:07d}"],
            emails=[f"person{number}@example.ir"],
            tags=["VIP", f"برچسب {number % 4}"],
            city="تهران",
            custom_fields={"level": "طلایی"},
        )
        contact_set_consent(
            actor=actor, contact=contact, channel="sms", status="granted", method="verbal"
        )
        activity_log(actor=actor, values={"kind": "note", "body": "یادداشت", "contact": contact})
        activity_log(
            actor=actor,
            values={"kind": "call", "subject": "تماس", "direction": "inbound", "contact": contact},
        )
        task_create(
            actor=actor,
            values={
                "title": f"کار {number}",
                "contact": contact,
                "company": company,
                "assignee": owner,
                "due_at": now + datetime.timedelta(hours=(number % 3) - 1),
            },
        )
        contacts.append(contact)
    return contacts


@pytest.fixture
def manager(make_user: Callable[..., User], team: Team) -> User:
    """A manager: sees the team's records and unowned ones (the most complex scoping)."""
    return make_user(role=Role.MANAGER, teams=(team,))


@pytest.fixture
def seller(make_user: Callable[..., User], team: Team) -> User:
    return make_user(role=Role.SALES, teams=(team,))


@pytest.fixture(autouse=True)
def level_field(admin_user: User) -> None:
    custom_field_save(
        actor=admin_user,
        values={
            "object_type": "contact",
            "key": "level",
            "label_fa": "سطح",
            "field_type": "choice",
            "choices": ["طلایی", "نقره‌ای"],
            "is_filterable": True,
        },
    )


@pytest.fixture
def client_for(client: Client) -> Callable[[User], Client]:
    def login(user: User) -> Client:
        client.force_login(user)
        return client

    return login


def measure(client: Client, url: str, grow: Callable[[int], Any]) -> tuple[int, int]:
    """Queries for ``url`` with SMALL rows, then after growing to LARGE rows."""
    grow(SMALL)
    client.get(url)  # warm up: one-off lookups do not count
    small = count_queries(client, url)
    grow(LARGE - SMALL)
    large = count_queries(client, url)
    return small, large


def test_contact_list(client_for: Any, manager: User, seller: User) -> None:
    client = client_for(manager)
    company = make_company(actor=seller, owner=seller)

    def grow(total: int) -> None:
        add_contacts(actor=seller, owner=seller, company=company, total=total)

    small, large = measure(client, "/contacts/", grow)
    assert len(client.get("/contacts/").context["contacts"]) == LARGE
    assert (small, large) == (11, 11)
    filtered = "/contacts/?stage=lead&cf_level=طلایی&sort=name&q=نام"
    assert count_queries(client, filtered) == 11


def test_contact_360(client_for: Any, seller: User) -> None:
    client = client_for(seller)
    company = make_company(actor=seller)
    contact = make_contact(actor=seller, company=company, custom_fields={"level": "طلایی"})
    now = timezone.now()

    def grow(total: int) -> None:
        for _index in range(total):
            number = next(_serial)
            activity_log(
                actor=seller, values={"kind": "note", "body": f"n{number}", "contact": contact}
            )
            task_create(
                actor=seller,
                values={
                    "title": f"t{number}",
                    "contact": contact,
                    "assignee": seller,
                    "due_at": now + datetime.timedelta(days=1),
                },
            )
            contact.phones.create(number=f"+98912{number:07d}", position=number)
            contact.emails.create(address=f"e{number}@example.ir", position=number)
            contact.tags.create(name=f"tag{number}", key=f"tag{number}")

    url = f"/contacts/{contact.pk}/"
    small, large = measure(client, url, grow)
    page = client.get(url)
    assert len(page.context["tasks"]) == 20
    assert len(page.context["events"]) == 30
    # + the open merges and the open duplicate pairs of this contact, and its deals and
    # tickets (each: the visibility level, then the rows), its orders and purchase summary,
    # and its stored RFM and lifetime value (one query), and its next best products (the
    # visibility level, its stored rows; with none, the latest run, here none: its best
    # sellers would be one more)
    assert (small, large) == (24, 24)


def test_contact_timeline_fragment(client_for: Any, seller: User) -> None:
    client = client_for(seller)
    contact = make_contact(actor=seller)

    def grow(total: int) -> None:
        for _index in range(total):
            activity_log(actor=seller, values={"kind": "note", "body": "x", "contact": contact})

    small, large = measure(client, f"/tasks/timeline/contact/{contact.pk}/?kind=note", grow)
    assert (small, large) == (6, 6)


def test_company_360(client_for: Any, manager: User, seller: User) -> None:
    client = client_for(manager)
    company = make_company(actor=seller, owner=seller, tags=["عمده", "VIP"])

    def grow(total: int) -> None:
        add_contacts(actor=seller, owner=seller, company=company, total=total)

    url = f"/contacts/companies/{company.pk}/"
    small, large = measure(client, url, grow)
    page = client.get(url)
    assert len(page.context["people"]) == LARGE
    assert len(page.context["tasks"]) == 20
    assert (small, large) == (12, 12)  # 12th: the undoable merges into it


def test_company_list(client_for: Any, manager: User, seller: User) -> None:
    client = client_for(manager)

    def grow(total: int) -> None:
        for _index in range(total):
            company = make_company(actor=seller, owner=seller, tags=["VIP"])
            add_contacts(actor=seller, owner=seller, company=company, total=1)

    small, large = measure(client, "/contacts/companies/", grow)
    assert (small, large) == (6, 6)


def test_dashboard(client_for: Any, seller: User) -> None:
    client = client_for(seller)
    company = make_company(actor=seller)

    def grow(total: int) -> None:
        add_contacts(actor=seller, owner=seller, company=company, total=total)

    small, large = measure(client, "/", grow)
    day = client.get("/").context["day"]
    assert len(day["overdue"]) + len(day["today"]) + len(day["upcoming"]) > SMALL
    assert (small, large) == (14, 14)


def test_task_list(client_for: Any, seller: User) -> None:
    client = client_for(seller)

    def grow(total: int) -> None:
        company = make_company(actor=seller)
        add_contacts(actor=seller, owner=seller, company=company, total=total)

    small, large = measure(client, "/tasks/?scope=all", grow)
    assert len(client.get("/tasks/?scope=all").context["tasks"]) == LARGE
    assert (small, large) == (9, 9)


def test_search(client_for: Any, seller: User) -> None:
    client = client_for(seller)
    company = make_company(actor=seller, name="نام شرکت")

    def grow(total: int) -> None:
        add_contacts(actor=seller, owner=seller, company=company, total=total)

    small, large = measure(client, "/search/?q=نام", grow)
    assert (small, large) == (8, 8)
    assert count_queries(client, "/search/?q=نام&partial=1") == 8


def test_contact_export(client_for: Any, seller: User) -> None:
    client = client_for(seller)
    company = make_company(actor=seller)

    def grow(total: int) -> None:
        add_contacts(actor=seller, owner=seller, company=company, total=total)

    def export_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/contacts/export.csv")
            rows = b"".join(response.streaming_content).decode().count("\n")
        assert rows == Contact.objects.count() + 1
        return len(captured.captured_queries)

    grow(SMALL)
    export_queries()
    small = export_queries()
    grow(LARGE - SMALL)
    # one of them counts the rows, to choose between streaming and a background export
    assert (small, export_queries()) == (9, 9)
