"""Each customer's purchases per Jalali month: the rollup of orders that the customer KPIs
and RFM read instead of every order (see :mod:`peyvand.intelligence.purchase_months`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PurchaseMonth(models.Model):
    """One customer's purchases (``Order.objects.purchases()``) in one Jalali month of the
    site's time zone (count, net total, first and last time, purchase days), with where the
    month stands in the customer's whole history: the month of their first purchase ever and
    of their next purchase after this month. Kept in step with the orders in the same
    transaction as every order write and contact merge."""

    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint below starts with it
        # Checked by the refresh (it locks the contact), not at commit (see purchase_months);
        # deleting a contact through Django still deletes its rows.
        db_constraint=False,
        verbose_name=_("contact"),
    )
    # Jalali year × 12 + month − 1 (Farvardin 1403 is 16836): consecutive months differ by 1.
    month = models.IntegerField(_("month"))
    orders = models.PositiveIntegerField(_("purchases"))
    net_total = models.BigIntegerField(_("net total (Rials)"))
    first_at = models.DateTimeField(_("first purchase at"))
    last_at = models.DateTimeField(_("last purchase at"))
    # Local days with a purchase, and the net total of the first of them (lifetime value
    # counts repeat purchases by day and leaves the first day's spend out of the average).
    days = models.PositiveIntegerField(_("purchase days"))
    first_day_net = models.BigIntegerField(_("net total of the first purchase day (Rials)"))
    first_month = models.IntegerField(_("first purchase month"))
    next_month = models.IntegerField(_("next purchase month"), null=True)

    class Meta:
        verbose_name = _("purchase month")
        verbose_name_plural = _("purchase months")
        constraints = [
            models.UniqueConstraint(fields=["contact", "month"], name="purchase_month_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.month}"
