"""``/api/v1/companies``: create, read, change, delete, list; company national ID checks."""

from __future__ import annotations

import pytest

from peyvand.accounts.models import Role, Team
from peyvand.contacts.models import Company, Contact
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.models import Event

from . import (
    company_national_id_for,
    delete,
    get,
    patch_json,
    post_json,
    quick_user,
    token_client,
    without_times,
)

pytestmark = pytest.mark.django_db

COMPANY_ID = "14102334565"


@pytest.fixture
def teams() -> tuple[Team, Team]:
    return Team.objects.create(name="فروش تهران"), Team.objects.create(name="فروش شیراز")


@pytest.fixture
def user(teams):
    return quick_user(Role.SALES, teams=(teams[0],))


@pytest.fixture
def client(user):
    return token_client(user)


def test_the_company_id_helper_matches_a_hand_checked_value():
    # shift 6+2=8: 9*29 + 12*27 + 9*23 + 8*19 + 10*17 + 11*29 + 11*27 + 12*23 + 13*19 + 14*17
    # = 2491; 2491 % 11 = 5.
    assert company_national_id_for("1410233456") == COMPANY_ID


def test_create_normalizes_and_returns_the_stored_company(client, user):
    response = post_json(
        client,
        "/companies",
        {
            "name": "  شركت   نمونه ",
            "national_id": "۱۴۱۰۲۳۳۴۵۶۵",
            "economic_code": "۴۱۱۱-۱۱۱۱-۱۱۱۱",
            "industry": "نرم‌افزار",
            "size": "11-50",
            "website": "https://example.com",
            "email": " Info@Example.COM ",
            "phones": ["021 8877 6655", "+982188776655"],
            "city": "تهران",
            "tags": ["همكار"],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    company_id = body["id"]
    assert without_times(body) == {
        "id": company_id,
        "name": "شرکت نمونه",
        "national_id": COMPANY_ID,
        "economic_code": "411111111111",
        "industry": "نرم‌افزار",
        "size": "11-50",
        "website": "https://example.com",
        "email": "info@example.com",
        "phones": ["+982188776655"],
        "province": "",
        "city": "تهران",
        "address": "",
        "postal_code": "",
        "description": "",
        "owner_id": user.pk,
        "is_key_account": False,
        "account_team_id": None,
        "tags": ["همکار"],
        "custom_fields": {},
        "people_count": 0,
    }
    assert list(Event.objects.filter(company_id=company_id).values_list("verb", "actor_id")) == [
        ("company.created", user.pk)
    ]

    fetched = get(client, f"/companies/{company_id}")
    assert fetched.status_code == 200
    assert fetched.json() == body


@pytest.mark.parametrize(
    ("national_id", "message", "code"),
    [
        (
            COMPANY_ID[:-1] + "7",
            "This company national ID is not valid; please check it.",
            "invalid_checksum",
        ),
        ("1410233456", "Company national ID must be 11 digits.", "invalid_length"),
        ("1410233456X", "Company national ID must contain only digits.", "invalid_characters"),
    ],
)
def test_a_bad_company_national_id_is_a_field_error(client, national_id, message, code):
    response = post_json(client, "/companies", {"name": "نمونه", "national_id": national_id})

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {"loc": ["body", "national_id"], "field": "national_id", "msg": message, "type": code}
        ]
    }
    assert not Company.objects.exists()


def test_other_invalid_values_are_field_errors(client):
    response = post_json(
        client,
        "/companies",
        {"name": "نمونه", "size": "huge", "phones": ["abc"], "postal_code": "0123456789"},
    )

    assert response.status_code == 422
    assert sorted((item["field"], item["type"]) for item in response.json()["detail"]) == [
        ("phones", "invalid_phone"),
        ("postal_code", "invalid_format"),
        ("size", "invalid_choice"),
    ]


def test_a_company_needs_a_name(client):
    response = post_json(client, "/companies", {"city": "تهران"})

    assert response.status_code == 422
    assert [(item["field"], item["type"]) for item in response.json()["detail"]] == [
        ("name", "blank")
    ]


