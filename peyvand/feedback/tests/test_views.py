"""The customer's public survey pages over HTTP: the link from the email shows the score
chosen and records nothing until the POST; then the ease question and a comment; unknown,
guessed or expired tokens are a 404 page in Farsi; CSRF; the per-address limit on unknown
tokens."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from peyvand.feedback.models import Survey
from peyvand.timeline.models import Event, Task

pytestmark = pytest.mark.django_db


def test_the_email_link_preselects_the_score_and_records_nothing_by_get(
    client: Client, survey_of: Callable[..., Survey]
) -> None:
    survey = survey_of()
    response = client.get(f"/feedback/{survey.token}/?score=2")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    assert 'data-auto-submit="1"' in html
    checked = re.findall(r'<input type="radio" name="score" value="(\d)"[^>]* checked>', html)
    assert checked == ["2"]
    assert 'name="csrfmiddlewaretoken"' in html
    assert "از پشتیبانی ما چقدر راضی هستید؟" in html
    survey.refresh_from_db()
    assert survey.score is None
    assert not Event.objects.filter(verb="feedback.csat_answered").exists()


def test_posting_the_score_records_it_then_asks_for_ease_and_a_comment(
    client: Client, survey_of: Callable[..., Survey]
) -> None:
    survey = survey_of()
    response = client.post(f"/feedback/{survey.token}/", {"score": "2"})
    assert response.status_code == 302
    assert response["Location"] == f"/feedback/{survey.token}/details/"
    survey.refresh_from_db()
    assert survey.score == 2
    assert Task.objects.count() == 1

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "شرکت رسیدگی به مشکلم را برایم آسان کرد." in page.content.decode()

    response = client.post(
        f"/feedback/{survey.token}/details/", {"effort": "3", "comment": "دير  جواب دادند"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/feedback/{survey.token}/thanks/"
    survey.refresh_from_db()
    assert (survey.score, survey.effort, survey.comment) == (2, 3, "دیر جواب دادند")
    assert Task.objects.count() == 1
    thanks = client.get(response["Location"])
    assert "از نظر شما سپاسگزاریم" in thanks.content.decode()

    # Clicking another link in the same email changes the score; nothing is duplicated.
    client.post(f"/feedback/{survey.token}/", {"score": "5"})
    assert Survey.objects.get().score == 5
    assert Event.objects.filter(verb="feedback.csat_answered").count() == 3


def test_invalid_answers_show_the_reason_on_the_field(
    client: Client, survey_of: Callable[..., Survey]
) -> None:
    survey = survey_of()
    response = client.post(f"/feedback/{survey.token}/", {"score": "9"})
    assert response.status_code == 422
    assert 'data-error-for="score"' in response.content.decode()
    client.post(f"/feedback/{survey.token}/", {"score": "4"})
    response = client.post(f"/feedback/{survey.token}/details/", {"comment": "ب" * 1001})
    assert response.status_code == 422
    assert 'data-error-for="comment"' in response.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (4, "")


def test_the_details_page_needs_a_score_first(
    client: Client, survey_of: Callable[..., Survey]
) -> None:
    survey = survey_of()
    response = client.get(f"/feedback/{survey.token}/details/")
    assert response.status_code == 302
    assert response["Location"] == f"/feedback/{survey.token}/"


@pytest.mark.parametrize("suffix", ["", "details/", "thanks/"])
def test_unknown_and_guessed_tokens_are_a_farsi_404(
    client: Client, survey_of: Callable[..., Survey], suffix: str
) -> None:
    survey = survey_of()
    for token in (str(survey.pk), str(survey.ticket_id), survey.token[:-1] + "x", "a" * 43):
        response = client.get(f"/feedback/{token}/{suffix}?score=1")
        assert response.status_code == 404
        assert 'data-reason="unknown"' in response.content.decode()
        assert "این پیوند نظرسنجی معتبر نیست." in response.content.decode()
    response = client.post(f"/feedback/{survey.pk}/{suffix}", {"score": "1"})
    assert response.status_code == 404
    survey.refresh_from_db()
    assert survey.score is None


def test_an_expired_survey_is_a_404_that_says_so(
    client: Client, survey_of: Callable[..., Survey]
) -> None:
    survey = survey_of()
    Survey.objects.filter(pk=survey.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    response = client.post(f"/feedback/{survey.token}/", {"score": "5"})
    assert response.status_code == 404
    assert "مهلت پاسخ به این نظرسنجی تمام شده است." in response.content.decode()
    assert 'data-reason="expired"' in response.content.decode()
    survey.refresh_from_db()
    assert survey.score is None


def test_posting_without_the_csrf_token_is_refused(survey_of: Callable[..., Survey]) -> None:
    survey = survey_of()
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/feedback/{survey.token}/", {"score": "1"}).status_code == 403
    page = strict.get(f"/feedback/{survey.token}/?score=1")
    token = page.cookies["csrftoken"].value
    response = strict.post(
        f"/feedback/{survey.token}/", {"score": "1", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert Survey.objects.get().score == 1


def test_only_unknown_tokens_count_against_the_client_address(
    client: Client, survey_of: Callable[..., Survey], settings: object
) -> None:
    survey = survey_of()
    settings.PEYVAND_SURVEY_REQUESTS_PER_ADDRESS = 3  # type: ignore[attr-defined]
    guesses = [f"/feedback/{'b' * 43}/", "/feedback/short/", f"/feedback/{'c' * 43}/details/"]
    statuses = [client.get(url).status_code for url in guesses]
    response = client.get(f"/feedback/{'d' * 43}/thanks/")
    assert statuses == [404, 404, 404]
    assert response.status_code == 429
    assert 'data-reason="throttled"' in response.content.decode()
    # The address's own survey still opens and takes the answer.
    assert client.get(f"/feedback/{survey.token}/").status_code == 200
    response = client.post(f"/feedback/{survey.token}/", {"score": "5"})
    assert (response.status_code, response["Location"]) == (
        302,
        f"/feedback/{survey.token}/details/",
    )
    survey.refresh_from_db()
    assert survey.score == 5
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get(f"/feedback/{'b' * 43}/").status_code == 404


def test_many_customers_behind_one_address_are_never_turned_away(
    survey_of: Callable[..., Survey], settings: object
) -> None:
    """Carrier NAT: one client address for many customers opening their own surveys."""
    settings.PEYVAND_SURVEY_REQUESTS_PER_ADDRESS = 2  # type: ignore[attr-defined]
    surveys = [survey_of() for _ in range(3)]
    shared = Client(REMOTE_ADDR="10.20.30.40")
    statuses = [
        shared.get(f"/feedback/{survey.token}/{suffix}").status_code
        for survey in surveys
        for suffix in ("", "?score=4", "")
    ]
    assert statuses == [200] * 9
    # The expired-survey page is a real token too: it does not count either.
    Survey.objects.filter(pk=surveys[0].pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    expired = [shared.get(f"/feedback/{surveys[0].token}/").status_code for _ in range(3)]
    assert expired == [404, 404, 404]
    assert shared.get(f"/feedback/{'b' * 43}/").status_code == 404
    assert shared.get(f"/feedback/{'b' * 43}/").status_code == 404
    assert shared.get(f"/feedback/{'b' * 43}/").status_code == 429
