"""Users, teams, roles, record visibility settings and personal API tokens."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a user may do; record-level visibility is decided separately."""

    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Manager")
    SALES = "sales", _("Sales")
    SUPPORT = "support", _("Support")
    MARKETING = "marketing", _("Marketing")
    READ_ONLY = "read_only", _("Read-only")


def default_work_days() -> list[int]:
    """Saturday to Thursday, as Python week days (Monday is 0)."""
    return [5, 6, 0, 1, 2, 3]


class Team(models.Model):
    """A group of users (a sales team, the support desk); managers see their teams' records."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who works in Peyvand: their role, teams and preferred language."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SALES)
    teams = models.ManyToManyField(
        Team, related_name="members", blank=True, verbose_name=_("teams")
    )
    language = models.CharField(
        _("language"), max_length=5, choices=[("fa", "فارسی"), ("en", "English")], default="fa"
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Availability for automatic assignment: away users and users outside their working
    # hours are skipped. Week days are Python's (Monday 0 … Sunday 6); the default is the
    # Iranian week, Saturday to Thursday.
    absent_until = models.DateField(_("away until"), null=True, blank=True)
    work_days = models.JSONField(_("working days"), default=default_work_days, blank=True)
    work_start = models.TimeField(_("working hours start"), default=datetime.time(8, 0))
    work_end = models.TimeField(_("working hours end"), default=datetime.time(17, 0))

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_admin_role(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN


class ObjectType(models.TextChoices):
    """The kinds of record whose visibility an administrator sets."""

    CONTACT = "contact", _("Contacts")
    COMPANY = "company", _("Companies")
    TASK = "task", _("Tasks")
    LEAD = "lead", _("Leads")
    DEAL = "deal", _("Deals")
    TICKET = "ticket", _("Tickets")


class VisibilityLevel(models.TextChoices):
    PRIVATE = "private", _("Private to the owner")
    TEAM = "team", _("The owner's teams")
    EVERYONE = "everyone", _("Everyone")


class VisibilityPolicy(models.Model):
    """Who sees a record of a given type besides its owner (one row per object type)."""

    object_type = models.CharField(
        _("object type"), max_length=20, choices=ObjectType.choices, unique=True
    )
    level = models.CharField(
        _("visibility"),
        max_length=20,
        choices=VisibilityLevel.choices,
        default=VisibilityLevel.TEAM,
    )

    class Meta:
        verbose_name = _("visibility policy")
        verbose_name_plural = _("visibility policies")

    def __str__(self) -> str:
        return f"{self.object_type}: {self.level}"


class ApiToken(models.Model):
    """A personal API token: only a SHA-256 hash of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Notification(models.Model):
    """An in-app notification (a due reminder, an assignment) shown in the header bell."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=250)
    url = models.CharField(_("link"), max_length=500, blank=True)
    kind = models.CharField(_("kind"), max_length=40, default="reminder")
    dedupe_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.title
