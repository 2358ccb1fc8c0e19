"""Contact and company pages through HTTP: visibility, forms, bulk actions and CSV export."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from peyvand.accounts.models import Role, Team, User
from peyvand.contacts.models import Company, Contact, ContactConsent, Tag
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.models import Activity, Event

pytestmark = pytest.mark.django_db


CSV_HEADER = [
    "id",
    "first_name",
    "last_name",
    "phones",
    "emails",
    "national_id",
    "birthday",
    "city",
    "province",
    "lifecycle_stage",
    "owner",
    "company",
    "tags",
]


def listed_ids(response: Any) -> list[int]:
    """The contact ids of the list page's rows, in page order."""
    return [int(value) for value in re.findall(r'name="selected" value="(\d+)"', _text(response))]


def _text(response: Any) -> str:
    return response.content.decode()


def csv_rows(response: Any) -> tuple[str, list[list[str]]]:
    """(first character, parsed rows) of a streamed CSV response."""
    body = b"".join(response.streaming_content).decode("utf-8")
    return body[:1], list(csv.reader(io.StringIO(body[1:])))


def tr(message: str, language: str = "fa", **params: Any) -> str:
    """``message`` translated as the page shows it (Farsi users are the default)."""
    with translation.override(language):
        text = translation.gettext(message)
    return text % params if params else text


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def other_team() -> Team:
    return Team.objects.create(name="پشتیبانی")


@pytest.fixture
def outsider(make_user: Callable[..., User], other_team: Team) -> User:
    """A sales user in another team: none of ``sales_user``'s records are theirs to see."""
    return make_user(role=Role.SALES, teams=(other_team,))


@pytest.fixture
def hidden_contact(outsider: User) -> Contact:
    return make_contact(actor=outsider, first_name="پنهان", last_name="دیگری", owner=outsider)


# --- record-level visibility ------------------------------------------------------------


