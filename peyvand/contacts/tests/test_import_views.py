"""Import pages over HTTP: upload, column mapping, preview, run, progress and rejects."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from peyvand.accounts.models import Role, User
from peyvand.contacts.models import Contact, ImportJob, ImportStatus, SavedImportMapping
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def _import_settings(settings: Any, tmp_path: Path) -> None:
    """Uploaded files under the test's folder, tasks run inline."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


HEADERS = ["نام و نام خانوادگی", "موبایل", "ایمیل", "شهر"]
GUESSED = ["full_name", "phone", "email", "city"]
ROWS = [
    ["علي رضايي", "09121234567", "Ali@Example.com", "تهران"],
    ["سارا كريمي", "+98 935 111 2233", "", "شیراز"],
    ["بی‌تلفن", "12345", "", ""],
    ["علی رضایی", "0912 123 4567", "", "تهران"],
]
REJECTED_ROW = ROWS[2]


def csv_upload(name: str = "مشتریان.csv") -> SimpleUploadedFile:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(ROWS)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


def upload(client: Client) -> ImportJob:
    response = client.post("/contacts/import/", {"file": csv_upload()})
    job = ImportJob.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/import/{job.pk}/"
    return job


def settings_form(user: User, mapping: list[str], action: str = "preview") -> dict[str, Any]:
    data: dict[str, Any] = {f"column_{index}": target for index, target in enumerate(mapping)}
    data.update(
        {"duplicate_policy": "fill_empty", "owner": user.pk, "tags": "نمایشگاه", "action": action}
    )
    return data


def column_selects(html: str) -> list[tuple[str, str]]:
    """(select name, selected value) of each column select, in page order."""
    result = []
    for name, body in re.findall(r'<select name="(column_\d+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.findall(r'<option value="([^"]*)" selected>', body)
        result.append((name, chosen[0] if chosen else ""))
    return result


def shown_counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-count="(\w+)">([^<]*)<', html))


def previewed(client: Client, user: User, capture: Capture) -> ImportJob:
    job = upload(client)
    with capture(execute=True) as callbacks:
        response = client.post(f"/contacts/import/{job.pk}/", settings_form(user, GUESSED))
    assert response.status_code == 302
    assert len(callbacks) == 1
    job.refresh_from_db()
    return job


# --- access ---------------------------------------------------------------------------------


def test_upload_page_needs_login(client: Client) -> None:
    response = client.get("/contacts/import/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/contacts/import/"


def test_read_only_users_may_not_import(
    make_user: Callable[..., User], logged_in: Callable[[User], Client]
) -> None:
    client = logged_in(make_user(role=Role.READ_ONLY))
    assert client.get("/contacts/import/").status_code == 403
    assert client.post("/contacts/import/", {"file": csv_upload()}).status_code == 403
    assert ImportJob.objects.count() == 0


def test_upload_page_lists_own_imports(
    sales_user: User, logged_in: Callable[[User], Client]
) -> None:
    client = logged_in(sales_user)
    job = upload(client)
    response = client.get("/contacts/import/")
    assert response.status_code == 200
    assert f'href="/contacts/import/{job.pk}/">مشتریان.csv</a>' in response.content.decode()


# --- upload and mapping -------------------------------------------------------------------------


def test_a_pdf_is_refused_on_the_file_field(
    make_user: Callable[..., User], logged_in: Callable[[User], Client]
) -> None:
    client = logged_in(make_user(language="en"))
    pdf = SimpleUploadedFile("brochure.pdf", b"%PDF-1.4\n", content_type="application/pdf")

    response = client.post("/contacts/import/", {"file": pdf})

    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["Upload a CSV, XLSX or vCard (.vcf) file."]}
    assert 'data-error-for="file"' in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_upload_shows_one_select_per_header_with_the_guess(
    sales_user: User, logged_in: Callable[[User], Client]
) -> None:
    client = logged_in(sales_user)
    job = upload(client)

    assert job.status == ImportStatus.MAPPING
    assert job.headers == HEADERS
    response = client.get(f"/contacts/import/{job.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert column_selects(html) == [
        (f"column_{index}", target) for index, target in enumerate(GUESSED)
    ]
    assert re.findall(
        r'<label class="form-label small mb-0"[^>]*><strong>([^<]*)</strong>', html
    ) == (HEADERS)


