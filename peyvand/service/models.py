"""The service desk: business calendars with holidays, SLA policies (with escalation rules)
and support contracts; ticket categories with their skilled agents; tickets with their
messages, attachments and SLA clocks; canned responses."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .business_time import WorkSchedule


def default_work_hours() -> dict[str, list[list[str]]]:
    """Saturday to Wednesday 08:00–16:00, Thursday 08:00–12:00, Friday off (Python weekday
    numbers as keys: Monday is "0", Saturday "5")."""
    full, half = [["08:00", "16:00"]], [["08:00", "12:00"]]
    return {"5": full, "6": full, "0": full, "1": full, "2": full, "3": half, "4": []}


def _parse_time(text: str) -> datetime.time:
    if text in {"24:00", "23:59:59"}:
        return datetime.time(23, 59, 59, 999999)
    return datetime.time.fromisoformat(text)


class BusinessCalendar(models.Model):
    """Working days and hours, and dated holidays, that SLA clocks count on."""

    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=40, default="Asia/Tehran")
    # {"5": [["08:00", "16:00"]], …}: Python weekday number → working intervals, local time.
    work_hours = models.JSONField(_("working hours"), default=default_work_hours)
    is_default = models.BooleanField(_("default calendar"), default=False)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def schedule(self) -> WorkSchedule:
        """The calendar as a :class:`WorkSchedule` (hours and all its holidays)."""
        hours = {
            int(day): tuple((_parse_time(start), _parse_time(end)) for start, end in intervals)
            for day, intervals in self.work_hours.items()
        }
        holidays = frozenset(self.holidays.values_list("date", flat=True))
        return WorkSchedule(hours=hours, holidays=holidays, zone=self.time_zone)


class Holiday(models.Model):
    """A day off on a calendar (Nowruz, Ashura, a company's own closing day)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_day")
        ]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return self.name


class TicketPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class SlaPolicy(models.Model):
    """Response and resolution targets per priority, counted on a business calendar.

    A ticket gets the policy of its company's active support contract, else the first active
    policy (by order) for a tag its contact or company has (a customer tier such as VIP),
    else the default policy."""

    name = models.CharField(_("name"), max_length=120)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=_("business calendar"),
    )
    position = models.PositiveIntegerField(_("order"), default=0)
    customer_tag = models.ForeignKey(
        "contacts.Tag",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("for customers tagged"),
    )
    is_default = models.BooleanField(_("default policy"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """One priority's targets in a policy, in working minutes."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(_("priority"), max_length=10, choices=TicketPriority.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (working minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (working minutes)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["policy", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_per_priority")
        ]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_priority_display()}"


class SupportContract(models.Model):
    """A company's support agreement with its own SLA policy, for a period."""

    company = models.ForeignKey(
        "contacts.Company",
        on_delete=models.CASCADE,
        related_name="support_contracts",
        verbose_name=_("company"),
    )
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("SLA policy")
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=250, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("support contract")
        verbose_name_plural = _("support contracts")

    def __str__(self) -> str:
        return f"{self.company}: {self.policy}"


class SlaClock(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class EscalationTrigger(models.TextChoices):
    WARNING = "warning", _("Due soon")
    BREACHED = "breached", _("Breached")


class EscalationRule(models.Model):
    """What happens when a clock of a ticket under ``policy`` is due soon or breached:
    notify someone, hand the ticket to a person or team, raise its priority. The worker's
    SLA check applies each matching rule once per ticket, clock and trigger."""

    policy = models.ForeignKey(
        SlaPolicy,
        on_delete=models.CASCADE,
        related_name="escalation_rules",
        verbose_name=_("SLA policy"),
    )
    clock = models.CharField(
        _("clock"),
        max_length=20,
        choices=SlaClock.choices,
        blank=True,
        help_text=_("Empty: both clocks."),
    )
    trigger = models.CharField(
        _("when"),
        max_length=10,
        choices=EscalationTrigger.choices,
        default=EscalationTrigger.BREACHED,
    )
    notify_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("notify"),
    )
    reassign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reassign to"),
    )
    reassign_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("move to team"),
    )
    raise_priority = models.BooleanField(_("raise the priority one step"), default=False)

    class Meta:
        ordering = ["policy", "id"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_trigger_display()}"


class AssignmentMethod(models.TextChoices):
    NONE = "none", _("Leave in the team queue")
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_OPEN = "least_open", _("Fewest open tickets")