class TestVisibility:
    def test_sales_user_gets_404_on_every_page_of_an_invisible_contact(
        self, logged_in: Any, sales_user: User, hidden_contact: Contact
    ) -> None:
        client = logged_in(sales_user)
        pk = hidden_contact.pk
        assert client.get(f"/contacts/{pk}/").status_code == 404
        assert client.get(f"/contacts/{pk}/edit/").status_code == 404
        assert client.post(f"/contacts/{pk}/edit/", {"last_name": "x"}).status_code == 404
        assert client.get(f"/tasks/timeline/contact/{pk}/").status_code == 404
        assert client.get(f"/tasks/new/?contact={pk}").status_code == 404
        consent = {"channel": "sms", "status": "granted", "method": "verbal"}
        assert client.post(f"/contacts/{pk}/consent/", consent).status_code == 404
        activity = {"kind": "note", "body": "یادداشت پنهانی"}
        assert client.post(f"/tasks/activity/contact/{pk}/", activity).status_code == 404
        assert ContactConsent.objects.filter(contact=hidden_contact).count() == 0
        assert Activity.objects.filter(contact=hidden_contact).count() == 0
        hidden_contact.refresh_from_db()
        assert hidden_contact.last_name == "دیگری"

    def test_delete_of_invisible_contact_is_404_even_with_delete_permission(
        self,
        logged_in: Any,
        make_user: Callable[..., User],
        team: Team,
        hidden_contact: Contact,
    ) -> None:
        manager = make_user(role=Role.MANAGER, teams=(team,))
        response = logged_in(manager).post(f"/contacts/{hidden_contact.pk}/delete/")
        assert response.status_code == 404
        assert Contact.objects.filter(pk=hidden_contact.pk).exists()

    def test_sales_user_without_delete_permission_gets_403(
        self, logged_in: Any, sales_user: User
    ) -> None:
        own = make_contact(actor=sales_user, owner=sales_user)
        assert logged_in(sales_user).post(f"/contacts/{own.pk}/delete/").status_code == 403
        assert Contact.objects.filter(pk=own.pk).exists()

    def test_invisible_contact_is_absent_from_list_search_export_and_autocomplete(
        self, logged_in: Any, sales_user: User, outsider: User, hidden_contact: Contact
    ) -> None:
        mine = make_contact(actor=sales_user, first_name="پیدا", last_name="دیگری")
        make_company(actor=outsider, name="شرکت پنهان دیگری", owner=outsider)
        visible_company = make_company(actor=sales_user, name="شرکت پیدا دیگری")
        client = logged_in(sales_user)

        assert listed_ids(client.get("/contacts/")) == [mine.pk]
        assert listed_ids(client.get("/contacts/", {"q": "دیگری"})) == [mine.pk]

        search = client.get("/search/", {"q": "دیگری"})
        assert search.status_code == 200
        assert [contact.pk for contact in search.context["contacts"]] == [mine.pk]
        assert [company.pk for company in search.context["companies"]] == [visible_company.pk]
        assert "پنهان" not in _text(search)

        partial = client.get("/search/", {"q": "دیگری", "partial": "1"})
        assert [contact.pk for contact in partial.context["contacts"]] == [mine.pk]
        assert "پنهان" not in _text(partial)

        _bom, rows = csv_rows(client.get("/contacts/export.csv"))
        assert [row[0] for row in rows[1:]] == [str(mine.pk)]

        options = client.get("/contacts/companies/options/", {"q": "شرکت"})
        assert _text(options).strip() == '<option value="شرکت پیدا دیگری"></option>'

    def test_bulk_action_with_an_invisible_id_is_rejected_and_changes_nothing(
        self, logged_in: Any, sales_user: User, hidden_contact: Contact
    ) -> None:
        mine = make_contact(actor=sales_user, lifecycle_stage="lead")
        events_before = Event.objects.count()
        client = logged_in(sales_user)
        for data in (
            {"action": "stage", "stage": "customer"},
            {"action": "tag", "tags": "VIP"},
            {"action": "assign", "owner": str(sales_user.pk)},
        ):
            response = client.post(
                "/contacts/bulk/",
                {**data, "selected": [str(mine.pk), str(hidden_contact.pk)]},
                follow=True,
            )
            assert response.redirect_chain == [("/contacts/", 302)]
            assert messages_of(response) == [
                tr(
                    "Select a valid choice. %(value)s is not one of the available choices.",
                    value=hidden_contact.pk,
                ),
                tr("Select at least one contact."),
            ]
        export = client.post(
            "/contacts/bulk/", {"action": "export", "selected": [str(hidden_contact.pk)]}
        )
        assert export.status_code == 302
        mine.refresh_from_db()
        hidden_contact.refresh_from_db()
        assert (mine.lifecycle_stage, hidden_contact.lifecycle_stage) == ("lead", "lead")
        assert hidden_contact.owner_id != sales_user.pk
        assert list(hidden_contact.tags.all()) == []
        assert list(mine.tags.all()) == []
        assert Event.objects.count() == events_before

    def test_company_pages_of_an_invisible_company_are_404(
        self, logged_in: Any, sales_user: User, outsider: User
    ) -> None:
        company = make_company(actor=outsider, owner=outsider)
        client = logged_in(sales_user)
        assert client.get(f"/contacts/companies/{company.pk}/").status_code == 404
        assert client.get(f"/contacts/companies/{company.pk}/edit/").status_code == 404
        assert client.get(f"/tasks/new/?company={company.pk}").status_code == 404
        note = {"kind": "note", "body": "x"}
        assert client.post(f"/tasks/activity/company/{company.pk}/", note).status_code == 404
        assert client.get("/contacts/companies/").context["companies"] == []


# --- the contact form ---------------------------------------------------------------------


def contact_form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "علي",
        "last_name": "كريمي",
        "phones": ["۰۹۱۲۱۲۳۴۵۶۷"],
        "emails": ["Ali.Karimi@Example.ir"],
        "national_id": "۰۰۱۲۳۴۵۶۷۹",
        "birthday": "۱۳۶۹/۰۲/۱۱",
        "gender": "male",
        "lifecycle_stage": "customer",
        "city": "تهران",
        "tags": "VIP، نمایشگاه",
    }
    data.update(overrides)
    return data