def test_a_mapping_that_identifies_nothing_is_refused(
    make_user: Callable[..., User],
    logged_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    user = make_user(language="en")
    client = logged_in(user)
    job = upload(client)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            f"/contacts/import/{job.pk}/", settings_form(user, ["", "", "", "city"])
        )

    assert response.status_code == 200
    message = (
        "Map at least one of name, phone, email or national ID so that each row identifies a "
        "contact."
    )
    assert response.content.decode().count(message) == 1
    assert callbacks == []
    job.refresh_from_db()
    assert job.status == ImportStatus.MAPPING
    assert job.mapping == dict(zip(HEADERS, GUESSED, strict=True))
    assert not Event.objects.filter(verb__in=["import.previewed", "import.started"]).exists()


def test_a_saved_mapping_is_offered_and_applied(
    sales_user: User,
    logged_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    client = logged_in(sales_user)
    job = upload(client)
    data = settings_form(sales_user, ["full_name", "phone", "", ""]) | {"save_mapping_as": "شیپور"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/contacts/import/{job.pk}/", data)
    assert SavedImportMapping.objects.get(name="شیپور").mapping == {
        "نام و نام خانوادگی": "full_name",
        "موبایل": "phone",
        "ایمیل": "",
        "شهر": "",
    }

    second = upload(client)
    html = client.get(f"/contacts/import/{second.pk}/", {"mapping": "شیپور"}).content.decode()
    assert [value for _name, value in column_selects(html)] == ["full_name", "phone", "", ""]


# --- preview, run and progress -------------------------------------------------------------------


def test_preview_then_import_now(
    sales_user: User,
    logged_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    client = logged_in(sales_user)
    job = previewed(client, sales_user, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.PREVIEWED
    assert job.is_dry_run is True
    assert job.tags == ["نمایشگاه"]
    assert Contact.objects.count() == 0
    html = client.get(f"/contacts/import/{job.pk}/").content.decode()
    assert 'data-status="previewed"' in html
    assert shown_counts(html) == {"created": "۲", "updated": "۰", "skipped": "۱", "rejected": "۱"}
    assert f'action="/contacts/import/{job.pk}/run/"' in html
    assert f'href="/contacts/import/{job.pk}/rejects.csv"' in html

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/contacts/import/{job.pk}/run/")

    assert response.status_code == 302
    assert response["Location"] == f"/contacts/import/{job.pk}/"
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.is_dry_run is False
    assert Contact.objects.count() == 2
    assert sorted(Contact.objects.values_list("last_name", flat=True)) == ["رضایی", "کریمی"]
    assert all(contact.owner_id == sales_user.pk for contact in Contact.objects.all())
    html = client.get(f"/contacts/import/{job.pk}/").content.decode()
    assert 'data-status="done"' in html
    assert shown_counts(html) == {"created": "۲", "updated": "۰", "skipped": "۱", "rejected": "۱"}
    assert 'id="import-run"' not in html
    assert 'id="import-mapping"' not in html

    # Done is done: running it again is refused and changes nothing.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(f"/contacts/import/{job.pk}/run/")
    assert callbacks == []
    assert Contact.objects.count() == 2


def test_import_without_preview(
    sales_user: User,
    logged_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    client = logged_in(sales_user)
    job = upload(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/contacts/import/{job.pk}/", settings_form(sales_user, GUESSED, "import"))

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.skipped_count, job.rejected_count) == (2, 1, 1)
    assert Contact.objects.count() == 2


def test_progress_fragment_polls_while_queued_and_refreshes_when_finished(
    sales_user: User,
    logged_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    client = logged_in(sales_user)
    job = upload(client)
    # Queued but not yet run: the on-commit enqueue is captured and not executed.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(f"/contacts/import/{job.pk}/", settings_form(sales_user, GUESSED))
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED

    response = client.get(f"/contacts/import/{job.pk}/progress/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Refresh" not in response
    assert 'id="import-progress"' in html
    assert f'hx-get="/contacts/import/{job.pk}/progress/"' in html
    assert 'aria-valuenow="0"' in html
    page = client.get(f"/contacts/import/{job.pk}/").content.decode()
    assert 'id="import-progress"' in page

    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()
    response = client.get(f"/contacts/import/{job.pk}/progress/")
    html = response.content.decode()
    assert response["HX-Refresh"] == "true"
    assert 'aria-valuenow="100"' in html
    assert "hx-get" not in html
    assert "۴ / ۴" in html


# --- rejects and other people's imports -------------------------------------------------------


def test_rejects_download_is_for_the_creator_and_admins(
    sales_user: User,
    make_user: Callable[..., User],
    admin_user: User,
    logged_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    job = previewed(logged_in(sales_user), sales_user, django_capture_on_commit_callbacks)
    url = f"/contacts/import/{job.pk}/rejects.csv"

    creator = Client()
    creator.force_login(sales_user)
    download = creator.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in download["Content-Disposition"]
    body = b"".join(download.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")[1:], newline="")))
    assert rows == [
        [*HEADERS, "خطا", "error"],
        [
            *REJECTED_ROW,
            "تلفن: «12345»: یک شماره تلفن معتبر وارد کنید.",
            "phone: «12345»: Enter a valid phone number.",
        ],
    ]

    teammate = make_user(teams=tuple(sales_user.teams.all()))
    other = Client()
    other.force_login(teammate)
    assert other.get(url).status_code == 404
    admin = Client()
    admin.force_login(admin_user)
    assert admin.get(url).status_code == 200


def test_rejects_download_is_404_without_rejects(
    sales_user: User, logged_in: Callable[[User], Client]
) -> None:
    client = logged_in(sales_user)
    job = upload(client)
    assert client.get(f"/contacts/import/{job.pk}/rejects.csv").status_code == 404


def test_another_users_import_is_not_found(
    sales_user: User,
    make_user: Callable[..., User],
    admin_user: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    owner = Client()
    owner.force_login(sales_user)
    job = upload(owner)
    teammate = make_user(teams=tuple(sales_user.teams.all()))
    other = Client()
    other.force_login(teammate)

    assert other.get(f"/contacts/import/{job.pk}/").status_code == 404
    assert other.get(f"/contacts/import/{job.pk}/progress/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert other.post(f"/contacts/import/{job.pk}/run/").status_code == 404
        assert (
            other.post(f"/contacts/import/{job.pk}/", settings_form(teammate, GUESSED)).status_code
            == 404
        )
    assert callbacks == []
    assert f"/contacts/import/{job.pk}/" not in other.get("/contacts/import/").content.decode()
    admin = Client()
    admin.force_login(admin_user)
    assert admin.get(f"/contacts/import/{job.pk}/").status_code == 200
    job.refresh_from_db()
    assert job.status == ImportStatus.MAPPING


def test_a_failed_import_offers_resume_and_resumes(
    sales_user: User,
    logged_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: Capture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from peyvand.contacts.importing import engine

    monkeypatch.setattr(engine, "BATCH_SIZE", 2)
    original = engine.ImportRunner._create
    calls = {"count": 0}

    def failing(self: engine.ImportRunner, pending: Any) -> int:
        calls["count"] += 1
        if calls["count"] == 2:
            raise RuntimeError("database went away")
        return original(self, pending)

    monkeypatch.setattr(engine.ImportRunner, "_create", failing)
    client = logged_in(sales_user)
    job = upload(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/contacts/import/{job.pk}/", settings_form(sales_user, GUESSED, "import"))
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.error) == ("failed", 2, "database went away")
    assert Contact.objects.count() == 2
    html = client.get(f"/contacts/import/{job.pk}/").content.decode()
    assert "database went away" in html
    assert f'action="/contacts/import/{job.pk}/run/"' in html

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/contacts/import/{job.pk}/run/")

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.skipped_count, job.rejected_count) == (2, 1, 1)
    assert job.rows_done == 4
    assert Contact.objects.count() == 2
