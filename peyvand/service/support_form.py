"""The public support form (the "web form" channel): anyone may write to support without
an account. The sender is recognised by a normalized email or mobile number and linked to
their contact, or becomes a new contact; the request opens a ticket with its SLA clock."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peyvand.common.persian import clean_persian
from peyvand.common.validators import normalize_email, normalize_phone
from peyvand.contacts.models import Source
from peyvand.contacts.services import contact_create
from peyvand.sales.leads import matching_contact
from peyvand.web.forms import StyledForm

from .models import Ticket, TicketChannel
from .tickets import ticket_create

HONEYPOT_FIELD = "website"
# The services' field names as this form calls them (for errors by field).
SERVICE_TO_FORM_FIELDS = {
    "body": "message",
    "requester_email": "email",
    "requester_phone": "mobile",
    "phones": "mobile",
    "emails": "email",
    "first_name": "name",
    "last_name": "name",
}


class SupportRequestForm(StyledForm):
    """What a visitor types; the mobile and email are checked here, by field."""

    name = forms.CharField(label=gettext_lazy("Your name"), max_length=150)
    email = forms.CharField(label=gettext_lazy("Email"), max_length=254, required=False)
    mobile = forms.CharField(label=gettext_lazy("Mobile"), max_length=30, required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=250)
    message = forms.CharField(
        label=gettext_lazy("How can we help?"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    website = forms.CharField(
        required=False,
        label=gettext_lazy("Leave this empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def clean_email(self) -> str:
        value = str(self.cleaned_data.get("email") or "").strip()
        return normalize_email(value) if value else ""

    def clean_mobile(self) -> str:
        value = str(self.cleaned_data.get("mobile") or "").strip()
        return normalize_phone(value) if value else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reachable = data.get("email") or data.get("mobile")
        if not reachable and not self.has_error("email") and not self.has_error("mobile"):
            self.add_error("email", _("Give an email or a mobile number so we can answer you."))
        return data

    @property
    def is_spam(self) -> bool:
        return bool(str(self.data.get(HONEYPOT_FIELD) or "").strip())


def support_request_submit(*, data: dict[str, Any]) -> Ticket:
    """Open a web ticket from a validated :class:`SupportRequestForm`'s data, linking the
    sender's contact (or creating one) in the same transaction."""
    email, mobile = data.get("email") or "", data.get("mobile") or ""
    with transaction.atomic():
        contact = matching_contact(phone=mobile, email=email)
        if contact is None:
            first, _space, last = clean_persian(data["name"]).partition(" ")
            contact = contact_create(
                actor=None,
                values={
                    "first_name": first,
                    "last_name": last,
                    "emails": [email] if email else [],
                    "phones": [mobile] if mobile else [],
                    "source": Source.WEBSITE,
                },
            )
        return ticket_create(
            actor=None,
            values={"subject": data["subject"], "contact": contact},
            body=data["message"],
            channel=TicketChannel.WEB,
            requester_email=email,
            requester_phone=mobile,
        )
