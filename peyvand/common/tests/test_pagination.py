"""Keyset pagination: every row exactly once, in order, for any ordering with a tiebreaker."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.common.pagination import keyset_page
from peyvand.contacts.models import Contact

pytestmark = pytest.mark.django_db

BASE_TIME = datetime.datetime(2024, 3, 20, 8, 0, tzinfo=datetime.UTC)


def _make_rows(rows: list[tuple[str, str, int]]) -> list[Contact]:
    """Contacts with these (last name, first name, minutes after BASE_TIME of updated_at).

    ``updated_at`` is ``auto_now``, so the timestamps (with deliberate ties) are set after.
    """
    contacts = Contact.objects.bulk_create(
        Contact(last_name=last, first_name=first) for last, first, _minutes in rows
    )
    for contact, (_last, _first, minutes) in zip(contacts, rows, strict=True):
        stamp = BASE_TIME + datetime.timedelta(minutes=minutes, microseconds=minutes % 3)
        Contact.objects.filter(pk=contact.pk).update(updated_at=stamp)
    return list(Contact.objects.order_by("id"))


def _walk(ordering: list[str], limit: int) -> tuple[list[int], int]:
    """The ids of every page, concatenated, and the number of pages."""
    ids: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = keyset_page(Contact.objects.all(), ordering=ordering, cursor=cursor, limit=limit)
        pages += 1
        assert len(page.items) <= limit
        ids.extend(item.pk for item in page.items)
        if page.next_cursor is None:
            return ids, pages
        assert page.items, "a page with a next cursor must not be empty"
        cursor = page.next_cursor
        assert pages <= 1000


def _python_sorted(contacts: list[Contact], ordering: list[str]) -> list[int]:
    """Sort in Python, last key first (stable sorts), to get an independent oracle."""
    result = list(contacts)
    for name in reversed(ordering):
        field = name.lstrip("-")
        result.sort(key=lambda contact: getattr(contact, field), reverse=name.startswith("-"))
    return [contact.pk for contact in result]


ORDERINGS = [
    ["id"],
    ["-id"],
    ["last_name", "first_name", "id"],
    ["-last_name", "first_name", "-id"],
    ["last_name", "-first_name", "id"],
    ["-updated_at", "-id"],
    ["updated_at", "id"],
    ["updated_at", "-last_name", "id"],
]

# Lower-case ASCII names sort the same in Python and in any collation the suite runs on.
DUPLICATE_NAMES = [
    ("b", "x", 5),
    ("a", "y", 5),
    ("b", "x", 3),
    ("a", "x", 5),
    ("c", "z", 1),
    ("b", "y", 3),
    ("a", "x", 1),
    ("b", "x", 5),
    ("", "", 7),
    ("ab", "a", 7),
    ("a", "x", 3),
]


@pytest.mark.parametrize("ordering", ORDERINGS, ids=lambda o: ",".join(o))
@pytest.mark.parametrize("limit", [1, 2, 3, 10, 11, 50])
def test_pages_concatenate_to_the_sorted_list(ordering: list[str], limit: int) -> None:
    contacts = _make_rows(DUPLICATE_NAMES)
    expected = _python_sorted(contacts, ordering)
    assert expected == list(Contact.objects.order_by(*ordering).values_list("pk", flat=True)), (
        "the oracle must agree with the database"
    )

    ids, pages = _walk(ordering, limit)

    assert ids == expected
    assert len(set(ids)) == len(ids) == len(DUPLICATE_NAMES)
    assert pages == max(1, -(-len(DUPLICATE_NAMES) // limit))


@pytest.mark.parametrize("ordering", [["id"], ["-updated_at", "-id"]])
def test_no_rows_gives_one_empty_page(ordering: list[str]) -> None:
    page = keyset_page(Contact.objects.all(), ordering=ordering, cursor=None, limit=5)
    assert page.items == []
    assert page.next_cursor is None


def test_one_row() -> None:
    (contact,) = _make_rows([("a", "b", 0)])
    for limit in (1, 2):
        page = keyset_page(
            Contact.objects.all(),
            ordering=["last_name", "first_name", "id"],
            cursor=None,
            limit=limit,
        )
        assert page.items == [contact]
        assert page.next_cursor is None


def test_exactly_full_last_page_has_no_next_cursor() -> None:
    _make_rows([("a", "a", 0), ("b", "b", 0), ("c", "c", 0), ("d", "d", 0)])
    first = keyset_page(Contact.objects.all(), ordering=["id"], cursor=None, limit=2)
    assert first.next_cursor is not None
    second = keyset_page(Contact.objects.all(), ordering=["id"], cursor=first.next_cursor, limit=2)
    assert len(second.items) == 2
    assert second.next_cursor is None


def test_the_queryset_filter_is_kept() -> None:
    _make_rows([("a", "x", 0), ("b", "y", 0), ("a", "z", 0), ("a", "w", 0)])
    queryset = Contact.objects.filter(last_name="a")
    names: list[str] = []
    cursor = None
    while True:
        page = keyset_page(queryset, ordering=["-first_name", "id"], cursor=cursor, limit=1)
        names.extend(contact.first_name for contact in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert names == ["z", "x", "w"]


def test_rows_added_before_the_cursor_do_not_shift_later_pages() -> None:
    _make_rows([("b", "", 0), ("c", "", 0), ("d", "", 0), ("e", "", 0)])
    ordering = ["last_name", "id"]
    first = keyset_page(Contact.objects.all(), ordering=ordering, cursor=None, limit=2)
    assert [c.last_name for c in first.items] == ["b", "c"]
    Contact.objects.create(last_name="a")  # sorts before the cursor
    second = keyset_page(
        Contact.objects.all(), ordering=ordering, cursor=first.next_cursor, limit=2
    )
    assert [c.last_name for c in second.items] == ["d", "e"]


def test_datetime_cursor_survives_microsecond_ties() -> None:
    contacts = _make_rows([("a", "", 0), ("b", "", 0), ("c", "", 0)])
    stamp = BASE_TIME + datetime.timedelta(microseconds=123456)
    Contact.objects.update(updated_at=stamp)
    ids, _pages = _walk(["-updated_at", "-id"], 1)
    assert ids == sorted((c.pk for c in contacts), reverse=True)


def _forge(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("ordering", "cursor"),
    [
        (["id"], "not a cursor!"),
        (["id"], "%%%%"),
        (["id"], "AAAA"),  # decodes to NUL bytes, not JSON
        (["id"], base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode()),
        (["id"], _forge({"id": 1})),
        (["id"], _forge("1")),
        (["id"], _forge([1, 2])),
        (["last_name", "first_name", "id"], _forge(["a", 1])),
        (["id"], _forge(["x"])),
        (["id"], _forge([None])),
        (["id"], _forge([{"a": 1}])),
        (["id"], _forge([[1]])),
        (["-updated_at", "-id"], _forge(["yesterday", 1])),
        (["-updated_at", "-id"], _forge(["2024-99-99T00:00:00", 1])),
        (["-updated_at", "-id"], _forge([None, 1])),
        (["-updated_at", "-id"], _forge([12, 1])),
        (["last_name", "id"], _forge([None, 1])),
        (["id"], "[" * 5000),
        (["id"], _forge(json.loads("[" * 50 + "]" * 50))),
    ],
)
def test_a_garbage_cursor_is_a_validation_error(ordering: list[str], cursor: str) -> None:
    _make_rows([("a", "b", 0)])
    with pytest.raises(ValidationError) as excinfo:
        page = keyset_page(Contact.objects.all(), ordering=ordering, cursor=cursor, limit=5)
        list(page.items)
    assert list(excinfo.value.message_dict) == ["cursor"]


def test_a_deeply_nested_cursor_is_a_validation_error() -> None:
    cursor = base64.urlsafe_b64encode(("[" * 100_000).encode()).decode()
    with pytest.raises(ValidationError) as excinfo:
        keyset_page(Contact.objects.all(), ordering=["id"], cursor=cursor, limit=5)
    assert list(excinfo.value.message_dict) == ["cursor"]


def test_an_empty_cursor_means_the_first_page() -> None:
    contacts = _make_rows([("a", "", 0), ("b", "", 0)])
    page = keyset_page(Contact.objects.all(), ordering=["id"], cursor="", limit=1)
    assert page.items == [contacts[0]]


@settings(max_examples=30, deadline=None, database=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["", "a", "b", "c"]),
            st.sampled_from(["", "x", "y"]),
            st.integers(min_value=0, max_value=3),
        ),
        max_size=14,
    ),
    ordering=st.sampled_from(ORDERINGS),
    limit=st.integers(min_value=1, max_value=6),
)
def test_any_rows_any_ordering_pages_cover_everything_once(
    rows: list[tuple[str, str, int]], ordering: list[str], limit: int
) -> None:
    with transaction.atomic():
        contacts = _make_rows(rows)
        ids, _pages = _walk(ordering, limit)
        assert ids == _python_sorted(contacts, ordering)
        assert ids == list(Contact.objects.order_by(*ordering).values_list("pk", flat=True))
        transaction.set_rollback(True)
