"""``peyvand import contacts FILE``: preview, real run, rerun, mapping file, resume."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from peyvand.accounts.models import User
from peyvand.contacts.importing import engine
from peyvand.contacts.models import Contact, ImportJob, ImportStatus
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _import_settings(settings: Any, tmp_path: Path) -> None:
    """Uploaded files under the test's folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


HEADERS = ["نام و نام خانوادگی", "موبایل", "ایمیل", "استان"]
ROWS = [
    ["علي رضايي", "۰۹۱۲۱۲۳۴۵۶۷", "Ali@Example.com", "تهران"],
    ["سارا كريمي", "0098-935-111-2233", "", "فارس"],
    ["بی‌تلفن", "12345", "", ""],
    ["علی رضایی", "0912 123 4567", "ali.work@example.com", ""],
    ["مینا کاظمی", "9125556677", "", "کرمان"],
    ["", "", "", "قم"],
]


def write_csv(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "contacts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def last_line(output: str) -> str:
    """The summary line without its timing ("… in 0.1s")."""
    lines = [line for line in output.splitlines() if line.startswith(("preview:", "done:"))]
    assert len(lines) == 1, output
    return lines[0].rsplit(" in ", 1)[0]


def test_dry_run_prints_a_preview_and_writes_nothing(sales_user: User, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", HEADERS, ROWS)

    out, _err = run(str(path), "--user", sales_user.username, "--dry-run")

    job = ImportJob.objects.get()
    assert f"import {job.pk}: people.csv" in out
    assert "  موبایل → phone" in out
    assert last_line(out) == "preview: 6 rows, would create 3, updated 0, skipped 1, rejected 2"
    assert f"rejects: {job.rejects_file.path}" in out
    assert job.status == ImportStatus.PREVIEWED
    assert Contact.objects.count() == 0
    assert not Event.objects.filter(verb__startswith="contact.").exists()


def test_real_run_then_rerun_adds_nothing(sales_user: User, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", HEADERS, ROWS)

    out, _err = run(str(path), "--user", sales_user.username, "--tags", "نمایشگاه", "vip")

    assert last_line(out) == "done: 6 rows, created 3, updated 0, skipped 1, rejected 2"
    assert Contact.objects.count() == 3
    ali = Contact.objects.get(phones__number="+989121234567")
    assert list(ali.emails.values_list("address", flat=True)) == [
        "ali@example.com",
        "ali.work@example.com",
    ]
    assert ali.province == "tehran"
    assert sorted(ali.tags.values_list("name", flat=True)) == ["vip", "نمایشگاه"]
    assert all(contact.owner_id == sales_user.pk for contact in Contact.objects.all())
    events = Event.objects.filter(verb="contact.imported").count()

    out, _err = run(str(path), "--user", sales_user.username, "--tags", "نمایشگاه", "vip")

    assert last_line(out) == "done: 6 rows, created 0, updated 0, skipped 4, rejected 2"
    assert Contact.objects.count() == 3
    assert Event.objects.filter(verb="contact.imported").count() == events


def test_policy_create_makes_new_contacts_on_rerun(sales_user: User, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", HEADERS, ROWS[:2])
    run(str(path), "--user", sales_user.username)

    out, _err = run(str(path), "--user", sales_user.username, "--policy", "create")

    assert last_line(out) == "done: 2 rows, created 2, updated 0, skipped 0, rejected 0"
    assert Contact.objects.count() == 4


def test_mapping_from_a_json_file(sales_user: User, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "odd.csv",
        ["ستون ۱", "ستون ۲", "ستون ۳"],
        [["کاوه", "آهنگر", "۰۹۱۲۷۶۵۴۳۲۱"], ["ژیلا", "صادقی", "+98 935 222 3344"]],
    )
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps({"ستون ۱": "first_name", "ستون ۲": "last_name", "ستون ۳": "phone"}),
        encoding="utf-8",
    )

    out, _err = run(str(path), "--user", sales_user.username, "--mapping", str(mapping))

    assert last_line(out) == "done: 2 rows, created 2, updated 0, skipped 0, rejected 0"
    kaveh = Contact.objects.get(phones__number="+989127654321")
    assert (kaveh.first_name, kaveh.last_name) == ("کاوه", "آهنگر")
    job = ImportJob.objects.get()
    assert job.mapping == {"ستون ۱": "first_name", "ستون ۲": "last_name", "ستون ۳": "phone"}


def test_a_mapping_that_identifies_nothing_is_a_command_error(
    sales_user: User, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "people.csv", HEADERS, ROWS)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"استان": "province"}), encoding="utf-8")

    with pytest.raises(CommandError):
        run(str(path), "--user", sales_user.username, "--mapping", str(mapping))
    assert Contact.objects.count() == 0


def test_unknown_user_is_a_command_error(tmp_path: Path, db: Any) -> None:
    path = write_csv(tmp_path / "people.csv", HEADERS, ROWS)

    with pytest.raises(CommandError, match="No active user nobody"):
        run(str(path), "--user", "nobody")
    assert ImportJob.objects.count() == 0


def test_missing_file_is_a_command_error(sales_user: User, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        run(str(tmp_path / "nothing.csv"), "--user", sales_user.username)


def test_a_crash_is_resumed_with_resume(
    sales_user: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BATCH_SIZE", 2)
    original = engine.ImportRunner._create
    calls = {"count": 0}

    def failing(self: engine.ImportRunner, pending: Any) -> int:
        calls["count"] += 1
        if calls["count"] == 3:
            raise RuntimeError("disk full")
        return original(self, pending)

    monkeypatch.setattr(engine.ImportRunner, "_create", failing)
    path = write_csv(tmp_path / "people.csv", HEADERS, ROWS)

    with pytest.raises(CommandError) as caught:
        run(str(path), "--user", sales_user.username)

    job = ImportJob.objects.get()
    assert (
        str(caught.value) == f"import {job.pk} stopped: disk full. Continue with --resume {job.pk}"
    )
    assert (job.status, job.rows_done, job.created_count) == (ImportStatus.FAILED, 4, 2)
    assert Contact.objects.count() == 2

    out, _err = run("--resume", str(job.pk))

    assert last_line(out) == "done: 6 rows, created 3, updated 1, skipped 0, rejected 2"
    assert Contact.objects.count() == 3
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    with pytest.raises(CommandError, match=f"Import {job.pk} has already finished."):
        run("--resume", str(job.pk))


def test_resume_of_a_preview_runs_the_whole_import(sales_user: User, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", HEADERS, ROWS)
    run(str(path), "--user", sales_user.username, "--dry-run")
    job = ImportJob.objects.get()
    assert job.rows_done == 6

    out, _err = run("--resume", str(job.pk))

    assert last_line(out) == "done: 6 rows, created 3, updated 0, skipped 1, rejected 2"
    assert Contact.objects.count() == 3
    job.refresh_from_db()
    assert (job.status, job.is_dry_run) == (ImportStatus.DONE, False)


def test_resume_of_an_unknown_import_is_a_command_error(db: Any) -> None:
    with pytest.raises(CommandError, match="No import with id 999"):
        run("--resume", "999")


def test_without_user_the_first_administrator_imports(
    make_user: Callable[..., User], admin_user: User, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "people.csv", HEADERS, ROWS[:1])

    run(str(path))

    assert Contact.objects.get().owner_id == admin_user.pk
    assert ImportJob.objects.get().created_by_id == admin_user.pk
