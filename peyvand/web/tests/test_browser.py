"""The main flow a person does by hand, in a real Chromium driven by Playwright.

Log in, create a contact typed with Arabic ي/ك and Persian digits, find it by searching
with Persian ی/ک and ASCII digits, see its Jalali birthday, add a note, see it on the
timeline.
"""

from __future__ import annotations

import pytest

from peyvand.accounts.models import Role
from peyvand.accounts.tests.factories import UserFactory
from peyvand.contacts.models import Contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_contact_flow_with_persian_input(page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(username="agent", role=Role.SALES)

    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.fill("#id_username", "agent")
    page.fill("#id_password", "Pass-word-123")
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/contacts/new/")
    page.fill("#id_first_name", "علي")
    page.fill("#id_last_name", "كاظمي")
    page.fill("#id_phones_0", "۰۹۱۲ ۳۴۵ ۶۷۸۹")
    page.fill("#id_birthday", "۱۳۶۹/۰۲/۱۱")
    page.click("#contact-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/contacts/*/")

    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name) == ("علی", "کاظمی")
    assert contact.birthday is not None and contact.birthday.isoformat() == "1990-05-01"
    assert page.inner_text("#contact-birthday").strip() == "۱۳۶۹/۰۲/۱۱"
    assert page.inner_text("#contact-name").strip() == "علی کاظمی"

    for query in ("علی کاظمی", "09123456789"):
        page.goto(f"{live_server.url}/")
        page.fill("#global-search", query)
        result = page.locator("#search-result-list a", has_text="علی کاظمی")
        result.wait_for()
        assert result.count() == 1, query
    result.click()
    page.wait_for_url(f"{live_server.url}/contacts/{contact.pk}/")

    page.fill("#activity-body", "مشتری پیش‌فاکتور خواست.")
    page.click("#activity-submit")
    page.wait_for_url(f"{live_server.url}/contacts/{contact.pk}/")
    first_event = page.locator("#timeline-list > li").first
    assert first_event.get_attribute("data-verb") == "note.logged"
    assert "مشتری پیش‌فاکتور خواست." in first_event.inner_text()


def test_import_a_spreadsheet_with_preview(page, live_server, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Upload a messy Persian CSV, check the guessed mapping, preview, import, see rejects."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path
    UserFactory(username="boss", role=Role.ADMIN)
    source = tmp_path / "مخاطبان.csv"
    source.write_text(
        "نام,نام خانوادگی,موبایل,کد ملی\n"
        "علي,كاظمي,۰۹۱۲ ۳۴۵ ۶۷۸۹,\n"
        "سارا,نوری,abc,\n"
        "مریم,احمدی,+98 935 111 2233,0012345679\n",
        encoding="utf-8",
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "Pass-word-123")
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/contacts/import/")
    page.set_input_files("#id_file", str(source))
    page.click("#import-upload button[type=submit]")
    page.wait_for_selector("#import-mapping")
    assert page.input_value("#id_column_2") == "phone"
    page.click("#import-preview")
    page.wait_for_selector("[data-status=previewed]")
    assert page.inner_text("[data-count=created]") == "۲"
    assert page.inner_text("[data-count=rejected]") == "۱"
    assert Contact.objects.count() == 0

    page.click("#import-run")
    page.wait_for_selector("[data-status=done]")
    assert sorted(Contact.objects.values_list("last_name", flat=True)) == ["احمدی", "کاظمی"]
    with page.expect_download() as download:
        page.click("a[href$='rejects.csv']")
    rejects = download.value.path().read_text(encoding="utf-8-sig")
    assert "سارا" in rejects and "«abc»" in rejects
