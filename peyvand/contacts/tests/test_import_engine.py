"""The contact import engine end to end: parse, match, merge, write, reject, resume.

Files are written by the tests themselves (a messy Persian CSV, an XLSX, a vCard) and go
through the public surface: ``import_job_create`` → ``import_job_configure`` →
``import_job_start`` → ``ImportRunner.run`` (or the ``run_import_job`` task).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import Workbook

from peyvand.accounts.models import Role, Team, User, VisibilityLevel, VisibilityPolicy
from peyvand.contacts.importing import engine
from peyvand.contacts.importing.engine import ImportRunner
from peyvand.contacts.importing.mapping import TARGET_FIELDS
from peyvand.contacts.importing.preview import PreviewLedger
from peyvand.contacts.importing.services import (
    import_job_configure,
    import_job_create,
    import_job_start,
)
from peyvand.contacts.models import (
    Company,
    Contact,
    ContactPhone,
    DuplicatePolicy,
    ImportJob,
    ImportStatus,
    Tag,
)
from peyvand.contacts.selectors import companies_visible_to, contacts_filtered
from peyvand.contacts.services import tags_resolve
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db

BOM = "\ufeff"


@pytest.fixture(autouse=True)
def _import_settings(settings: Any, tmp_path: Path) -> None:
    """Uploaded files under the test's folder, tasks run inline."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


# --- files and helpers -------------------------------------------------------------------------

MESSY_HEADERS = [
    "نام",
    "نام خانوادگی",
    "موبایل",
    "ایمیل",
    "کد ملی",
    "تاریخ تولد",
    "شهر",
    "استان",
    "مرحله",
    "شرکت",
    "برچسب",
]
# Arabic ي/ك, phones in Persian digits / +98 / 0098 with dashes / without the 0, mixed-case
# emails, Jalali and Gregorian birthdays, Farsi stage and province names. Row 4 has a bad
# national ID, row 5 a bad phone, row 6 no name, phone, email or national ID; the blank line
# is not a data row; row 7 repeats row 1's phone (written differently) with a new email.
MESSY_ROWS = [
    [
        "علي",
        "رضايي",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "Ali.Rezaei@Example.COM",
        "0084575948",
        "۱۳۷۰/۰۵/۱۲",
        "تهران",
        "تهران",
        "مشتری",
        "شرکت آلفا",
        "vip",
    ],
    [
        "كاظم",
        "محمدي",
        "+98 912 765 4321",
        "KAZEM@Mail.IR",
        "",
        "1988-12-25",
        "اصفهان",
        "اصفهان",
        "سرنخ",
        "",
        "",
    ],
    [
        "سارا",
        "کریمی",
        "0098-935-111-2233",
        "",
        "0013542419",
        "",
        "شيراز",
        "استان فارس",
        "",
        "",
        "همکار",
    ],
    ["نازنین", "احمدی", "09120001111", "", "1234567890", "", "", "", "", "", ""],
    ["رضا", "حسینی", "12345", "reza@example.com", "", "", "", "", "", "", ""],
    ["", "", "", "", "", "", "مشهد", "", "", "", ""],
    [""] * 11,
    ["علی", "رضایی", "0912-123-4567", "ali.work@example.com", "", "", "", "", "", "", ""],
    [
        "مینا",
        "كريمي",
        "9125556677",
        "Mina@Example.com",
        "",
        "1365/01/01",
        "تبريز",
        "آذربایجان شرقی",
        "مشتری وفادار",
        "",
        "",
    ],
]
MESSY_DATA_ROWS = 8  # the blank line is skipped and not counted
MESSY_REJECTED = [MESSY_ROWS[3], MESSY_ROWS[4], MESSY_ROWS[5]]


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def messy_csv(tmp_path: Path, name: str = "مشتریان.csv") -> Path:
    return write_csv(tmp_path / name, MESSY_HEADERS, MESSY_ROWS)


def prepare(
    user: User,
    path: Path,
    *,
    policy: str = DuplicatePolicy.FILL_EMPTY,
    dry_run: bool = False,
    tags: Sequence[str] = (),
    owner: User | None = None,
) -> ImportJob:
    """An uploaded, configured and queued job (not run)."""
    with path.open("rb") as handle:
        job = import_job_create(actor=user, upload=File(handle), original_name=path.name)
    job = import_job_configure(
        actor=user,
        job=job,
        mapping=job.mapping,
        duplicate_policy=policy,
        owner=owner,
        tags=tags,
    )
    return import_job_start(actor=user, job=job, dry_run=dry_run, enqueue=False)


def run_import(user: User, path: Path, **options: Any) -> ImportJob:
    job = ImportRunner(prepare(user, path, **options)).run()
    job.refresh_from_db()
    return job


def counts(job: ImportJob) -> dict[str, int]:
    return {
        "created": job.created_count,
        "updated": job.updated_count,
        "skipped": job.skipped_count,
        "rejected": job.rejected_count,
    }


def read_rejects(job: ImportJob) -> tuple[bytes, list[list[str]]]:
    """(first three bytes, parsed rows) of the job's rejects file."""
    data = Path(job.rejects_file.path).read_bytes()
    text = data.decode("utf-8")
    return data[:3], list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))


def contact_state(contact: Contact) -> dict[str, Any]:
    return {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "phones": list(contact.phones.values_list("number", flat=True)),
        "emails": list(contact.emails.values_list("address", flat=True)),
        "national_id": contact.national_id,
        "birthday": contact.birthday,
        "city": contact.city,
        "province": contact.province,
        "lifecycle_stage": contact.lifecycle_stage,
        "company": contact.company.name if contact.company else None,
        "tags": sorted(contact.tags.values_list("name", flat=True)),
    }


def by_phone(number: str) -> Contact:
    return Contact.objects.get(phones__number=number)


def contact_events() -> list[Event]:
    return list(Event.objects.filter(verb="contact.imported").order_by("id"))


NO_IDENTIFIER_EN = "full name: The row has no name, phone, email or national ID."


def no_identifier_fa() -> str:
    with translation.override("fa"):
        return (
            f"{TARGET_FIELDS['full_name']}: "
            f"{gettext('The row has no name, phone, email or national ID.')}"
        )


