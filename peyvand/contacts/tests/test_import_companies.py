"""Importing companies: mapping, parsing, matching, policies, the command and the upload page.

The files are written by the tests (a messy Persian CSV) and go through the public surface:
``import_job_create(object_type="company")`` → ``import_job_configure`` →
``import_job_start`` → ``runner_for(job).run()`` (or the command, or the pages).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from peyvand.accounts.models import Team, User
from peyvand.common.persian import name_key
from peyvand.contacts.importing import engine
from peyvand.contacts.importing.engine import CompanyImportRunner, runner_for
from peyvand.contacts.importing.mapping import guess_mapping, validate_mapping
from peyvand.contacts.importing.services import (
    import_job_configure,
    import_job_create,
    import_job_start,
)
from peyvand.contacts.models import Company, Contact, DuplicatePolicy, ImportJob, ImportStatus
from peyvand.contacts.services import company_search_text_for
from peyvand.contacts.tests.factories import make_company
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db

BOM = "\ufeff"


@pytest.fixture(autouse=True)
def _import_settings(settings: Any, tmp_path: Path) -> None:
    """Uploaded files under the test's folder, tasks run inline."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


# 10103428568 passes the شناسه ملی checksum (common.validators); 14102345671 does not.
VALID_ID = "10103428568"
HEADERS = ["نام شرکت", "شناسه ملی", "تلفن", "حوزه فعالیت", "شهر", "استان", "وب‌سایت", "برچسب"]
# Arabic ي/ك in row 1; Persian digits; row 2 has a bad national ID, row 3 no name; row 5
# repeats row 1 (its phone written differently, its name with Persian letters).
ROWS = [
    [
        "شركت آلفا سيستم", "۱۰۱۰۳۴۲۸۵۶۸", "۰۲۱-۸۸۷۷۶۶۵۵", "نرم‌افزار", "تهران", "تهران",
        "alpha.ir", "همکار",
    ],
    ["بتا تجارت", "14102345671", "02133334444", "", "اصفهان", "اصفهان", "", ""],
    ["", "", "02155556666", "بازرگانی", "", "", "", ""],
    ["گاما", "", "۰۳۱ ۳۲۲۲ ۱۱۱۱", "", "اصفهان", "استان اصفهان", "", ""],
    ["شرکت آلفا سیستم", "", "+98 21 8877 6655", "", "تهران", "", "", "vip"],
]  # fmt: skip


def write_csv(path: Path, rows: Sequence[Sequence[str]], headers: Sequence[str] = HEADERS) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_text(BOM + buffer.getvalue(), encoding="utf-8")
    return path


def run_import(
    user: User,
    path: Path,
    *,
    policy: str = DuplicatePolicy.FILL_EMPTY,
    dry_run: bool = False,
) -> ImportJob:
    with path.open("rb") as handle:
        job = import_job_create(
            actor=user, upload=File(handle), original_name=path.name, object_type="company"
        )
    job = import_job_configure(
        actor=user, job=job, mapping=job.mapping, duplicate_policy=policy, owner=None
    )
    job = import_job_start(actor=user, job=job, dry_run=dry_run, enqueue=False)
    runner = runner_for(job)
    assert isinstance(runner, CompanyImportRunner)
    job = runner.run()
    job.refresh_from_db()
    return job


def counts(job: ImportJob) -> dict[str, int]:
    return {
        "created": job.created_count,
        "updated": job.updated_count,
        "skipped": job.skipped_count,
        "rejected": job.rejected_count,
    }


def company_state(company: Company) -> dict[str, Any]:
    return {
        "name": company.name,
        "national_id": company.national_id,
        "phones": company.phones,
        "industry": company.industry,
        "city": company.city,
        "province": company.province,
        "website": company.website,
        "tags": sorted(company.tags.values_list("name", flat=True)),
    }


def read_rejects(job: ImportJob) -> list[list[str]]:
    text = Path(job.rejects_file.path).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))


# --- mapping ----------------------------------------------------------------------------------


