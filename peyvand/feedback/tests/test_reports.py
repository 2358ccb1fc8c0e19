"""The satisfaction report on hand-made surveys: CSAT %, averages and response rate per
Jalali month (Tehran midnight boundaries), agent and team, the latest low scores,
visibility, permissions, CSV and a query count that does not grow with the surveys."""

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
from peyvand.feedback.models import Survey
from peyvand.feedback.reports import CsatRow, csat_report, low_scores, surveys_for_tickets
from peyvand.feedback.surveys import survey_answer
from peyvand.service.reports import JalaliMonth, MonthRange
from peyvand.service.selectors import tickets_visible_to

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")
PERIOD = MonthRange(JalaliMonth(1405, 1), JalaliMonth(1405, 2))
URL = "/feedback/reports/?start=1405/01&end=1405/02"


@pytest.fixture
def answered(survey_of: Callable[..., Survey], make_user: Callable[..., User]) -> dict[str, Any]:
    technical = Team.objects.create(name="پشتیبانی فنی")
    billing = Team.objects.create(name="مالی")
    ali = make_user(role=Role.SUPPORT, teams=(technical,), first_name="علی", last_name="احمدی")
    sara = make_user(role=Role.SUPPORT, teams=(billing,), first_name="سارا", last_name="کریمی")

    def make(
        created: datetime.datetime, agent: User, team: Team, score: int | None, effort: int | None
    ) -> Survey:
        survey = survey_of(assignee=agent, team=team)
        if score is not None:
            survey = survey_answer(survey=survey, score=score, effort=effort, comment="نظر")
        Survey.objects.filter(pk=survey.pk).update(created_at=created.replace(tzinfo=TEHRAN))
        return survey

    dt = datetime.datetime
    first = make(dt(2026, 3, 25, 10), ali, technical, 5, 6)
    low = make(dt(2026, 4, 2, 10), ali, technical, 2, 3)
    make(dt(2026, 4, 21, 0, 15), sara, billing, 4, 7)  # 1 Ordibehesht, 00:15 Tehran
    make(dt(2026, 4, 25, 9), sara, billing, None, None)  # sent, never answered
    lowest = make(dt(2026, 4, 20, 23, 30), ali, technical, 1, None)  # 31 Farvardin
    make(dt(2026, 5, 22, 9), ali, technical, 5, 7)  # Khordad: outside
    return {"billing": billing, "first": first, "low": low, "lowest": lowest}


def figures(row: CsatRow) -> tuple[Any, ...]:
    return (
        row.label,
        row.sent,
        row.answered,
        row.csat_percent,
        row.average_score,
        row.average_effort,
        row.response_percent,
    )


def test_exact_figures_per_month_agent_and_team(answered: dict[str, Any], admin_user: User) -> None:
    surveys = surveys_for_tickets(tickets_visible_to(admin_user))
    with translation.override("fa"):
        report = csat_report(surveys, PERIOD)
    assert figures(report.total) == ("همهٔ نظرسنجی‌ها", 5, 4, 50.0, 3.0, 5.33, 80.0)
    assert [figures(row) for row in report.by_month] == [
        ("فروردین ۱۴۰۵", 3, 3, 33.3, 2.67, 4.5, 100.0),
        ("اردیبهشت ۱۴۰۵", 2, 1, 100.0, 4.0, 7.0, 50.0),
    ]
    assert [figures(row) for row in report.by_agent] == [
        ("علی احمدی", 3, 3, 33.3, 2.67, 4.5, 100.0),
        ("سارا کریمی", 2, 1, 100.0, 4.0, 7.0, 50.0),
    ]
    assert [figures(row) for row in report.by_team] == [
        ("پشتیبانی فنی", 3, 3, 33.3, 2.67, 4.5, 100.0),
        ("مالی", 2, 1, 100.0, 4.0, 7.0, 50.0),
    ]
    assert low_scores(surveys, PERIOD) == [answered["lowest"], answered["low"]]


def test_only_surveys_of_visible_tickets_count(
    answered: dict[str, Any], make_user: Callable[..., User]
) -> None:
    colleague = make_user(role=Role.SUPPORT, teams=(answered["billing"],))
    surveys = surveys_for_tickets(tickets_visible_to(colleague))
    report = csat_report(surveys, PERIOD)
    assert figures(report.total)[1:] == (2, 1, 100.0, 4.0, 7.0, 50.0)
    assert low_scores(surveys, PERIOD) == []