# --- the messy Persian CSV ----------------------------------------------------------------------


def test_dry_run_counts_every_row_and_writes_no_contact(sales_user: User, tmp_path: Path) -> None:
    job = run_import(sales_user, messy_csv(tmp_path), dry_run=True, tags=["نمایشگاه"])

    assert job.status == ImportStatus.PREVIEWED
    assert job.total_rows == MESSY_DATA_ROWS
    assert job.rows_done == MESSY_DATA_ROWS
    assert counts(job) == {"created": 4, "updated": 0, "skipped": 1, "rejected": 3}
    assert sum(counts(job).values()) == MESSY_DATA_ROWS
    assert Contact.objects.count() == 0
    assert ContactPhone.objects.count() == 0
    assert Company.objects.count() == 0
    assert Tag.objects.count() == 0
    assert not Event.objects.filter(verb__startswith="contact.").exists()
    assert not Event.objects.filter(verb__startswith="company.").exists()
    assert sorted(Event.objects.values_list("verb", flat=True)) == [
        "import.created",
        "import.previewed",
    ]


def test_dry_run_rejects_file_keeps_the_original_columns_and_names_the_field(
    sales_user: User, tmp_path: Path
) -> None:
    job = run_import(sales_user, messy_csv(tmp_path), dry_run=True)

    start, rows = read_rejects(job)
    assert start == b"\xef\xbb\xbf"
    assert rows[0] == [*MESSY_HEADERS, "خطا", "error"]
    assert rows[1:] == [
        [
            *MESSY_REJECTED[0],
            "کد ملی: «1234567890»: این کد ملی معتبر نیست؛ لطفاً آن را بررسی کنید.",
            "national ID: «1234567890»: This national ID is not valid; please check it.",
        ],
        [
            *MESSY_REJECTED[1],
            "تلفن: «12345»: یک شماره تلفن معتبر وارد کنید.",
            "phone: «12345»: Enter a valid phone number.",
        ],
        [*MESSY_REJECTED[2], no_identifier_fa(), NO_IDENTIFIER_EN],
    ]


def test_real_run_stores_normalized_values(sales_user: User, tmp_path: Path) -> None:
    job = run_import(sales_user, messy_csv(tmp_path), tags=["نمایشگاه ۱۴۰۳"])

    assert job.status == ImportStatus.DONE
    assert counts(job) == {"created": 4, "updated": 0, "skipped": 1, "rejected": 3}
    assert Contact.objects.count() == 4
    assert contact_state(by_phone("+989121234567")) == {
        "first_name": "علی",
        "last_name": "رضایی",
        "phones": ["+989121234567"],
        "emails": ["ali.rezaei@example.com", "ali.work@example.com"],
        "national_id": "0084575948",
        "birthday": datetime.date(1991, 8, 3),
        "city": "تهران",
        "province": "tehran",
        "lifecycle_stage": "customer",
        "company": "شرکت آلفا",
        "tags": ["vip", "نمایشگاه ۱۴۰۳"],
    }
    assert contact_state(by_phone("+989127654321")) == {
        "first_name": "کاظم",
        "last_name": "محمدی",
        "phones": ["+989127654321"],
        "emails": ["kazem@mail.ir"],
        "national_id": "",
        "birthday": datetime.date(1988, 12, 25),
        "city": "اصفهان",
        "province": "isfahan",
        "lifecycle_stage": "lead",
        "company": None,
        "tags": ["نمایشگاه ۱۴۰۳"],
    }
    assert contact_state(by_phone("+989351112233")) == {
        "first_name": "سارا",
        "last_name": "کریمی",
        "phones": ["+989351112233"],
        "emails": [],
        "national_id": "0013542419",
        "birthday": None,
        "city": "شیراز",
        "province": "fars",
        "lifecycle_stage": "lead",
        "company": None,
        "tags": ["نمایشگاه ۱۴۰۳", "همکار"],
    }
    assert contact_state(by_phone("+989125556677")) == {
        "first_name": "مینا",
        "last_name": "کریمی",
        "phones": ["+989125556677"],
        "emails": ["mina@example.com"],
        "national_id": "",
        "birthday": datetime.date(1986, 3, 21),
        "city": "تبریز",
        "province": "azarbaijan-sharghi",
        "lifecycle_stage": "loyal",
        "company": None,
        "tags": ["نمایشگاه ۱۴۰۳"],
    }
    for contact in Contact.objects.all():
        assert contact.owner_id == sales_user.pk
        assert contact.created_by_id == sales_user.pk


def test_real_run_contacts_are_found_by_search(sales_user: User, tmp_path: Path) -> None:
    run_import(sales_user, messy_csv(tmp_path))
    ali, kazem = by_phone("+989121234567"), by_phone("+989127654321")
    sara, mina = by_phone("+989351112233"), by_phone("+989125556677")

    assert ali.name_key == "رضاییعلی"
    assert "09121234567" in ali.search_text

    def found(query: str) -> list[int]:
        return sorted(contacts_filtered(sales_user, {"q": query}).values_list("pk", flat=True))

    assert found("09121234567") == [ali.pk]
    assert found("۰۹۱۲۷۶۵۴۳۲۱") == [kazem.pk]
    assert found("989351112233") == [sara.pk]
    assert found("علي رضايي") == [ali.pk]
    assert found("كريمي") == sorted([sara.pk, mina.pk])
    assert found("ALI.WORK@example.com") == [ali.pk]
    assert found("0084575948") == [ali.pk]


def test_real_run_writes_one_event_per_created_contact(sales_user: User, tmp_path: Path) -> None:
    job = run_import(sales_user, messy_csv(tmp_path))

    events = contact_events()
    rows_by_phone = {
        "+989121234567": 1,
        "+989127654321": 2,
        "+989351112233": 3,
        "+989125556677": 8,
    }
    assert len(events) == 4
    assert {(event.contact_id, event.subject_id) for event in events} == {
        (by_phone(number).pk, by_phone(number).pk) for number in rows_by_phone
    }
    for number, row in rows_by_phone.items():
        event = next(event for event in events if event.contact_id == by_phone(number).pk)
        assert event.payload == {"import": job.pk, "action": "created", "row": row}
        assert event.actor_id == sales_user.pk
        assert event.subject_type == "contact"
    assert not Event.objects.filter(verb="contact.created").exists()
    assert Event.objects.filter(verb="company.imported").count() == 1