def test_guess_mapping_knows_persian_headers_and_crm_exports() -> None:
    assert guess_mapping(HEADERS, "company") == {
        "نام شرکت": "name",
        "شناسه ملی": "national_id",
        "تلفن": "phone",
        "حوزه فعالیت": "industry",
        "شهر": "city",
        "استان": "province",
        "وب‌سایت": "website",
        "برچسب": "tags",
    }
    headers = ["Account Name", "Industry", "Phone", "Email", "Website", "City", "State/Region"]
    headers += ["Postal Code", "Description", "کد اقتصادی", "آدرس", "Fax"]
    assert guess_mapping(headers, "company") == {
        "Account Name": "name",
        "Industry": "industry",
        "Phone": "phone",
        "Email": "email",
        "Website": "website",
        "City": "city",
        "State/Region": "province",
        "Postal Code": "postal_code",
        "Description": "note",
        "کد اقتصادی": "economic_code",
        "آدرس": "address",
        "Fax": "phone",
    }
    # "نام" alone is a company's name, but a contact's first name.
    assert guess_mapping(["نام"], "company") == {"نام": "name"}
    assert guess_mapping(["نام"]) == {"نام": "first_name"}


def test_validate_mapping_requires_the_company_name() -> None:
    with translation.override("en"):
        assert validate_mapping({"تلفن": "phone"}, ["تلفن"], "company") == [
            "Map a column to the company name."
        ]
        assert validate_mapping({"تلفن": "first_name"}, ["تلفن"], "company") == [
            'Column "تلفن" is mapped to an unknown field "first_name".',
            "Map a column to the company name.",
        ]
        assert validate_mapping({"a": "name", "b": "phone", "c": "phone"}, "abc", "company") == []


# --- the messy Persian CSV ----------------------------------------------------------------------


def test_dry_run_counts_every_row_and_writes_nothing(sales_user: User, tmp_path: Path) -> None:
    job = run_import(sales_user, write_csv(tmp_path / "شرکت‌ها.csv", ROWS), dry_run=True)

    assert job.status == ImportStatus.PREVIEWED
    assert job.object_type == "company"
    assert counts(job) == {"created": 2, "updated": 0, "skipped": 1, "rejected": 2}
    assert Company.objects.count() == 0
    assert not Event.objects.filter(verb__startswith="company.").exists()
    rejects = read_rejects(job)
    assert rejects[0] == [*HEADERS, "خطا", "error"]
    assert [row[-1] for row in rejects[1:]] == [
        "company national ID: «14102345671»: This company national ID is not valid; "
        "please check it.",
        "name: The row has no company name.",
    ]
    assert rejects[2][-2] == "نام: ردیف نام شرکت ندارد."


def test_real_run_stores_normalized_values_and_one_event_per_company(
    sales_user: User, tmp_path: Path
) -> None:
    job = run_import(sales_user, write_csv(tmp_path / "c.csv", ROWS))

    assert job.status == ImportStatus.DONE
    assert counts(job) == {"created": 2, "updated": 0, "skipped": 1, "rejected": 2}
    alpha = Company.objects.get(national_id=VALID_ID)
    assert company_state(alpha) == {
        "name": "شرکت آلفا سیستم",
        "national_id": VALID_ID,
        "phones": ["+982188776655"],
        "industry": "نرم‌افزار",
        "city": "تهران",
        "province": "tehran",
        "website": "https://alpha.ir",
        "tags": ["vip", "همکار"],
    }
    assert alpha.owner == sales_user
    assert alpha.created_by == sales_user
    assert alpha.name_key == name_key("شرکت آلفا سیستم")
    assert alpha.search_text == company_search_text_for(
        name=alpha.name,
        national_id=VALID_ID,
        economic_code="",
        email="",
        phones=["+982188776655"],
    )
    gamma = Company.objects.get(name="گاما")
    assert company_state(gamma) == {
        "name": "گاما",
        "national_id": "",
        "phones": ["+983132221111"],
        "industry": "",
        "city": "اصفهان",
        "province": "isfahan",
        "website": "",
        "tags": [],
    }
    events = list(Event.objects.filter(verb="company.imported").order_by("id"))
    assert [(event.company_id, event.summary, event.payload) for event in events] == [
        (alpha.pk, "شرکت آلفا سیستم", {"import": job.pk, "action": "created", "row": 1}),
        (gamma.pk, "گاما", {"import": job.pk, "action": "created", "row": 4}),
    ]
    assert all(event.actor_id == sales_user.pk for event in events)
    assert Contact.objects.count() == 0


def test_running_the_file_again_adds_nothing(sales_user: User, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ROWS)
    run_import(sales_user, path)
    before = Event.objects.filter(verb="company.imported").count()

    again = run_import(sales_user, path)

    assert counts(again) == {"created": 0, "updated": 0, "skipped": 3, "rejected": 2}
    assert Company.objects.count() == 2
    assert Event.objects.filter(verb="company.imported").count() == before