def test_the_page_shows_the_figures_and_costs_the_same_queries_for_more_surveys(
    answered: dict[str, Any],
    admin_user: User,
    logged_in: Callable[[User], Client],
    survey_of: Callable[..., Survey],
) -> None:
    client = logged_in(admin_user)
    with CaptureQueriesContext(connection) as first:
        response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="total-csat">۵۰.۰٪<' in html
    assert 'id="total-score">۳.۰۰<' in html
    assert 'id="total-effort">۵.۳۳<' in html
    assert 'id="total-response">۸۰.۰٪<' in html
    assert f'data-survey="{answered["lowest"].pk}"' in html
    for _ in range(5):
        survey = survey_of()
        survey_answer(survey=survey, score=1)
        Survey.objects.filter(pk=survey.pk).update(
            created_at=datetime.datetime(2026, 4, 3, 9, tzinfo=TEHRAN)
        )
    with CaptureQueriesContext(connection) as second:
        assert client.get(URL).status_code == 200
    assert len(second.captured_queries) == len(first.captured_queries)


def test_each_table_downloads_as_csv(
    answered: dict[str, Any], admin_user: User, logged_in: Callable[[User], Client]
) -> None:
    response = logged_in(admin_user).get(URL + "&download=month")
    assert response["Content-Disposition"] == (
        'attachment; filename="csat-month-1405-01-1405-02.csv"'
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert list(csv.reader(io.StringIO(text))) == [
        [
            "ماه",
            "ارسال‌شده",
            "پاسخ داده شد",
            "درصد پاسخ‌دهی",
            "درصد رضایت (CSAT)",
            "میانگین رضایت (CSAT)",
            "میانگین سهولت (CES)",
        ],
        ["فروردین ۱۴۰۵", "3", "3", "100", "33.3", "2.67", "4.5"],
        ["اردیبهشت ۱۴۰۵", "2", "1", "50", "100", "4", "7"],
    ]


def test_signing_in_is_required(client: Client) -> None:
    response = client.get("/feedback/reports/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_ticket_include_shows_scores_comment_and_jalali_date(
    answered: dict[str, Any],
) -> None:
    from django.template.loader import render_to_string

    survey = answered["low"]
    Survey.objects.filter(pk=survey.pk).update(
        answered_at=datetime.datetime(2026, 4, 2, 10, 5, tzinfo=TEHRAN)
    )
    with translation.override("fa"):
        html = render_to_string("feedback/_ticket_feedback.html", {"ticket": survey.ticket})
    assert 'data-score="2"' in html and "۲ از ۵" in html
    assert 'data-effort="3"' in html and "سهولت (CES): ۳ از ۷" in html
    assert "نظر" in html
    assert "۱۴۰۵/۰۱/۱۳ ۱۰:۰۵" in html
    assert f'href="/tasks/{survey.follow_up_task_id}/"' in html


def test_answers_to_surveys_never_emailed_do_not_lift_the_response_rate(
    survey_of: Callable[..., Survey],
    admin_user: User,
    logged_in: Callable[[User], Client],
    settings: Any,
) -> None:
    """The portal links to a survey whose email failed; its answer counts as an answer
    (CSAT) but not as a response to a sent survey."""
    emailed_answered = survey_of()
    emailed_silent = survey_of()
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9  # these two emails never leave
    unsent = [survey_of(), survey_of()]
    settings.EMAIL_PORT = port
    assert [survey.sent_at is None for survey in (emailed_answered, emailed_silent, *unsent)] == [
        False,
        False,
        True,
        True,
    ]
    customer = Client()
    for survey, score in ((emailed_answered, 5), (unsent[0], 4), (unsent[1], 1)):
        response = customer.post(f"/feedback/{survey.token}/", {"score": str(score)})
        assert response.status_code == 302
    Survey.objects.update(created_at=datetime.datetime(2026, 4, 5, 10, tzinfo=TEHRAN))

    report = csat_report(surveys_for_tickets(tickets_visible_to(admin_user)), PERIOD)
    assert (report.total.sent, report.total.answered, report.total.answered_sent) == (2, 3, 1)
    assert report.total.response_percent == 50.0
    assert report.total.csat_percent == 66.7
    html = logged_in(admin_user).get(URL).content.decode()
    assert 'id="total-response">۵۰.۰٪<' in html
    assert "۱ از ۲" in html