def test_dry_run_predicts_the_real_run(sales_user: User, tmp_path: Path) -> None:
    preview = run_import(sales_user, messy_csv(tmp_path), dry_run=True)
    real = run_import(sales_user, messy_csv(tmp_path, "again.csv"))

    assert counts(real) == counts(preview)
    assert Contact.objects.count() == preview.created_count


# --- reruns and duplicate policies ----------------------------------------------------------------


@pytest.mark.parametrize("policy", [DuplicatePolicy.SKIP, DuplicatePolicy.FILL_EMPTY])
def test_rerun_of_the_same_file_creates_nothing(
    sales_user: User, tmp_path: Path, policy: str
) -> None:
    run_import(sales_user, messy_csv(tmp_path), policy=policy)
    before = {contact.pk: contact_state(contact) for contact in Contact.objects.all()}
    events_before = Event.objects.filter(verb="contact.imported").count()

    rerun = run_import(sales_user, messy_csv(tmp_path, "rerun.csv"), policy=policy)

    assert counts(rerun) == {"created": 0, "updated": 0, "skipped": 5, "rejected": 3}
    assert {contact.pk: contact_state(contact) for contact in Contact.objects.all()} == before
    assert Event.objects.filter(verb="contact.imported").count() == events_before


FOCUSED_HEADERS = ["نام", "نام خانوادگی", "موبایل", "ایمیل", "تاریخ تولد", "شهر", "کد ملی"]
FOCUSED_ROW = [
    "مريم",
    "رضایی",
    "09122222222",
    "Maryam@Example.com",
    "1370/01/01",
    "تهران",
    "4608968882",
]


def existing_maryam(owner: User) -> Contact:
    return make_contact(
        actor=owner,
        first_name="مریم",
        last_name="رضایی",
        phones=["09121111111"],
        national_id="4608968882",
        city="کرج",
    )


def test_fill_empty_fills_empty_fields_and_adds_a_phone(sales_user: User, tmp_path: Path) -> None:
    contact = existing_maryam(sales_user)
    path = write_csv(tmp_path / "maryam.csv", FOCUSED_HEADERS, [FOCUSED_ROW])

    job = run_import(sales_user, path, policy=DuplicatePolicy.FILL_EMPTY)

    assert counts(job) == {"created": 0, "updated": 1, "skipped": 0, "rejected": 0}
    assert Contact.objects.count() == 1
    state = contact_state(Contact.objects.get(pk=contact.pk))
    assert state["phones"] == ["+989121111111", "+989122222222"]
    assert state["emails"] == ["maryam@example.com"]
    assert state["birthday"] == datetime.date(1991, 3, 21)
    assert state["city"] == "کرج"
    [event] = contact_events()
    assert event.contact_id == contact.pk
    assert event.payload == {
        "import": job.pk,
        "action": "updated",
        "changes": {
            "birthday": [None, "1991-03-21"],
            "phones": [["+989121111111"], ["+989121111111", "+989122222222"]],
            "emails": [[], ["maryam@example.com"]],
        },
    }
    found = contacts_filtered(sales_user, {"q": "09122222222"})
    assert list(found.values_list("pk", flat=True)) == [contact.pk]


def test_overwrite_replaces_a_non_empty_city(sales_user: User, tmp_path: Path) -> None:
    contact = existing_maryam(sales_user)
    path = write_csv(tmp_path / "maryam.csv", FOCUSED_HEADERS, [FOCUSED_ROW])

    job = run_import(sales_user, path, policy=DuplicatePolicy.OVERWRITE)

    assert counts(job) == {"created": 0, "updated": 1, "skipped": 0, "rejected": 0}
    contact.refresh_from_db()
    assert contact.city == "تهران"
    [event] = contact_events()
    assert event.payload["changes"]["city"] == ["کرج", "تهران"]


def test_skip_leaves_the_existing_contact_alone(sales_user: User, tmp_path: Path) -> None:
    contact = existing_maryam(sales_user)
    before = contact_state(contact)
    path = write_csv(tmp_path / "maryam.csv", FOCUSED_HEADERS, [FOCUSED_ROW])

    job = run_import(sales_user, path, policy=DuplicatePolicy.SKIP)

    assert counts(job) == {"created": 0, "updated": 0, "skipped": 1, "rejected": 0}
    assert contact_state(Contact.objects.get(pk=contact.pk)) == before
    assert contact_events() == []


def test_create_makes_duplicates_on_purpose(sales_user: User, tmp_path: Path) -> None:
    existing_maryam(sales_user)
    run_import(sales_user, messy_csv(tmp_path), policy=DuplicatePolicy.CREATE)
    path = write_csv(tmp_path / "maryam.csv", FOCUSED_HEADERS, [FOCUSED_ROW])

    job = run_import(sales_user, path, policy=DuplicatePolicy.CREATE)

    assert counts(job) == {"created": 1, "updated": 0, "skipped": 0, "rejected": 0}
    assert Contact.objects.filter(national_id="4608968882").count() == 2
    # Within the file too: row 7 repeats row 1's phone and becomes a contact of its own.
    assert Contact.objects.filter(phones__number="+989121234567").count() == 2
    assert Contact.objects.count() == 2 + 5


