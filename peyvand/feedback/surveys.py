"""Every write to a survey: creating it when a ticket is resolved (once per resolution),
emailing it (once), and recording the customer's answers, which writes one event on the
ticket and the customer's timeline and, for a low score or a negative comment, one
follow-up task."""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role
from peyvand.common.persian import clean_persian, is_farsi, to_persian_digits
from peyvand.contacts.models import Channel, ConsentStatus, ContactConsent
from peyvand.contacts.selectors import contact_first_email
from peyvand.intelligence.sentiment import analyze_sentiment
from peyvand.service.models import Ticket, TicketStatus
from peyvand.timeline.events import event_record
from peyvand.timeline.services import task_create

from .models import (
    EFFORT_RANGE,
    MAX_COMMENT,
    SCORE_RANGES,
    Survey,
    SurveyChannel,
    SurveyKind,
    is_low_answer,
)
from .selectors import survey_is_open

if TYPE_CHECKING:
    from peyvand.accounts.models import User

logger = logging.getLogger(__name__)

# A send that failed is tried again by the worker until this many attempts in all.
MAX_SEND_ATTEMPTS = 3


def survey_recipient(ticket: Ticket) -> str:
    """Where the survey goes: the address the customer wrote from, else the contact's first
    email; ``""`` when there is none."""
    return ticket.requester_email or contact_first_email(ticket.contact)


def _opted_out_of_email(ticket: Ticket, address: str) -> bool:
    """True when the contact, or any contact with this address, withdrew email consent.
    A survey is transactional, yet an explicit "no email" is respected."""
    withdrawn = ContactConsent.objects.filter(channel=Channel.EMAIL, status=ConsentStatus.WITHDRAWN)
    match = Q(contact__emails__address=address)
    if ticket.contact_id is not None:
        match |= Q(contact_id=ticket.contact_id)
    return withdrawn.filter(match).exists()