def test_patch_changes_only_the_fields_sent(client):
    created = post_json(
        client,
        "/companies",
        {"name": "نمونه", "national_id": COMPANY_ID, "phones": ["02188776655"], "tags": ["الف"]},
    ).json()

    response = patch_json(
        client, f"/companies/{created['id']}", {"industry": "بازرگاني", "tags": ["ب", "الف"]}
    )

    assert response.status_code == 200, response.content
    assert without_times(response.json()) == {
        **without_times(created),
        "industry": "بازرگانی",
        "tags": ["الف", "ب"],
    }
    unchanged = patch_json(client, f"/companies/{created['id']}", {})
    assert unchanged.status_code == 200
    assert Event.objects.filter(company_id=created["id"], verb="company.updated").count() == 1


def test_delete_keeps_the_people_without_a_company(user, teams):
    manager_client = token_client(quick_user(Role.MANAGER, teams=(teams[0],)))
    company = make_company(actor=user)
    person = make_contact(actor=user, company=company)

    response = delete(manager_client, f"/companies/{company.pk}")

    assert response.status_code == 204
    assert not Company.objects.filter(pk=company.pk).exists()
    assert Contact.objects.get(pk=person.pk).company_id is None
    assert get(manager_client, f"/companies/{company.pk}").json() == {"detail": "Not found."}
    assert (
        delete(token_client(user), f"/companies/{make_company(actor=user).pk}").status_code == 403
    )


def test_people_count_counts_the_company_people(client, user):
    company = make_company(actor=user)
    make_contact(actor=user, company=company)
    make_contact(actor=user, company=company)
    make_contact(actor=user)

    assert get(client, f"/companies/{company.pk}").json()["people_count"] == 2
    assert [
        (item["id"], item["people_count"]) for item in get(client, "/companies").json()["items"]
    ] == [(company.pk, 2)]


def test_a_company_of_another_team_is_not_found(client, teams):
    hidden = make_company(actor=quick_user(Role.SALES, teams=(teams[1],)))

    for response in (
        get(client, f"/companies/{hidden.pk}"),
        patch_json(client, f"/companies/{hidden.pk}", {"city": "قم"}),
    ):
        assert (response.status_code, response.json()) == (404, {"detail": "Not found."})
    assert get(client, "/companies").json() == {"items": [], "next_cursor": None}


def test_search_and_filters(client, user, teams):
    teammate = quick_user(Role.SALES, teams=(teams[0],))
    software = make_company(actor=user, name="شركت پارس", industry="نرم‌افزار", city="تهران")
    trade = make_company(actor=teammate, name="بازرگانی کیان", industry="بازرگانی", city="شیراز")

    def ids(**params):
        response = get(client, "/companies", params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [trade.pk, software.pk]  # by name: «ب» sorts before «ش»
    assert ids(search="شرکت") == [software.pk]
    assert ids(search="پارس شرکت") == [software.pk]
    assert ids(search="كيان") == [trade.pk]
    assert ids(owner="me") == [software.pk]
    assert ids(industry="بازرگانی") == [trade.pk]
    assert ids(city="شیراز") == [trade.pk]
    assert ids(sort="newest") == [trade.pk, software.pk]


def test_the_city_filter_is_persian_normalized_like_the_stored_city(client, user):
    shiraz = make_company(actor=user, city="شیراز")

    response = get(client, "/companies", {"city": "شيراز"})  # typed with an Arabic Yeh

    assert [item["id"] for item in response.json()["items"]] == [shiraz.pk]


def test_cursor_pagination_by_name_returns_every_company_once(client, user):
    names = ["ب", "الف", "ب", "ج", "الف"]
    created = [make_company(actor=user, name=name) for name in names]
    expected = [company.pk for company in sorted(created, key=lambda c: (c.name, c.pk))]

    seen: list[int] = []
    sizes: list[int] = []
    cursor = None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = get(client, "/companies", params).json()
        seen += [item["id"] for item in body["items"]]
        sizes.append(len(body["items"]))
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert sizes == [2, 2, 1]
    assert seen == expected
    bad = get(client, "/companies", {"cursor": "%%%"})
    assert bad.status_code == 422
    assert [item["field"] for item in bad.json()["detail"]] == ["cursor"]


def test_unknown_fields_are_refused(client):
    response = post_json(client, "/companies", {"name": "نمونه", "people_count": 3})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "payload", "people_count"],
            "field": "people_count",
            "msg": "This field is not allowed.",
            "type": "extra_forbidden",
        }
    ]