MATCH_HEADERS = ["نام", "نام خانوادگی", "موبایل", "ایمیل", "کد ملی", "شهر", "سمت"]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["", "", "", "", "84575948", "", "مدیر"], "updated"),
        (["", "", "+98 912 111 2233", "", "", "", "مدیر"], "updated"),
        (["", "", "", "NEGAR@Example.com", "", "", "مدیر"], "updated"),
        (["نگار", "موسوي", "", "", "", "رشت", "مدیر"], "updated"),
        (["موسوی", "نگار", "", "", "", "رشت", "مدیر"], "updated"),
        (["نگار", "موسوی", "", "", "", "تهران", "مدیر"], "created"),
        (["نگار", "", "", "", "", "رشت", "مدیر"], "created"),
    ],
    ids=["national-id", "phone", "email", "name-city", "name-order", "other-city", "first-only"],
)
def test_each_matching_rule(
    sales_user: User, tmp_path: Path, row: list[str], expected: str
) -> None:
    existing = make_contact(
        actor=sales_user,
        first_name="نگار",
        last_name="موسوی",
        phones=["09121112233"],
        emails=["negar@example.com"],
        national_id="0084575948",
        city="رشت",
    )
    path = write_csv(tmp_path / "match.csv", MATCH_HEADERS, [row])

    job = run_import(sales_user, path)

    existing.refresh_from_db()
    if expected == "updated":
        assert counts(job) == {"created": 0, "updated": 1, "skipped": 0, "rejected": 0}
        assert Contact.objects.count() == 1
        assert existing.job_title == "مدیر"
    else:
        assert counts(job) == {"created": 1, "updated": 0, "skipped": 0, "rejected": 0}
        assert Contact.objects.count() == 2
        assert existing.job_title == ""


# --- visibility -------------------------------------------------------------------------------


def test_matching_ignores_contacts_the_importer_cannot_see(
    sales_user: User, make_user: Callable[..., User], tmp_path: Path
) -> None:
    stranger = make_user(teams=(Team.objects.create(name="پشتیبانی"),))
    hidden = make_contact(
        actor=stranger, first_name="کاظم", last_name="محمدی", phones=["09127654321"]
    )

    job = run_import(sales_user, messy_csv(tmp_path))

    assert counts(job) == {"created": 4, "updated": 0, "skipped": 1, "rejected": 3}
    assert Contact.objects.filter(phones__number="+989127654321").count() == 2
    hidden.refresh_from_db()
    assert contact_state(hidden)["emails"] == []
    assert hidden.owner_id == stranger.pk
    assert not Event.objects.filter(verb="contact.imported", contact=hidden).exists()
    created = Contact.objects.get(phones__number="+989127654321", owner=sales_user)
    assert contact_state(created)["emails"] == ["kazem@mail.ir"]


def test_configure_refuses_an_owner_the_importer_cannot_see(
    sales_user: User, make_user: Callable[..., User], tmp_path: Path
) -> None:
    stranger = make_user(teams=(Team.objects.create(name="پشتیبانی"),))
    teammate = make_user(teams=tuple(sales_user.teams.all()))
    with messy_csv(tmp_path).open("rb") as handle:
        job = import_job_create(actor=sales_user, upload=File(handle), original_name="a.csv")

    with pytest.raises(ValidationError) as caught:
        import_job_configure(
            actor=sales_user,
            job=job,
            mapping=job.mapping,
            duplicate_policy=DuplicatePolicy.FILL_EMPTY,
            owner=stranger,
        )

    assert list(caught.value.message_dict) == ["owner"]
    job.refresh_from_db()
    assert job.owner_id == sales_user.pk
    configured = import_job_configure(
        actor=sales_user,
        job=job,
        mapping=job.mapping,
        duplicate_policy=DuplicatePolicy.FILL_EMPTY,
        owner=teammate,
    )
    assert configured.owner_id == teammate.pk


def test_new_contacts_go_to_the_chosen_owner(
    sales_user: User, make_user: Callable[..., User], tmp_path: Path
) -> None:
    teammate = make_user(teams=tuple(sales_user.teams.all()))

    job = run_import(sales_user, messy_csv(tmp_path), owner=teammate)

    assert job.owner_id == teammate.pk
    assert set(Contact.objects.values_list("owner_id", "created_by_id")) == {
        (teammate.pk, sales_user.pk)
    }


# --- crash and resume -----------------------------------------------------------------------------

CRASH_HEADERS = ["نام", "نام خانوادگی", "موبایل", "ایمیل", "کد ملی", "شهر"]
# Three rows a batch (BATCH_SIZE = 3); every batch has one rejected row; row 9 repeats row 1.
CRASH_ROWS = [
    ["آرش", "کمالی", "09121000001", "", "", ""],
    ["بهار", "نوری", "09121000002", "bahar@example.com", "", ""],
    ["پرویز", "صدری", "0912", "", "", ""],
    ["ترانه", "امینی", "09121000004", "", "", ""],
    ["ثمین", "رستمی", "09121000005", "", "1234567890", ""],
    ["جواد", "حیدری", "09121000006", "", "", ""],
    ["", "", "", "", "", "قم"],
    ["حمید", "خسروی", "09121000008", "", "", ""],
    ["آرش", "کمالی", "09121000001", "arash@example.com", "", ""],
    ["داوود", "ذاکری", "09121000010", "", "", ""],
    ["رامین", "زارعی", "09121000011", "not-an-email", "", ""],
    ["ژاله", "سلیمی", "09121000012", "", "", ""],
]
CRASH_REJECTED_ROWS = [CRASH_ROWS[2], CRASH_ROWS[4], CRASH_ROWS[6], CRASH_ROWS[10]]


def crash_on_third_call(monkeypatch: pytest.MonkeyPatch, name: str, *, after: bool) -> None:
    """Make ``ImportRunner.<name>`` raise on its third call (after doing its work, or before)."""
    original = getattr(ImportRunner, name)
    calls = {"count": 0}

    def failing(self: ImportRunner, *args: Any) -> Any:
        calls["count"] += 1
        if calls["count"] == 3 and not after:
            raise RuntimeError("disk full")
        result = original(self, *args)
        if calls["count"] == 3:
            raise RuntimeError("disk full")
        return result

    monkeypatch.setattr(ImportRunner, name, failing)


def people(owner: User) -> list[tuple[str, str, list[str], list[str]]]:
    return sorted(
        (
            contact.first_name,
            contact.last_name,
            list(contact.phones.values_list("number", flat=True)),
            list(contact.emails.values_list("address", flat=True)),
        )
        for contact in Contact.objects.filter(owner=owner)
    )


def run_through_task(
    user: User, job: ImportJob, capture: Callable[..., Any], *, dry_run: bool = False
) -> ImportJob:
    with capture(execute=True):
        import_job_start(actor=user, job=job, dry_run=dry_run)
    job.refresh_from_db()
    return job


