"""Journeys (workflow automation): a trigger, entry conditions and a flow of steps that each
contact who enters walks through, one run per entry.

Steps belong to a *version* of their journey and never change once a run may stand on them:
editing an active journey writes the new steps under ``version + 1``, and every run keeps
walking the version it entered (``JourneyRun.version``), so a live change never moves a
contact to a step it was not meant to reach.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JourneyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ARCHIVED = "archived", _("Archived")


class TriggerKind(models.TextChoices):
    CONTACT_CREATED = "contact_created", _("Contact created")
    FORM_SUBMITTED = "form_submitted", _("Web form submitted")
    STAGE_CHANGED = "stage_changed", _("Lifecycle stage changed")
    DEAL_WON = "deal_won", _("Deal won")
    DEAL_LOST = "deal_lost", _("Deal lost")
    PURCHASE = "purchase", _("Purchase")
    TICKET_CLOSED = "ticket_closed", _("Ticket resolved or closed")
    SURVEY_ANSWERED = "survey_answered", _("Survey answered")
    BIRTHDAY = "birthday", _("Birthday (Jalali)")
    DATE_ANNIVERSARY = "date_anniversary", _("Date anniversary")
    INACTIVITY = "inactivity", _("No activity for N days")


class EntryPolicy(models.TextChoices):
    ONCE_EVER = "once_ever", _("Once ever")
    ONCE_PER_DAYS = "once_per_days", _("At most once per N days")
    EVERY_TIME = "every_time", _("Every time the trigger fires")


class StepKind(models.TextChoices):
    SEND_EMAIL = "send_email", _("Send an email")
    SEND_SMS = "send_sms", _("Send an SMS")
    WAIT = "wait", _("Wait")
    BRANCH = "branch", _("Branch (yes / no)")
    CREATE_TASK = "create_task", _("Create a task")
    ASSIGN_OWNER = "assign_owner", _("Assign an owner")
    ADD_TAG = "add_tag", _("Add a tag")
    SET_LIFECYCLE_STAGE = "set_lifecycle_stage", _("Change the lifecycle stage")
    CALL_WEBHOOK = "call_webhook", _("Call a webhook")


class RunState(models.TextChoices):
    ACTIVE = "active", _("Active")
    WAITING = "waiting", _("Waiting")
    DONE = "done", _("Completed")
    EXITED = "exited", _("Exited")
    FAILED = "failed", _("Failed")


def empty_definition() -> dict[str, object]:
    return {"steps": []}


def empty_entry_rules() -> dict[str, object]:
    return {"match": "all", "conditions": []}


def new_webhook_secret() -> str:
    return secrets.token_hex(24)


class Journey(models.Model):
    """An automation: when ``trigger_kind`` fires for a contact who matches ``entry_rules``
    (the segment rules format), and the entry policy lets them in, a run starts at the
    first step of the current ``version``.

    ``definition`` is the flow as the builder and the API edit it
    (``{"steps": [{"kind", "params", "yes": [...], "no": [...]}]}``); the steps the engine
    walks are the ``JourneyStep`` rows written from it, per version."""

    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JourneyStatus.choices, default=JourneyStatus.DRAFT
    )
    trigger_kind = models.CharField(_("trigger"), max_length=20, choices=TriggerKind.choices)
    trigger_params = models.JSONField(_("trigger settings"), default=dict, blank=True)
    entry_rules = models.JSONField(_("entry conditions"), default=empty_entry_rules, blank=True)
    entry_policy = models.CharField(
        _("who may enter again"),
        max_length=15,
        choices=EntryPolicy.choices,
        default=EntryPolicy.ONCE_EVER,
    )
    entry_interval_days = models.PositiveIntegerField(
        _("days before entering again"), null=True, blank=True
    )
    definition = models.JSONField(_("steps"), default=empty_definition, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    template_key = models.CharField(_("template"), max_length=40, blank=True)
    # Signs webhook bodies (HMAC-SHA256), so a receiver can tell them from forgeries.
    webhook_secret = models.CharField(max_length=64, default=new_webhook_secret, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="journeys",
        verbose_name=_("owner"),
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["status", "trigger_kind"], name="journey_status_trigger")]
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == JourneyStatus.ACTIVE


class JourneyStep(models.Model):
    """One step of one version of a journey. ``next_step`` is where a run goes after it;
    a branch goes to ``yes_step`` or ``no_step`` instead (either may be empty: the run
    then continues at ``next_step``, the step after the branch). Immutable once written."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="steps")
    version = models.PositiveIntegerField(_("version"))
    # The step's place in the definition ("2", "2.yes.0"), for the history and the builder.
    path = models.CharField(_("place"), max_length=20)
    position = models.PositiveIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=StepKind.choices)
    params = models.JSONField(_("settings"), default=dict, blank=True)
    next_step = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    yes_step = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    no_step = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["journey", "version", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "version", "path"], name="journey_step_place"
            )
        ]
        verbose_name = _("journey step")
        verbose_name_plural = _("journey steps")

    def __str__(self) -> str:
        return f"{self.journey_id} v{self.version} {self.path} {self.kind}"


