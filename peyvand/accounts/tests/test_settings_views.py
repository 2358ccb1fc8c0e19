"""Administrator settings pages: users, teams, custom fields and record visibility."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from peyvand.accounts.models import Role, Team, User, VisibilityPolicy
from peyvand.contacts.models import Company, Contact, CustomField
from peyvand.contacts.tests.factories import make_contact
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return response.content.decode()


def tr(message: str, language: str = "fa") -> str:
    with translation.override(language):
        return translation.gettext(message)


SETTINGS_URLS = (
    "/accounts/settings/",
    "/accounts/settings/users/new/",
    "/accounts/settings/teams/new/",
    "/accounts/settings/fields/new/",
)


class TestAdminOnly:
    @pytest.mark.parametrize(
        "role", [Role.SALES, Role.MANAGER, Role.SUPPORT, Role.MARKETING, Role.READ_ONLY]
    )
    def test_non_admins_get_403_and_change_nothing(
        self, logged_in: Any, make_user: Callable[..., User], team: Team, role: str
    ) -> None:
        client = logged_in(make_user(role=role, teams=(team,)))
        for url in (
            *SETTINGS_URLS,
            f"/accounts/settings/teams/{team.pk}/",
            f"/accounts/settings/users/{User.objects.first().pk}/",  # type: ignore[union-attr]
        ):
            assert (url, client.get(url).status_code) == (url, 403)
        users_before = User.objects.count()
        assert (
            client.post(
                "/accounts/settings/users/new/",
                {"username": "intruder", "role": "admin", "password": "Strong-pass-987"},
            ).status_code
            == 403
        )
        assert client.post("/accounts/settings/teams/new/", {"name": "تیم"}).status_code == 403
        assert (
            client.post(
                "/accounts/settings/fields/new/",
                {"object_type": "contact", "key": "k", "label_fa": "ک", "field_type": "text"},
            ).status_code
            == 403
        )
        assert (
            client.post(
                "/accounts/settings/",
                {"visibility-object_type": "contact", "visibility-level": "everyone"},
            ).status_code
            == 403
        )
        assert User.objects.count() == users_before
        assert Team.objects.count() == 1
        assert CustomField.objects.count() == 0
        assert VisibilityPolicy.objects.count() == 0

    def test_settings_link_only_for_admins(
        self, logged_in: Any, admin_user: User, sales_user: User
    ) -> None:
        assert 'href="/accounts/settings/"' not in _text(logged_in(sales_user).get("/"))
        assert 'href="/accounts/settings/"' in _text(logged_in(admin_user).get("/"))


class TestUsers:
    def test_admin_creates_a_user_who_can_sign_in(
        self, logged_in: Any, admin_user: User, team: Team
    ) -> None:
        client = logged_in(admin_user)
        assert client.get("/accounts/settings/users/new/").status_code == 200
        response = client.post(
            "/accounts/settings/users/new/",
            {
                "username": "neda",
                "first_name": "ندا",
                "last_name": "كريمي",
                "email": "neda@example.ir",
                "role": "manager",
                "language": "en",
                "teams": [str(team.pk)],
                "is_active": "on",
                "password": "Neda-strong-pass-1",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == "/accounts/settings/"
        neda = User.objects.get(username="neda")
        assert (neda.first_name, neda.email, neda.role, neda.language) == (
            "ندا",
            "neda@example.ir",
            "manager",
            "en",
        )
        assert neda.is_active is True
        assert neda.is_staff is False
        assert list(neda.teams.all()) == [team]
        assert neda.check_password("Neda-strong-pass-1")
        event = Event.objects.get(verb="user.created", subject_id=neda.pk)
        assert event.actor_id == admin_user.pk
        assert "password" not in event.payload["changes"]

        listing = client.get("/accounts/settings/")
        assert f'href="/accounts/settings/users/{neda.pk}/">neda</a>' in _text(listing)

        fresh = Client()
        signed_in = fresh.post(
            "/accounts/login/", {"username": "neda", "password": "Neda-strong-pass-1"}
        )
        assert signed_in.status_code == 302
        assert '<html lang="en" dir="ltr">' in _text(fresh.get("/"))

    def test_new_admin_user_is_staff(self, logged_in: Any, admin_user: User) -> None:
        logged_in(admin_user).post(
            "/accounts/settings/users/new/",
            {
                "username": "boss",
                "role": "admin",
                "language": "fa",
                "is_active": "on",
                "password": "Boss-strong-pass-2",
            },
        )
        assert User.objects.get(username="boss").is_staff is True

    def test_missing_or_weak_password_and_duplicate_username_are_field_errors(
        self, logged_in: Any, admin_user: User
    ) -> None:
        client = logged_in(admin_user)
        base = {"username": "newbie", "role": "sales", "language": "fa", "is_active": "on"}
        missing = client.post("/accounts/settings/users/new/", base)
        assert missing.status_code == 200
        assert missing.context["form"].errors == {
            "password": [tr("Set a password for the new user.")]
        }
        assert 'data-error-for="password"' in _text(missing)
        weak = client.post("/accounts/settings/users/new/", {**base, "password": "123"})
        assert weak.status_code == 200
        assert list(weak.context["form"].errors) == ["password"]
        duplicate = client.post(
            "/accounts/settings/users/new/",
            {**base, "username": admin_user.username, "password": "Strong-pass-987"},
        )
        assert duplicate.status_code == 200
        assert list(duplicate.context["form"].errors) == ["username"]
        assert not User.objects.filter(username="newbie").exists()

    def test_edit_keeps_the_password_unless_given_and_admin_cannot_deactivate_self(
        self, logged_in: Any, admin_user: User, sales_user: User, team: Team
    ) -> None:
        client = logged_in(admin_user)
        page = client.get(f"/accounts/settings/users/{sales_user.pk}/")
        assert page.context["form"].initial["username"] == sales_user.username
        response = client.post(
            f"/accounts/settings/users/{sales_user.pk}/",
            {
                "username": sales_user.username,
                "first_name": "نام نو",
                "role": "support",
                "language": "fa",
                "teams": [],
                "is_active": "on",
                "password": "",
            },
        )
        assert response.status_code == 302
        sales_user.refresh_from_db()
        assert (sales_user.first_name, sales_user.role) == ("نام نو", "support")
        assert list(sales_user.teams.all()) == []
        assert sales_user.check_password("Pass-word-123")

        client.post(
            f"/accounts/settings/users/{sales_user.pk}/",
            {
                "username": sales_user.username,
                "role": "support",
                "language": "fa",
                "is_active": "on",
                "password": "Changed-pass-654",
            },
        )
        sales_user.refresh_from_db()
        assert sales_user.check_password("Changed-pass-654")
        assert Event.objects.filter(verb="user.password_set", subject_id=sales_user.pk).count() == 1

        self_off = client.post(
            f"/accounts/settings/users/{admin_user.pk}/",
            {"username": admin_user.username, "role": "admin", "language": "fa"},
        )
        assert self_off.status_code == 200
        assert list(self_off.context["form"].errors) == ["is_active"]
        admin_user.refresh_from_db()
        assert admin_user.is_active is True

    def test_unknown_ids_are_404(self, logged_in: Any, admin_user: User) -> None:
        client = logged_in(admin_user)
        assert client.get("/accounts/settings/users/999999/").status_code == 404
        assert client.get("/accounts/settings/teams/999999/").status_code == 404
        assert client.get("/accounts/settings/fields/999999/").status_code == 404


class TestTeams:
    def test_admin_creates_and_renames_a_team(self, logged_in: Any, admin_user: User) -> None:
        client = logged_in(admin_user)
        response = client.post(
            "/accounts/settings/teams/new/", {"name": " فروش شيراز ", "description": "جنوب"}
        )
        assert response.status_code == 302
        assert response["Location"] == "/accounts/settings/"
        created = Team.objects.get(description="جنوب")
        assert created.name == "فروش شيراز"
        assert Event.objects.filter(verb="team.created", subject_id=created.pk).count() == 1

        renamed = client.post(
            f"/accounts/settings/teams/{created.pk}/", {"name": "فروش فارس", "description": ""}
        )
        assert renamed.status_code == 302
        created.refresh_from_db()
        assert created.name == "فروش فارس"
        assert f'href="/accounts/settings/teams/{created.pk}/">فروش فارس</a>' in _text(
            client.get("/accounts/settings/")
        )

    def test_duplicate_team_name_is_a_field_error(
        self, logged_in: Any, admin_user: User, team: Team
    ) -> None:
        response = logged_in(admin_user).post("/accounts/settings/teams/new/", {"name": team.name})
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["name"]
        assert Team.objects.count() == 1


class TestCustomFields:
    def create_level_field(self, client: Client) -> CustomField:
        response = client.post(
            "/accounts/settings/fields/new/",
            {
                "object_type": "contact",
                "key": "level",
                "label_fa": "سطح مشتري",
                "label_en": "Customer level",
                "field_type": "choice",
                "choices": "طلایی\r\n\r\nنقره‌ای\r\nبرنزی ",
                "is_filterable": "on",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == "/accounts/settings/"
        return CustomField.objects.get(key="level")

    def test_choice_field_appears_on_the_contact_form_and_validates(
        self, logged_in: Any, admin_user: User
    ) -> None:
        client = logged_in(admin_user)
        field = self.create_level_field(client)
        assert (field.object_type, field.field_type, field.label_fa) == (
            "contact",
            "choice",
            "سطح مشتری",
        )
        assert field.choices == ["طلایی", "نقره‌ای", "برنزی"]
        assert (field.is_required, field.is_filterable) == (False, True)

        form = _text(client.get("/contacts/new/"))
        select = re.search(r'<select name="cf_level"[^>]*>(.*?)</select>', form, re.S)
        assert select is not None
        assert re.findall(r'<option value="([^"]*)"', select.group(1)) == [
            "",
            "طلایی",
            "نقره‌ای",
            "برنزی",
        ]
        assert '<label class="form-label" for="id_cf_level">سطح مشتری</label>' in form

        base = {"last_name": "رضایی", "lifecycle_stage": "lead", "owner": str(admin_user.pk)}
        bad = client.post("/contacts/new/", {**base, "cf_level": "الماسی"})
        assert bad.status_code == 200
        assert list(bad.context["form"].errors) == ["cf_level"]
        assert 'data-error-for="cf_level"' in _text(bad)
        assert Contact.objects.count() == 0

        good = client.post("/contacts/new/", {**base, "cf_level": "نقره‌ای"})
        assert good.status_code == 302
        contact = Contact.objects.get()
        assert contact.custom_fields == {"level": "نقره‌ای"}
        detail = client.get(good["Location"])
        assert detail.context["custom_values"] == [("سطح مشتری", "نقره‌ای")]

    def test_editing_a_contact_keeps_or_changes_its_custom_value(
        self, logged_in: Any, admin_user: User
    ) -> None:
        client = logged_in(admin_user)
        self.create_level_field(client)
        contact = make_contact(actor=admin_user, custom_fields={"level": "طلایی"})
        edit = client.get(f"/contacts/{contact.pk}/edit/")
        assert '<option value="طلایی" selected>' in _text(edit)
        data = {
            "last_name": contact.last_name,
            "first_name": contact.first_name,
            "phones": [phone.number for phone in contact.phones.all()],
            "lifecycle_stage": "lead",
            "owner": str(admin_user.pk),
            "cf_level": "طلایی",
        }
        assert client.post(f"/contacts/{contact.pk}/edit/", data).status_code == 302
        contact.refresh_from_db()
        assert contact.custom_fields == {"level": "طلایی"}
        assert (
            client.post(f"/contacts/{contact.pk}/edit/", {**data, "cf_level": "برنزی"}).status_code
            == 302
        )
        contact.refresh_from_db()
        assert contact.custom_fields == {"level": "برنزی"}
        changes = Event.objects.filter(contact=contact, verb="contact.updated").get()
        assert changes.payload["changes"]["custom_fields"] == [
            {"level": "طلایی"},
            {"level": "برنزی"},
        ]

    def test_english_user_sees_the_english_label(
        self, logged_in: Any, make_user: Callable[..., User], admin_user: User
    ) -> None:
        self.create_level_field(logged_in(admin_user))
        english = make_user(role=Role.ADMIN, language="en")
        form = _text(logged_in(english).get("/contacts/new/"))
        assert '<label class="form-label" for="id_cf_level">Customer level</label>' in form

    def test_required_number_field_is_checked_by_the_service(
        self, logged_in: Any, admin_user: User
    ) -> None:
        client = logged_in(admin_user)
        created = client.post(
            "/accounts/settings/fields/new/",
            {
                "object_type": "contact",
                "key": "budget",
                "label_fa": "بودجه",
                "field_type": "number",
                "is_required": "on",
            },
        )
        assert created.status_code == 302
        base = {"last_name": "رضایی", "lifecycle_stage": "lead", "owner": str(admin_user.pk)}
        missing = client.post("/contacts/new/", base)
        assert missing.status_code == 200
        assert list(missing.context["form"].errors) == ["cf_budget"]
        not_a_number = client.post("/contacts/new/", {**base, "cf_budget": "زیاد"})
        assert not_a_number.status_code == 200
        assert not_a_number.context["form"].errors == {"cf_budget": [tr("Enter a number.")]}
        assert Contact.objects.count() == 0
        good = client.post("/contacts/new/", {**base, "cf_budget": "۱۲۵۰۰"})
        assert good.status_code == 302
        assert Contact.objects.get().custom_fields == {"budget": 12500}

    def test_company_field_is_saved_from_the_company_form(
        self, logged_in: Any, admin_user: User
    ) -> None:
        client = logged_in(admin_user)
        client.post(
            "/accounts/settings/fields/new/",
            {"object_type": "company", "key": "region", "label_fa": "منطقه", "field_type": "text"},
        )
        assert 'name="cf_region"' in _text(client.get("/contacts/companies/new/"))
        assert 'name="cf_region"' not in _text(client.get("/contacts/new/"))
        response = client.post(
            "/contacts/companies/new/", {"name": "شرکت گاما", "cf_region": " جنوب  غربي "}
        )
        assert response.status_code == 302
        assert Company.objects.get().custom_fields == {"region": "جنوب غربی"}

    def test_choice_field_needs_options_and_keys_are_unique(
        self, logged_in: Any, admin_user: User
    ) -> None:
        client = logged_in(admin_user)
        no_options = client.post(
            "/accounts/settings/fields/new/",
            {"object_type": "contact", "key": "tier", "label_fa": "رده", "field_type": "choice"},
        )
        assert no_options.status_code == 200
        assert no_options.context["form"].errors == {"choices": [tr("Enter at least one choice.")]}
        self.create_level_field(client)
        duplicate = client.post(
            "/accounts/settings/fields/new/",
            {"object_type": "contact", "key": "level", "label_fa": "x", "field_type": "text"},
        )
        assert duplicate.status_code == 200
        assert duplicate.context["form"].errors
        assert CustomField.objects.count() == 1

    def test_edit_shows_choices_one_per_line(self, logged_in: Any, admin_user: User) -> None:
        client = logged_in(admin_user)
        field = self.create_level_field(client)
        page = client.get(f"/accounts/settings/fields/{field.pk}/")
        assert page.context["form"].initial["choices"] == "طلایی\nنقره‌ای\nبرنزی"


class TestVisibility:
    def test_admin_opens_contacts_to_everyone(
        self, logged_in: Any, admin_user: User, make_user: Callable[..., User], team: Team
    ) -> None:
        owner = make_user(role=Role.SALES, teams=(team,))
        stranger = make_user(role=Role.SALES, teams=(Team.objects.create(name="دیگر"),))
        contact = make_contact(actor=owner)
        stranger_client = Client()
        stranger_client.force_login(stranger)
        assert stranger_client.get(f"/contacts/{contact.pk}/").status_code == 404

        client = logged_in(admin_user)
        response = client.post(
            "/accounts/settings/",
            {"visibility-object_type": "contact", "visibility-level": "everyone"},
        )
        assert response.status_code == 302
        assert response["Location"] == "/accounts/settings/"
        assert list(VisibilityPolicy.objects.values_list("object_type", "level")) == [
            ("contact", "everyone")
        ]
        event = Event.objects.get(verb="visibility.changed")
        assert event.payload == {"changes": {"level": [None, "everyone"]}}
        assert stranger_client.get(f"/contacts/{contact.pk}/").status_code == 200

        client.post(
            "/accounts/settings/",
            {"visibility-object_type": "contact", "visibility-level": "private"},
        )
        assert VisibilityPolicy.objects.get().level == "private"
        assert stranger_client.get(f"/contacts/{contact.pk}/").status_code == 404
        teammate = make_user(role=Role.SALES, teams=(team,))
        teammate_client = Client()
        teammate_client.force_login(teammate)
        assert teammate_client.get(f"/contacts/{contact.pk}/").status_code == 404

    def test_unknown_level_is_refused(self, logged_in: Any, admin_user: User) -> None:
        response = logged_in(admin_user).post(
            "/accounts/settings/",
            {"visibility-object_type": "contact", "visibility-level": "world"},
        )
        assert response.status_code == 200
        assert list(response.context["visibility_form"].errors) == ["level"]
        assert VisibilityPolicy.objects.count() == 0
