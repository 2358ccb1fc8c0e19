"""Segments: named sets of contacts, either a rule that is evaluated when asked (dynamic) or
a list kept by hand (static). Campaigns and journeys send to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", _("Dynamic (by rules)")
    STATIC = "static", _("Static list")


def empty_rules() -> dict[str, object]:
    return {"match": "all", "conditions": []}


class Segment(models.Model):
    """A set of contacts to market to.

    A dynamic segment's members are whoever matches ``rules`` right now (see ``rules.py`` for
    the shape and ``conditions.py`` for the condition kinds); a static segment's members are
    its ``SegmentMembership`` rows. ``last_count`` is a cache of the unscoped member count,
    refreshed whenever the segment is saved or counted in full; a private segment is seen
    only by its owner (and administrators), a shared one by everyone who may read marketing.
    """

    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=SegmentKind.choices, default=SegmentKind.DYNAMIC
    )
    rules = models.JSONField(_("rules"), default=empty_rules, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="segments",
        verbose_name=_("owner"),
    )
    is_shared = models.BooleanField(_("shared with the team"), default=True)
    last_count = models.PositiveIntegerField(_("members (last count)"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["owner", "is_shared"], name="segment_owner_shared")]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name

    @property
    def is_static(self) -> bool:
        return self.kind == SegmentKind.STATIC


class SegmentMembership(models.Model):
    """One contact on a static segment: who added it and when."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="segment_memberships"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["segment", "contact"], name="segment_member_unique")
        ]
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")

    def __str__(self) -> str:
        return f"{self.segment_id} ∋ {self.contact_id}"


# Campaign models live in their own module; imported here so Django registers them.
from .campaign_models import Campaign, CampaignRecipient, CampaignVariant  # noqa: E402, F401

# Journeys live in their own module; importing them here registers the models with the app.
from .journey_models import (  # noqa: E402, F401
    Journey,
    JourneyCursor,
    JourneyRun,
    JourneyRunLog,
    JourneyStep,
)