class JourneyRun(models.Model):
    """One contact's way through one version of a journey, from entering to leaving.

    ``trigger_key`` names what let them in (``event:<id>``, ``birthday:1405``…) and is
    unique per journey and contact, so reading the same event twice starts one run;
    ``once_key`` is set for "once ever" journeys and is unique too, so the database, not a
    check in code, keeps a contact from entering twice."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="runs")
    version = models.PositiveIntegerField(_("version"))
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="journey_runs"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=RunState.choices, default=RunState.ACTIVE
    )
    current_step = models.ForeignKey(
        JourneyStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    wake_at = models.DateTimeField(_("next step at"), null=True, blank=True)
    entered_at = models.DateTimeField(_("entered at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    trigger_event = models.ForeignKey(
        "timeline.Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    trigger_key = models.CharField(_("trigger"), max_length=60)
    once_key = models.CharField(max_length=10, null=True, blank=True, editable=False)
    # Failed tries of the current step (webhooks retry with backoff).
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-entered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "contact", "trigger_key"], name="journey_run_trigger"
            ),
            models.UniqueConstraint(
                fields=["journey", "contact", "once_key"], name="journey_run_once"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "wake_at"], name="journey_run_due"),
            models.Index(fields=["contact", "-entered_at"], name="journey_run_contact"),
            models.Index(fields=["journey", "state"], name="journey_run_state"),
        ]
        verbose_name = _("journey run")
        verbose_name_plural = _("journey runs")

    def __str__(self) -> str:
        return f"{self.journey_id}:{self.contact_id} {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state in {RunState.ACTIVE, RunState.WAITING}


class StepOutcome(models.TextChoices):
    ENTERED = "entered", _("Entered")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    WAITING = "waiting", _("Waiting")
    YES = "yes", _("Yes")
    NO = "no", _("No")
    RETRY = "retry", _("Will retry")
    FAILED = "failed", _("Failed")
    EXITED = "exited", _("Exited")
    COMPLETED = "completed", _("Completed")


class JourneyRunLog(models.Model):
    """One line of a run's history: which step did what, when, and the facts (a message id,
    a discount code, an HTTP status)."""

    run = models.ForeignKey(JourneyRun, on_delete=models.CASCADE, related_name="log")
    step = models.ForeignKey(
        JourneyStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=StepOutcome.choices)
    occurred_at = models.DateTimeField(_("time"))
    detail = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("journey run log")
        verbose_name_plural = _("journey run logs")

    def __str__(self) -> str:
        return f"{self.run_id} {self.outcome}"


class JourneyCursor(models.Model):
    """How far the engine has read: the highest event id handled, and the last Tehran day
    the date triggers ran for."""

    name = models.CharField(max_length=40, unique=True)
    position = models.BigIntegerField(default=0)
    last_day = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("journey cursor")
        verbose_name_plural = _("journey cursors")

    def __str__(self) -> str:
        return f"{self.name}={self.position}"
