"""A survey comment that reads as negative opens the follow-up task even with a fair score;
the comment's sentiment is in the answer's event; a broken plugged-in analyzer never stops
the customer's answer."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from peyvand.accounts.models import Role, User
from peyvand.feedback.models import Survey
from peyvand.feedback.surveys import survey_answer
from peyvand.intelligence.sentiment import SentimentResult
from peyvand.timeline.models import Event, Task

pytestmark = pytest.mark.django_db


def _last_payload() -> dict[str, Any]:
    event = Event.objects.filter(verb="feedback.csat_answered").order_by("id").last()
    assert event is not None
    return event.payload  # type: ignore[no-any-return]


def test_a_negative_comment_with_a_fair_score_opens_one_task(
    survey_of: Callable[..., Survey], make_user: Callable[..., User]
) -> None:
    # English, since the lead merges the Farsi of the new title into the catalog later.
    agent = make_user(role=Role.SUPPORT, language="en")
    survey = survey_of(assignee=agent)
    survey_answer(survey=survey, score=4, comment="کالا رسید ولی جعبه‌اش شکسته بود 😞")
    survey_answer(survey=survey, comment="پشتیبانی هم جواب نمی‌ده")

    task = Task.objects.get()
    survey.refresh_from_db()
    assert survey.follow_up_task == task and task.assignee == agent
    number = survey.ticket_id
    assert task.title == f"Call the customer about a negative comment on ticket #{number}"
    assert task.description.splitlines() == [
        "Ticket: سفارش ۱۲۳ نرسیده",
        "Satisfaction: 4 of 5",
        "Comment: کالا رسید ولی جعبه‌اش شکسته بود 😞",
    ]
    assert _last_payload()["comment_sentiment"] == "negative"
    assert _last_payload()["follow_up_task"] == task.pk


@pytest.mark.parametrize(
    ("comment", "sentiment"),
    [("خیلی سریع و مودبانه رسیدگی کردند، ممنون", "positive"), ("فاکتور رو ایمیل کنید", "neutral")],
)
def test_other_comments_open_no_task(
    survey_of: Callable[..., Survey], comment: str, sentiment: str
) -> None:
    survey = survey_of()
    survey_answer(survey=survey, score=5, comment=comment)
    assert Task.objects.count() == 0
    assert _last_payload()["comment_sentiment"] == sentiment


class AlwaysNegative:
    def analyze(self, texts: Sequence[str]) -> list[SentimentResult]:
        return [SentimentResult(label="negative", score=-0.9, confidence=0.9) for _ in texts]


class Failing:
    def analyze(self, texts: Sequence[str]) -> list[SentimentResult]:
        raise RuntimeError("model file missing")


def test_the_configured_analyzer_decides(survey_of: Callable[..., Survey], settings: Any) -> None:
    settings.PEYVAND_SENTIMENT_ANALYZER = f"{__name__}.AlwaysNegative"
    survey = survey_of()
    survey_answer(survey=survey, score=5, comment="عالی بود")
    assert Task.objects.count() == 1
    assert _last_payload()["comment_sentiment"] == "negative"


def test_a_failing_analyzer_is_logged_and_the_answer_kept(
    survey_of: Callable[..., Survey], settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.PEYVAND_SENTIMENT_ANALYZER = f"{__name__}.Failing"
    survey = survey_of()
    with caplog.at_level(logging.ERROR, logger="peyvand.feedback.surveys"):
        survey = survey_answer(survey=survey, score=5, comment="بد بود")
    assert survey.score == 5 and survey.comment == "بد بود"
    assert Task.objects.count() == 0
    assert _last_payload()["comment_sentiment"] is None
    assert "could not be measured" in caplog.text
