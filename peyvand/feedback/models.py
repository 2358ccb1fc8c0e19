"""Customer feedback: a survey sent after a ticket is resolved (CSAT 1–5 with the CES
question 1–7 and a comment). ``kind`` leaves room for NPS (0–10) without a new table."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("Satisfaction (CSAT)")
    NPS = "nps", _("Net promoter score (NPS)")


# The score's range per kind, inclusive (NPS is here so the constraint and the checks in
# ``surveys.py`` already know it when the analytics work adds NPS surveys).
SCORE_RANGES: dict[str, tuple[int, int]] = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10)}
# CES 2.0: "The company made it easy for me to handle my issue", 1 strongly disagree …
# 7 strongly agree.
EFFORT_RANGE = (1, 7)
MAX_COMMENT = 1000


class SurveyChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    # Sent by the messaging app once SMS gateways exist; nothing sends it yet.
    SMS = "sms", _("SMS")


def new_token() -> str:
    """256 random bits, URL-safe: the survey's only address (never its id)."""
    return secrets.token_urlsafe(32)


class Survey(models.Model):
    """One survey request for one resolution of a ticket, and the customer's answers.

    At most one per ticket, kind and resolution (``resolved_at`` of the ticket at the time),
    so a retried task or a second call never creates or sends a second one; a ticket
    reopened and resolved again gets a new one. ``agent`` and ``team`` are the ticket's at
    resolution: the reports credit whoever solved it, even if the ticket moves later."""

    kind = models.CharField(
        _("kind"), max_length=10, choices=SurveyKind.choices, default=SurveyKind.CSAT
    )
    ticket = models.ForeignKey(
        "service.Ticket",
        on_delete=models.CASCADE,
        related_name="surveys",
        verbose_name=_("ticket"),
    )
    resolved_at = models.DateTimeField(_("resolved at"))
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("contact"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    channel = models.CharField(
        _("channel"), max_length=10, choices=SurveyChannel.choices, default=SurveyChannel.EMAIL
    )
    recipient = models.CharField(_("sent to"), max_length=254)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    # Sending is claimed (``send_started_at``) before the message leaves and stamped after;
    # a failed send clears the claim so a retry may try again, a crash in between never
    # sends twice.
    send_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    send_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    send_error = models.CharField(_("sending error"), max_length=300, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    effort = models.PositiveSmallIntegerField(_("ease (CES)"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=MAX_COMMENT)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    follow_up_task = models.ForeignKey(
        "timeline.Task",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("follow-up task"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "kind", "resolved_at"], name="survey_once_per_resolution"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True)
                | Q(kind=SurveyKind.CSAT, score__gte=1, score__lte=5)
                | Q(kind=SurveyKind.NPS, score__gte=0, score__lte=10),
                name="survey_score_in_range",
            ),
            models.CheckConstraint(
                condition=Q(effort__isnull=True) | Q(effort__gte=1, effort__lte=7),
                name="survey_effort_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "created_at"], name="survey_kind_created"),
            models.Index(fields=["kind", "answered_at"], name="survey_kind_answered"),
        ]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.ticket_id}"

    @property
    def is_low(self) -> bool:
        """A score of 1–2 or an ease of 1–2: someone should call the customer."""
        return is_low_answer(self.kind, self.score, self.effort)


def is_low_answer(kind: str, score: int | None, effort: int | None) -> bool:
    """The rule for a follow-up: CSAT 1–2, NPS 0–6 (a detractor) or CES 1–2."""
    low_scores: dict[str, int] = {SurveyKind.CSAT: 2, SurveyKind.NPS: 6}
    low_score = low_scores.get(kind, -1)
    return (score is not None and score <= low_score) or (effort is not None and effort <= 2)