class TestContactForm:
    def test_create_normalizes_persian_input_and_redirects_to_the_360_page(
        self, logged_in: Any, sales_user: User
    ) -> None:
        client = logged_in(sales_user)
        form_page = client.get("/contacts/new/")
        assert form_page.status_code == 200
        assert 'id="contact-form"' in _text(form_page)

        response = client.post(
            "/contacts/new/", contact_form_data(owner=str(sales_user.pk)), follow=False
        )
        contact = Contact.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/contacts/{contact.pk}/"
        assert (contact.first_name, contact.last_name) == ("علی", "کریمی")
        assert [phone.number for phone in contact.phones.all()] == ["+989121234567"]
        assert [email.address for email in contact.emails.all()] == ["ali.karimi@example.ir"]
        assert contact.national_id == "0012345679"
        assert contact.birthday == datetime.date(1990, 5, 1)
        assert contact.owner_id == sales_user.pk
        assert contact.created_by_id == sales_user.pk
        assert sorted(tag.name for tag in contact.tags.all()) == ["VIP", "نمایشگاه"]
        assert list(Event.objects.filter(contact=contact).values_list("verb", flat=True)) == [
            "contact.created"
        ]

        page = client.get(response["Location"])
        html = _text(page)
        assert page.status_code == 200
        assert '<html lang="fa" dir="rtl">' in html
        assert '<h1 class="h4 mb-1" id="contact-name">علی کریمی</h1>' in html
        assert '<dd class="col-7" id="contact-birthday">۱۳۶۹/۰۲/۱۱</dd>' in html
        assert "۰۰۱۲۳۴۵۶۷۹" in html

    def test_handing_a_new_contact_to_another_team_goes_back_to_the_list(
        self, logged_in: Any, sales_user: User, outsider: User
    ) -> None:
        client = logged_in(sales_user)
        response = client.post("/contacts/new/", contact_form_data(owner=str(outsider.pk)))
        contact = Contact.objects.get()
        assert contact.owner_id == outsider.pk
        assert response.status_code == 302
        assert response["Location"] == "/contacts/"
        assert messages_of(client.get("/contacts/")) == [
            tr("Saved. It now belongs to %(owner)s and is not visible to you.", owner=outsider)
        ]

    def test_invalid_national_id_rerenders_the_form_with_the_error_beside_the_field(
        self, logged_in: Any, sales_user: User
    ) -> None:
        response = logged_in(sales_user).post(
            "/contacts/new/",
            contact_form_data(national_id="0012345678", owner=str(sales_user.pk)),
        )
        assert response.status_code == 200
        assert Contact.objects.count() == 0
        assert Event.objects.count() == 0
        form = response.context["form"]
        assert list(form.errors) == ["national_id"]
        html = _text(response)
        error_block = re.search(r'data-error-for="national_id">([^<]*)</div>', html)
        assert error_block is not None
        assert error_block.group(1).strip() == form.errors["national_id"][0]
        assert re.search(r'<input[^>]*name="national_id" value="0012345678"[^>]*is-invalid', html)
        # what was typed is kept
        assert 'value="۱۳۶۹/۰۲/۱۱"' in html

    def test_invalid_phone_and_unknown_company_are_field_errors(
        self, logged_in: Any, sales_user: User
    ) -> None:
        response = logged_in(sales_user).post(
            "/contacts/new/",
            contact_form_data(
                phones=["12"], company_name="شرکتی که نیست", owner=str(sales_user.pk)
            ),
        )
        assert response.status_code == 200
        assert sorted(response.context["form"].errors) == ["company_name"]
        assert Contact.objects.count() == 0
        # the company is checked by the form; once it passes the phone is checked by the service
        response = logged_in(sales_user).post(
            "/contacts/new/", contact_form_data(phones=["12"], owner=str(sales_user.pk))
        )
        assert response.status_code == 200
        assert sorted(response.context["form"].errors) == ["phones"]
        assert 'data-error-for="phones"' in _text(response)
        assert Contact.objects.count() == 0

    def test_english_user_sees_iso_dates_and_english_labels(
        self, logged_in: Any, make_user: Callable[..., User], team: Team
    ) -> None:
        english = make_user(role=Role.SALES, teams=(team,), language="en")
        contact = make_contact(
            actor=english, birthday=datetime.date(1990, 5, 1), national_id="0012345679"
        )
        client = logged_in(english)
        html = _text(client.get(f"/contacts/{contact.pk}/"))
        assert '<html lang="en" dir="ltr">' in html
        assert '<dd class="col-7" id="contact-birthday">1990-05-01</dd>' in html
        assert '<dt class="col-5">Birthday</dt>' in html
        assert '<dt class="col-5">National ID</dt>' in html
        assert "0012345679" in html
        assert "۱۳۶۹" not in html

        form_html = _text(client.get(f"/contacts/{contact.pk}/edit/"))
        assert '<html lang="en" dir="ltr">' in form_html
        assert 'name="birthday" value="1990-05-01"' in form_html
        assert 'placeholder="2024-03-20"' in form_html
        assert ">Last name" in form_html

    def test_farsi_user_gets_rtl_and_jalali_form_values(
        self, logged_in: Any, sales_user: User
    ) -> None:
        contact = make_contact(actor=sales_user, birthday=datetime.date(1990, 5, 1))
        html = _text(logged_in(sales_user).get(f"/contacts/{contact.pk}/edit/"))
        assert '<html lang="fa" dir="rtl">' in html
        assert 'name="birthday" value="۱۳۶۹/۰۲/۱۱"' in html
        assert 'placeholder="۱۴۰۳/۰۱/۰۱"' in html

    def test_edit_changes_only_the_given_fields_and_records_a_diff(
        self, logged_in: Any, sales_user: User
    ) -> None:
        contact = make_contact(actor=sales_user, first_name="مریم", last_name="رضایی")
        client = logged_in(sales_user)
        data = {
            **client.get(f"/contacts/{contact.pk}/edit/").context["form"].initial,
        }
        post = {
            "first_name": "مریم",
            "last_name": "رضائی نو",
            "phones": data["phones"],
            "lifecycle_stage": "opportunity",
            "owner": str(sales_user.pk),
        }
        response = client.post(f"/contacts/{contact.pk}/edit/", post)
        assert response.status_code == 302
        assert response["Location"] == f"/contacts/{contact.pk}/"
        contact.refresh_from_db()
        assert contact.last_name == "رضائی نو"
        assert contact.lifecycle_stage == "opportunity"
        event = Event.objects.filter(contact=contact, verb="contact.updated").get()
        assert event.payload["changes"]["last_name"] == ["رضایی", "رضائی نو"]
        assert event.payload["changes"]["lifecycle_stage"] == ["lead", "opportunity"]

    def test_consent_is_recorded_and_shown(self, logged_in: Any, sales_user: User) -> None:
        contact = make_contact(actor=sales_user)
        client = logged_in(sales_user)
        response = client.post(
            f"/contacts/{contact.pk}/consent/",
            {"channel": "sms", "status": "granted", "method": "verbal"},
            follow=True,
        )
        assert response.redirect_chain == [(f"/contacts/{contact.pk}/", 302)]
        assert messages_of(response) == [tr("Consent recorded.")]
        consent = ContactConsent.objects.get(contact=contact)
        assert (consent.channel, consent.status, consent.method) == ("sms", "granted", "verbal")
        assert Event.objects.filter(contact=contact, verb="consent.granted").count() == 1
        bad = client.post(f"/contacts/{contact.pk}/consent/", {"channel": "fax"}, follow=True)
        assert messages_of(bad) == [tr("Choose a channel, a status and how consent was given.")]
        assert ContactConsent.objects.filter(contact=contact).count() == 1

    def test_delete_by_admin(self, logged_in: Any, admin_user: User) -> None:
        contact = make_contact(actor=admin_user)
        response = logged_in(admin_user).post(f"/contacts/{contact.pk}/delete/")
        assert response.status_code == 302
        assert response["Location"] == "/contacts/"
        assert not Contact.objects.filter(pk=contact.pk).exists()
        assert Event.objects.filter(verb="contact.deleted", subject_id=contact.pk).count() == 1


