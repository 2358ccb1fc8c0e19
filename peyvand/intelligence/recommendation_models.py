"""Each customer's next best products and the runs that computed them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RecommendationRun(models.Model):
    """One computation of item-to-item co-purchase similarity over every purchase up to
    ``as_of`` and of every buyer's top products. ``parameters`` keeps the settings used and
    ``popular``: the most popular products, recommended to contacts with no purchase."""

    as_of = models.DateTimeField(_("as of"))
    customers = models.PositiveIntegerField(_("customers"), default=0)
    products = models.PositiveIntegerField(_("products"), default=0)
    purchase_pairs = models.PositiveIntegerField(_("customer-product pairs"), default=0)
    neighbour_pairs = models.PositiveIntegerField(_("similar product pairs"), default=0)
    # {"neighbours", "shrinkage", "half_life_days", "k", "popular": [product ids, best first]}
    parameters = models.JSONField(_("parameters"), default=dict)
    message = models.CharField(_("message"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    seconds = models.FloatField(_("duration (seconds)"), default=0)

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = _("recommendation run")
        verbose_name_plural = _("recommendation runs")

    def __str__(self) -> str:
        return f"Recommendations {self.as_of:%Y-%m-%d}"

    @property
    def popular_product_ids(self) -> list[int]:
        return [int(product_id) for product_id in self.parameters.get("popular", [])]


class ProductRecommendation(models.Model):
    """One of a customer's next best products: its place (1 is best), its score (summed
    co-purchase similarity to what they bought, recency-weighted; or the product's
    popularity from 0 to 1 when ``is_popular``)."""

    # A table derived from the orders and rewritten whole every day. Its foreign keys are
    # not checked by the database: PostgreSQL checks them at commit, one lookup per key and
    # row, which for a million rows took longer than the rest of the run together. Deleting
    # a contact, product or run through Django still deletes their rows (CASCADE is Django's).
    # Contacts are found through the unique (contact, rank) index, so no index of their own;
    # runs and products are looked up from the rows, never the other way round (but when a
    # product is deleted: one scan, rarely), and each index costs the daily rewrite time.
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.CASCADE,
        related_name="product_recommendations",
        verbose_name=_("contact"),
        db_constraint=False,
        db_index=False,
    )
    run = models.ForeignKey(
        RecommendationRun,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    product = models.ForeignKey(
        "sales.Product",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("product"),
        db_constraint=False,
        db_index=False,
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    score = models.FloatField(_("score"))
    is_popular = models.BooleanField(_("from popularity"), default=False)

    class Meta:
        ordering = ["contact", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "rank"], name="product_recommendation_rank")
        ]
        verbose_name = _("product recommendation")
        verbose_name_plural = _("product recommendations")

    def __str__(self) -> str:
        return f"{self.contact_id} #{self.rank}: {self.product_id}"
