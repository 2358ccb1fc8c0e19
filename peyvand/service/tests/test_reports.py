"""The SLA report on a hand-made set of tickets: exact percentages per team, agent,
priority and Jalali month (two tickets on the same UTC day fall in different Jalali months
in Tehran), visibility, permissions, CSV downloads and a query count that does not grow
with the tickets."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from peyvand.accounts.models import Role, Team, User
from peyvand.service.reports import JalaliMonth, MonthRange, SlaRow, sla_report
from peyvand.service.selectors import tickets_visible_to
from peyvand.service.tickets import ticket_create

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")
PERIOD = MonthRange(JalaliMonth(1405, 1), JalaliMonth(1405, 2))
HOUR = datetime.timedelta(hours=1)


def tehran(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=TEHRAN)


def make_ticket(
    created: datetime.datetime,
    *,
    team: Team | None = None,
    assignee: User | None = None,
    priority: str = "normal",
    response: str = "",  # "met", "late" (answered late), "missed" (breached, unanswered)
    resolution: str = "",
    with_policy: bool = True,
    **extra: Any,
) -> int:
    ticket = ticket_create(
        actor=None,
        values={"subject": "درخواست", "team": team, "assignee": assignee, "priority": priority},
        body="متن",
        channel="email",
    )
    values: dict[str, Any] = {
        "created_at": created,
        "first_response_due": created + 4 * HOUR if with_policy else None,
        "resolution_due": created + 24 * HOUR if with_policy else None,
        "first_responded_at": created + HOUR if response in {"met", "late"} else None,
        "first_response_breached": response in {"late", "missed"},
        "resolved_at": created + 2 * HOUR if resolution in {"met", "late"} else None,
        "resolution_breached": resolution in {"late", "missed"},
        **extra,
    }
    type(ticket).objects.filter(pk=ticket.pk).update(**values)
    return ticket.pk


@pytest.fixture
def desk(make_user: Callable[..., User]) -> dict[str, Any]:
    """Six tickets in Farvardin–Ordibehesht 1405, three that must not count."""
    technical = Team.objects.create(name="پشتیبانی فنی")
    billing = Team.objects.create(name="مالی")
    ali = make_user(role=Role.SUPPORT, teams=(technical,), first_name="علی", last_name="احمدی")
    sara = make_user(role=Role.SUPPORT, teams=(billing,), first_name="سارا", last_name="کریمی")
    make_ticket(
        tehran(2026, 3, 30, 10),
        team=technical,
        assignee=ali,
        priority="high",
        response="met",
        resolution="met",
    )
    # 31 Farvardin 23:30 and 1 Ordibehesht 00:15 in Tehran: the same UTC day (20 April).
    make_ticket(
        tehran(2026, 4, 20, 23, 30), team=technical, assignee=ali, response="late", resolution="met"
    )
    make_ticket(
        tehran(2026, 4, 21, 0, 15), team=billing, assignee=sara, response="met", resolution="late"
    )
    make_ticket(
        tehran(2026, 4, 25, 9), team=billing, assignee=sara, priority="urgent", response="missed"
    )
    make_ticket(tehran(2026, 4, 30, 9), team=technical, priority="low", response="met")
    make_ticket(tehran(2026, 5, 2, 9), assignee=ali, response="met", with_policy=False)
    # Not counted: after the period, the last minute before it, and a merged duplicate.
    make_ticket(tehran(2026, 5, 22, 0, 0), team=technical, assignee=ali, response="late")
    make_ticket(tehran(2026, 3, 20, 23, 59), team=technical, assignee=ali, response="late")
    survivor = make_ticket(tehran(2026, 4, 1, 9), team=technical, response="met")
    make_ticket(tehran(2026, 4, 1, 10), team=billing, response="late", merged_into_id=survivor)
    return {"technical": technical, "billing": billing, "ali": ali, "sara": sara}


def figures(row: SlaRow) -> tuple[str, int, int, int, float | None, int, int, float | None]:
    return (
        row.label,
        row.tickets,
        row.responses,
        row.responses_met,
        row.response_percent,
        row.resolutions,
        row.resolutions_met,
        row.resolution_percent,
    )


def test_month_boundaries_are_tehran_midnights() -> None:
    edges = PERIOD.boundaries()
    assert [edge.astimezone(datetime.UTC) for edge in edges] == [
        datetime.datetime(2026, 3, 20, 20, 30, tzinfo=datetime.UTC),
        datetime.datetime(2026, 4, 20, 20, 30, tzinfo=datetime.UTC),
        datetime.datetime(2026, 5, 21, 20, 30, tzinfo=datetime.UTC),
    ]


def test_exact_figures_per_team_agent_priority_and_month(
    desk: dict[str, Any], admin_user: User
) -> None:
    # The survivor of the merge (12 Farvardin, technical, unassigned, met) counts.
    with translation.override("fa"):
        report = sla_report(tickets_visible_to(admin_user), PERIOD)

    assert figures(report.total) == ("همهٔ درخواست‌ها", 7, 6, 4, 66.7, 3, 2, 66.7)
    assert [figures(row) for row in report.by_team] == [
        ("پشتیبانی فنی", 4, 4, 3, 75.0, 2, 2, 100.0),
        ("مالی", 2, 2, 1, 50.0, 1, 0, 0.0),
        ("بدون تیم", 1, 0, 0, None, 0, 0, None),
    ]
    assert [figures(row) for row in report.by_agent] == [
        ("علی احمدی", 3, 2, 1, 50.0, 2, 2, 100.0),
        ("سارا کریمی", 2, 2, 1, 50.0, 1, 0, 0.0),
        ("بدون مسئول", 2, 2, 2, 100.0, 0, 0, None),
    ]
    assert [figures(row) for row in report.by_priority] == [
        ("فوری", 1, 1, 0, 0.0, 0, 0, None),
        ("بالا", 1, 1, 1, 100.0, 1, 1, 100.0),
        ("عادی", 4, 3, 2, 66.7, 2, 1, 50.0),
        ("پایین", 1, 1, 1, 100.0, 0, 0, None),
    ]
    assert [figures(row) for row in report.by_month] == [
        ("فروردین ۱۴۰۵", 3, 3, 2, 66.7, 2, 2, 100.0),
        ("اردیبهشت ۱۴۰۵", 4, 3, 2, 66.7, 1, 0, 0.0),
    ]


def test_an_agent_sees_the_figures_of_the_tickets_they_may_see(
    desk: dict[str, Any], make_user: Callable[..., User]
) -> None:
    colleague = make_user(role=Role.SUPPORT, teams=(desk["billing"],))
    report = sla_report(tickets_visible_to(colleague), PERIOD)
    assert (report.total.tickets, report.total.responses, report.total.responses_met) == (2, 2, 1)
    assert [row.label for row in report.by_team] == ["مالی"]


def test_the_page_shows_the_tables_and_costs_the_same_queries_for_more_tickets(
    desk: dict[str, Any], admin_user: User, logged_in: Callable[[User], Client]
) -> None:
    client = logged_in(admin_user)
    url = "/service/reports/?start=۱۴۰۵/۰۱&end=1405/02"
    with CaptureQueriesContext(connection) as first:
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="total-response">۶۶.۷٪</div><div class="small text-muted">۴ از ۶<' in html
    assert "فروردین ۱۴۰۵" in html and "اردیبهشت ۱۴۰۵" in html
    for _ in range(10):
        make_ticket(
            tehran(2026, 4, 10, 9),
            team=desk["billing"],
            assignee=desk["sara"],
            priority="high",
            response="met",
            resolution="late",
        )
    with CaptureQueriesContext(connection) as second:
        assert client.get(url).status_code == 200
    assert len(second.captured_queries) == len(first.captured_queries)


def test_each_table_downloads_as_csv(
    desk: dict[str, Any], admin_user: User, logged_in: Callable[[User], Client]
) -> None:
    client = logged_in(admin_user)
    response = client.get("/service/reports/?start=1405/01&end=1405/02&download=team")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="sla-team-1405-01-1405-02.csv"'
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        [
            "تیم",
            "تیکت‌ها",
            "پاسخ‌های اول",
            "به‌موقع",
            "درصد به‌موقع",
            "حل‌شده‌ها",
            "به‌موقع",
            "درصد به‌موقع",
        ],
        ["پشتیبانی فنی", "4", "4", "3", "75.0", "2", "2", "100.0"],
        ["مالی", "2", "2", "1", "50.0", "1", "0", "0.0"],
        ["بدون تیم", "1", "0", "0", "", "0", "0", ""],
    ]
    for table in ("agent", "priority", "month"):
        response = client.get(f"/service/reports/?start=1405/01&end=1405/02&download={table}")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_a_wrong_month_range_says_why_and_shows_the_default(
    admin_user: User, logged_in: Callable[[User], Client]
) -> None:
    client = logged_in(admin_user)
    html = client.get("/service/reports/?start=1405/13&end=1405/02").content.decode()
    assert 'data-error-for="start"' in html
    assert "یک ماه شمسی مانند ۱۴۰۵/۰۱ وارد کنید." in html
    html = client.get("/service/reports/?start=1405/05&end=1405/02").content.decode()
    assert "ماه پایان نباید پیش از ماه شروع باشد." in html


def test_signing_in_is_required(client: Client) -> None:
    response = client.get("/service/reports/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_nav_links_the_reports(admin_user: User, logged_in: Callable[[User], Client]) -> None:
    html = logged_in(admin_user).get("/service/reports/").content.decode()
    assert 'href="/service/reports/"' in html
    assert 'href="/feedback/reports/"' in html