# --- bulk actions and export ------------------------------------------------------------


class TestBulkActions:
    @pytest.fixture
    def three(self, sales_user: User) -> list[Contact]:
        return [
            make_contact(actor=sales_user, first_name=name, lifecycle_stage="lead")
            for name in ("اول", "دوم", "سوم")
        ]

    def test_bulk_assign(
        self,
        logged_in: Any,
        sales_user: User,
        make_user: Callable[..., User],
        team: Team,
        three: list[Contact],
    ) -> None:
        colleague = make_user(role=Role.SALES, teams=(team,))
        chosen = three[:2]
        response = logged_in(sales_user).post(
            "/contacts/bulk/",
            {
                "action": "assign",
                "owner": str(colleague.pk),
                "selected": [str(contact.pk) for contact in chosen],
                "next": "/contacts/?stage=lead",
            },
            follow=True,
        )
        assert response.redirect_chain == [("/contacts/?stage=lead", 302)]
        assert messages_of(response) == [tr("%(count)s contacts updated.", count=2)]
        owners = dict(Contact.objects.values_list("pk", "owner_id"))
        assert owners == {
            three[0].pk: colleague.pk,
            three[1].pk: colleague.pk,
            three[2].pk: sales_user.pk,
        }
        for contact in chosen:
            events = Event.objects.filter(contact=contact, verb="contact.updated")
            assert [event.payload["changes"] for event in events] == [
                {"owner": [sales_user.pk, colleague.pk]}
            ]
        assert Event.objects.filter(contact=three[2], verb="contact.updated").count() == 0

    def test_bulk_tag_keeps_existing_tags_and_writes_one_event_per_contact(
        self, logged_in: Any, sales_user: User, three: list[Contact]
    ) -> None:
        first = three[0]
        first.tags.add(Tag.objects.create(name="قدیمی", key="قدیمی"))
        response = logged_in(sales_user).post(
            "/contacts/bulk/",
            {
                "action": "tag",
                "tags": "VIP، عمده فروش",
                "selected": [str(contact.pk) for contact in three],
            },
        )
        assert response.status_code == 302
        assert response["Location"] == "/contacts/"
        for contact in three:
            expected = ["VIP", "عمده فروش"] + (["قدیمی"] if contact is first else [])
            assert sorted(tag.name for tag in contact.tags.all()) == sorted(expected)
            events = Event.objects.filter(contact=contact, verb="contact.tagged")
            assert [event.payload for event in events] == [{"added_tags": ["VIP", "عمده فروش"]}]

    def test_bulk_stage_change(
        self, logged_in: Any, sales_user: User, three: list[Contact]
    ) -> None:
        chosen = [three[0], three[2]]
        response = logged_in(sales_user).post(
            "/contacts/bulk/",
            {
                "action": "stage",
                "stage": "customer",
                "selected": [str(contact.pk) for contact in chosen],
            },
            follow=True,
        )
        assert messages_of(response) == [tr("%(count)s contacts updated.", count=2)]
        stages = dict(Contact.objects.values_list("pk", "lifecycle_stage"))
        assert stages == {three[0].pk: "customer", three[1].pk: "lead", three[2].pk: "customer"}
        for contact in chosen:
            events = Event.objects.filter(contact=contact, verb="contact.updated")
            assert [event.payload["changes"] for event in events] == [
                {"lifecycle_stage": ["lead", "customer"]}
            ]

    def test_bulk_without_selection_or_stage_is_an_error(
        self, logged_in: Any, sales_user: User, three: list[Contact]
    ) -> None:
        client = logged_in(sales_user)
        none_selected = client.post("/contacts/bulk/", {"action": "tag", "tags": "x"}, follow=True)
        assert messages_of(none_selected) == [tr("Select at least one contact.")]
        no_stage = client.post(
            "/contacts/bulk/", {"action": "stage", "selected": [str(three[0].pk)]}, follow=True
        )
        assert messages_of(no_stage) == [tr("Choose a stage.")]
        assert set(Contact.objects.values_list("lifecycle_stage", flat=True)) == {"lead"}

    def test_bulk_open_redirect_is_not_followed(
        self, logged_in: Any, sales_user: User, three: list[Contact]
    ) -> None:
        response = logged_in(sales_user).post(
            "/contacts/bulk/",
            {
                "action": "stage",
                "stage": "loyal",
                "selected": [str(three[0].pk)],
                "next": "//evil.example/",
            },
        )
        assert response["Location"] == "/contacts/"

    def test_read_only_user_cannot_bulk_change(
        self, logged_in: Any, make_user: Callable[..., User], team: Team, sales_user: User
    ) -> None:
        reader = make_user(role=Role.READ_ONLY, teams=(team,))
        contact = make_contact(actor=sales_user)
        response = logged_in(reader).post(
            "/contacts/bulk/",
            {"action": "stage", "stage": "customer", "selected": [str(contact.pk)]},
        )
        assert response.status_code == 403
        contact.refresh_from_db()
        assert contact.lifecycle_stage == "lead"