@pytest.mark.parametrize(
    ("crashing_method", "after"), [("_create", False), ("_write_rejects", True)]
)
def test_crash_keeps_whole_batches_and_resume_finishes_without_duplicates(
    sales_user: User,
    make_user: Callable[..., User],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
    crashing_method: str,
    after: bool,
) -> None:
    monkeypatch.setattr(engine, "BATCH_SIZE", 3)
    path = write_csv(tmp_path / "crash.csv", CRASH_HEADERS, CRASH_ROWS)
    # A clean single run by someone of another team (whose contacts the importer cannot see).
    other = make_user(teams=(Team.objects.create(name="پشتیبانی"),))
    clean = run_import(other, path)
    assert counts(clean) == {"created": 7, "updated": 1, "skipped": 0, "rejected": 4}

    crash_on_third_call(monkeypatch, crashing_method, after=after)
    with path.open("rb") as handle:
        job = import_job_create(actor=sales_user, upload=File(handle), original_name="crash.csv")
    job = import_job_configure(
        actor=sales_user,
        job=job,
        mapping=job.mapping,
        duplicate_policy=DuplicatePolicy.FILL_EMPTY,
        owner=None,
    )
    job = run_through_task(sales_user, job, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.FAILED
    assert job.error == "disk full"
    assert job.rows_done == 6
    assert counts(job) == {"created": 4, "updated": 0, "skipped": 0, "rejected": 2}
    assert [name for name, *_rest in people(sales_user)] == ["آرش", "بهار", "ترانه", "جواد"]
    _start, rows = read_rejects(job)
    if after:
        # Batch 3's reject reached the file after the checkpoint: the resume must cut it off.
        assert [row[:-2] for row in rows[1:]] == CRASH_REJECTED_ROWS[:3]
        assert Path(job.rejects_file.path).stat().st_size > job.rejects_bytes
    else:
        assert [row[:-2] for row in rows[1:]] == CRASH_REJECTED_ROWS[:2]
        assert Path(job.rejects_file.path).stat().st_size == job.rejects_bytes

    monkeypatch.undo()
    monkeypatch.setattr(engine, "BATCH_SIZE", 3)
    job = run_through_task(sales_user, job, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE
    assert job.error == ""
    assert job.rows_done == 12
    assert counts(job) == counts(clean)
    assert people(sales_user) == people(other)
    assert Contact.objects.filter(owner=sales_user).count() == 7
    start, rows = read_rejects(job)
    assert start == b"\xef\xbb\xbf"
    assert rows[0] == [*CRASH_HEADERS, "خطا", "error"]
    assert [row[:-2] for row in rows[1:]] == CRASH_REJECTED_ROWS
    assert [row[-1] for row in rows[1:]] == [
        "phone: «0912»: Enter a valid phone number.",
        "national ID: «1234567890»: This national ID is not valid; please check it.",
        NO_IDENTIFIER_EN,
        "email: «not-an-email»: Enter a valid email address.",
    ]
    imported = Event.objects.filter(verb="contact.imported", contact__owner=sales_user)
    assert imported.filter(payload__action="created").count() == 7
    assert imported.filter(payload__action="updated").count() == 1


def test_resume_through_the_runner_continues_after_the_checkpoint(
    sales_user: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BATCH_SIZE", 3)
    path = write_csv(tmp_path / "crash.csv", CRASH_HEADERS, CRASH_ROWS)
    job = prepare(sales_user, path)
    crash_on_third_call(monkeypatch, "_create", after=False)
    with pytest.raises(RuntimeError):
        ImportRunner(job).run()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED)
    job.refresh_from_db()
    assert job.rows_done == 6
    _start, rows = read_rejects(job)
    assert [row[:-2] for row in rows[1:]] == CRASH_REJECTED_ROWS[:2]

    monkeypatch.undo()
    monkeypatch.setattr(engine, "BATCH_SIZE", 3)
    job = import_job_start(actor=sales_user, job=job, dry_run=False, enqueue=False)
    assert job.rows_done == 6
    ImportRunner(job).run()
    job.refresh_from_db()

    assert counts(job) == {"created": 7, "updated": 1, "skipped": 0, "rejected": 4}
    assert Contact.objects.count() == 7
    _start, rows = read_rejects(job)
    assert [row[:-2] for row in rows[1:]] == CRASH_REJECTED_ROWS


@pytest.mark.django_db(transaction=True)
def test_batches_commit_without_waiting_for_the_flush_on_postgresql_only(
    sales_user: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch lost to a server crash after its commit is lost with its checkpoint (one
    transaction), so relaxing the flush for batch transactions keeps resuming exact. Each
    batch is its own transaction here (no test transaction around the run)."""
    monkeypatch.setattr(engine, "BATCH_SIZE", 3)
    seen: list[tuple[str, int]] = []
    original = ImportRunner._apply

    def recording(self: ImportRunner, rows: list[Any]) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(
                "SHOW synchronous_commit" if connection.vendor == "postgresql" else "SELECT 'n/a'"
            )
            (setting,) = cursor.fetchone()
        seen.append((setting, ImportJob.objects.get(pk=self.job.pk).rows_done))
        return original(self, rows)

    monkeypatch.setattr(ImportRunner, "_apply", recording)
    job = run_import(sales_user, write_csv(tmp_path / "crash.csv", CRASH_HEADERS, CRASH_ROWS))

    expected = "off" if connection.vendor == "postgresql" else "n/a"
    # Each batch sees the checkpoint its predecessor committed, with the relaxed setting.
    assert seen == [(expected, 0), (expected, 3), (expected, 6), (expected, 9)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone() == ("on",)  # SET LOCAL: the batch's transaction only
    assert job.status == ImportStatus.DONE


def test_rows_are_parsed_in_a_reader_thread_in_the_importers_language(
    sales_user: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from peyvand.contacts.importing.rows import RowParser

    monkeypatch.setattr(engine, "BATCH_SIZE", 3)
    threads: set[str] = set()
    languages: set[str | None] = set()
    original = RowParser.parse

    def recording(self: RowParser, number: int, raw: Any) -> Any:
        threads.add(threading.current_thread().name)
        languages.add(translation.get_language())
        return original(self, number, raw)

    monkeypatch.setattr(RowParser, "parse", recording)
    with translation.override("en"):
        job = run_import(sales_user, write_csv(tmp_path / "crash.csv", CRASH_HEADERS, CRASH_ROWS))

    assert threads == {f"import-{job.pk}-reader"}
    assert languages == {"en"}
    assert counts(job) == {"created": 7, "updated": 1, "skipped": 0, "rejected": 4}
    assert not any(thread.name == f"import-{job.pk}-reader" for thread in threading.enumerate())


# --- fixing the rejects file ----------------------------------------------------------------------


def test_a_fixed_rejects_file_imports_as_is(sales_user: User, tmp_path: Path) -> None:
    first = run_import(sales_user, messy_csv(tmp_path))
    _start, rows = read_rejects(first)
    header, fixed = rows[0], [list(row) for row in rows[1:]]
    fixed[0][MESSY_HEADERS.index("کد ملی")] = "0012345679"
    fixed[1][MESSY_HEADERS.index("موبایل")] = "۰۹۱۲۳۳۳۴۴۴۴"
    fixed[2][MESSY_HEADERS.index("نام")] = "حمید"
    fixed[2][MESSY_HEADERS.index("نام خانوادگی")] = "نوری"
    path = tmp_path / "rejects-fixed.csv"
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([header, *fixed])
    path.write_bytes(BOM.encode() + buffer.getvalue().encode())

    with path.open("rb") as handle:
        job = import_job_create(actor=sales_user, upload=File(handle), original_name=path.name)
    assert job.headers == [*MESSY_HEADERS, "خطا", "error"]
    assert job.mapping["خطا"] == ""
    assert job.mapping["error"] == ""
    assert job.mapping["موبایل"] == "phone"
    job = import_job_configure(
        actor=sales_user,
        job=job,
        mapping=job.mapping,
        duplicate_policy=DuplicatePolicy.FILL_EMPTY,
        owner=None,
    )
    job = ImportRunner(import_job_start(actor=sales_user, job=job, dry_run=False, enqueue=False))
    job = job.run()

    assert counts(job) == {"created": 3, "updated": 0, "skipped": 0, "rejected": 0}
    assert not job.rejects_file
    assert Contact.objects.count() == 7
    assert Contact.objects.get(national_id="0012345679").first_name == "نازنین"
    assert by_phone("+989123334444").last_name == "حسینی"
    assert Contact.objects.get(first_name="حمید", last_name="نوری").city == "مشهد"


# --- other formats --------------------------------------------------------------------------------


def test_xlsx_import_end_to_end(sales_user: User, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["First Name", "Last Name", "Mobile", "Email", "Birthday", "National ID"])
    sheet.append(["Ali", "Karimi", 9121234567, "Ali@Example.COM", datetime.date(1990, 5, 17)])
    sheet.cell(row=2, column=6, value=12345679)
    sheet.append(["سارا", "كاظمي", 989351112233, None, None, None])
    sheet.append(["بی‌شماره", "", 12345, None, None, None])
    path = tmp_path / "contacts.xlsx"
    workbook.save(path)

    job = run_import(sales_user, path)

    assert job.file_format == "xlsx"
    assert counts(job) == {"created": 2, "updated": 0, "skipped": 0, "rejected": 1}
    ali = by_phone("+989121234567")
    assert contact_state(ali) == {
        "first_name": "Ali",
        "last_name": "Karimi",
        "phones": ["+989121234567"],
        "emails": ["ali@example.com"],
        "national_id": "0012345679",
        "birthday": datetime.date(1990, 5, 17),
        "city": "",
        "province": "",
        "lifecycle_stage": "lead",
        "company": None,
        "tags": [],
    }
    sara = by_phone("+989351112233")
    assert (sara.first_name, sara.last_name) == ("سارا", "کاظمی")
    _start, rows = read_rejects(job)
    assert rows[1] == [
        "بی‌شماره",
        "",
        "12345",
        "",
        "",
        "",
        "تلفن: «12345»: یک شماره تلفن معتبر وارد کنید.",
        "phone: «12345»: Enter a valid phone number.",
    ]


VCARD = """BEGIN:VCARD
VERSION:3.0
N:رضایی;علی;;;
FN:علی رضایی
TEL;TYPE=CELL:+98 912 123 4567
TEL;TYPE=HOME:021-88776655
EMAIL;TYPE=INTERNET:Ali@Example.com
BDAY:1990-05-17
ORG:شرکت آلفا
TITLE:مدیر فروش
NOTE:مشتری نمایشگاه
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:سارا كريمي
TEL:۰۹۳۵۱۱۱۲۲۳۳
END:VCARD
"""


def test_vcard_import_end_to_end(sales_user: User, tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text(VCARD.replace("\n", "\r\n"), encoding="utf-8")

    job = run_import(sales_user, path)

    assert job.file_format == "vcf"
    assert counts(job) == {"created": 2, "updated": 0, "skipped": 0, "rejected": 0}
    ali = by_phone("+989121234567")
    assert contact_state(ali) == {
        "first_name": "علی",
        "last_name": "رضایی",
        "phones": ["+989121234567", "+982188776655"],
        "emails": ["ali@example.com"],
        "national_id": "",
        "birthday": datetime.date(1990, 5, 17),
        "city": "",
        "province": "",
        "lifecycle_stage": "lead",
        "company": "شرکت آلفا",
        "tags": [],
    }
    assert ali.job_title == "مدیر فروش"
    assert ali.description == "مشتری نمایشگاه"
    sara = by_phone("+989351112233")
    assert (sara.first_name, sara.last_name) == ("سارا", "کریمی")

    rerun = run_import(sales_user, path)
    assert counts(rerun) == {"created": 0, "updated": 0, "skipped": 2, "rejected": 0}


# --- query counts -------------------------------------------------------------------------------


def numbered_rows(size: int, prefix: str, *, with_email: bool) -> list[list[str]]:
    return [
        [
            f"نفر{prefix}",
            f"شماره {index}",
            f"0912{prefix}{index:06d}",
            f"p{prefix}.{index}@example.com" if with_email else "",
            f"شرکت {prefix}-{index}",
            "مشتری",
            "ویژه، نمایشگاه",
        ]
        for index in range(size)
    ]


PREFIXES = {50: "5", 200: "7"}
QUERY_HEADERS = ["نام", "نام خانوادگی", "موبایل", "ایمیل", "شرکت", "مرحله", "برچسب"]


def queries_of_one_batch(user: User, path: Path) -> int:
    job = prepare(user, path, tags=["وارد شده"])
    runner = ImportRunner(job)
    with CaptureQueriesContext(connection) as captured:
        runner.run()
    job.refresh_from_db()
    assert job.total_rows == job.rows_done
    return len(captured.captured_queries)


def test_queries_per_batch_do_not_grow_with_its_size(
    sales_user: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor == "sqlite":
        # SQLite 3.32+ takes 32766 parameters a statement; Django 5.2 still assumes 999 and
        # would split bulk inserts into chunks (queries per chunk, not per row).
        monkeypatch.setattr(connection.features, "max_query_params", 32766)
    monkeypatch.setattr(engine, "BATCH_SIZE", 1000)
    tags_resolve(["ویژه", "نمایشگاه", "وارد شده"])  # tags exist before both runs
    small, large = 50, 200
    files = {
        size: write_csv(
            tmp_path / f"new-{size}.csv",
            QUERY_HEADERS,
            numbered_rows(size, PREFIXES[size], with_email=False),
        )
        for size in (small, large)
    }
    created = {size: queries_of_one_batch(sales_user, path) for size, path in files.items()}
    assert Contact.objects.count() == small + large
    assert created[small] == created[large]

    # The same people again with an email each: every row updates an existing contact.
    updates = {
        size: write_csv(
            tmp_path / f"update-{size}.csv",
            QUERY_HEADERS,
            numbered_rows(size, PREFIXES[size], with_email=True),
        )
        for size in (small, large)
    }
    updated = {size: queries_of_one_batch(sales_user, path) for size, path in updates.items()}
    assert ImportJob.objects.get(original_name="update-200.csv").updated_count == large
    assert updated[small] == updated[large]


# --- tags -------------------------------------------------------------------------------------


def test_tags_that_exist_under_another_spelling_are_reused(
    sales_user: User, tmp_path: Path
) -> None:
    tags_resolve(["VIP", "نمایشگاه 1403"])

    job = run_import(sales_user, messy_csv(tmp_path), tags=["نمایشگاه ۱۴۰۳"])

    assert job.status == ImportStatus.DONE
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["VIP", "نمایشگاه 1403", "همکار"]
    assert contact_state(by_phone("+989121234567"))["tags"] == ["VIP", "نمایشگاه 1403"]


def test_a_rerun_that_adds_the_jobs_tags_counts_and_records_the_change(
    sales_user: User, tmp_path: Path
) -> None:
    run_import(sales_user, messy_csv(tmp_path))
    ali = by_phone("+989121234567")

    job = run_import(sales_user, messy_csv(tmp_path, "again.csv"), tags=["دور دوم", "VIP"])

    assert counts(job) == {"created": 0, "updated": 5, "skipped": 0, "rejected": 3}
    assert contact_state(ali)["tags"] == ["vip", "دور دوم"]
    assert contact_state(by_phone("+989351112233"))["tags"] == ["vip", "دور دوم", "همکار"]
    updated = Event.objects.filter(verb="contact.imported", payload__action="updated")
    assert updated.count() == 4
    assert updated.get(contact=ali).payload == {
        "import": job.pk,
        "action": "updated",
        "changes": {"tags": [["vip"], ["vip", "دور دوم"]]},
    }

    again = run_import(sales_user, messy_csv(tmp_path, "third.csv"), tags=["دور دوم"])
    assert counts(again) == {"created": 0, "updated": 0, "skipped": 5, "rejected": 3}


def test_a_preview_counts_an_exact_repeat_across_batches_like_the_real_run(
    sales_user: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BATCH_SIZE", 2)
    rows = [
        ["آرش", "کمالی", "09121000001"],
        ["بهار", "نوری", "09121000002"],
        ["آرش", "کمالی", "09121000001"],
    ]
    path = write_csv(tmp_path / "repeat.csv", ["نام", "نام خانوادگی", "موبایل"], rows)

    preview = run_import(sales_user, path, dry_run=True)
    real = run_import(sales_user, path)

    assert counts(real) == {"created": 2, "updated": 0, "skipped": 1, "rejected": 0}
    assert counts(preview) == counts(real)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (DuplicatePolicy.FILL_EMPTY, {"created": 2, "updated": 2, "skipped": 3, "rejected": 0}),
        (DuplicatePolicy.OVERWRITE, {"created": 2, "updated": 3, "skipped": 2, "rejected": 0}),
        # Skipped rows add nothing, so the fifth row (by email alone) is a new contact.
        (DuplicatePolicy.SKIP, {"created": 3, "updated": 0, "skipped": 4, "rejected": 0}),
    ],
)
def test_a_preview_judges_repeats_far_down_the_file_like_the_real_run(
    sales_user: User,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    policy: str,
    expected: dict[str, int],
) -> None:
    # One row per batch: every repeat is in a later batch than the row it repeats.
    monkeypatch.setattr(engine, "BATCH_SIZE", 1)
    rows = [
        ["آرش", "کمالی", "09121000001", "", "تهران"],
        ["بهار", "نوری", "09121000002", "", ""],
        # Adds an email to Arash (updated), then repeats it exactly (skipped).
        ["آرش", "کمالی", "۰۹۱۲۱۰۰۰۰۰۱", "arash@example.com", ""],
        ["آرش", "كمالي", "09121000001", "arash@example.com", ""],
        # Found by the email the third row added; a new city only overwrites.
        ["آرش", "کمالی", "", "ARASH@example.com", "شیراز"],
        # Bahar again, unchanged.
        ["بهار", "نوری", "+989121000002", "", ""],
        # Fills Bahar's empty city.
        ["بهار", "نوری", "09121000002", "", "اصفهان"],
    ]
    headers = ["نام", "نام خانوادگی", "موبایل", "ایمیل", "شهر"]
    path = write_csv(tmp_path / "far.csv", headers, rows)

    preview = run_import(sales_user, path, dry_run=True, policy=policy)
    real = run_import(sales_user, path, policy=policy)

    assert counts(real) == expected
    assert counts(preview) == expected


def test_a_preview_remembers_its_changes_to_existing_contacts_across_batches(
    sales_user: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = ["نام", "نام خانوادگی", "موبایل", "ایمیل"]
    run_import(
        sales_user,
        write_csv(tmp_path / "first.csv", headers, [["سارا", "احمدی", "09121000003", ""]]),
    )
    monkeypatch.setattr(engine, "BATCH_SIZE", 1)
    rows = [
        ["سارا", "احمدی", "09121000003", "sara@example.com"],
        ["سارا", "احمدی", "09121000003", "sara@example.com"],
        ["سارا", "احمدی", "", "sara@example.com"],
    ]
    path = write_csv(tmp_path / "second.csv", headers, rows)

    preview = run_import(sales_user, path, dry_run=True)
    assert Contact.objects.get().emails.count() == 0
    real = run_import(sales_user, path)

    assert counts(real) == {"created": 0, "updated": 1, "skipped": 2, "rejected": 0}
    assert counts(preview) == counts(real)


def test_the_preview_ledger_keeps_hashes_not_row_values() -> None:
    ledger = PreviewLedger(("first_name", "city"))
    record = ledger.new_id()
    ledger.add_keys(record, [("phone", "+989121000001")])
    ledger.set_state(record, {"first_name": "آرش", "phones": ["+989121000001"]})

    assert ledger.match([("email", "a@example.com"), ("phone", "+989121000001")]) == -1
    assert ledger.match([("phone", "+989121000002")]) is None
    # Two scalar slots and one list item, 8 bytes each; no text.
    assert len(ledger.states[record]) == 24
    assert "آرش".encode() not in ledger.states[record]
    assert ledger.apply(record, {"first_name": "آرش", "city": ""}, overwrite=False) is False
    assert ledger.apply(record, {"city": "تهران"}, overwrite=False) is True
    assert ledger.apply(record, {"city": "شیراز"}, overwrite=False) is False
    assert ledger.apply(record, {"city": "شیراز"}, overwrite=True) is True
    assert ledger.apply(record, {"phones": ["+989121000001"]}, overwrite=True) is False


# --- companies the importer may see -------------------------------------------------------

COMPANY_HEADERS = ["نام", "نام خانوادگی", "موبایل", "شرکت"]


def test_a_company_the_importer_cannot_see_is_never_linked(
    sales_user: User, outsider: User, tmp_path: Path
) -> None:
    hidden = make_company(outsider, name="شرکت آلفا")
    assert not companies_visible_to(sales_user).filter(pk=hidden.pk).exists()
    rows = [["علی", "رضایی", "09121000011", "شركت آلفا"], ["سارا", "نوری", "09121000012", ""]]
    path = write_csv(tmp_path / "hidden.csv", COMPANY_HEADERS, rows)

    job = run_import(sales_user, path)

    assert counts(job) == {"created": 2, "updated": 0, "skipped": 0, "rejected": 0}
    ali = by_phone("+989121000011")
    assert ali.company is not None
    assert ali.company.pk != hidden.pk
    assert (ali.company.name, ali.company.owner_id) == ("شرکت آلفا", sales_user.pk)
    assert Company.objects.count() == 2
    assert not Contact.objects.filter(company=hidden).exists()
    assert not Event.objects.filter(company=hidden).exclude(verb="company.created").exists()


def test_a_visible_company_is_linked_and_the_oldest_wins(
    sales_user: User, outsider: User, make_user: Callable[..., User], team: Team, tmp_path: Path
) -> None:
    make_company(outsider, name="شرکت آلفا")
    teammate = make_user(role=Role.SALES, teams=(team,))
    oldest = make_company(teammate, name="شركت آلفا")
    make_company(sales_user, name="شرکت  آلفا")
    rows = [["علی", "رضایی", "09121000011", "شرکت آلفا"]]

    run_import(sales_user, write_csv(tmp_path / "visible.csv", COMPANY_HEADERS, rows))

    assert by_phone("+989121000011").company == oldest
    assert Company.objects.count() == 3


def test_companies_a_run_creates_for_another_owner_are_reused_across_batches(
    sales_user: User,
    make_user: Callable[..., User],
    team: Team,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Companies are private to their owner: the importer cannot see those it creates for
    # a teammate, yet the run links its own new company again instead of making another.
    VisibilityPolicy.objects.create(object_type="company", level=VisibilityLevel.PRIVATE)
    teammate = make_user(role=Role.SALES, teams=(team,))
    monkeypatch.setattr(engine, "BATCH_SIZE", 1)
    rows = [
        ["علی", "رضایی", "09121000011", "شرکت بتا"],
        ["سارا", "نوری", "09121000012", "شرکت بتا"],
    ]

    job = run_import(
        sales_user, write_csv(tmp_path / "beta.csv", COMPANY_HEADERS, rows), owner=teammate
    )

    assert counts(job) == {"created": 2, "updated": 0, "skipped": 0, "rejected": 0}
    company = Company.objects.get()
    assert company.owner == teammate
    assert set(company.people.values_list("first_name", flat=True)) == {"علی", "سارا"}


def test_overwrite_keeps_a_contact_at_its_hidden_company_of_the_same_name(
    sales_user: User, outsider: User, tmp_path: Path
) -> None:
    hidden = make_company(outsider, name="شرکت آلفا")
    contact = make_contact(sales_user, phones=["09121000011"], company=hidden)
    rows = [["علی", "رضایی", "09121000011", "شرکت آلفا"]]
    path = write_csv(tmp_path / "again.csv", COMPANY_HEADERS, rows)

    preview = run_import(sales_user, path, dry_run=True, policy=DuplicatePolicy.OVERWRITE)
    job = run_import(sales_user, path, policy=DuplicatePolicy.OVERWRITE)

    # Names differ from the factory's, so the contact is updated, but keeps its company.
    assert counts(job) == {"created": 0, "updated": 1, "skipped": 0, "rejected": 0}
    assert counts(preview) == counts(job)
    contact.refresh_from_db()
    assert contact.company == hidden
    assert Company.objects.count() == 1
