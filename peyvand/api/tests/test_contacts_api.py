"""``/api/v1/contacts``: create, read, change, delete, list (search, filters, cursors), consent."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peyvand.accounts.models import Role, Team
from peyvand.contacts.models import Contact, ContactConsent, ContactPhone, Tag
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.models import Event

from . import (
    API,
    delete,
    get,
    national_id_for,
    patch_json,
    post_json,
    quick_user,
    token_client,
    without_times,
)

pytestmark = pytest.mark.django_db

NATIONAL_ID = "0013542419"
BAD_CURSOR = {
    "loc": ["query", "cursor"],
    "field": "cursor",
    "msg": "This cursor is not valid.",
    "type": "invalid",
}


@pytest.fixture
def teams() -> tuple[Team, Team]:
    return Team.objects.create(name="فروش تهران"), Team.objects.create(name="فروش شیراز")


@pytest.fixture
def user(teams):
    return quick_user(Role.SALES, teams=(teams[0],))


@pytest.fixture
def client(user):
    return token_client(user)


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_the_national_id_helper_matches_a_hand_checked_value():
    # 0*10 + 0*9 + 1*8 + 3*7 + 5*6 + 4*5 + 2*4 + 4*3 + 1*2 = 101; 101 % 11 = 2; 11 - 2 = 9
    assert national_id_for("001354241") == NATIONAL_ID


def test_create_normalizes_every_value_and_returns_the_stored_contact(client, user):
    response = post_json(
        client,
        "/contacts",
        {
            "first_name": "علي",
            "last_name": "كريمي",
            "phones": ["۰۹۱۲ ۳۴۵ ۶۷۸۹", "+98 912 345 6789"],
            "emails": [" Ali.Karimi@Example.COM "],
            "national_id": "۰۰۱۳۵۴۲۴۱۹",
            "birthday": "1990-05-01",
            "city": "تهران",
            "lifecycle_stage": "customer",
            "tags": ["مشتري ويژه"],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    contact_id = body["id"]
    assert isinstance(contact_id, int)
    assert without_times(body) == {
        "id": contact_id,
        "first_name": "علی",
        "last_name": "کریمی",
        "full_name": "علی کریمی",
        "phones": ["+989123456789"],
        "emails": ["ali.karimi@example.com"],
        "national_id": NATIONAL_ID,
        "birthday": "1990-05-01",
        "gender": "",
        "job_title": "",
        "company_id": None,
        "province": "",
        "city": "تهران",
        "address": "",
        "postal_code": "",
        "source": "",
        "lifecycle_stage": "customer",
        "owner_id": user.pk,
        "tags": ["مشتری ویژه"],
        "interests": "",
        "concerns": "",
        "description": "",
        "custom_fields": {},
        "consents": [],
    }
    created_at = datetime.datetime.fromisoformat(body["created_at"])
    assert abs(timezone.now() - created_at) < datetime.timedelta(minutes=1)
    assert list(ContactPhone.objects.filter(contact_id=contact_id).values_list("number")) == [
        ("+989123456789",)
    ]
    assert list(Event.objects.filter(contact_id=contact_id).values_list("verb", "actor_id")) == [
        ("contact.created", user.pk)
    ]

    fetched = get(client, f"/contacts/{contact_id}")
    assert fetched.status_code == 200
    assert fetched.json() == body


def test_patch_changes_only_the_fields_sent(client, user):
    created = post_json(
        client,
        "/contacts",
        {
            "first_name": "مریم",
            "last_name": "رضایی",
            "phones": ["09123456789"],
            "emails": ["maryam@example.com"],
            "national_id": NATIONAL_ID,
            "birthday": "1990-05-01",
            "tags": ["وفادار"],
        },
    ).json()

    response = patch_json(
        client,
        f"/contacts/{created['id']}",
        {"job_title": "مدير فروش", "phones": ["0935 111 2233"]},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert without_times(body) == {
        **without_times(created),
        "job_title": "مدیر فروش",
        "phones": ["+989351112233"],
    }
    assert body["created_at"] == created["created_at"]
    assert datetime.datetime.fromisoformat(body["updated_at"]) >= datetime.datetime.fromisoformat(
        created["updated_at"]
    )
    changes = Event.objects.get(contact_id=created["id"], verb="contact.updated").payload["changes"]
    assert changes == {
        "job_title": ["", "مدیر فروش"],
        "phones": [["+989123456789"], ["+989351112233"]],
    }


def test_patch_with_an_explicit_null_clears_the_field(client):
    created = post_json(client, "/contacts", {"last_name": "کاظمی", "birthday": "1990-05-01"})

    response = patch_json(client, f"/contacts/{created.json()['id']}", {"birthday": None})

    assert response.status_code == 200
    assert response.json()["birthday"] is None
    assert response.json()["last_name"] == "کاظمی"


def test_delete_removes_the_contact_then_it_is_not_found(user, teams):
    client = token_client(quick_user(Role.MANAGER, teams=(teams[0],)))
    contact = make_contact(actor=user)

    response = delete(client, f"/contacts/{contact.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert Event.objects.filter(subject_id=contact.pk, verb="contact.deleted").count() == 1
    for response in (
        get(client, f"/contacts/{contact.pk}"),
        patch_json(client, f"/contacts/{contact.pk}", {"city": "قم"}),
        delete(client, f"/contacts/{contact.pk}"),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


def test_sales_may_not_delete_but_a_manager_may(teams):
    sales = quick_user(Role.SALES, teams=(teams[0],))
    manager = quick_user(Role.MANAGER, teams=(teams[0],))
    contact = make_contact(actor=sales)

    refused = delete(token_client(sales), f"/contacts/{contact.pk}")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You do not have permission to do this."}
    assert Contact.objects.filter(pk=contact.pk).exists()

    assert delete(token_client(manager), f"/contacts/{contact.pk}").status_code == 204


def test_search_is_persian_normalized(client, user):
    ali = make_contact(actor=user, first_name="علي", last_name="كريمي", phones=["09123456789"])
    make_contact(actor=user, first_name="رضا", last_name="احمدی")

    for term in ("علی", "علي کریمی", "كريمي", "۰۹۱۲۳۴۵", "+98 912 345 6789"):
        response = get(client, "/contacts", {"search": term})
        assert response.status_code == 200
        assert [item["id"] for item in response.json()["items"]] == [ali.pk], term
    assert get(client, "/contacts", {"search": "ناشناس"}).json() == {
        "items": [],
        "next_cursor": None,
    }


def test_filters_owner_stage_tag_and_city(client, user, teams):
    teammate = quick_user(Role.SALES, teams=(teams[0],))
    mine = make_contact(actor=user, lifecycle_stage="customer", tags=["وی‌آی‌پی"], city="شيراز")
    theirs = make_contact(actor=teammate, lifecycle_stage="lead", tags=["سرد"], city="تهران")
    vip = Tag.objects.get(name="وی‌آی‌پی")

    def ids(**params):
        response = get(client, "/contacts", params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [theirs.pk, mine.pk]
    assert ids(owner="me") == [mine.pk]
    assert ids(owner=str(teammate.pk)) == [theirs.pk]
    assert ids(stage="customer") == [mine.pk]
    assert ids(stage="lead") == [theirs.pk]
    assert ids(tag=str(vip.pk)) == [mine.pk]
    assert ids(city="شیراز") == [mine.pk]
    assert ids(city="تهران", stage="customer") == []
    assert ids(sort="oldest") == [mine.pk, theirs.pk]


def test_the_list_shows_only_visible_contacts(client, user, teams):
    other_team_user = quick_user(Role.SALES, teams=(teams[1],))
    mine = make_contact(actor=user)
    make_contact(actor=other_team_user)
    make_contact(owner=None)

    response = get(client, "/contacts")

    assert [item["id"] for item in response.json()["items"]] == [mine.pk]


@pytest.mark.parametrize("sort", ["newest", "oldest", "name", "updated"])
def test_cursor_pagination_returns_every_contact_exactly_once(client, user, sort):
    # Same last name for all: the "name" sort must break ties by first name, then id.
    created = [
        make_contact(actor=user, first_name=name, last_name="یکسان")
        for name in ("ب", "الف", "ب", "ج", "الف")
    ]
    expected = {
        "newest": sorted(created, key=lambda contact: -contact.pk),
        "oldest": sorted(created, key=lambda contact: contact.pk),
        "name": sorted(created, key=lambda contact: (contact.first_name, contact.pk)),
        "updated": sorted(created, key=lambda contact: -contact.pk),
    }[sort]

    pages = []
    cursor = None
    while True:
        params = {"limit": 2, "sort": sort, **({"cursor": cursor} if cursor else {})}
        response = get(client, "/contacts", params)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 5, "pagination does not end"

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [pk for page in pages for pk in page] == [contact.pk for contact in expected]


def test_a_full_last_page_has_no_next_cursor(client, user):
    for _ in range(4):
        make_contact(actor=user)

    first = get(client, "/contacts", {"limit": 2}).json()
    second = get(client, "/contacts", {"limit": 2, "cursor": first["next_cursor"]}).json()

    assert len(second["items"]) == 2
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        _cursor({"id": 1}),  # valid base64 and JSON, but not a list
        _cursor([1, 2, 3]),  # a list of the wrong length for the "newest" sort
        _cursor(["abc"]),  # the right length, but not an id
        _cursor([None]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),  # not UTF-8
    ],
)
def test_a_bad_cursor_is_a_field_error(client, user, cursor):
    make_contact(actor=user)

    response = get(client, "/contacts", {"cursor": cursor})

    assert response.status_code == 422, response.content
    assert response.json() == {"detail": [BAD_CURSOR]}


@pytest.mark.parametrize(
    "values", [["yesterday", 1], [None, 1], [5, 1], ["2024-02-30T00:00:00", 1], [[1], {"a": 1}]]
)
def test_a_bad_cursor_on_a_date_sort_is_a_field_error(client, user, values):
    make_contact(actor=user)

    response = get(client, "/contacts", {"sort": "updated", "cursor": _cursor(values)})

    assert response.status_code == 422, response.content
    assert response.json() == {"detail": [BAD_CURSOR]}


def test_unknown_fields_are_refused(client, user):
    response = post_json(client, "/contacts", {"last_name": "رضایی", "nickname": "مری"})

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "payload", "nickname"],
                "field": "nickname",
                "msg": "This field is not allowed.",
                "type": "extra_forbidden",
            }
        ]
    }
    assert not Contact.objects.exists()

    contact = make_contact(actor=user)
    patched = patch_json(client, f"/contacts/{contact.pk}", {"search_text": "x"})
    assert patched.status_code == 422
    assert [item["field"] for item in patched.json()["detail"]] == ["search_text"]


def test_invalid_values_are_field_errors_and_nothing_is_saved(client):
    response = post_json(
        client,
        "/contacts",
        {
            "last_name": "رضایی",
            "phones": ["09123456789", "12345"],
            "emails": ["not-an-email"],
            "national_id": "0013542410",
            "birthday": "1990-13-01",
        },
    )

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "payload", "birthday"],
            "field": "birthday",
            "msg": "Enter a valid date (YYYY-MM-DD).",
            "type": "date_from_datetime_parsing",
        }
    ]

    response = post_json(
        client,
        "/contacts",
        {
            "last_name": "رضایی",
            "phones": ["09123456789", "12345"],
            "emails": ["not-an-email"],
            "national_id": "0013542410",
        },
    )

    assert response.status_code == 422
    assert sorted(response.json()["detail"], key=lambda item: item["field"]) == [
        {
            "loc": ["body", "emails"],
            "field": "emails",
            "msg": "«not-an-email»: Enter a valid email address.",
            "type": "invalid_email",
        },
        {
            "loc": ["body", "national_id"],
            "field": "national_id",
            "msg": "This national ID is not valid; please check it.",
            "type": "invalid_checksum",
        },
        {
            "loc": ["body", "phones"],
            "field": "phones",
            "msg": "«12345»: Enter a valid phone number.",
            "type": "invalid_phone",
        },
    ]
    assert not Contact.objects.exists()


def test_a_contact_needs_a_name(client):
    response = post_json(client, "/contacts", {"phones": ["09123456789"]})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "last_name"],
            "field": "last_name",
            "msg": "Enter a first name or a last name.",
            "type": "required",
        }
    ]


def test_an_edit_cannot_remove_both_names(client, user):
    contact = make_contact(actor=user)

    response = patch_json(client, f"/contacts/{contact.pk}", {"first_name": "", "last_name": ""})

    assert response.status_code == 422
    assert [item["field"] for item in response.json()["detail"]] == ["last_name"]


def test_a_company_the_user_cannot_see_is_no_such_record(client, user, teams):
    other_team_user = quick_user(Role.SALES, teams=(teams[1],))
    hidden = make_company(actor=other_team_user)
    visible = make_company(actor=user)
    missing_id = hidden.pk + visible.pk + 1000

    responses = [
        post_json(client, "/contacts", {"last_name": "رضایی", "company_id": company_id})
        for company_id in (hidden.pk, missing_id)
    ]

    expected = {
        "detail": [
            {
                "loc": ["body", "company_id"],
                "field": "company_id",
                "msg": "No such record.",
                "type": "does_not_exist",
            }
        ]
    }
    assert [(response.status_code, response.json()) for response in responses] == [
        (422, expected),
        (422, expected),
    ]
    assert not Contact.objects.exists()

    linked = post_json(client, "/contacts", {"last_name": "رضایی", "company_id": visible.pk})
    assert linked.status_code == 201
    assert linked.json()["company_id"] == visible.pk
    contact_id = linked.json()["id"]
    moved = patch_json(client, f"/contacts/{contact_id}", {"company_id": hidden.pk})
    assert (moved.status_code, moved.json()) == (422, expected)
    assert Contact.objects.get(pk=contact_id).company_id == visible.pk
    unlinked = patch_json(client, f"/contacts/{contact_id}", {"company_id": None})
    assert unlinked.json()["company_id"] is None


def test_an_owner_must_be_an_active_user(client, user):
    inactive = quick_user(Role.SALES, is_active=False)

    response = post_json(client, "/contacts", {"last_name": "رضایی", "owner_id": inactive.pk})

    assert response.status_code == 422
    assert [(item["field"], item["type"]) for item in response.json()["detail"]] == [
        ("owner_id", "does_not_exist")
    ]


def test_consent_is_recorded_changed_and_validated(client, user, teams):
    contact = make_contact(actor=user)

    granted = post_json(
        client,
        f"/contacts/{contact.pk}/consents",
        {"channel": "sms", "status": "granted", "method": "web_form", "note": "فرم سایت"},
    )

    assert granted.status_code == 200, granted.content
    consents = granted.json()["consents"]
    assert [(c["channel"], c["status"], c["method"]) for c in consents] == [
        ("sms", "granted", "web_form")
    ]

    withdrawn = post_json(
        client, f"/contacts/{contact.pk}/consents", {"channel": "sms", "status": "withdrawn"}
    )
    email = post_json(
        client, f"/contacts/{contact.pk}/consents", {"channel": "email", "status": "granted"}
    )

    assert withdrawn.status_code == 200
    assert [(c["channel"], c["status"], c["method"]) for c in email.json()["consents"]] == [
        ("email", "granted", "api"),
        ("sms", "withdrawn", "api"),
    ]
    assert ContactConsent.objects.filter(contact=contact).count() == 2
    assert list(
        Event.objects.filter(contact=contact, verb__startswith="consent.")
        .order_by("id")
        .values_list("verb", "payload__channel")
    ) == [("consent.granted", "sms"), ("consent.withdrawn", "sms"), ("consent.granted", "email")]

    bad = post_json(
        client, f"/contacts/{contact.pk}/consents", {"channel": "fax", "status": "maybe"}
    )
    assert bad.status_code == 422
    assert [(item["field"], item["msg"]) for item in bad.json()["detail"]] == [
        ("channel", "Unknown channel."),
        ("status", "Unknown consent status."),
    ]
    missing = post_json(client, f"/contacts/{contact.pk}/consents", {"channel": "sms"})
    assert [(item["field"], item["type"]) for item in missing.json()["detail"]] == [
        ("status", "missing")
    ]

    hidden = make_contact(actor=quick_user(Role.SALES, teams=(teams[1],)))
    not_found = post_json(
        client, f"/contacts/{hidden.pk}/consents", {"channel": "sms", "status": "granted"}
    )
    assert (not_found.status_code, not_found.json()) == (404, {"detail": "Not found."})
    assert not ContactConsent.objects.filter(contact=hidden).exists()


def _contacts_with_children(owner, count: int) -> None:
    for number in range(count):
        make_contact(
            actor=owner,
            first_name=f"نام {number}",
            phones=[f"0912{number:07d}", f"0935{number:07d}"],
            emails=[f"person{number}@example.com"],
            tags=[f"برچسب {number % 3}", "همه"],
        )


def _list_queries(client) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(f"{API}/contacts", {"limit": 50})
    assert response.status_code == 200
    return len(response.json()["items"]), [query["sql"] for query in context.captured_queries]


def test_the_list_costs_the_same_number_of_queries_for_3_or_20_contacts(client, user):
    client.get(f"{API}/me")  # the token's last_used_at is written once a minute, not here
    _contacts_with_children(user, 3)
    few_rows, few_queries = _list_queries(client)
    _contacts_with_children(user, 17)
    many_rows, many_queries = _list_queries(client)

    assert (few_rows, many_rows) == (3, 20)
    # token + user, visibility policy, custom field definitions, the page, then one
    # prefetch each for phones, emails, tags and consents.
    assert len(few_queries) == 8, "\n".join(few_queries)
    assert len(many_queries) == len(few_queries), "\n".join(many_queries)
