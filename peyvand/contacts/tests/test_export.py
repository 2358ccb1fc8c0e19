"""Exports: CSV, XLSX and vCard of what the user may see; large ones in the background."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from peyvand.accounts.models import Role, Team
from peyvand.contacts.importing.readers import open_source
from peyvand.contacts.models import ExportJob
from peyvand.contacts.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world(make_user: Any, team: Team) -> dict[str, Any]:
    seller = make_user(role=Role.SALES, teams=(team,))
    stranger = make_user(role=Role.SALES, teams=(Team.objects.create(name="دیگر"),))
    company = make_company(actor=seller, name="شرکت آریا")
    mine = make_contact(
        actor=seller,
        first_name="مریم",
        last_name="کریمی",
        phones=["09121234567", "+98 935 111 2233"],
        emails=["maryam@example.ir"],
        birthday="1990-05-01",
        company=company,
        tags=["VIP"],
        lifecycle_stage="customer",
    )
    theirs = make_contact(actor=stranger, first_name="پنهان", phones=["09350000000"])
    return {"seller": seller, "stranger": stranger, "mine": mine, "theirs": theirs}


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_xlsx_has_a_header_and_only_visible_rows(logged_in: Any, world: dict[str, Any]) -> None:
    response = logged_in(world["seller"]).get("/contacts/export/?format=xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="contacts.xlsx"'
    sheet = load_workbook(io.BytesIO(_body(response)), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ["id", "first_name", "last_name", "phones"]
    assert rows[1:] == [
        [
            str(world["mine"].pk),
            "مریم",
            "کریمی",
            "+989121234567 +989351112233",
            "maryam@example.ir",
            None,
            "1990-05-01",
            None,
            None,
            "customer",
            world["seller"].username,
            "شرکت آریا",
            "VIP",
        ]
    ]


def test_vcard_round_trips_through_the_importer(
    logged_in: Any, world: dict[str, Any], tmp_path: Any
) -> None:
    response = logged_in(world["seller"]).get("/contacts/export/?format=vcf")
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    path = tmp_path / "out.vcf"
    path.write_bytes(_body(response))
    source = open_source(path)
    try:
        cards = [row.values for row in source]
    finally:
        source.close()
    assert len(cards) == 1
    card = cards[0]
    assert (card["first_name"], card["last_name"], card["birthday"]) == (
        "مریم",
        "کریمی",
        "1990-05-01",
    )
    assert (card["phone"], card["phone (2)"], card["email"], card["company"]) == (
        "+989121234567",
        "+989351112233",
        "maryam@example.ir",
        "شرکت آریا",
    )


def test_company_export_and_unknown_formats(logged_in: Any, world: dict[str, Any]) -> None:
    client = logged_in(world["seller"])
    csv_text = _body(client.get("/contacts/companies/export/?format=csv")).decode("utf-8")
    assert csv_text.startswith("\ufeffid,name,")
    assert "شرکت آریا" in csv_text
    assert client.get("/contacts/companies/export/?format=vcf").status_code == 404
    assert client.get("/contacts/export/?format=pdf").status_code == 404


def test_large_export_runs_in_the_background_for_its_owner_only(
    logged_in: Any, world: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PEYVAND_EXPORT_INLINE_LIMIT = 0
    settings.TASKS = IMMEDIATE
    client = logged_in(world["seller"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/contacts/export/?format=csv")
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/exports/{job.pk}/"
    assert (job.status, job.row_count, job.created_by_id) == ("done", 1, world["seller"].pk)
    page = client.get(response["Location"])
    assert b'id="export-download"' in page.content
    download = client.get(f"/contacts/exports/{job.pk}/download/")
    text = _body(download).decode("utf-8")
    assert "مریم" in text
    assert "پنهان" not in text
    client.force_login(world["stranger"])
    assert client.get(f"/contacts/exports/{job.pk}/").status_code == 404
    assert client.get(f"/contacts/exports/{job.pk}/download/").status_code == 404


def test_export_needs_login(client: Any) -> None:
    response = client.get("/contacts/export/?format=xlsx")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
