"""What a person keeps on their home page from the insights dashboard."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PinnedChart(models.Model):
    """A chart of the insights dashboard (``dashboard.CHARTS`` key) that ``user`` pinned to
    their home page, shown there in ``position`` order over their own visible records."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pinned_charts",
        verbose_name=_("user"),
    )
    chart_key = models.CharField(_("chart"), max_length=40)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["user", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "chart_key"], name="pinned_chart_once")
        ]
        verbose_name = _("pinned chart")
        verbose_name_plural = _("pinned charts")

    def __str__(self) -> str:
        return f"{self.user_id}:{self.chart_key}"
