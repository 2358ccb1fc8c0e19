"""Leads through the services and the pages: capture with Persian normalization, matching a
returning customer, qualification, and conversion into contact, company and deal (all or
nothing), with the lead's history on the contact's timeline."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from peyvand.accounts.models import Role, VisibilityPolicy
from peyvand.contacts.models import Company, Contact, ContactConsent
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.sales.leads import lead_convert, lead_create, lead_set_status
from peyvand.sales.models import Deal, Lead, LeadStatus
from peyvand.sales.selectors import pipeline_default
from peyvand.timeline.models import Event
from peyvand.timeline.selectors import timeline_for_contact

from .factories import make_lead, make_pipeline, stage_of

pytestmark = pytest.mark.django_db


def _codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [str(item.code) for item in items] for field, items in error.error_dict.items()}


# --- capture ---------------------------------------------------------------------------------


def test_lead_create_normalizes_persian_text_phone_and_email(sales_user: Any) -> None:
    lead = lead_create(
        actor=sales_user,
        values={
            "first_name": " علي ",  # Arabic Yeh
            "last_name": "كريمي",  # Arabic Kaf and Yeh
            "company_name": "شركت   آلفا",
            "job_title": "مدير خريد",
            "city": "كرج",
            "phone": "۰۹۱۲ ۱۲۳-۴۵۶۷",
            "email": "  Ali.Karimi@Example.COM ",
            "estimated_amount": 50_000_000,
            "source": "website",
        },
    )
    lead.refresh_from_db()
    assert (lead.first_name, lead.last_name) == ("علی", "کریمی")
    assert lead.company_name == "شرکت آلفا"
    assert lead.job_title == "مدیر خرید"
    assert lead.city == "کرج"
    assert lead.phone == "+989121234567"
    assert lead.email == "ali.karimi@example.com"
    assert lead.estimated_amount == 50_000_000
    assert lead.status == LeadStatus.NEW
    assert lead.owner == sales_user
    assert lead.created_by == sales_user
    assert lead.contact is None
    assert str(lead) == "علی کریمی"


def test_lead_create_needs_a_name_or_a_company_on_last_name() -> None:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        lead_create(actor=None, values={"phone": "09121234567"})
    assert _codes(error.value) == {"last_name": ["required"]}
    assert error.value.message_dict == {"last_name": ["Enter a name or a company."]}
    assert Lead.objects.count() == 0


def test_a_company_alone_is_enough_for_a_name() -> None:
    lead = lead_create(actor=None, values={"company_name": "پارس", "email": "info@pars.ir"})
    assert (lead.full_name, lead.company_name, str(lead)) == ("", "پارس", "پارس")


def test_lead_create_needs_a_phone_or_an_email_on_phone() -> None:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        lead_create(actor=None, values={"first_name": "سارا", "phone": "  ", "email": ""})
    assert _codes(error.value) == {"phone": ["required"]}
    assert error.value.message_dict == {"phone": ["Enter a phone number or an email address."]}
    assert Lead.objects.count() == 0


def test_an_invalid_phone_is_an_error_on_phone() -> None:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        lead_create(actor=None, values={"first_name": "سارا", "phone": "12345"})
    assert _codes(error.value) == {"phone": ["invalid_phone"]}
    with translation.override("en"):
        assert error.value.message_dict == {"phone": ["Enter a valid phone number."]}
    with translation.override("fa"):
        assert error.value.message_dict == {"phone": ["یک شماره تلفن معتبر وارد کنید."]}
    assert Lead.objects.count() == 0


def test_an_invalid_email_is_an_error_on_email() -> None:
    with pytest.raises(ValidationError) as error:
        lead_create(actor=None, values={"first_name": "سارا", "email": "not-an-address"})
    assert _codes(error.value) == {"email": ["invalid_email"]}


def test_all_errors_come_back_at_once() -> None:
    with pytest.raises(ValidationError) as error:
        lead_create(actor=None, values={"estimated_amount": -1})
    assert _codes(error.value) == {
        "last_name": ["required"],
        "phone": ["required"],
        "estimated_amount": ["negative_money"],
    }


def test_read_only_users_cannot_create_leads(make_user: Any) -> None:
    with pytest.raises(PermissionDenied):
        make_lead(actor=make_user(role=Role.READ_ONLY))
    assert Lead.objects.count() == 0


def test_a_lead_with_the_phone_of_an_existing_contact_is_linked_to_it(sales_user: Any) -> None:
    make_contact(actor=sales_user, phones=["09351112233"])  # someone else
    contact = make_contact(actor=sales_user, phones=["0912 123 4567"])
    lead = make_lead(actor=sales_user, phone="+98 912 123 4567")
    assert lead.contact == contact


def test_a_lead_with_the_email_of_an_existing_contact_is_linked_to_it(sales_user: Any) -> None:
    contact = make_contact(actor=sales_user, phones=[], emails=["reza@example.ir"])
    lead = make_lead(actor=sales_user, phone="", email="REZA@Example.ir")
    assert lead.contact == contact


def test_a_new_person_is_not_linked_to_anyone(sales_user: Any) -> None:
    make_contact(actor=sales_user, phones=["09351112233"], emails=["x@example.ir"])
    lead = make_lead(actor=sales_user, phone="09121234567", email="y@example.ir")
    assert lead.contact is None


def test_lead_created_event_is_written_with_the_captured_values(sales_user: Any) -> None:
    contact = make_contact(actor=sales_user, phones=["09121234567"])
    lead = make_lead(actor=sales_user, company_name="پارس")
    events = list(Event.objects.filter(lead=lead))
    assert [event.verb for event in events] == ["lead.created"]
    event = events[0]
    assert event.actor == sales_user
    assert event.contact == contact
    assert event.subject_type == "lead"
    assert event.subject_id == lead.pk
    assert event.summary == "سارا کریمی"
    assert event.payload["web_form"] is None
    changes = event.payload["changes"]
    assert changes["first_name"] == [None, "سارا"]
    assert changes["phone"] == [None, "+989121234567"]
    assert changes["company_name"] == [None, "پارس"]
    assert changes["status"] == [None, "new"]


# --- status ----------------------------------------------------------------------------------


def test_unqualified_needs_a_reason(sales_user: Any) -> None:
    lead = make_lead(actor=sales_user)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        lead_set_status(actor=sales_user, lead=lead, status="unqualified", reason="  ")
    assert error.value.message_dict == {"status_reason": ["Say why the lead is not qualified."]}
    lead.refresh_from_db()
    assert (lead.status, lead.status_reason) == ("new", "")

    lead_set_status(actor=sales_user, lead=lead, status="unqualified", reason="بودجه ندارد")
    lead.refresh_from_db()
    assert (lead.status, lead.status_reason) == ("unqualified", "بودجه ندارد")
    assert lead.is_open is False
    event = Event.objects.filter(lead=lead).order_by("-id").first()
    assert event is not None
    assert (event.verb, event.summary) == ("lead.updated", "بودجه ندارد")
    assert event.payload["changes"]["status"] == ["new", "unqualified"]


def test_qualifying_records_a_qualified_event(sales_user: Any) -> None:
    lead = make_lead(actor=sales_user)
    lead = lead_set_status(actor=sales_user, lead=lead, status="qualified")
    assert lead.status == LeadStatus.QUALIFIED
    assert list(Event.objects.filter(lead=lead).order_by("id").values_list("verb", flat=True)) == [
        "lead.created",
        "lead.qualified",
    ]


def test_converted_is_not_a_status_one_can_set(sales_user: Any) -> None:
    lead = make_lead(actor=sales_user)
    with pytest.raises(ValidationError) as error:
        lead_set_status(actor=sales_user, lead=lead, status="converted")
    assert _codes(error.value) == {"status": ["invalid_choice"]}


def test_a_converted_lead_refuses_status_changes(sales_user: Any) -> None:
    lead = make_lead(actor=sales_user)
    lead_convert(actor=sales_user, lead=lead, create_deal=False)
    with pytest.raises(ValidationError) as error:
        lead_set_status(actor=sales_user, lead=lead, status="working")
    assert _codes(error.value) == {"status": ["converted"]}
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED


# --- conversion ------------------------------------------------------------------------------


def test_convert_creates_contact_company_and_deal(sales_user: Any) -> None:
    lead = make_lead(
        actor=sales_user,
        first_name="علی",
        last_name="رضایی",
        phone="09121234567",
        email="ali@pars.ir",
        company_name="پارس",
        job_title="مدیر",
        city="تهران",
        estimated_amount=75_000_000,
        source="instagram",
        message="۲۰ لپ‌تاپ",
    )
    counts = (Contact.objects.count(), Company.objects.count(), Deal.objects.count())
    assert counts == (0, 0, 0)

    contact, company, deal = lead_convert(actor=sales_user, lead=lead)

    assert (Contact.objects.count(), Company.objects.count(), Deal.objects.count()) == (1, 1, 1)
    assert (contact.first_name, contact.last_name) == ("علی", "رضایی")
    assert list(contact.phones.values_list("number", flat=True)) == ["+989121234567"]
    assert list(contact.emails.values_list("address", flat=True)) == ["ali@pars.ir"]
    assert contact.owner == sales_user
    assert contact.job_title == "مدیر"
    assert contact.city == "تهران"
    assert contact.source == "instagram"
    assert contact.company == company
    assert company is not None
    assert company.name == "پارس"
    assert company.owner == sales_user

    assert deal is not None
    default = pipeline_default()
    assert default is not None
    assert deal.amount == 75_000_000
    assert deal.pipeline == default
    assert deal.stage == stage_of(default)
    assert deal.status == "open"
    assert deal.title == "پارس"
    assert deal.contact == contact
    assert deal.company == company
    assert deal.owner == sales_user
    assert deal.source == "instagram"
    assert deal.description == "۲۰ لپ‌تاپ"

    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert (lead.contact, lead.deal) == (contact, deal)
    assert lead.converted_at is not None
    assert lead.is_open is False
    event = Event.objects.get(lead=lead, verb="lead.converted")
    assert (event.contact, event.company, event.deal) == (contact, company, deal)
    assert event.payload["changes"]["status"] == ["new", "converted"]


def test_convert_reuses_the_matched_contact(sales_user: Any) -> None:
    contact = make_contact(actor=sales_user, phones=["09121234567"])
    lead = make_lead(actor=sales_user, phone="09121234567", estimated_amount=1_000)
    assert lead.contact == contact

    person, company, deal = lead_convert(actor=sales_user, lead=lead)

    assert person == contact
    assert company is None
    assert Contact.objects.count() == 1
    assert deal is not None and deal.contact == contact
    assert deal.title == "سارا کریمی"
    lead.refresh_from_db()
    assert lead.contact == contact


def test_convert_reuses_a_company_with_the_same_normalized_name(sales_user: Any) -> None:
    existing = make_company(actor=sales_user, name="شرکت کیان")
    lead = make_lead(actor=sales_user, company_name="شركت كيان")  # Arabic Kaf and Yeh
    contact, company, _deal = lead_convert(actor=sales_user, lead=lead, create_deal=False)
    assert company == existing
    assert Company.objects.count() == 1
    assert contact.company == existing


def test_convert_without_a_deal_creates_none(sales_user: Any) -> None:
    lead = make_lead(actor=sales_user)
    contact, company, deal = lead_convert(actor=sales_user, lead=lead, create_deal=False)
    assert (company, deal) == (None, None)
    assert Deal.objects.count() == 0
    lead.refresh_from_db()
    assert (lead.status, lead.contact, lead.deal) == ("converted", contact, None)


def test_a_company_only_lead_becomes_a_contact_named_after_the_company(sales_user: Any) -> None:
    lead = lead_create(actor=sales_user, values={"company_name": "پارس", "phone": "09121234567"})
    contact, company, _deal = lead_convert(actor=sales_user, lead=lead, create_deal=False)
    assert (contact.first_name, contact.last_name) == ("", "پارس")
    assert company is not None and company.name == "پارس"


def test_convert_records_consent_when_given(sales_user: Any) -> None:
    lead = make_lead(actor=sales_user, email="sara@example.ir", consent_given=True)
    contact, _company, _deal = lead_convert(actor=sales_user, lead=lead, create_deal=False)
    consents = {
        row.channel: (row.status, row.method)
        for row in ContactConsent.objects.filter(contact=contact)
    }
    assert consents == {"email": ("granted", "agent"), "sms": ("granted", "agent")}


def test_convert_records_no_consent_when_not_given(sales_user: Any) -> None:
    lead = make_lead(actor=sales_user, email="sara@example.ir")
    contact, _company, _deal = lead_convert(actor=sales_user, lead=lead, create_deal=False)
    assert ContactConsent.objects.filter(contact=contact).count() == 0


def test_convert_is_all_or_nothing(sales_user: Any) -> None:
    lead = make_lead(actor=sales_user, company_name="پارس", email="sara@example.ir")
    foreign_stage = stage_of(make_pipeline("عمده‌فروشی"))
    events_before = Event.objects.count()

    with pytest.raises(ValidationError) as error:
        lead_convert(actor=sales_user, lead=lead, deal_values={"stage": foreign_stage})

    assert _codes(error.value) == {"stage": ["wrong_pipeline"]}
    assert (Contact.objects.count(), Company.objects.count(), Deal.objects.count()) == (0, 0, 0)
    assert Event.objects.count() == events_before
    lead.refresh_from_db()
    assert (lead.status, lead.contact, lead.deal, lead.converted_at) == ("new", None, None, None)


def test_a_converted_lead_cannot_be_converted_again(sales_user: Any) -> None:
    lead = make_lead(actor=sales_user)
    lead_convert(actor=sales_user, lead=lead)
    with pytest.raises(ValidationError) as error:
        lead_convert(actor=sales_user, lead=lead)
    assert _codes(error.value) == {"status": ["not_open"]}
    assert (Contact.objects.count(), Deal.objects.count()) == (1, 1)


def test_the_contact_timeline_shows_the_lead_history_after_conversion(sales_user: Any) -> None:
    lead = make_lead(actor=sales_user)
    lead_set_status(actor=sales_user, lead=lead, status="working")
    contact, _company, deal = lead_convert(actor=sales_user, lead=lead)
    assert deal is not None

    events = list(timeline_for_contact(contact))
    assert [event.verb for event in events if event.lead_id == lead.pk] == [
        "lead.converted",
        "lead.updated",
        "lead.created",
    ]
    verbs = {event.verb for event in events}
    assert {"contact.created", "deal.created"} <= verbs
    # Before conversion the lead's first events were on no contact's timeline.
    created = Event.objects.get(lead=lead, verb="lead.created")
    assert created.contact is None


# --- pages -----------------------------------------------------------------------------------


def test_the_lead_list_shows_open_leads(logged_in: Any, sales_user: Any) -> None:
    open_lead = make_lead(actor=sales_user, first_name="نرگس", last_name="احمدی")
    closed = make_lead(actor=sales_user, first_name="پرویز", last_name="نادری", phone="09351234567")
    lead_set_status(actor=sales_user, lead=closed, status="unqualified", reason="اشتباه")
    client = logged_in(sales_user)

    response = client.get("/sales/leads/")
    assert response.status_code == 200
    assert [lead.pk for lead in response.context["leads"]] == [open_lead.pk]
    assert "نرگس احمدی" in response.content.decode()

    response = client.get("/sales/leads/?status=all")
    assert [lead.pk for lead in response.context["leads"]] == [closed.pk, open_lead.pk]


def test_the_lead_page_shows_the_lead(logged_in: Any, sales_user: Any) -> None:
    lead = make_lead(actor=sales_user, company_name="پارس", email="sara@example.ir")
    response = logged_in(sales_user).get(f"/sales/leads/{lead.pk}/")
    assert response.status_code == 200
    assert response.context["lead"] == lead
    content = response.content.decode()
    assert "سارا کریمی" in content
    assert "sara@example.ir" in content
    assert 'id="convert-form"' in content


def test_creating_a_lead_through_the_page(logged_in: Any, sales_user: Any) -> None:
    response = logged_in(sales_user).post(
        "/sales/leads/new/",
        {
            "first_name": "علي",
            "last_name": "كريمي",
            "phone": "۰۹۱۲۱۲۳۴۵۶۷",
            "email": "Ali@Example.com",
            "company_name": "",
            "estimated_amount": "",
            "source": "exhibition",
            "owner": "",
            "consent_given": "on",
        },
    )
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sales/leads/{lead.pk}/"
    assert (lead.first_name, lead.last_name) == ("علی", "کریمی")
    assert lead.phone == "+989121234567"
    assert lead.email == "ali@example.com"
    assert lead.estimated_amount is None
    assert lead.source == "exhibition"
    assert lead.consent_given is True
    assert lead.owner == sales_user
    assert lead.created_by == sales_user


def test_creating_a_lead_with_an_estimated_value_through_the_page(
    logged_in: Any, sales_user: Any
) -> None:
    response = logged_in(sales_user).post(
        "/sales/leads/new/",
        {"first_name": "سارا", "phone": "09121234567", "estimated_amount": "5000000"},
    )
    assert response.status_code == 302
    assert Lead.objects.get().estimated_amount == 50_000_000  # typed in Toman


def test_the_create_page_shows_service_errors_on_the_fields(
    logged_in: Any, sales_user: Any
) -> None:
    response = logged_in(sales_user).post(
        "/sales/leads/new/", {"first_name": "سارا", "phone": "", "email": ""}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["phone"]
    assert Lead.objects.count() == 0


def test_editing_a_lead_through_the_page_keeps_its_owner(logged_in: Any, sales_user: Any) -> None:
    lead = make_lead(actor=sales_user)
    response = logged_in(sales_user).post(
        f"/sales/leads/{lead.pk}/edit/",
        {
            "first_name": "سارا",
            "last_name": "کریمی",
            "phone": "+989121234567",
            "city": "اصفهان",
            "job_title": "مدير",
            "owner": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/sales/leads/{lead.pk}/"
    lead.refresh_from_db()
    assert (lead.city, lead.job_title, lead.owner) == ("اصفهان", "مدیر", sales_user)
    event = Event.objects.get(lead=lead, verb="lead.updated")
    assert event.payload["changes"]["city"] == ["", "اصفهان"]


def test_status_changes_through_the_page(logged_in: Any, sales_user: Any) -> None:
    lead = make_lead(actor=sales_user)
    client = logged_in(sales_user)

    response = client.post(f"/sales/leads/{lead.pk}/status/", {"status": "unqualified"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "new"

    response = client.post(
        f"/sales/leads/{lead.pk}/status/",
        {"status": "unqualified", "status_reason": "خارج از منطقه"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/sales/leads/{lead.pk}/"
    lead.refresh_from_db()
    assert (lead.status, lead.status_reason) == ("unqualified", "خارج از منطقه")


def test_converting_through_the_page_opens_the_deal(logged_in: Any, sales_user: Any) -> None:
    lead = make_lead(actor=sales_user, company_name="پارس", estimated_amount=9_000_000)
    pipeline = pipeline_default()
    assert pipeline is not None
    response = logged_in(sales_user).post(
        f"/sales/leads/{lead.pk}/convert/",
        {"create_deal": "on", "pipeline": pipeline.pk, "deal_title": "قرارداد پارس"},
    )
    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sales/deals/{deal.pk}/"
    assert (deal.title, deal.amount, deal.pipeline) == ("قرارداد پارس", 9_000_000, pipeline)
    lead.refresh_from_db()
    assert (lead.status, lead.deal) == ("converted", deal)


def test_converting_with_the_prefilled_amount_through_the_page(
    logged_in: Any, sales_user: Any
) -> None:
    lead = make_lead(actor=sales_user, estimated_amount=9_000_000)
    client = logged_in(sales_user)
    page = client.get(f"/sales/leads/{lead.pk}/")
    amount = page.context["convert_form"]["amount"].value()
    pipeline = pipeline_default()
    assert pipeline is not None
    response = client.post(
        f"/sales/leads/{lead.pk}/convert/",
        {"create_deal": "on", "pipeline": pipeline.pk, "amount": str(amount)},
    )
    assert response.status_code == 302
    assert Deal.objects.get().amount == 9_000_000


def test_converting_without_a_deal_through_the_page_opens_the_contact(
    logged_in: Any, sales_user: Any
) -> None:
    lead = make_lead(actor=sales_user)
    pipeline = pipeline_default()
    assert pipeline is not None
    response = logged_in(sales_user).post(
        f"/sales/leads/{lead.pk}/convert/", {"pipeline": pipeline.pk}
    )
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert Deal.objects.count() == 0


def test_converting_a_lead_matched_to_an_invisible_contact_lands_on_a_visible_page(
    logged_in: Any, make_user: Any
) -> None:
    other_seller = make_user(role=Role.SALES)
    seller = make_user(role=Role.SALES)  # no shared team: cannot see the other's contacts
    make_contact(actor=other_seller, phones=["09121234567"])
    lead = make_lead(actor=seller, phone="09121234567")
    pipeline = pipeline_default()
    assert pipeline is not None
    client = logged_in(seller)
    response = client.post(f"/sales/leads/{lead.pk}/convert/", {"pipeline": pipeline.pk})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/sales/leads/{pk}/",
        "/sales/leads/{pk}/edit/",
    ],
)
def test_a_private_lead_of_another_seller_is_not_found(
    logged_in: Any, make_user: Any, team: Any, url: str
) -> None:
    owner = make_user(role=Role.SALES, teams=(team,))
    colleague = make_user(role=Role.SALES, teams=(team,))
    lead = make_lead(actor=owner)
    client = logged_in(colleague)
    # Same team, default level "team": the colleague sees it.
    assert client.get(url.format(pk=lead.pk)).status_code == 200

    VisibilityPolicy.objects.create(object_type="lead", level="private")
    assert client.get(url.format(pk=lead.pk)).status_code == 404
    assert logged_in(owner).get(url.format(pk=lead.pk)).status_code == 200


def test_a_private_lead_of_another_seller_cannot_be_changed(
    logged_in: Any, make_user: Any, team: Any
) -> None:
    owner = make_user(role=Role.SALES, teams=(team,))
    colleague = make_user(role=Role.SALES, teams=(team,))
    lead = make_lead(actor=owner)
    VisibilityPolicy.objects.create(object_type="lead", level="private")
    client = logged_in(colleague)
    pipeline = pipeline_default()
    assert pipeline is not None

    status = client.post(f"/sales/leads/{lead.pk}/status/", {"status": "qualified"})
    convert = client.post(f"/sales/leads/{lead.pk}/convert/", {"pipeline": pipeline.pk})
    assert (status.status_code, convert.status_code) == (404, 404)
    assert client.get("/sales/leads/").context["leads"] == []
    lead.refresh_from_db()
    assert lead.status == "new"
    assert Contact.objects.count() == 0


def test_read_only_users_get_403_on_create(logged_in: Any, make_user: Any) -> None:
    client = logged_in(make_user(role=Role.READ_ONLY))
    assert client.get("/sales/leads/new/").status_code == 403
    response = client.post("/sales/leads/new/", {"first_name": "سارا", "phone": "09121234567"})
    assert response.status_code == 403
    assert Lead.objects.count() == 0
    # Reading is still allowed.
    assert client.get("/sales/leads/").status_code == 200


def test_pages_need_a_login(client: Any, sales_user: Any) -> None:
    lead = make_lead(actor=sales_user)
    response = client.get(f"/sales/leads/{lead.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