class TicketCategory(models.Model):
    """What a ticket is about (billing, delivery, technical…). New tickets in a category go
    to its team and, by its assignment method, to one of its skilled agents."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ticket_categories",
        verbose_name=_("team"),
    )
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="ticket_skills",
        verbose_name=_("agents skilled in it"),
    )
    assignment = models.CharField(
        _("assignment"),
        max_length=20,
        choices=AssignmentMethod.choices,
        default=AssignmentMethod.ROUND_ROBIN,
    )
    # The round-robin turn: the last agent who got a ticket of this category.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")

    def __str__(self) -> str:
        return self.name


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# While waiting on the customer, or once solved, the SLA clocks do not run.
PAUSED_STATUSES = frozenset({TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED})


class TicketChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEB = "web", _("Web form")
    PORTAL = "portal", _("Customer portal")
    API = "api", _("API")
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    SMS = "sms", _("SMS")


class ComplaintStep(models.TextChoices):
    """The complaint process: acknowledge quickly, investigate, offer a solution, follow up
    until the customer confirms it is settled."""

    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Investigating")
    SOLUTION_OFFERED = "solution_offered", _("Solution offered")
    FOLLOWING_UP = "following_up", _("Following up")
    CONFIRMED = "confirmed", _("Customer confirmed")


class Ticket(models.Model):
    """A customer's request or complaint, from any channel, with its SLA clocks.

    ``first_response_due`` and ``resolution_due`` come from the SLA policy: the arrival time
    plus the priority's target plus the working time spent paused (waiting on the customer),
    counted on the policy's business calendar (see ``sla.py``)."""

    subject = models.CharField(_("subject"), max_length=250)
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=10, choices=TicketChannel.choices)
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("contact"),
    )
    company = models.ForeignKey(
        "contacts.Company",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("company"),
    )
    deal = models.ForeignKey(
        "sales.Deal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("deal"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("team"),
    )
    category = models.ForeignKey(
        TicketCategory,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("category"),
    )
    tags = models.ManyToManyField(
        "contacts.Tag", blank=True, related_name="tickets", verbose_name=_("tags")
    )
    requester_email = models.EmailField(_("requester's email"), blank=True)
    requester_phone = models.CharField(_("requester's phone"), max_length=20, blank=True)
    # Blank for a plain request; a complaint walks through the steps of ``ComplaintStep``.
    complaint_step = models.CharField(
        _("complaint step"), max_length=20, choices=ComplaintStep.choices, blank=True
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_tickets",
        verbose_name=_("merged into"),
    )
    split_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="split_tickets",
        verbose_name=_("split from"),
    )
    sla_policy = models.ForeignKey(
        SlaPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("SLA policy"),
    )
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # Working time the clocks spent paused so far, and when the current pause began: the due
    # times are always "created + target + paused" in working time.
    sla_paused = models.DurationField(default=datetime.timedelta, editable=False)
    sla_paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    first_response_breached = models.BooleanField(_("first response late"), default=False)
    resolution_breached = models.BooleanField(_("resolution late"), default=False)
    # A warning is sent once per clock, when little of its time is left.
    first_response_warned = models.BooleanField(default=False, editable=False)
    resolution_warned = models.BooleanField(default=False, editable=False)
    search_text = models.TextField(editable=False, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "resolution_due"], name="ticket_status_due"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status not in {TicketStatus.RESOLVED, TicketStatus.CLOSED}

    @property
    def sla_state(self) -> str:
        """How the ticket stands against its SLA, for badges: ``breached``, ``due_soon``,
        ``paused`` (waiting on the customer), ``met`` (solved in time), ``running``, or
        ``""`` with no policy."""
        if self.first_response_breached or self.resolution_breached:
            return "breached"
        if self.sla_policy_id is None:
            return ""
        if not self.is_open:
            return "met"
        if self.status == TicketStatus.WAITING:
            return "paused"
        if self.resolution_warned or (
            self.first_response_warned and self.first_responded_at is None
        ):
            return "due_soon"
        return "running"

    @property
    def next_due(self) -> datetime.datetime | None:
        """The due time of the clock that runs now: first response until answered, then
        resolution."""
        if self.first_responded_at is None and self.first_response_due is not None:
            return self.first_response_due
        return self.resolution_due


class MessageKind(models.TextChoices):
    CUSTOMER = "customer", _("From the customer")
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")


class TicketMessage(models.Model):
    """One message on a ticket: the customer's, an agent's public reply, or an internal note
    customers never see. Email threading keeps the ``Message-ID`` of each."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    body = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    from_email = models.EmailField(_("from"), blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Public replies are emailed to the requester once: when it went, or why it could not.
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    email_error = models.CharField(_("email error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_kind_display()}"


def attachment_path(instance: TicketAttachment, filename: str) -> str:
    """A random name under the ticket's folder: the customer's file name is never a path."""
    return f"tickets/{instance.ticket_id}/{uuid.uuid4().hex}"


class TicketAttachment(models.Model):
    """A file sent with a ticket message. Stored under a random name outside the static
    root and served only through a permission-checked view, as a download."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class CannedResponse(models.Model):
    """A reply agents reuse, with placeholders filled from the ticket ({{ name }},
    {{ ticket }}, {{ agent }} …). Shared ones are for everyone; others only their owner's."""

    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("text"))
    category = models.ForeignKey(
        TicketCategory,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="canned_responses",
        verbose_name=_("category"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="canned_responses",
        verbose_name=_("owner"),
    )
    is_shared = models.BooleanField(_("shared with everyone"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self) -> str:
        return self.title


class EscalationApplied(models.Model):
    """That a rule has acted on a ticket's clock: each rule acts once (the worker may run
    twice at once; the unique constraint keeps the second out)."""

    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    clock = models.CharField(max_length=20, choices=SlaClock.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "clock"], name="escalation_once_per_clock"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} → {self.ticket_id} ({self.clock})"
