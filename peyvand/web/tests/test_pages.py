"""Every page: login required, renders for an administrator, list filters, search, profile."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from peyvand.accounts.models import ApiToken, Notification, Role, Team, User
from peyvand.contacts.models import Company, Contact, CustomField, Tag
from peyvand.contacts.services import custom_field_save
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.models import Task
from peyvand.timeline.services import activity_log, task_create

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return response.content.decode()


def listed_ids(response: Any) -> list[int]:
    return [int(value) for value in re.findall(r'name="selected" value="(\d+)"', _text(response))]


@dataclass
class World:
    admin: User
    company: Company
    contact: Contact
    task: Task
    field: CustomField
    notification: Notification
    team: Team


@pytest.fixture
def world(admin_user: User, team: Team) -> World:
    field = custom_field_save(
        actor=admin_user,
        values={
            "object_type": "contact",
            "key": "level",
            "label_fa": "سطح",
            "label_en": "Level",
            "field_type": "choice",
            "choices": ["طلایی", "نقره‌ای"],
            "is_filterable": True,
        },
    )
    company = make_company(actor=admin_user, name="شرکت آلفا", tags=["عمده"])
    contact = make_contact(
        actor=admin_user,
        first_name="زهرا",
        last_name="احمدی",
        company=company,
        emails=["z@example.ir"],
        tags=["VIP"],
        city="شیراز",
        custom_fields={"level": "طلایی"},
    )
    activity_log(actor=admin_user, values={"kind": "note", "body": "یادداشت", "contact": contact})
    task = task_create(
        actor=admin_user, values={"title": "پیگیری", "contact": contact, "company": company}
    )
    notification = Notification.objects.create(
        user=admin_user, title="یادآوری", url=f"/tasks/{task.pk}/"
    )
    return World(admin_user, company, contact, task, field, notification, team)


def page_urls(world: World) -> list[str]:
    contact, company, task = world.contact.pk, world.company.pk, world.task.pk
    return [
        "/",
        "/contacts/",
        "/contacts/new/",
        f"/contacts/{contact}/",
        f"/contacts/{contact}/edit/",
        "/contacts/export.csv",
        "/contacts/companies/",
        "/contacts/companies/new/",
        "/contacts/companies/options/",
        f"/contacts/companies/{company}/",
        f"/contacts/companies/{company}/edit/",
        "/tasks/",
        "/tasks/new/",
        f"/tasks/{task}/",
        f"/tasks/{task}/edit/",
        f"/tasks/timeline/contact/{contact}/",
        "/search/",
        "/notifications/",
        "/accounts/me/",
        "/accounts/password/change/",
        "/accounts/settings/",
        "/accounts/settings/users/new/",
        f"/accounts/settings/users/{world.admin.pk}/",
        "/accounts/settings/teams/new/",
        f"/accounts/settings/teams/{world.team.pk}/",
        "/accounts/settings/fields/new/",
        f"/accounts/settings/fields/{world.field.pk}/",
    ]


def post_urls(world: World) -> list[str]:
    contact, task = world.contact.pk, world.task.pk
    return [
        "/contacts/bulk/",
        f"/contacts/{contact}/delete/",
        f"/contacts/{contact}/consent/",
        f"/contacts/companies/{world.company.pk}/delete/",
        f"/tasks/activity/contact/{contact}/",
        f"/tasks/{task}/complete/",
        f"/tasks/{task}/delete/",
        "/notifications/read/",
        f"/notifications/{world.notification.pk}/open/",
        "/accounts/me/tokens/1/revoke/",
    ]


def login_redirect(path: str) -> str:
    return "/accounts/login/?next=" + urllib.parse.quote(path, safe="/")


class TestLoginRequired:
    def test_every_page_redirects_anonymous_visitors_to_login(
        self, client: Client, world: World
    ) -> None:
        for url in page_urls(world):
            response = client.get(url)
            assert (url, response.status_code) == (url, 302)
            assert response["Location"] == login_redirect(url)

    def test_query_string_is_kept_in_next(self, client: Client, world: World) -> None:
        response = client.get("/contacts/", {"stage": "lead", "q": "زهرا"})
        assert response["Location"] == "/accounts/login/?next=" + urllib.parse.quote(
            "/contacts/?stage=lead&q=%D8%B2%D9%87%D8%B1%D8%A7", safe="/"
        )

    def test_every_action_refuses_anonymous_posts(self, client: Client, world: World) -> None:
        for url in post_urls(world):
            response = client.post(url, {"action": "stage", "stage": "customer"})
            assert (url, response.status_code) == (url, 302)
            assert response["Location"] == login_redirect(url)
        assert Contact.objects.filter(pk=world.contact.pk).exists()
        assert Task.objects.get(pk=world.task.pk).status == "open"
        world.notification.refresh_from_db()
        assert world.notification.read_at is None

    def test_api_without_credentials_is_401(self, client: Client, world: World) -> None:
        assert client.get("/api/v1/contacts").status_code == 401


class TestPagesRender:
    def test_every_page_renders_for_an_administrator(self, logged_in: Any, world: World) -> None:
        client = logged_in(world.admin)
        for url in page_urls(world):
            response = client.get(url)
            assert (url, response.status_code) == (url, 200)
            if response.get("Content-Type", "").startswith("text/html") and not url.startswith(
                ("/contacts/companies/options/", "/tasks/timeline/")
            ):
                html = _text(response)
                assert '<html lang="fa" dir="rtl">' in html, url
                assert 'id="notification-bell"' in html, url

    def test_pages_show_the_records(self, logged_in: Any, world: World) -> None:
        client = logged_in(world.admin)
        dashboard = client.get("/")
        assert dashboard.context["contact_total"] == 1
        assert dashboard.context["company_total"] == 1
        assert [event.verb for event in dashboard.context["events"]][:2] == [
            "task.created",
            "note.logged",
        ]
        assert '<div class="display-6" id="stat-contacts">۱</div>' in _text(dashboard)

        contact_page = client.get(f"/contacts/{world.contact.pk}/")
        html = _text(contact_page)
        assert contact_page.context["contact"].pk == world.contact.pk
        assert [task.pk for task in contact_page.context["tasks"]] == [world.task.pk]
        assert contact_page.context["custom_values"] == [("سطح", "طلایی")]
        assert "z@example.ir" in html
        assert f'href="/contacts/companies/{world.company.pk}/"' in html
        assert 'id="activity-form"' in html

        company_page = client.get(f"/contacts/companies/{world.company.pk}/")
        assert [person.pk for person in company_page.context["people"]] == [world.contact.pk]
        assert [task.pk for task in company_page.context["tasks"]] == [world.task.pk]
        verbs = [event.verb for event in company_page.context["events"]]
        assert sorted(verbs) == sorted(
            ["company.created", "contact.created", "note.logged", "task.created"]
        )

        task_page = client.get(f"/tasks/{world.task.pk}/")
        assert f'href="/contacts/{world.contact.pk}/"' in _text(task_page)
        tasks = client.get("/tasks/", {"scope": "all", "status": "open"})
        assert [task.pk for task in tasks.context["tasks"]] == [world.task.pk]

        notifications = client.get("/notifications/")
        assert [item.pk for item in notifications.context["notifications"]] == [
            world.notification.pk
        ]
        assert notifications.context["unread_notifications"] == 1

    def test_company_timeline_fragment_for_htmx(self, logged_in: Any, world: World) -> None:
        response = logged_in(world.admin).get(
            f"/contacts/companies/{world.company.pk}/", HTTP_HX_REQUEST="true"
        )
        html = _text(response)
        assert html.startswith('<div id="timeline">')
        assert "<html" not in html

    def test_bad_cursor_is_404(self, logged_in: Any, world: World) -> None:
        client = logged_in(world.admin)
        assert client.get("/contacts/", {"cursor": "%%%"}).status_code == 404
        assert client.get("/contacts/companies/", {"cursor": "bm90IGpzb24"}).status_code == 404

    def test_settings_pages_are_forbidden_to_sales(
        self, logged_in: Any, world: World, sales_user: User
    ) -> None:
        client = logged_in(sales_user)
        for url in page_urls(world):
            if url.startswith("/accounts/settings/"):
                assert (url, client.get(url).status_code) == (url, 403)


class TestContactListFilters:
    @pytest.fixture
    def people(
        self, world: World, make_user: Callable[..., User]
    ) -> tuple[World, User, dict[str, Contact]]:
        seller = make_user(role=Role.SALES, teams=(world.team,))
        admin = world.admin
        people = {
            "zahra": world.contact,  # admin's, Shiraz, VIP, level طلایی, lead
            "ali": make_contact(
                actor=admin,
                first_name="علی",
                last_name="بهرامی",
                owner=seller,
                lifecycle_stage="customer",
                city="تهران",
                phones=["09351234567"],
                custom_fields={"level": "نقره‌ای"},
            ),
            "sara": make_contact(
                actor=admin,
                first_name="سارا",
                last_name="کریمی",
                owner=None,
                lifecycle_stage="customer",
                city="شيراز",
                tags=["VIP", "وفادار"],
                custom_fields={"level": "طلایی"},
            ),
            "reza": make_contact(
                actor=admin, first_name="رضا", last_name="امینی", lifecycle_stage="churned"
            ),
        }
        return world, seller, people

    def test_filters(self, logged_in: Any, people: Any) -> None:
        world, seller, p = people
        client = logged_in(world.admin)
        vip = Tag.objects.get(name="VIP")

        def ids(**params: str) -> list[int]:
            response = client.get("/contacts/", params)
            assert response.status_code == 200
            return listed_ids(response)

        newest_first = [p["reza"].pk, p["sara"].pk, p["ali"].pk, p["zahra"].pk]
        assert ids() == newest_first
        assert ids(q="علي") == [p["ali"].pk]
        assert ids(q="۰۹۳۵") == [p["ali"].pk]
        assert ids(q="کریمی سارا") == [p["sara"].pk]
        assert ids(owner=str(seller.pk)) == [p["ali"].pk]
        assert ids(owner="me") == [p["reza"].pk, p["zahra"].pk]
        assert ids(owner="none") == [p["sara"].pk]
        assert ids(stage="customer") == [p["sara"].pk, p["ali"].pk]
        assert ids(tag=str(vip.pk)) == [p["sara"].pk, p["zahra"].pk]
        assert ids(city="شیراز") == [p["sara"].pk, p["zahra"].pk]
        assert ids(city="شيراز", stage="customer") == [p["sara"].pk]
        assert ids(cf_level="طلایی") == [p["sara"].pk, p["zahra"].pk]
        assert ids(cf_level="نقره‌ای") == [p["ali"].pk]
        assert ids(cf_level="برنزی") == []
        assert ids(sort="oldest") == newest_first[::-1]
        # by last name: احمدی, امینی, بهرامی, کریمی
        assert ids(sort="name") == [p["zahra"].pk, p["reza"].pk, p["ali"].pk, p["sara"].pk]
        assert ids(sort="bogus") == newest_first

    def test_filter_form_keeps_its_values_and_offers_the_custom_field(
        self, logged_in: Any, people: Any
    ) -> None:
        world, _seller, _people = people
        response = logged_in(world.admin).get(
            "/contacts/", {"stage": "customer", "cf_level": "طلایی", "sort": "name"}
        )
        html = _text(response)
        assert '<option value="customer" selected>' in html
        assert '<option value="name" selected>' in html
        assert 'name="cf_level" value="طلایی" placeholder="سطح"' in html
        export_link = re.search(r'href="/contacts/export.csv\?([^"]*)"', html)
        assert export_link is not None
        assert urllib.parse.parse_qs(export_link.group(1).replace("&amp;", "&")) == {
            "stage": ["customer"],
            "cf_level": ["طلایی"],
            "sort": ["name"],
        }

    def test_keyset_pages_cover_every_row_once(self, logged_in: Any, admin_user: User) -> None:
        created = [make_contact(actor=admin_user, first_name=f"n{i}") for i in range(55)]
        client = logged_in(admin_user)
        first = client.get("/contacts/")
        first_ids = listed_ids(first)
        assert len(first_ids) == 50
        next_link = re.search(r'href="\?([^"]+)" id="next-page"', _text(first))
        assert next_link is not None
        second = client.get("/contacts/?" + next_link.group(1).replace("&amp;", "&"))
        second_ids = listed_ids(second)
        assert 'id="next-page"' not in _text(second)
        assert first_ids + second_ids == [contact.pk for contact in reversed(created)]


class TestSearch:
    def test_full_and_partial_search(self, logged_in: Any, world: World) -> None:
        other = make_contact(actor=world.admin, first_name="کامران", phones=["09121112233"])
        client = logged_in(world.admin)

        full = client.get("/search/", {"q": "كامران"})
        assert full.status_code == 200
        assert [contact.pk for contact in full.context["contacts"]] == [other.pk]
        assert "<html" in _text(full)
        assert f'href="/contacts/{other.pk}/"' in _text(full)

        partial = client.get("/search/", {"q": "۰۹۱۲۱۱۱", "partial": "1"})
        html = _text(partial)
        assert "<html" not in html
        assert html.strip().startswith('<div class="list-group list-group-flush"')
        assert [contact.pk for contact in partial.context["contacts"]] == [other.pk]

        company = client.get("/search/", {"q": "آلفا", "partial": "1"})
        assert company.context["contacts"] == []
        assert [row.pk for row in company.context["companies"]] == [world.company.pk]
        assert f'href="/contacts/companies/{world.company.pk}/"' in _text(company)

        assert _text(client.get("/search/", {"q": "  ", "partial": "1"})).strip() == ""

    def test_partial_search_is_limited_to_eight(self, logged_in: Any, admin_user: User) -> None:
        for _index in range(10):
            make_contact(actor=admin_user, first_name="تکراری")
        client = logged_in(admin_user)
        assert len(client.get("/search/", {"q": "تکراری", "partial": "1"}).context["contacts"]) == 8
        assert len(client.get("/search/", {"q": "تکراری"}).context["contacts"]) == 10


class TestProfile:
    def test_create_use_and_revoke_an_api_token(self, logged_in: Any, sales_user: User) -> None:
        make_contact(actor=sales_user)
        client = logged_in(sales_user)
        page = client.get("/accounts/me/")
        assert page.status_code == 200
        assert list(page.context["tokens"]) == []

        created = client.post("/accounts/me/", {"name": "اسکریپت", "scopes": ["contacts:read"]})
        assert created.status_code == 200
        match = re.search(r'<code[^>]*id="new-token">([^<]+)</code>', _text(created))
        assert match is not None
        plain = match.group(1)
        token = ApiToken.objects.get(user=sales_user)
        assert plain.startswith(f"pv_{token.prefix}_")
        assert token.scopes == ["contacts:read"]
        assert token.name == "اسکریپت"

        api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
        listed = api.get("/api/v1/contacts")
        assert listed.status_code == 200
        assert len(listed.json()["items"]) == 1

        again = client.get("/accounts/me/")
        assert 'id="new-token"' not in _text(again)
        assert f"pv_{token.prefix}_…" in _text(again)

        revoked = client.post(f"/accounts/me/tokens/{token.pk}/revoke/")
        assert revoked["Location"] == "/accounts/me/"
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert api.get("/api/v1/contacts").status_code == 401

    def test_bad_scope_is_a_field_error_and_others_tokens_are_404(
        self, logged_in: Any, sales_user: User, make_user: Callable[..., User]
    ) -> None:
        client = logged_in(sales_user)
        response = client.post("/accounts/me/", {"name": "x", "scopes": ["root:everything"]})
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["scopes"]
        assert ApiToken.objects.count() == 0

        other = make_user()
        client.logout()
        other_client = Client()
        other_client.force_login(other)
        other_client.post("/accounts/me/", {"name": "theirs", "scopes": ["*:read"]})
        theirs = ApiToken.objects.get(user=other)
        client.force_login(sales_user)
        assert client.post(f"/accounts/me/tokens/{theirs.pk}/revoke/").status_code == 404
        theirs.refresh_from_db()
        assert theirs.revoked_at is None
