"""Each customer's predicted churn risk with its reasons, and the runs that trained the model
behind it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChurnRun(models.Model):
    """One training of the churn model and the scoring of every customer as of ``as_of``.

    The model learns from customers as of ``as_of − 2H`` (churned: no purchase in the next
    H days), is checked on customers as of ``as_of − H`` (``auc``, ``brier``), refitted on
    both and applied to everyone as of ``as_of``. A run without enough history keeps the
    reason in ``message`` and scores nobody; the previous scores then stay."""

    as_of = models.DateTimeField(_("as of"))
    horizon_days = models.PositiveIntegerField(_("churn horizon (days)"))
    training_rows = models.PositiveIntegerField(_("training customers"), default=0)
    validation_rows = models.PositiveIntegerField(_("validation customers"), default=0)
    customers = models.PositiveIntegerField(_("customers scored"), default=0)
    churn_rate = models.FloatField(_("churn rate in training"), null=True)
    auc = models.FloatField(_("ROC-AUC on the later period"), null=True)
    brier = models.FloatField(_("Brier score on the later period"), null=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    seconds = models.FloatField(_("duration (seconds)"), default=0)

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = _("churn run")
        verbose_name_plural = _("churn runs")

    def __str__(self) -> str:
        return f"Churn {self.as_of:%Y-%m-%d}"


class CustomerChurn(models.Model):
    """A customer's latest probability of making no purchase in the next H days, and the
    features that raise it most: ``reasons`` is ``[{"feature", "value", "impact"}…]``,
    largest first, where ``impact`` is how much the probability would fall with a typical
    value of that feature (worded for people by ``churn.phrases``)."""

    contact = models.OneToOneField(
        "contacts.Contact",
        on_delete=models.CASCADE,
        related_name="churn",
        verbose_name=_("contact"),
    )
    run = models.ForeignKey(ChurnRun, on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField(_("churn probability"))
    reasons = models.JSONField(_("reasons"), default=list)

    class Meta:
        # The dashboard's riskiest customers walk it from the top (with the tie-break), and
        # segment conditions on the probability range over it.
        indexes = [models.Index(fields=["-probability", "contact"], name="customer_churn_riskiest")]
        verbose_name = _("customer churn risk")
        verbose_name_plural = _("customer churn risks")

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.probability:.2f}"