class TestExport:
    def test_csv_has_a_bom_a_header_and_exactly_the_visible_rows(
        self, logged_in: Any, sales_user: User, hidden_contact: Contact
    ) -> None:
        company = make_company(actor=sales_user, name="شرکت آلفا")
        first = make_contact(
            actor=sales_user,
            first_name="زهرا",
            last_name="احمدی",
            phones=["09121111111", "02188888888"],
            emails=["z@example.ir"],
            birthday=datetime.date(1990, 5, 1),
            city="شیراز",
            company=company,
            tags=["VIP", "وفادار"],
            lifecycle_stage="customer",
        )
        second = make_contact(actor=sales_user, first_name="رضا", last_name="موسوی", phones=[])
        response = logged_in(sales_user).get("/contacts/export.csv")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="contacts.csv"'
        bom, rows = csv_rows(response)
        assert bom == "\ufeff"
        assert rows == [
            CSV_HEADER,
            [
                str(first.pk),
                "زهرا",
                "احمدی",
                "+989121111111 +982188888888",
                "z@example.ir",
                "",
                "1990-05-01",
                "شیراز",
                "",
                "customer",
                sales_user.username,
                "شرکت آلفا",
                "VIP، وفادار",
            ],
            [
                str(second.pk),
                "رضا",
                "موسوی",
                "",
                "",
                "",
                "",
                "",
                "",
                "lead",
                sales_user.username,
                "",
                "",
            ],
        ]

    def test_export_follows_the_list_filters(self, logged_in: Any, sales_user: User) -> None:
        make_contact(actor=sales_user, first_name="الف", lifecycle_stage="lead")
        customer = make_contact(actor=sales_user, first_name="ب", lifecycle_stage="customer")
        _bom, rows = csv_rows(logged_in(sales_user).get("/contacts/export.csv?stage=customer"))
        assert [row[0] for row in rows] == ["id", str(customer.pk)]

    def test_bulk_export_of_selected_rows(self, logged_in: Any, sales_user: User) -> None:
        contacts = [make_contact(actor=sales_user) for _index in range(3)]
        response = logged_in(sales_user).post(
            "/contacts/bulk/",
            {"action": "export", "selected": [str(contacts[2].pk), str(contacts[0].pk)]},
        )
        bom, rows = csv_rows(response)
        assert bom == "\ufeff"
        assert [row[0] for row in rows] == ["id", str(contacts[0].pk), str(contacts[2].pk)]