def test_fill_empty_fills_an_empty_industry_and_keeps_the_rest(
    sales_user: User, tmp_path: Path
) -> None:
    existing = make_company(
        actor=sales_user, name="گاما", city="اصفهان", phones=["03132221111"], website=""
    )
    rows = [["گاما", "", "02166667777", "صنایع غذایی", "اصفهان", "", "gama.ir", ""]]

    job = run_import(sales_user, write_csv(tmp_path / "c.csv", rows))

    assert counts(job) == {"created": 0, "updated": 1, "skipped": 0, "rejected": 0}
    existing.refresh_from_db()
    assert existing.industry == "صنایع غذایی"
    assert existing.website == "https://gama.ir"
    assert existing.phones == ["+983132221111", "+982166667777"]
    assert "+982166667777" in existing.search_text or "02166667777" in existing.search_text
    event = Event.objects.get(verb="company.imported")
    assert event.company_id == existing.pk
    assert event.payload["action"] == "updated"
    assert event.payload["changes"]["industry"] == ["", "صنایع غذایی"]


def test_overwrite_replaces_and_skip_leaves_a_matched_company(
    sales_user: User, tmp_path: Path
) -> None:
    existing = make_company(actor=sales_user, name="گاما", city="اصفهان", industry="قدیمی")
    path = write_csv(tmp_path / "c.csv", [["گاما", "", "", "جدید", "اصفهان", "", "", ""]])

    skipped = run_import(sales_user, path, policy=DuplicatePolicy.SKIP)
    assert counts(skipped) == {"created": 0, "updated": 0, "skipped": 1, "rejected": 0}
    existing.refresh_from_db()
    assert existing.industry == "قدیمی"

    overwritten = run_import(sales_user, path, policy=DuplicatePolicy.OVERWRITE)
    assert counts(overwritten) == {"created": 0, "updated": 1, "skipped": 0, "rejected": 0}
    existing.refresh_from_db()
    assert existing.industry == "جدید"


def test_a_national_id_match_finds_a_company_whose_name_is_written_differently(
    sales_user: User, tmp_path: Path
) -> None:
    existing = make_company(actor=sales_user, name="آلفا", national_id=VALID_ID)
    rows = [["شرکت آلفا", VALID_ID, "", "نرم‌افزار", "", "", "", ""]]

    job = run_import(sales_user, write_csv(tmp_path / "c.csv", rows))

    assert counts(job) == {"created": 0, "updated": 1, "skipped": 0, "rejected": 0}
    existing.refresh_from_db()
    assert (existing.name, existing.industry) == ("آلفا", "نرم‌افزار")


