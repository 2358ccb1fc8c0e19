"""Bulk inserts and array lookups (``common.bulk``), on SQLite and on PostgreSQL.

On PostgreSQL rows are written as ``COPY`` text encoded by ``bulk.py`` itself, so the values
that text format must escape (tab, newline, carriage return, backslash) and every kind of
value the importers write go through it here and are read back through the ORM.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.common.bulk import IN_CHUNK, insert_rows, links_insert, values_matching
from peyvand.contacts.models import Contact, ContactPhone, Gender, Tag
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db

AWKWARD = "tab\there\nnew line\r\\back\\slash \\N «علی» ‌ZWNJ"


def test_insert_rows_round_trips_text_dates_choices_and_defaults(sales_user: User) -> None:
    ids = insert_rows(
        Contact,
        [
            {
                "first_name": AWKWARD,
                "last_name": "رضایی",
                "birthday": datetime.date(1990, 3, 21),
                "gender": Gender.FEMALE,
                "owner_id": sales_user.pk,
            },
            {"first_name": "\\", "national_id": "0012345679"},
        ],
    )

    assert len(ids) == 2
    first, second = Contact.objects.get(pk=ids[0]), Contact.objects.get(pk=ids[1])
    assert (first.first_name, first.last_name) == (AWKWARD, "رضایی")
    assert first.birthday == datetime.date(1990, 3, 21)
    assert first.gender == "female"
    assert first.owner_id == sales_user.pk
    assert first.custom_fields == {}
    assert first.created_at is not None
    assert (second.first_name, second.national_id, second.birthday, second.owner_id) == (
        "\\",
        "0012345679",
        None,
        None,
    )


def test_insert_rows_round_trips_json_and_aware_times() -> None:
    occurred = timezone.make_aware(datetime.datetime(2026, 3, 20, 23, 30, 15, 123456))
    payload: dict[str, Any] = {
        "text": AWKWARD,
        "nested": {"list": [1, 2.5, None, True, "۰۹۱۲"]},
        "empty": "",
    }
    insert_rows(
        Event,
        [
            {
                "occurred_at": occurred,
                "verb": "contact.imported",
                "subject_type": "contact",
                "subject_id": 7,
                "summary": AWKWARD,
                "payload": payload,
            }
        ],
        need_ids=False,
    )

    event = Event.objects.get(subject_id=7)
    assert event.occurred_at == occurred
    assert event.summary == AWKWARD
    assert event.payload == payload


def test_insert_rows_with_nothing_to_insert_runs_no_query() -> None:
    with CaptureQueriesContext(connection) as captured:
        assert insert_rows(Contact, []) == []
    assert captured.captured_queries == []


def test_links_insert_skips_existing_and_repeated_pairs() -> None:
    first, second = insert_rows(Contact, [{"first_name": "الف"}, {"first_name": "ب"}])
    vip, fair = Tag.objects.create(name="VIP", key="vip"), Tag.objects.create(name="ن", key="ن")
    through = Contact.tags.through
    Contact.objects.get(pk=first).tags.add(vip)

    given = links_insert(
        through, "contact_id", "tag_id", [(first, vip.pk), (first, fair.pk), (first, fair.pk)]
    )
    links_insert(through, "contact_id", "tag_id", [(second, vip.pk)])

    assert given == 2
    assert sorted(through.objects.values_list("contact_id", "tag_id")) == sorted(
        [(first, vip.pk), (first, fair.pk), (second, vip.pk)]
    )


def test_values_matching_finds_text_and_integer_values_in_one_query_on_postgresql() -> None:
    ids = insert_rows(Contact, [{"first_name": str(index)} for index in range(3)])
    insert_rows(
        ContactPhone,
        [
            {"contact_id": ids[0], "number": "+989121234567"},
            {"contact_id": ids[1], "number": "+989121234568"},
        ],
        need_ids=False,
    )
    wanted = ["+989121234567", "+989121234568", "+989120000000"]

    with CaptureQueriesContext(connection) as captured:
        phones = values_matching(
            ContactPhone.objects.all(), "number", wanted, "number", "contact_id"
        )
        found = values_matching(Contact.objects.all(), "pk", [ids[2], 10**12], "pk")

    assert sorted(phones) == [("+989121234567", ids[0]), ("+989121234568", ids[1])]
    assert found == [(ids[2],)]
    assert values_matching(Contact.objects.all(), "pk", [], "pk") == []
    if connection.vendor == "postgresql":
        assert len(captured.captured_queries) == 2
        assert "= ANY(" in captured.captured_queries[0]["sql"]
        assert "::bigint[]" in captured.captured_queries[1]["sql"]


def test_values_matching_splits_long_lists_where_arrays_are_missing() -> None:
    (contact_id,) = insert_rows(Contact, [{"first_name": "الف"}])
    wanted = [contact_id, *range(10**12, 10**12 + IN_CHUNK + 10)]

    with CaptureQueriesContext(connection) as captured:
        found = values_matching(Contact.objects.all(), "pk", wanted, "pk")

    assert found == [(contact_id,)]
    assert len(captured.captured_queries) == (1 if connection.vendor == "postgresql" else 2)


@pytest.mark.django_db(transaction=True)
def test_analyze_if_stale_refreshes_statistics_of_a_table_that_outgrew_them() -> None:
    from peyvand.common.bulk import analyze_if_stale

    insert_rows(Contact, [{"first_name": str(index)} for index in range(10_050)])
    if connection.vendor != "postgresql":
        assert analyze_if_stale(Contact, ContactPhone) == []
        return
    with connection.cursor() as cursor:
        # This backend's counts reach pg_stat_user_tables when it reports them.
        cursor.execute("SELECT pg_stat_force_next_flush()")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")

    assert analyze_if_stale(Contact, ContactPhone) == ["contacts_contact"]
    assert analyze_if_stale(Contact, ContactPhone) == []  # now analyzed with 10,050 rows
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'contacts_contact'")
        assert cursor.fetchone() == (10_050,)