# --- companies --------------------------------------------------------------------------


class TestCompanies:
    def test_create_edit_and_360(self, logged_in: Any, sales_user: User) -> None:
        client = logged_in(sales_user)
        assert client.get("/contacts/companies/new/").status_code == 200
        response = client.post(
            "/contacts/companies/new/",
            {
                "name": "شركت نمونه",
                "phones": ["۰۲۱۸۸۷۷۶۶۵۵"],
                "owner": str(sales_user.pk),
                "tags": "عمده",
                "website": "https://example.ir",
            },
        )
        company = Company.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/contacts/companies/{company.pk}/"
        assert company.name == "شرکت نمونه"
        assert company.phones == ["+982188776655"]
        person = make_contact(actor=sales_user, first_name="کارمند", company=company)

        page = client.get(f"/contacts/companies/{company.pk}/")
        assert page.status_code == 200
        assert [contact.pk for contact in page.context["people"]] == [person.pk]
        assert f'href="/contacts/{person.pk}/"' in _text(page)

        edit = client.post(
            f"/contacts/companies/{company.pk}/edit/",
            {"name": "شرکت نمونه نو", "owner": str(sales_user.pk)},
        )
        assert edit.status_code == 302
        company.refresh_from_db()
        assert company.name == "شرکت نمونه نو"

        listing = client.get("/contacts/companies/", {"q": "نمونه"})
        assert [row.pk for row in listing.context["companies"]] == [company.pk]
        assert listing.context["companies"][0].people_total == 1

    def test_company_form_errors_stay_on_the_form(self, logged_in: Any, sales_user: User) -> None:
        response = logged_in(sales_user).post(
            "/contacts/companies/new/", {"name": "شرکت", "national_id": "123"}
        )
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["national_id"]
        assert Company.objects.count() == 0

    def test_contact_form_links_a_visible_company_by_name(
        self, logged_in: Any, sales_user: User
    ) -> None:
        company = make_company(actor=sales_user, name="شرکت بتا")
        response = logged_in(sales_user).post(
            "/contacts/new/",
            contact_form_data(company_name="شركت بتا", owner=str(sales_user.pk)),
        )
        assert response.status_code == 302
        assert Contact.objects.get().company_id == company.pk
