"""The warning before a likely duplicate company is saved, on the form and in the API.

A company typed with another legal form, Arabic letters, another way of writing its phone
or its national ID finds the company the user already sees; nothing is saved until the user
says to save it anyway. Companies the user may not see are never revealed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from peyvand.accounts.models import User
from peyvand.contacts.merging import possible_company_duplicates
from peyvand.contacts.models import Company
from peyvand.contacts.tests.factories import make_company

pytestmark = pytest.mark.django_db

VALID_ID = "10103428568"


def reasons_of(user: User, values: dict[str, Any]) -> list[tuple[int, list[str]]]:
    with translation.override("en"):
        return [
            (company.pk, reasons)
            for company, _score, reasons in possible_company_duplicates(user, values)
        ]


# --- What counts as a likely duplicate ---------------------------------------------------------


def test_the_same_core_name_in_the_same_city_whatever_the_legal_form(
    sales_user: User, teammate: User
) -> None:
    existing = make_company(actor=teammate, name="آریا نوین (سهامی خاص)", city="تهران")

    found = reasons_of(sales_user, {"name": "شركت آريا‌نوين", "city": "تهران"})

    assert found == [(existing.pk, ["same name", "same city"])]
    # In another city it is a branch or a namesake.
    assert reasons_of(sales_user, {"name": "شرکت آریا نوین", "city": "شیراز"}) == []


def test_a_phone_written_another_way_or_the_national_id_finds_a_renamed_company(
    sales_user: User, teammate: User
) -> None:
    by_phone = make_company(actor=teammate, name="شرکت صنایع البرز", phones=["02188776655"])
    by_id = make_company(actor=teammate, name="پارس", national_id=VALID_ID)

    # A typo in the name: only the phone finds it.
    found = reasons_of(sales_user, {"name": "صنايع البورز", "phones": ["+98 21 8877 6655"]})
    assert found == [(by_phone.pk, ["same phone", "name 95% similar"])]
    found = reasons_of(sales_user, {"name": "پارس سازه", "national_id": "۱۰۱۰۳۴۲۸۵۶۸"})
    assert [pk for pk, _ in found] == [by_id.pk]
    assert "same national ID" in found[0][1]


def test_an_unrelated_company_and_an_invisible_or_merged_one_are_not_found(
    sales_user: User, teammate: User, outsider: User
) -> None:
    make_company(actor=teammate, name="بتا تجارت", city="تهران", phones=["02133334444"])
    make_company(actor=outsider, name="آریا نوین", city="تهران", phones=["02188776655"])
    kept = make_company(actor=teammate, name="گاما")
    merged = make_company(actor=teammate, name="آریا نوین", city="تهران")
    Company.objects.filter(pk=merged.pk).update(merged_into=kept)

    values = {"name": "آریا نوین", "city": "تهران", "phones": ["02188776655"]}
    assert reasons_of(sales_user, values) == []


# --- The form ---------------------------------------------------------------------------------


def form_data(owner: User, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "شركت آريا نوين", "city": "تهران", "owner": str(owner.pk)}
    data.update(overrides)
    return data


def test_the_form_warns_saves_nothing_then_saves_when_allowed(
    logged_in: Callable[[User], Client], sales_user: User, teammate: User
) -> None:
    existing = make_company(actor=teammate, name="آریا نوین", city="تهران")
    client = logged_in(sales_user)

    response = client.post("/contacts/companies/new/", form_data(sales_user))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="duplicate-warning"' in page
    assert f'href="/contacts/companies/{existing.pk}/"' in page
    with translation.override("fa"):
        assert translation.gettext("This looks like a company you already have:") in page
    assert 'name="allow_duplicate" value="1"' in page
    assert 'value="شركت آريا نوين"' in page  # what was typed stays for the second submit
    assert Company.objects.count() == 1

    response = client.post("/contacts/companies/new/", form_data(sales_user, allow_duplicate="1"))

    assert response.status_code == 302
    created = Company.objects.exclude(pk=existing.pk).get()
    assert response["Location"] == f"/contacts/companies/{created.pk}/"
    assert created.name == "شرکت آریا نوین"


def test_the_form_saves_a_new_company_at_once(
    logged_in: Callable[[User], Client], sales_user: User, outsider: User
) -> None:
    make_company(actor=outsider, name="آریا نوین", city="تهران")  # not the user's to see

    response = logged_in(sales_user).post("/contacts/companies/new/", form_data(sales_user))

    assert response.status_code == 302
    assert Company.objects.count() == 2


# --- The API ----------------------------------------------------------------------------------


def post_company(client: Client, payload: dict[str, Any]) -> Any:
    return client.post("/api/v1/companies", json.dumps(payload), content_type="application/json")


def test_the_api_answers_409_with_the_duplicates_then_creates_when_allowed(
    api_client: Callable[..., Client], sales_user: User, teammate: User
) -> None:
    existing = make_company(actor=teammate, name="آریا نوین", city="تهران", phones=["02188776655"])
    payload = {"name": "آریا نوین", "city": "تهران", "phones": ["021-8877-6655"]}

    response = post_company(api_client(sales_user, language="en"), payload)

    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "This looks like a company you already have."
    assert [(item["id"], item["name"], item["reasons"]) for item in body["duplicates"]] == [
        (existing.pk, "آریا نوین", ["same phone", "same name", "same city"])
    ]
    assert 0.9 < body["duplicates"][0]["score"] <= 1
    assert Company.objects.count() == 1

    farsi = post_company(api_client(sales_user, language="fa"), payload).json()
    with translation.override("fa"):
        assert farsi["detail"] == translation.gettext("This looks like a company you already have.")

    response = post_company(api_client(sales_user), {**payload, "allow_duplicate": True})

    assert response.status_code == 201
    assert "allow_duplicate" not in response.json()
    assert Company.objects.count() == 2


def test_the_api_never_reveals_a_company_the_caller_cannot_see(
    api_client: Callable[..., Client], sales_user: User, outsider: User
) -> None:
    make_company(actor=outsider, name="آریا نوین", national_id=VALID_ID)

    response = post_company(api_client(sales_user), {"name": "آریا نوین", "national_id": VALID_ID})

    assert response.status_code == 201


def test_a_patch_ignores_allow_duplicate(
    api_client: Callable[..., Client], sales_user: User
) -> None:
    company = make_company(actor=sales_user, name="آریا نوین")

    response = api_client(sales_user).patch(
        f"/api/v1/companies/{company.pk}",
        json.dumps({"industry": "نرم‌افزار", "allow_duplicate": True}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["industry"] == "نرم‌افزار"