def test_a_phone_match_finds_a_company_whose_name_and_city_differ(
    sales_user: User, make_user: Callable[..., User], tmp_path: Path
) -> None:
    existing = make_company(
        actor=sales_user, name="آلفا", city="تهران", phones=["02188776655", "09121110000"]
    )
    stranger = make_user(teams=(Team.objects.create(name="پشتیبانی"),))
    hidden = make_company(actor=stranger, name="دلتا", phones=["03132221111"])
    rows = [
        # Only the phone links these rows to the companies (written as another form).
        ["گروه صنعتی آلفا", "", "+98 21 8877 6655", "نرم‌افزار", "کرج", "", "", ""],
        ["دلتا پخش", "", "۰۳۱-۳۲۲۲-۱۱۱۱", "پخش", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "c.csv", rows)

    preview = run_import(sales_user, path, dry_run=True)
    job = run_import(sales_user, path)

    # The company of another team is not found by its phone: the row makes a new one.
    assert counts(job) == {"created": 1, "updated": 1, "skipped": 0, "rejected": 0}
    assert counts(preview) == counts(job)
    existing.refresh_from_db()
    assert (existing.name, existing.city, existing.industry) == ("آلفا", "تهران", "نرم‌افزار")
    hidden.refresh_from_db()
    assert hidden.industry == ""
    assert Company.objects.filter(phones__isnull=False).count() == 3


def test_a_company_of_another_team_is_not_matched(
    sales_user: User, make_user: Callable[..., User], tmp_path: Path
) -> None:
    stranger = make_user(teams=(Team.objects.create(name="پشتیبانی"),))
    hidden = make_company(
        actor=stranger, name="شرکت آلفا سیستم", city="تهران", national_id=VALID_ID
    )

    job = run_import(sales_user, write_csv(tmp_path / "c.csv", ROWS))

    assert counts(job) == {"created": 2, "updated": 0, "skipped": 1, "rejected": 2}
    assert Company.objects.filter(national_id=VALID_ID).count() == 2
    hidden.refresh_from_db()
    assert (hidden.owner_id, hidden.industry, hidden.phones) == (stranger.pk, "", [])
    assert not Event.objects.filter(verb="company.imported", company=hidden).exists()


def test_configure_refuses_a_contact_mapping_for_a_company_import(
    sales_user: User, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "c.csv", ROWS)
    with path.open("rb") as handle:
        job = import_job_create(
            actor=sales_user, upload=File(handle), original_name="c.csv", object_type="company"
        )
    with pytest.raises(ValidationError) as caught:
        import_job_configure(
            actor=sales_user,
            job=job,
            mapping={"نام شرکت": "first_name"},
            duplicate_policy=DuplicatePolicy.FILL_EMPTY,
            owner=None,
        )
    assert "mapping" in caught.value.error_dict


def test_an_unknown_object_type_is_refused(sales_user: User, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ROWS)
    with path.open("rb") as handle, pytest.raises(ValidationError):
        import_job_create(
            actor=sales_user, upload=File(handle), original_name="c.csv", object_type="deal"
        )


# --- the command and the pages ----------------------------------------------------------------


def test_the_command_imports_companies(sales_user: User, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "companies.csv", ROWS)
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "import", "companies", str(path), "--user", sales_user.username, stdout=out, stderr=err
    )

    job = ImportJob.objects.get()
    assert job.object_type == "company"
    assert "  نام شرکت → name" in out.getvalue()
    summary = next(line for line in out.getvalue().splitlines() if line.startswith("done:"))
    assert summary.rsplit(" in ", 1)[0] == (
        "done: 5 rows, created 2, updated 0, skipped 1, rejected 2"
    )
    assert Company.objects.count() == 2
    assert Contact.objects.count() == 0


def test_the_upload_page_offers_companies_and_the_mapping_shows_company_fields(
    sales_user: User,
    logged_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: Callable[..., Any],
    tmp_path: Path,
) -> None:
    client = logged_in(sales_user)
    page = client.get("/contacts/import/")
    assert 'name="object_type"' in page.content.decode()
    data = write_csv(tmp_path / "c.csv", ROWS).read_bytes()

    response = client.post(
        "/contacts/import/",
        {"object_type": "company", "file": SimpleUploadedFile("c.csv", data, "text/csv")},
    )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/import/{job.pk}/"
    assert job.object_type == "company"
    assert job.mapping["نام شرکت"] == "name"
    html = client.get(response["Location"]).content.decode()
    assert 'value="economic_code"' in html
    assert 'value="first_name"' not in html

    form: dict[str, Any] = {
        f"column_{index}": job.mapping[header] for index, header in enumerate(job.headers)
    }
    form.update({"duplicate_policy": "fill_empty", "owner": sales_user.pk, "action": "preview"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/contacts/import/{job.pk}/", form)

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    assert counts(job) == {"created": 2, "updated": 0, "skipped": 1, "rejected": 2}
    assert Company.objects.count() == 0


def test_a_preview_judges_repeats_in_later_batches_like_the_real_run(
    sales_user: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BATCH_SIZE", 1)
    rows = [
        ["دلتا", "", "02122223333", "", "تهران", "", "", ""],
        # Adds an industry (updated), then the same again (skipped).
        ["دلتا", "", "02122223333", "بیمه", "تهران", "", "", ""],
        ["دلتا", "", "۰۲۱ ۲۲۲۲ ۳۳۳۳", "بیمه", "تهران", "", "", ""],
        # A new tag is a change; the same tag in other letters is not.
        ["دلتا", "", "02122223333", "", "تهران", "", "", "VIP"],
        ["دلتا", "", "02122223333", "", "تهران", "", "", "vip"],
    ]
    path = write_csv(tmp_path / "delta.csv", rows)

    preview = run_import(sales_user, path, dry_run=True)
    real = run_import(sales_user, path)

    assert counts(real) == {"created": 1, "updated": 2, "skipped": 2, "rejected": 0}
    assert counts(preview) == counts(real)