def survey_for_resolution(*, ticket_id: int, kind: str = SurveyKind.CSAT) -> Survey | None:
    """The survey of the ticket's current resolution, created on the first call.

    ``None`` when the ticket is not resolved (any more), has no email address to write to,
    or its customer opted out of email. The unique constraint on (ticket, kind,
    ``resolved_at``) makes a second call, a retried task or two workers at once find the
    same row instead of making another."""
    ticket = Ticket.objects.select_related("contact").filter(pk=ticket_id).first()
    if (
        ticket is None
        or ticket.resolved_at is None
        or ticket.status not in {TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ):
        return None
    key = {"ticket": ticket, "kind": kind, "resolved_at": ticket.resolved_at}
    existing = Survey.objects.filter(**key).first()
    if existing is not None:
        return existing
    address = survey_recipient(ticket)
    if not address or _opted_out_of_email(ticket, address):
        return None
    valid_for = datetime.timedelta(days=settings.PEYVAND_SURVEY_VALID_DAYS)
    try:
        with transaction.atomic():
            return Survey.objects.create(
                **key,
                contact=ticket.contact,
                agent_id=ticket.assignee_id,
                team_id=ticket.team_id,
                channel=SurveyChannel.EMAIL,
                recipient=address,
                expires_at=timezone.now() + valid_for,
            )
    except IntegrityError:
        return Survey.objects.get(**key)


def survey_url(survey: Survey, score: int | None = None) -> str:
    """The survey's public address (``PEYVAND_PUBLIC_URL`` + path), with a preselected
    score for the one-click links."""
    url = settings.PEYVAND_PUBLIC_URL + reverse("feedback:survey", args=[survey.token])
    return f"{url}?score={score}" if score is not None else url


def _survey_message(survey: Survey) -> EmailMultiAlternatives:
    """The survey email in Farsi: an RTL HTML part with five one-click links and a text
    part with the same links."""
    ticket = survey.ticket
    with translation.override("fa"):
        low, high = SCORE_RANGES[survey.kind]
        context = {
            "survey": survey,
            "ticket": ticket,
            "name": ticket.contact.full_name if ticket.contact else "",
            "company_name": settings.PEYVAND_COMPANY_NAME,
            "links": [
                (score, survey_url(survey, score), "★" * score)
                for score in range(high, low - 1, -1)
            ],
        }
        subject = _("How did we do? Your request #%(number)s") % {
            "number": to_persian_digits(str(ticket.pk))
        }
        text = render_to_string("feedback/email/survey.txt", context)
        html = render_to_string("feedback/email/survey.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[survey.recipient],
    )
    message.attach_alternative(html, "text/html")
    return message


def survey_send(*, survey: Survey) -> bool:
    """Email the survey unless it was sent (or is being sent) already; True when this call
    sent it. The row is claimed with a conditional ``UPDATE`` before the message leaves, so
    two workers never both send. Any failure releases the claim and records the error, so
    a later retry may try again (see ``surveys_send_pending``); a failure to reach the mail
    server (``OSError``) returns False, any other (a malformed address, a broken template)
    is raised again after that."""
    if survey.channel != SurveyChannel.EMAIL:
        return False  # SMS is sent by the messaging app once it exists.
    now = timezone.now()
    claimed = Survey.objects.filter(
        pk=survey.pk, sent_at__isnull=True, send_started_at__isnull=True
    ).update(send_started_at=now, send_attempts=F("send_attempts") + 1)
    if not claimed:
        return False
    survey = Survey.objects.select_related("ticket__contact", "ticket__company").get(pk=survey.pk)
    try:
        _survey_message(survey).send(fail_silently=False)
    except Exception as failure:
        Survey.objects.filter(pk=survey.pk).update(
            send_started_at=None, send_error=str(failure)[:300] or type(failure).__name__
        )
        if not isinstance(failure, OSError):
            raise
        logger.warning("survey %s could not be sent: %s", survey.pk, failure)
        return False
    ticket = survey.ticket
    with transaction.atomic():
        Survey.objects.filter(pk=survey.pk).update(sent_at=timezone.now(), send_error="")
        event_record(
            actor=None,
            verb=f"feedback.{survey.kind}_sent",
            subject=ticket,
            contact=ticket.contact,
            company=ticket.company,
            summary=ticket.subject,
            payload={"survey": survey.pk, "channel": survey.channel, "to": survey.recipient},
        )
    return True


def survey_after_resolution(ticket_id: int) -> Survey | None:
    """Create and send the survey of a ticket that was just resolved (the background task
    ``send_resolution_survey`` runs this; calling it again sends nothing twice)."""
    survey = survey_for_resolution(ticket_id=ticket_id)
    if survey is not None and survey.sent_at is None:
        survey_send(survey=survey)
    return survey


def surveys_send_pending(*, now: datetime.datetime | None = None) -> int:
    """Retry surveys whose sending failed (the worker, every few minutes); the number sent.

    Each is tried at most ``MAX_SEND_ATTEMPTS`` times in all, never once it expired, and
    only while its ticket is still resolved (or closed) at the same moment: a ticket the
    customer reopened gets a new survey when it is resolved again, not the old one; nor
    one the customer already answered through the portal. One
    survey that fails for a reason other than the mail server is logged and skipped, so it
    does not hold up the others."""
    moment = now or timezone.now()
    pending = Survey.objects.filter(
        channel=SurveyChannel.EMAIL,
        sent_at__isnull=True,
        send_started_at__isnull=True,
        send_attempts__gte=1,
        send_attempts__lt=MAX_SEND_ATTEMPTS,
        expires_at__gt=moment,
        ticket__status__in=(TicketStatus.RESOLVED, TicketStatus.CLOSED),
        ticket__resolved_at=F("resolved_at"),
        score__isnull=True,  # already answered through the portal's link
    )
    sent = 0
    for survey in pending.order_by("id")[:100]:
        try:
            if survey_send(survey=survey):
                sent += 1
        except Exception:
            logger.exception("survey %s could not be sent", survey.pk)
    return sent


def _digits(value: int | None) -> str:
    """A number in the active language's digits (``—`` for none)."""
    if value is None:
        return "—"
    return to_persian_digits(str(value)) if is_farsi(translation.get_language()) else str(value)


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def _checked_number(
    value: Any, low: int, high: int, field: str, errors: dict[str, list[ValidationError]]
) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        errors[field] = [
            ValidationError(
                _("Choose a number from %(low)s to %(high)s.")
                % {"low": _digits(low), "high": _digits(high)},
                code="out_of_range",
            )
        ]
        return None
    return number


def _follow_up_owner(ticket: Ticket) -> User | None:
    """The ticket's assignee, else the first active manager of its team."""
    if ticket.assignee is not None and ticket.assignee.is_active:
        return ticket.assignee
    if ticket.team is None:
        return None
    return ticket.team.members.filter(role=Role.MANAGER, is_active=True).order_by("id").first()


def _comment_sentiment(comment: str) -> str | None:
    """The sentiment label of a survey comment (``None`` without a comment). A plugged-in
    analyzer that fails is logged and read as no sentiment: the customer's answer is
    recorded all the same."""
    if not comment:
        return None
    try:
        return analyze_sentiment([comment])[0].label
    except Exception:
        logger.exception("the sentiment of a survey comment could not be measured")
        return None


def _follow_up_task(survey: Survey, ticket: Ticket, *, low_rating: bool) -> int:
    owner = _follow_up_owner(ticket)
    with translation.override(owner.language if owner is not None else "fa"):
        if low_rating:
            title = _("Call the customer about a low rating on ticket #%(number)s")
        else:
            title = _("Call the customer about a negative comment on ticket #%(number)s")
        title = title % {"number": _digits(ticket.pk)}
        lines = [
            _("Ticket: %(subject)s") % {"subject": ticket.subject},
            _("Satisfaction: %(score)s of 5") % {"score": _digits(survey.score)},
        ]
        if survey.effort is not None:
            lines.append(_("Ease (CES): %(effort)s of 7") % {"effort": _digits(survey.effort)})
        if survey.comment:
            lines.append(_("Comment: %(comment)s") % {"comment": survey.comment})
    task = task_create(
        actor=None,
        values={
            "title": title[:250],
            "description": "\n".join(lines),
            "assignee": owner,
            "contact": ticket.contact,
            "company": ticket.company,
            "deal": ticket.deal,
            "priority": "high",
            "due_at": timezone.now() + datetime.timedelta(days=1),
        },
    )
    return task.pk


def survey_answer(
    *,
    survey: Survey,
    score: Any = None,
    effort: Any = None,
    comment: str | None = None,
) -> Survey:
    """Record or change the customer's answers (``None`` leaves an answer as it is).

    The score is checked against the survey's kind (CSAT 1–5, NPS 0–10), the ease against
    CES 1–7; the comment is cleaned (Persian letters, spaces) and at most ``MAX_COMMENT``
    characters. Answering again updates the same survey. Each change writes one
    ``feedback.<kind>_answered`` event on the ticket and the customer's timeline; the first
    time an answer is low (see ``is_low_answer``) or the comment reads as negative (the
    configured sentiment analyzer, ``PEYVAND_SENTIMENT_ANALYZER``) one follow-up task is
    opened for the ticket's assignee, or its team's manager; the comment's sentiment is in
    the event's payload. An expired survey refuses answers."""
    errors: dict[str, list[ValidationError]] = {}
    low, high = SCORE_RANGES.get(survey.kind, (1, 5))
    new_score = _checked_number(score, low, high, "score", errors)
    new_effort = _checked_number(effort, *EFFORT_RANGE, "effort", errors)
    new_comment = None
    if comment is not None:
        new_comment = clean_persian(str(comment), multiline=True)
        if len(new_comment) > MAX_COMMENT:
            errors["comment"] = [
                ValidationError(
                    _("At most %(limit)s characters.") % {"limit": _digits(MAX_COMMENT)},
                    code="max_length",
                )
            ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        survey = (
            Survey.objects.select_for_update(of=("self",))
            .select_related(
                "ticket__contact",
                "ticket__company",
                "ticket__deal",
                "ticket__assignee",
                "ticket__team",
            )
            .get(pk=survey.pk)
        )
        if not survey_is_open(survey):
            raise _error("score", _("This survey has expired."), "expired")
        if survey.score is None and new_score is None:
            raise _error("score", _("Choose a score."), "required")
        before = {"score": survey.score, "effort": survey.effort, "comment": survey.comment}
        if new_score is not None:
            survey.score = new_score
        if new_effort is not None:
            survey.effort = new_effort
        if new_comment is not None:
            survey.comment = new_comment
        after = {"score": survey.score, "effort": survey.effort, "comment": survey.comment}
        if after == before:
            return survey
        now = timezone.now()
        first_answer = survey.answered_at is None
        if first_answer:
            survey.answered_at = now
        ticket = survey.ticket
        # A comment the analyzer reads as negative asks for a call even with a fair score.
        comment_sentiment = _comment_sentiment(survey.comment)
        low_rating = is_low_answer(survey.kind, survey.score, survey.effort)
        if survey.follow_up_task_id is None and (low_rating or comment_sentiment == "negative"):
            survey.follow_up_task_id = _follow_up_task(survey, ticket, low_rating=low_rating)
        survey.save()
        event_record(
            actor=None,
            verb=f"feedback.{survey.kind}_answered",
            subject=ticket,
            contact=ticket.contact,
            company=ticket.company,
            deal=ticket.deal,
            summary=answer_summary(survey),
            payload={
                "survey": survey.pk,
                "ticket": ticket.pk,
                **after,
                "previous": before if not first_answer else None,
                "follow_up_task": survey.follow_up_task_id,
                "comment_sentiment": comment_sentiment,
            },
            occurred_at=now,
        )
    return survey


def answer_summary(survey: Survey) -> str:
    """``"CSAT 2/5 · CES 3/7"``: the scores in a line the timeline shows."""
    high = SCORE_RANGES.get(survey.kind, (1, 5))[1]
    parts = [f"{survey.kind.upper()} {survey.score}/{high}"]
    if survey.effort is not None:
        parts.append(f"CES {survey.effort}/{EFFORT_RANGE[1]}")
    return " · ".join(parts)
