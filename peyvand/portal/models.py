"""The customer portal's one table: the sign-in codes sent by email (or, later, SMS)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignInChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class SignInCode(models.Model):
    """The live one-time sign-in code of a contact: only its keyed hash is stored, it dies
    after ``codes.CODE_LIFETIME`` or ``codes.MAX_WRONG_TRIES`` wrong tries, it is deleted
    when used, and asking for a new code replaces it (one row per contact)."""

    contact = models.OneToOneField(
        "contacts.Contact",
        on_delete=models.CASCADE,
        related_name="portal_sign_in_code",
        verbose_name=_("contact"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=SignInChannel.choices)
    # The normalized address the code went to: only a sign-in started with it may use it.
    sent_to = models.CharField(_("sent to"), max_length=254)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    wrong_tries = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("portal sign-in code")
        verbose_name_plural = _("portal sign-in codes")

    def __str__(self) -> str:
        return f"{self.contact_id} → {self.channel}"
