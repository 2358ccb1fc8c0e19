"""The customer's answers through ``survey_answer``: ranges, comment cleaning, updating
instead of duplicating, expiry, the timeline event, and one follow-up task for a low
score (to the assignee, else the team's manager)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from peyvand.accounts.models import Role, Team, User
from peyvand.common.persian import to_persian_digits
from peyvand.feedback.models import Survey
from peyvand.feedback.surveys import survey_answer
from peyvand.timeline.models import Event, Task

pytestmark = pytest.mark.django_db


def _errors(excinfo: Any) -> dict[str, list[str]]:
    return excinfo.value.message_dict  # type: ignore[no-any-return]


def test_a_score_is_recorded_with_an_event_on_the_ticket_and_the_timeline(
    survey_of: Callable[..., Survey],
) -> None:
    survey = survey_of()
    survey = survey_answer(survey=survey, score=4)

    assert survey.score == 4 and survey.effort is None and survey.answered_at is not None
    event = Event.objects.get(verb="feedback.csat_answered")
    assert (event.subject_type, event.subject_id) == ("ticket", survey.ticket_id)
    assert event.contact_id == survey.contact_id and event.contact_id is not None
    assert event.actor_id is None
    assert event.summary == "CSAT 4/5"
    assert event.payload == {
        "survey": survey.pk,
        "ticket": survey.ticket_id,
        "score": 4,
        "effort": None,
        "comment": "",
        "previous": None,
        "follow_up_task": None,
        "comment_sentiment": None,
    }
    assert Task.objects.count() == 0
    with translation.override("fa"):
        assert event.label == "مشتری به پشتیبانی امتیاز داد"


def test_answering_again_updates_the_same_survey(survey_of: Callable[..., Survey]) -> None:
    survey = survey_of()
    first = survey_answer(survey=survey, score=3)
    answered_at = first.answered_at
    survey_answer(survey=survey, effort=6, comment="خیلی  خوب بود")
    survey_answer(survey=survey, score=5)
    survey_answer(survey=survey, score=5)  # no change: no event

    survey.refresh_from_db()
    assert (survey.score, survey.effort, survey.comment) == (5, 6, "خیلی خوب بود")
    assert survey.answered_at == answered_at
    assert Survey.objects.count() == 1
    events = Event.objects.filter(verb="feedback.csat_answered").order_by("id")
    assert [event.summary for event in events] == [
        "CSAT 3/5",
        "CSAT 3/5 · CES 6/7",
        "CSAT 5/5 · CES 6/7",
    ]
    assert events.last().payload["previous"] == {  # type: ignore[union-attr]
        "score": 3,
        "effort": 6,
        "comment": "خیلی خوب بود",
    }


@pytest.mark.parametrize("score", [0, 6, -1, "abc", "۳.۵"])
def test_a_score_outside_one_to_five_is_refused(
    survey_of: Callable[..., Survey], score: Any
) -> None:
    survey = survey_of()
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        survey_answer(survey=survey, score=score)
    assert _errors(excinfo) == {"score": ["Choose a number from 1 to 5."]}
    with translation.override("fa"), pytest.raises(ValidationError) as excinfo:
        survey_answer(survey=survey, score=score)
    assert _errors(excinfo) == {"score": ["عددی از ۱ تا ۵ انتخاب کنید."]}
    survey.refresh_from_db()
    assert survey.score is None


def test_persian_digits_are_read_as_numbers(survey_of: Callable[..., Survey]) -> None:
    survey = survey_answer(survey=survey_of(), score="۴", effort="۷")
    assert (survey.score, survey.effort) == (4, 7)


def test_the_ease_is_one_to_seven_and_needs_a_score_first(
    survey_of: Callable[..., Survey],
) -> None:
    survey = survey_of()
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        survey_answer(survey=survey, effort=5)
    assert _errors(excinfo) == {"score": ["Choose a score."]}
    survey_answer(survey=survey, score=4)
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        survey_answer(survey=survey, effort=8)
    assert _errors(excinfo) == {"effort": ["Choose a number from 1 to 7."]}


def test_the_comment_is_cleaned_and_limited(survey_of: Callable[..., Survey]) -> None:
    survey = survey_of()
    survey = survey_answer(
        survey=survey, score=4, comment="  پاسخ  كاركنان\u200c خيلي سريع بود  \n\n\n\nممنون "
    )
    assert survey.comment == "پاسخ کارکنان خیلی سریع بود\n\nممنون"
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        survey_answer(survey=survey, comment="ا" * 1001)
    assert _errors(excinfo) == {"comment": ["At most 1000 characters."]}
    survey_answer(survey=survey, comment="ا" * 1000)
    survey.refresh_from_db()
    assert len(survey.comment) == 1000


def test_an_expired_survey_refuses_answers(survey_of: Callable[..., Survey]) -> None:
    survey = survey_of()
    Survey.objects.filter(pk=survey.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        survey_answer(survey=survey, score=5)
    assert _errors(excinfo) == {"score": ["This survey has expired."]}
    assert not Event.objects.filter(verb="feedback.csat_answered").exists()


def test_a_low_score_opens_one_follow_up_task_for_the_assignee(
    survey_of: Callable[..., Survey], make_user: Callable[..., User]
) -> None:
    agent = make_user(role=Role.SUPPORT, language="fa")
    survey = survey_of(assignee=agent)
    survey_answer(survey=survey, score=2)
    survey_answer(survey=survey, score=1, comment="کسی جواب نداد")
    survey_answer(survey=survey, effort=1)

    task = Task.objects.get()
    survey.refresh_from_db()
    assert survey.follow_up_task == task
    assert task.assignee == agent
    assert task.contact_id == survey.contact_id
    assert task.priority == "high" and task.status == "open"
    number = to_persian_digits(str(survey.ticket_id))
    assert task.title == f"تماس با مشتری دربارهٔ امتیاز پایین درخواست #{number}"
    assert task.description.splitlines() == [
        "درخواست: سفارش ۱۲۳ نرسیده",
        "رضایت: ۲ از ۵",
    ]
    last = Event.objects.filter(verb="feedback.csat_answered").order_by("id").last()
    assert last is not None and last.payload["follow_up_task"] == task.pk
    assert Event.objects.filter(verb="task.created", subject_id=task.pk).count() == 1


def test_a_hard_effort_alone_opens_a_task(
    survey_of: Callable[..., Survey], make_user: Callable[..., User]
) -> None:
    agent = make_user(role=Role.SUPPORT)
    survey = survey_of(assignee=agent)
    survey_answer(survey=survey, score=4, effort=3)
    assert Task.objects.count() == 0
    survey_answer(survey=survey, effort=2)
    assert Task.objects.get().assignee == agent


def test_an_unassigned_ticket_goes_to_the_team_manager(
    survey_of: Callable[..., Survey], make_user: Callable[..., User]
) -> None:
    desk = Team.objects.create(name="پشتیبانی")
    make_user(role=Role.SUPPORT, teams=(desk,))
    make_user(role=Role.MANAGER, teams=(desk,), is_active=False)
    manager = make_user(role=Role.MANAGER, teams=(desk,))
    survey = survey_of(team=desk)
    survey_answer(survey=survey, score=1)
    assert Task.objects.get().assignee == manager


def test_good_scores_open_no_task(survey_of: Callable[..., Survey]) -> None:
    survey = survey_of()
    for score in (3, 4, 5):
        survey_answer(survey=survey, score=score, effort=3)
    assert Task.objects.count() == 0
