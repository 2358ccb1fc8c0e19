"""Search is Persian-normalized and the same on SQLite and PostgreSQL."""

import pytest

from peyvand.contacts.selectors import contacts_filtered, global_search
from peyvand.contacts.tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_arabic_letters_and_persian_digits_are_found_with_persian_letters_and_ascii(admin_user):
    contact = make_contact(first_name="علي", last_name="كريمي", phones=["۰۹۱۲ ۳۴۵ ۶۷۸۹"])
    assert contact.first_name == "علی"
    assert contact.last_name == "کریمی"
    assert list(contact.phones.values_list("number", flat=True)) == ["+989123456789"]

    for query in ("علی کریمی", "کریمی", "علي", "09123456789", "+98 912 345", "۰۹۱۲۳۴۵"):
        found = global_search(admin_user, query)["contacts"]
        assert [item.pk for item in found] == [contact.pk], query


def test_spacing_and_zwnj_do_not_matter(admin_user):
    contact = make_contact(first_name="عبد الله", last_name="نیک‌نام")
    for query in ("عبدالله", "نیک نام", "نیکنام", "عبد‌الله"):
        assert [c.pk for c in contacts_filtered(admin_user, {"q": query})] == [contact.pk], query


def test_search_never_shows_what_the_user_may_not_see(make_user):
    owner = make_user()
    stranger = make_user()
    make_contact(actor=owner, first_name="پنهان")
    assert global_search(stranger, "پنهان")["contacts"] == []
    assert len(global_search(owner, "پنهان")["contacts"]) == 1
