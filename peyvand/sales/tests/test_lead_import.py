"""Importing leads from a spreadsheet: mapping, parsing, matching open leads, assignment,
the rejects file, the command and the upload pages.

Files are written by the tests and go through the public surface:
``import_job_create(object_type="lead")`` → ``import_job_configure`` → ``import_job_start``
(tasks run inline), or the ``peyvand import leads`` command, or the pages.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from peyvand.accounts.models import Notification, Role, Team, User
from peyvand.contacts.importing import engine
from peyvand.contacts.importing.engine import runner_for
from peyvand.contacts.importing.mapping import guess_mapping, validate_mapping
from peyvand.contacts.importing.services import (
    import_job_configure,
    import_job_create,
    import_job_start,
)
from peyvand.contacts.models import DuplicatePolicy, ImportJob, ImportStatus
from peyvand.contacts.tests.factories import make_contact
from peyvand.sales.lead_import import LeadImportRunner
from peyvand.sales.leads import lead_set_status
from peyvand.sales.models import AssignmentRule, Lead, LeadStatus
from peyvand.sales.tests.factories import make_lead
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db

BOM = "\ufeff"
HEADERS = ["نام و نام خانوادگی", "موبایل", "ایمیل", "شرکت", "مبلغ", "UTM Campaign", "پیام"]
# Row 1 has Arabic ي/ك and Persian digits; row 2 a bad phone; row 3 no phone or email;
# row 4 repeats row 1 (its phone written another way) and adds an email; row 5 only a
# company and an email.
ROWS = [
    ["علي كريمي", "۰۹۱۲ ۱۱۱ ۲۲۳۳", "", "", "۲٬۵۰۰٬۰۰۰", "نوروز", "قیمت عمده؟"],
    ["مینا رحیمی", "12345", "", "", "", "", ""],
    ["رضا احمدی", "", "", "پارس", "", "", ""],
    ["علی کریمی", "+98 912 111 2233", "ali@example.com", "", "", "", ""],
    ["", "", "info@pars.ir", "پارس سازه", "۱۰۰۰۰۰۰ ریال", "", ""],
]


@pytest.fixture(autouse=True)
def _import_settings(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PEYVAND_MONEY_DISPLAY = "toman"


def csv_file(rows: Sequence[Sequence[str]], headers: Sequence[str] = HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return (BOM + out.getvalue()).encode()


def run_import(
    actor: User,
    data: bytes,
    *,
    dry_run: bool = False,
    policy: str = DuplicatePolicy.FILL_EMPTY,
    owner: User | None = None,
    name: str = "leads.csv",
) -> ImportJob:
    job = import_job_create(
        actor=actor, upload=SimpleUploadedFile(name, data), original_name=name, object_type="lead"
    )
    job = import_job_configure(
        actor=actor, job=job, mapping=job.mapping, duplicate_policy=policy, owner=owner
    )
    job = import_job_start(actor=actor, job=job, dry_run=dry_run, enqueue=False)
    runner = runner_for(job)
    assert isinstance(runner, LeadImportRunner)
    job = runner.run()
    job.refresh_from_db()
    return job


# --- mapping -------------------------------------------------------------------------------


def test_lead_headers_are_guessed_from_farsi_and_ad_platform_exports() -> None:
    headers = [*HEADERS, "utm_source", "Lead Source", "Estimated Value", "استان"]
    assert guess_mapping(headers, "lead") == {
        "نام و نام خانوادگی": "full_name",
        "موبایل": "phone",
        "ایمیل": "email",
        "شرکت": "company",
        "مبلغ": "estimated_amount",
        "UTM Campaign": "utm_campaign",
        "پیام": "note",
        "utm_source": "utm_source",
        "Lead Source": "source",
        # The amount is claimed by "مبلغ" already.
        "Estimated Value": "",
        "استان": "province",
    }


def test_a_lead_mapping_needs_a_phone_or_email_and_a_name_or_company() -> None:
    with translation.override("en"):
        problems = validate_mapping({"شرکت": "company"}, ["شرکت", "پیام"], "lead")
        assert problems == ["Map a column to the phone or the email: every lead needs one of them."]
        problems = validate_mapping({"موبایل": "phone"}, ["موبایل"], "lead")
        assert problems == ["Map a column to the name or the company."]
        assert (
            validate_mapping({"موبایل": "phone", "شرکت": "company"}, ["موبایل", "شرکت"], "lead")
            == []
        )
        # A contact-only field is unknown to leads.
        problems = validate_mapping(
            {"موبایل": "phone", "شرکت": "company", "کد ملی": "national_id"},
            ["موبایل", "شرکت", "کد ملی"],
            "lead",
        )
        assert problems == ['Column "کد ملی" is mapped to an unknown field "national_id".']


# --- a whole import ------------------------------------------------------------------------


def test_leads_are_created_normalized_and_bad_rows_rejected_with_reasons(
    sales_user: User,
) -> None:
    job = run_import(sales_user, csv_file(ROWS), owner=sales_user)

    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.updated_count, job.skipped_count, job.rejected_count) == (
        2,
        0,
        1,
        2,
    )
    ali = Lead.objects.get(phone="+989121112233")
    assert (ali.first_name, ali.last_name) == ("علی", "کریمی")
    # Row 4 joined row 1: its email fills the empty one.
    assert ali.email == "ali@example.com"
    assert ali.estimated_amount == 25_000_000  # ۲٬۵۰۰٬۰۰۰ Toman in Rials
    assert (ali.utm_campaign, ali.message, ali.source) == ("نوروز", "قیمت عمده؟", "import")
    assert ali.owner == sales_user
    assert ali.status == LeadStatus.NEW
    pars = Lead.objects.get(email="info@pars.ir")
    assert (pars.company_name, pars.estimated_amount) == ("پارس سازه", 1_000_000)

    event = Event.objects.get(verb="lead.created", lead=ali)
    assert event.payload["import"] == job.pk and event.payload["row"] == 1  # first data row

    rejects = job.rejects_file.open("rb").read().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(rejects)))
    assert lines[0] == [*HEADERS, "خطا", "error"]
    assert [line[0] for line in lines[1:]] == ["مینا رحیمی", "رضا احمدی"]
    assert "phone" in lines[1][-1] and "«12345»" in lines[1][-1]
    assert "تلفن" in lines[1][-2]
    assert lines[2][-1] == "phone: Enter a phone number or an email address."


def test_the_fixed_rejects_file_imports_as_is(sales_user: User) -> None:
    job = run_import(sales_user, csv_file(ROWS), owner=sales_user)
    fixed = job.rejects_file.open("rb").read().decode("utf-8-sig")
    fixed = fixed.replace(",12345,", ",09351234567,").replace(
        "رضا احمدی,,", "رضا احمدی,09161112233,"
    )

    second = run_import(sales_user, fixed.encode("utf-8-sig"), owner=sales_user, name="fixed.csv")

    assert (second.created_count, second.rejected_count) == (2, 0)
    assert Lead.objects.filter(phone__in=["+989351234567", "+989161112233"]).count() == 2


def test_a_preview_writes_nothing_and_counts_what_the_import_will_do(sales_user: User) -> None:
    preview = run_import(sales_user, csv_file(ROWS), dry_run=True, owner=sales_user)

    assert preview.status == ImportStatus.PREVIEWED
    assert Lead.objects.count() == 0
    assert not Event.objects.filter(verb="lead.created").exists()
    real = run_import(sales_user, csv_file(ROWS), owner=sales_user)
    counts = ("created_count", "updated_count", "skipped_count", "rejected_count")
    assert [getattr(preview, name) for name in counts] == [getattr(real, name) for name in counts]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (DuplicatePolicy.FILL_EMPTY, {"created": 1, "updated": 3, "skipped": 4, "rejected": 0}),
        # A matched lead's phone and email are only ever filled, even when overwriting.
        (DuplicatePolicy.OVERWRITE, {"created": 1, "updated": 4, "skipped": 3, "rejected": 0}),
        # Skipped rows add nothing, so the third row (by email alone) is a new lead.
        (DuplicatePolicy.SKIP, {"created": 2, "updated": 0, "skipped": 6, "rejected": 0}),
    ],
)
def test_a_preview_judges_repeats_far_down_the_file_like_the_real_run(
    sales_user: User, monkeypatch: pytest.MonkeyPatch, policy: str, expected: dict[str, int]
) -> None:
    make_lead(actor=sales_user, first_name="سارا", last_name="احمدی", phone="09121000003")
    # One row per batch: every repeat is in a later batch than the row it repeats.
    monkeypatch.setattr(engine, "BATCH_SIZE", 1)
    headers = ["نام و نام خانوادگی", "موبایل", "ایمیل", "شهر"]
    rows = [
        # Fills the existing lead's empty email (updated), then repeats it (skipped),
        # then is found by that email alone (skipped: nothing new).
        ["سارا احمدی", "09121000003", "sara@example.com", ""],
        ["سارا احمدي", "۰۹۱۲۱۰۰۰۰۰۳", "sara@example.com", ""],
        ["سارا احمدی", "", "SARA@example.com", ""],
        # A new lead, its email filled by a later row, which is then repeated.
        ["بهار نوری", "09121000002", "", ""],
        ["بهار نوری", "09121000002", "bahar@example.com", ""],
        ["بهار نوری", "+989121000002", "bahar@example.com", ""],
        # Another email never replaces the lead's; a city fills the empty one, and only
        # overwriting replaces it.
        ["بهار نوری", "09121000002", "b.noori@example.com", "شیراز"],
        ["بهار نوری", "09121000002", "", "اصفهان"],
    ]

    preview = run_import(sales_user, csv_file(rows, headers), dry_run=True, policy=policy)
    assert Lead.objects.count() == 1
    assert Lead.objects.get().email == ""
    real = run_import(sales_user, csv_file(rows, headers), policy=policy)

    counts = ("created_count", "updated_count", "skipped_count", "rejected_count")
    assert dict(zip(expected, [getattr(real, name) for name in counts], strict=True)) == expected
    assert [getattr(preview, name) for name in counts] == [getattr(real, name) for name in counts]


def test_importing_the_same_file_again_creates_no_duplicates(sales_user: User) -> None:
    run_import(sales_user, csv_file(ROWS), owner=sales_user)
    again = run_import(sales_user, csv_file(ROWS), owner=sales_user)

    assert again.created_count == 0
    assert again.skipped_count == 3  # the three valid rows match the two leads
    assert Lead.objects.count() == 2


def test_a_row_updates_an_open_lead_but_not_a_converted_or_disqualified_one(
    sales_user: User,
) -> None:
    open_lead = make_lead(actor=sales_user, first_name="علی", phone="09121112233", owner=sales_user)
    closed = make_lead(actor=sales_user, first_name="پارس", email="info@pars.ir", phone="")
    lead_set_status(actor=sales_user, lead=closed, status=LeadStatus.UNQUALIFIED, reason="تکراری")

    job = run_import(sales_user, csv_file([ROWS[0], ROWS[4]]), owner=sales_user)

    assert (job.created_count, job.updated_count) == (1, 1)
    open_lead.refresh_from_db()
    assert open_lead.last_name == "کریمی"  # the factory's name stays: only empty fields fill
    assert open_lead.utm_campaign == "نوروز"
    assert open_lead.estimated_amount == 25_000_000
    update = Event.objects.get(verb="lead.updated", lead=open_lead)
    assert update.payload["import"] == job.pk
    assert update.payload["changes"]["utm_campaign"] == ["", "نوروز"]
    # The disqualified lead is history: the same person comes back as a new lead.
    assert Lead.objects.filter(email="info@pars.ir").count() == 2


def test_overwrite_replaces_values_and_skip_leaves_the_lead_alone(sales_user: User) -> None:
    lead = make_lead(actor=sales_user, phone="09121112233", utm_campaign="یلدا", owner=sales_user)
    skipped = run_import(
        sales_user, csv_file([ROWS[0]]), policy=DuplicatePolicy.SKIP, owner=sales_user
    )
    lead.refresh_from_db()
    assert (skipped.skipped_count, lead.utm_campaign) == (1, "یلدا")

    run_import(sales_user, csv_file([ROWS[0]]), policy=DuplicatePolicy.OVERWRITE, owner=sales_user)
    lead.refresh_from_db()
    assert (lead.utm_campaign, lead.first_name) == ("نوروز", "علی")


def test_a_lead_whose_phone_belongs_to_a_contact_is_linked_to_it(sales_user: User) -> None:
    contact = make_contact(owner=sales_user, phones=["09121112233"])

    run_import(sales_user, csv_file([ROWS[0]]), owner=sales_user)

    assert Lead.objects.get().contact == contact


def test_leads_another_user_cannot_see_do_not_match(
    make_user: Callable[..., User], sales_user: User
) -> None:
    stranger = make_user(role=Role.SALES)
    make_lead(actor=stranger, phone="09121112233", owner=stranger)

    job = run_import(sales_user, csv_file([ROWS[0]]), owner=sales_user)

    assert job.created_count == 1
    assert Lead.objects.filter(phone="+989121112233").count() == 2


# --- owners ---------------------------------------------------------------------------------


def test_without_an_owner_the_assignment_rules_share_the_leads_out_and_notify_once(
    make_user: Callable[..., User],
    team: Team,
    admin_user: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    first, second = make_user(teams=(team,)), make_user(teams=(team,))
    rule = AssignmentRule.objects.create(
        name="نوبتی", method="round_robin", team=team, applies_to="lead",
        respect_working_hours=False,
    )  # fmt: skip
    rows = [[f"مشتری {index}", f"0912000{index:04d}", "", "", "", "", ""] for index in range(10)]

    with django_capture_on_commit_callbacks(execute=True):
        job = run_import(admin_user, csv_file(rows))

    assert job.owner is None and job.created_count == 10
    counts = {user.pk: Lead.objects.filter(owner=user).count() for user in (first, second)}
    assert counts == {first.pk: 5, second.pk: 5}
    assert Event.objects.filter(verb="lead.assigned", summary=rule.name).count() == 10
    for user in (first, second):
        notes = Notification.objects.filter(user=user)
        assert notes.count() == 1
        assert "5" in notes.get().title or "۵" in notes.get().title


# --- permissions, the command and the pages ---------------------------------------------------


def test_a_user_who_may_not_write_leads_cannot_import_them(make_user: Callable[..., User]) -> None:
    support = make_user(role=Role.SUPPORT)
    with pytest.raises(PermissionDenied):
        import_job_create(
            actor=support,
            upload=SimpleUploadedFile("leads.csv", csv_file(ROWS)),
            original_name="leads.csv",
            object_type="lead",
        )


def test_the_command_imports_leads(tmp_path: Path, admin_user: User, sales_user: User) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(csv_file(ROWS))
    out = io.StringIO()

    call_command(
        "import", "leads", str(path), "--user", admin_user.username,
        "--owner", sales_user.username, stdout=out, stderr=io.StringIO(),
    )  # fmt: skip

    assert "created 2" in out.getvalue()
    assert set(Lead.objects.values_list("owner", flat=True)) == {sales_user.pk}


def test_the_pages_import_leads_with_the_assignment_rules_as_default_owner(
    logged_in: Callable[[User], Client],
    sales_user: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = logged_in(sales_user)
    response = client.post(
        "/contacts/import/",
        {"object_type": "lead", "file": SimpleUploadedFile("leads.csv", csv_file(ROWS))},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.object_type == "lead"

    page = client.get(f"/contacts/import/{job.pk}/")
    html = page.content.decode()
    assert "— بر پایهٔ قواعد واگذاری —" in html
    assert 'name="tags"' not in html

    form = {f"column_{index}": job.mapping[header] for index, header in enumerate(job.headers)}
    form.update(duplicate_policy="fill_empty", owner="", action="import")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/contacts/import/{job.pk}/", form)
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 2)
    # No rule is set up, so the leads fall to the importer.
    assert set(Lead.objects.values_list("owner", flat=True)) == {sales_user.pk}
    done = client.get(f"/contacts/import/{job.pk}/").content.decode()
    assert "/sales/leads/?status=open" in done


def test_a_support_user_may_open_the_import_page_but_not_a_lead_import(
    logged_in: Callable[[User], Client], make_user: Callable[..., User], sales_user: User
) -> None:
    job = run_import(sales_user, csv_file(ROWS), dry_run=True, owner=sales_user)
    support = make_user(role=Role.SUPPORT)
    client = logged_in(support)
    assert client.get("/contacts/import/").status_code == 200
    response = client.post(
        "/contacts/import/",
        {"object_type": "lead", "file": SimpleUploadedFile("leads.csv", csv_file(ROWS))},
    )
    assert response.status_code == 403
    # Somebody else's job is not even found.
    assert client.get(f"/contacts/import/{job.pk}/").status_code == 404


def test_an_unknown_record_kind_is_refused_with_a_clear_reason(sales_user: User) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        import_job_create(
            actor=sales_user,
            upload=SimpleUploadedFile("x.csv", csv_file(ROWS)),
            original_name="x.csv",
            object_type="ticket",
        )
    assert caught.value.message_dict == {"object_type": ["Choose contacts, companies or leads."]}


def test_the_lead_list_links_to_an_upload_form_set_to_leads(
    logged_in: Callable[[User], Client], sales_user: User
) -> None:
    client = logged_in(sales_user)
    assert "/contacts/import/?type=lead" in client.get("/sales/leads/").content.decode()
    html = client.get("/contacts/import/?type=lead").content.decode()
    assert '<option value="lead" selected>' in html
