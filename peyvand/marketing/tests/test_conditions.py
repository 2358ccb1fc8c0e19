"""Each built-in condition kind holds exactly the contacts it should, on SQLite and
PostgreSQL alike; any/all and one level of groups combine them; Persian input is normalized."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from peyvand.contacts.models import CustomField, PhoneKind
from peyvand.contacts.services import contact_set_consent, contact_update
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.marketing.tests.conftest import condition
from peyvand.timeline.services import activity_log

pytestmark = pytest.mark.django_db

Members = Callable[..., set[int]]


def test_lifecycle_stage_source_gender_and_language(members: Members) -> None:
    lead = make_contact(lifecycle_stage="lead", source="instagram", gender="female")
    customer = make_contact(lifecycle_stage="customer", source="referral", language="en")
    loyal = make_contact(lifecycle_stage="loyal", gender="male", language="fa")
    stage = condition("contact.lifecycle_stage", operator="in", values=["customer", "loyal"])
    assert members(stage) == {customer.pk, loyal.pk}
    not_stage = condition("contact.lifecycle_stage", operator="not_in", values=["customer"])
    assert members(not_stage) == {lead.pk, loyal.pk}
    assert members(condition("contact.source", operator="in", values=["instagram"])) == {lead.pk}
    assert members(condition("contact.gender", operator="not_in", values=["female"])) == {
        customer.pk,
        loyal.pk,
    }
    # A blank language is the default, Farsi.
    assert members(condition("contact.language", operator="in", values=["fa"])) == {
        lead.pk,
        loyal.pk,
    }
    assert members(condition("contact.language", operator="in", values=["en"])) == {customer.pk}


def test_city_is_matched_after_persian_normalization(members: Members) -> None:
    shiraz = make_contact(city="شیراز")
    tehran = make_contact(city="تهران")
    kerman = make_contact(city="کرمان")
    make_contact(city="")
    # Arabic Kaf and Yeh, as an Arabic keyboard types them, still find the Persian names.
    assert members(condition("contact.city", operator="equals", value="كرمان")) == {kerman.pk}
    assert members(condition("contact.city", operator="equals", value=" شيراز ")) == {shiraz.pk}
    assert members(condition("contact.city", operator="contains", value="هرا")) == {tehran.pk}
    assert shiraz.pk in members(condition("contact.city", operator="not_equals", value="تهران"))
    assert tehran.pk not in members(condition("contact.city", operator="not_equals", value="تهران"))


def test_search_condition_uses_the_contacts_search_normalization(members: Members) -> None:
    ali = make_contact(first_name="علی", last_name="محمدی", phones=["09121112233"])
    make_contact(first_name="رضا", last_name="کریمی", phones=["09351112233"])
    assert members(condition("contact.search", value="علي")) == {ali.pk}
    assert members(condition("contact.search", value="۰۹۱۲۱۱۱")) == {ali.pk}


def test_phone_prefix_takes_persian_digits(members: Members) -> None:
    mci = make_contact(phones=["09121112233"])
    irancell = make_contact(phones=["09351112233"])
    assert members(condition("contact.phone_prefix", value="۰۹۱۲")) == {mci.pk}
    assert members(condition("contact.phone_prefix", value="98935")) == {irancell.pk}


def test_owner_and_company(members: Members, make_user: Callable[..., Any]) -> None:
    rep = make_user()
    other = make_user()
    company = make_company()
    mine = make_contact(owner=rep, company=company)
    theirs = make_contact(owner=other)
    nobody = make_contact()
    assert members(condition("contact.owner", operator="in", values=[rep.pk])) == {mine.pk}
    assert members(condition("contact.owner", operator="not_in", values=[rep.pk])) == {
        theirs.pk,
        nobody.pk,
    }
    assert members(condition("contact.owner", operator="none")) == {nobody.pk}
    assert members(condition("contact.company", operator="is", company=company.pk)) == {mine.pk}
    assert members(condition("contact.company", operator="any")) == {mine.pk}
    assert members(condition("contact.company", operator="none")) == {theirs.pk, nobody.pk}


def test_created_date(members: Members, at: Callable[..., datetime.datetime]) -> None:
    at(2026, 1, 10, 12)
    old = make_contact()
    at(2026, 3, 1, 12)
    new = make_contact()
    at(2026, 3, 5, 12)
    # 1404/12/01 is 2026-02-20.
    assert members(condition("contact.created", operator="after", date="1404/12/01")) == {new.pk}
    assert members(condition("contact.created", operator="before", date="2026-02-20")) == {old.pk}
    assert members(condition("contact.created", operator="within_last_days", days=30)) == {new.pk}
    assert members(condition("contact.created", operator="more_than_days_ago", days=30)) == {old.pk}


def test_has_email_and_has_mobile(members: Members) -> None:
    both = make_contact(emails=["a@example.ir"])
    landline_only = make_contact(phones=["02188776655"])
    contact_update(actor=None, contact=landline_only, values={})
    landline_only.phones.update(kind=PhoneKind.WORK)
    assert members(condition("contact.has_email", answer="yes")) == {both.pk}
    assert members(condition("contact.has_email", answer="no")) == {landline_only.pk}
    assert members(condition("contact.has_mobile", answer="yes")) == {both.pk}
    assert members(condition("contact.has_mobile", answer="no")) == {landline_only.pk}


def test_tags_any_all_none(members: Members) -> None:
    from peyvand.contacts.models import Tag

    vip_wholesale = make_contact(tags=["VIP", "عمده‌فروش"])
    vip = make_contact(tags=["VIP"])
    plain = make_contact()
    vip_tag, wholesale = Tag.objects.get(name="VIP"), Tag.objects.get(name="عمده‌فروش")
    both = [vip_tag.pk, wholesale.pk]
    assert members(condition("contact.tags", operator="any", tags=both)) == {
        vip_wholesale.pk,
        vip.pk,
    }
    assert members(condition("contact.tags", operator="all", tags=both)) == {vip_wholesale.pk}
    assert members(condition("contact.tags", operator="none", tags=[wholesale.pk])) == {
        vip.pk,
        plain.pk,
    }


def test_consent_per_channel(members: Members) -> None:
    granted = make_contact()
    withdrawn = make_contact()
    never = make_contact()
    contact_set_consent(
        actor=None, contact=granted, channel="sms", status="granted", method="web_form"
    )
    contact_set_consent(
        actor=None, contact=withdrawn, channel="sms", status="withdrawn", method="unsubscribe"
    )
    contact_set_consent(
        actor=None, contact=never, channel="email", status="granted", method="web_form"
    )
    assert members(condition("contact.consent", channel="sms", status="granted")) == {granted.pk}
    assert members(condition("contact.consent", channel="sms", status="withdrawn")) == {
        withdrawn.pk
    }
    assert members(condition("contact.consent", channel="sms", status="none")) == {never.pk}


@pytest.fixture
def fields(db: Any) -> None:
    CustomField.objects.create(
        object_type="contact", key="note", label_fa="یادداشت", field_type="text"
    )
    CustomField.objects.create(
        object_type="contact", key="children", label_fa="فرزندان", field_type="number"
    )
    CustomField.objects.create(
        object_type="contact", key="anniversary", label_fa="سالگرد", field_type="date"
    )
    CustomField.objects.create(
        object_type="contact",
        key="size",
        label_fa="سایز",
        field_type="choice",
        choices=["کوچک", "متوسط", "بزرگ"],
    )
    CustomField.objects.create(
        object_type="contact", key="member", label_fa="عضو باشگاه", field_type="boolean"
    )


def test_custom_fields_by_type(members: Members, fields: None) -> None:
    first = make_contact(
        custom_fields={
            "note": "مشتری علی‌آباد",
            "children": 3,
            "anniversary": "1403/01/15",
            "size": "کوچک",
            "member": True,
        }
    )
    second = make_contact(
        custom_fields={"note": "بدون توضیح", "children": 12, "size": "بزرگ", "member": False}
    )
    empty = make_contact()

    def cf(field: str, operator: str, value: Any = None, **extra: Any) -> set[int]:
        params = {"field": field, "operator": operator, **extra}
        if value is not None:
            params["value"] = value
        return members(condition("contact.custom_field", **params))

    assert cf("note", "equals", "مشتري علی‌آباد") == {first.pk}
    assert cf("note", "contains", "توضیح") == {second.pk}
    assert cf("children", "gt", "۵") == {second.pk}
    assert cf("children", "lte", 3) == {first.pk}
    assert cf("children", "eq", 12) == {second.pk}
    assert cf("anniversary", "after", "1403/01/01") == {first.pk}
    assert cf("anniversary", "before", "2024-04-01") == set()
    assert cf("size", "in", ["کوچک", "متوسط"]) == {first.pk}
    assert cf("size", "in", "بزرگ، متوسط") == {second.pk}
    assert cf("member", "is_true") == {first.pk}
    assert cf("member", "is_false") == {second.pk}
    assert cf("anniversary", "is_set") == {first.pk}
    assert cf("children", "is_empty") == {empty.pk}


def test_events_and_inactivity(
    members: Members, at: Callable[..., datetime.datetime], admin_user: Any
) -> None:
    at(2026, 1, 1, 10)
    called_long_ago = make_contact()
    quiet = make_contact()
    at(2026, 3, 1, 10)
    called = make_contact()
    activity_log(
        actor=admin_user,
        values={"kind": "call", "contact": called, "occurred_at": timezone.now()},
    )
    activity_log(
        actor=admin_user,
        values={
            "kind": "call",
            "contact": called_long_ago,
            "occurred_at": timezone.now(),
        },
    )
    at(2026, 3, 20, 10)
    activity_log(
        actor=admin_user,
        values={"kind": "note", "contact": called_long_ago, "body": "یادداشت"},
    )
    assert members(condition("activity.event", operator="had", verb="call.logged", days=30)) == {
        called.pk,
        called_long_ago.pk,
    }
    assert (
        members(condition("activity.event", operator="had", verb="call.logged", days=10)) == set()
    )
    assert members(condition("activity.event", operator="not_had", verb="note.logged", days=7)) == {
        called.pk,
        quiet.pk,
    }
    # Quiet since its creation in January; the other two had events within 60 days.
    assert members(condition("activity.inactive", days=60)) == {quiet.pk}
    assert members(condition("activity.inactive", days=10)) == {quiet.pk, called.pk}


def test_tickets(members: Members, at: Callable[..., datetime.datetime]) -> None:
    from peyvand.service.models import TicketStatus
    from peyvand.service.tests.factories import make_ticket
    from peyvand.service.tickets import ticket_set_status

    at(2026, 1, 1, 10)
    old_customer = make_contact()
    solved = make_ticket(contact=old_customer)
    ticket_set_status(actor=None, ticket=solved, status=TicketStatus.RESOLVED)
    at(2026, 3, 1, 10)
    waiting_customer = make_contact()
    make_ticket(contact=waiting_customer)
    make_contact()
    assert members(condition("service.ticket_opened", days=30)) == {waiting_customer.pk}
    assert members(condition("service.ticket_opened", days=90)) == {
        waiting_customer.pk,
        old_customer.pk,
    }
    assert members(condition("service.open_ticket", answer="yes")) == {waiting_customer.pk}
    assert old_customer.pk in members(condition("service.open_ticket", answer="no"))


def test_deals(members: Members, at: Callable[..., datetime.datetime]) -> None:
    from peyvand.sales.deals import deal_move_stage
    from peyvand.sales.models import Pipeline, StageKind
    from peyvand.sales.pipelines import pipeline_create
    from peyvand.sales.tests.factories import make_deal, stage_of

    pipeline = Pipeline.objects.filter(is_default=True).first() or pipeline_create(
        actor=None, name="فروش", is_default=True
    )
    at(2026, 1, 1, 10)
    won_long_ago = make_contact()
    deal = make_deal(contact=won_long_ago, pipeline=pipeline, stage=stage_of(pipeline))
    deal_move_stage(
        actor=None, deal=deal, stage=stage_of(pipeline, StageKind.WON), close_reason="قیمت"
    )
    at(2026, 3, 1, 10)
    won_recently = make_contact()
    deal = make_deal(contact=won_recently, pipeline=pipeline, stage=stage_of(pipeline))
    deal_move_stage(
        actor=None, deal=deal, stage=stage_of(pipeline, StageKind.WON), close_reason="قیمت"
    )
    open_deal = make_contact()
    make_deal(contact=open_deal, pipeline=pipeline, stage=stage_of(pipeline))
    assert members(condition("sales.deal_won", days=30)) == {won_recently.pk}
    assert members(condition("sales.open_deal", answer="yes")) == {open_deal.pk}
    assert members(condition("sales.open_deal", answer="no")) == {won_recently.pk, won_long_ago.pk}


def test_any_all_and_one_level_of_groups(members: Members) -> None:
    tehran_customer = make_contact(city="تهران", lifecycle_stage="customer")
    tehran_lead = make_contact(city="تهران", lifecycle_stage="lead", source="instagram")
    shiraz_lead = make_contact(city="شیراز", lifecycle_stage="lead", source="referral")
    shiraz_customer = make_contact(city="شیراز", lifecycle_stage="customer")
    tehran = condition("contact.city", operator="equals", value="تهران")
    customer = condition("contact.lifecycle_stage", operator="in", values=["customer"])
    instagram = condition("contact.source", operator="in", values=["instagram"])
    assert members(tehran, customer) == {tehran_customer.pk}
    assert members(tehran, customer, match="any") == {
        tehran_customer.pk,
        tehran_lead.pk,
        shiraz_customer.pk,
    }
    # Tehran and (customer or from Instagram).
    group = {"match": "any", "conditions": [customer, instagram]}
    assert members(tehran, group) == {tehran_customer.pk, tehran_lead.pk}
    # Shiraz lead, or (Tehran and customer).
    shiraz = condition("contact.city", operator="equals", value="شیراز")
    lead = condition("contact.lifecycle_stage", operator="in", values=["lead"])
    assert members(
        {"match": "all", "conditions": [shiraz, lead]},
        {"match": "all", "conditions": [tehran, customer]},
        match="any",
    ) == {shiraz_lead.pk, tehran_customer.pk}
    # No conditions: everyone.
    assert members() == {tehran_customer.pk, tehran_lead.pk, shiraz_lead.pk, shiraz_customer.pk}
