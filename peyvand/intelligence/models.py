"""Customer intelligence kept in the database: each customer's RFM scores and segment, and
the runs that computed them (with how customers moved between segments)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RfmSegment(models.TextChoices):
    """The standard RFM segments (their cells on the recency × frequency-monetary grid are in
    ``rfm.SEGMENT_GRID``)."""

    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", _("New")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANNOT_LOSE = "cannot_lose", _("Can't lose")
    HIBERNATING = "hibernating", _("Hibernating")
    # "Lost" of a deal reads ناموفق; a lost customer is از دست رفته.
    LOST = "lost", pgettext_lazy("RFM segment", "Lost")


class RfmRun(models.Model):
    """One computation of RFM over all customers: its window, how many customers fell in
    each segment, and the movement between the previous run's segments and this one's."""

    as_of = models.DateTimeField(_("as of"))
    window_days = models.PositiveIntegerField(_("window (days)"))
    customers = models.PositiveIntegerField(_("customers"), default=0)
    # {segment: count}
    segment_counts = models.JSONField(_("customers per segment"), default=dict)
    # {from segment or "": {to segment or "": count}}; "" is "not scored" (no purchase in the
    # window): a first purchase moves from "", a lapsed customer moves to "".
    movement = models.JSONField(_("movement between segments"), default=dict)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    seconds = models.FloatField(_("duration (seconds)"), default=0)

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = _("RFM run")
        verbose_name_plural = _("RFM runs")

    def __str__(self) -> str:
        return f"RFM {self.as_of:%Y-%m-%d}"


class CustomerRfm(models.Model):
    """A customer's latest RFM: the raw recency, frequency and monetary value over the run's
    window, their 1–5 scores (quintiles among all customers) and the segment."""

    contact = models.OneToOneField(
        "contacts.Contact",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="rfm",
        verbose_name=_("contact"),
    )
    last_purchase_at = models.DateTimeField(_("last purchase"))
    frequency = models.PositiveIntegerField(_("purchases"))
    monetary = models.BigIntegerField(_("net spend (Rials)"))
    recency_score = models.PositiveSmallIntegerField(_("R"))
    frequency_score = models.PositiveSmallIntegerField(_("F"))
    monetary_score = models.PositiveSmallIntegerField(_("M"))
    segment = models.CharField(_("segment"), max_length=20, choices=RfmSegment.choices)
    previous_segment = models.CharField(
        _("previous segment"), max_length=20, choices=RfmSegment.choices, blank=True, null=True
    )

    class Meta:
        indexes = [models.Index(fields=["segment"], name="customer_rfm_segment")]
        verbose_name = _("customer RFM")
        verbose_name_plural = _("customer RFM")

    def __str__(self) -> str:
        return f"{self.recency_score}{self.frequency_score}{self.monetary_score} {self.segment}"

    @property
    def code(self) -> str:
        """The three scores as one code, like ``545``."""
        return f"{self.recency_score}{self.frequency_score}{self.monetary_score}"


from .churn_models import ChurnRun, CustomerChurn  # noqa: E402  (churn risk)
from .dashboard_models import PinnedChart  # noqa: E402  (the home page's pins)
from .purchase_month_models import PurchaseMonth  # noqa: E402  (the purchase rollup)
from .recommendation_models import (  # noqa: E402  (next best products)
    ProductRecommendation,
    RecommendationRun,
)
from .value_models import ClvRun, CustomerValue  # noqa: E402  (lifetime value)

__all__ = [
    "ChurnRun",
    "ClvRun",
    "CustomerChurn",
    "CustomerRfm",
    "CustomerValue",
    "PinnedChart",
    "ProductRecommendation",
    "PurchaseMonth",
    "RecommendationRun",
    "RfmRun",
    "RfmSegment",
]
