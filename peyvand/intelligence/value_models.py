"""Each customer's predicted lifetime value and the runs that fitted the models behind it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClvRun(models.Model):
    """One fit of BG/NBD and Gamma-Gamma on every customer's purchase history up to
    ``as_of``, and the scoring of all of them. A run that could not fit (too few customers
    or repeat buyers) keeps the reason in ``message`` and scores nobody; the previous scores
    then stay."""

    as_of = models.DateTimeField(_("as of"))
    horizon_days = models.PositiveIntegerField(_("CLV horizon (days)"))
    annual_discount_rate = models.FloatField(_("annual discount rate"))
    customers = models.PositiveIntegerField(_("customers"), default=0)
    repeat_customers = models.PositiveIntegerField(_("repeat customers"), default=0)
    # {"bgnbd": {"r", "alpha", "a", "b", "log_likelihood"}, "gamma_gamma": {"p", "q", "gamma"}}
    parameters = models.JSONField(_("model parameters"), default=dict)
    message = models.CharField(_("message"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    seconds = models.FloatField(_("duration (seconds)"), default=0)

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = _("lifetime value run")
        verbose_name_plural = _("lifetime value runs")

    def __str__(self) -> str:
        return f"CLV {self.as_of:%Y-%m-%d}"


class CustomerValue(models.Model):
    """A customer's latest predictions: expected purchases over the next 30, 90 and 365
    days, the probability they are still a customer, the expected spend per purchase and
    the lifetime value over the run's horizon with its 10–90% band (money in Rials)."""

    contact = models.OneToOneField(
        "contacts.Contact",
        on_delete=models.CASCADE,
        related_name="lifetime_value",
        verbose_name=_("contact"),
    )
    run = models.ForeignKey(ClvRun, on_delete=models.CASCADE, related_name="+")
    repeat_purchases = models.PositiveIntegerField(_("repeat purchase days"))
    expected_purchases_30 = models.FloatField(_("expected purchases, 30 days"))
    expected_purchases_90 = models.FloatField(_("expected purchases, 90 days"))
    expected_purchases_365 = models.FloatField(_("expected purchases, 365 days"))
    probability_alive = models.FloatField(_("probability still a customer"))
    expected_spend = models.BigIntegerField(_("expected spend per purchase (Rials)"), null=True)
    clv = models.BigIntegerField(_("lifetime value (Rials)"), null=True)
    clv_low = models.BigIntegerField(_("lifetime value, low (Rials)"), null=True)
    clv_high = models.BigIntegerField(_("lifetime value, high (Rials)"), null=True)

    class Meta:
        indexes = [models.Index(fields=["clv"], name="customer_value_clv")]
        verbose_name = _("customer lifetime value")
        verbose_name_plural = _("customer lifetime values")

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.clv}"
