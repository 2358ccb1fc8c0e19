"""The service desk: business calendars with holidays, SLA policies and support contracts,
and tickets with their messages and SLA clocks."""

from __future__ import annotations

import datetime

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
    requester_email = models.EmailField(_("requester's email"), blank=True)
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
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_kind_display()}"
