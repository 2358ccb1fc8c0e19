"""The portal's forms. Field errors come out in the customer's language (fa or en)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.contacts.models import CONTACT_LANGUAGES, Channel, ConsentStatus, Contact
from peyvand.service.attachments import AttachmentsField
from peyvand.service.tickets import MAX_BODY
from peyvand.web.forms import StyledForm

from .codes import SignInAddress, parse_address, parse_code


class SignInForm(StyledForm):
    address = forms.CharField(
        label=_("Email address or mobile number"),
        max_length=254,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "username", "autofocus": True}),
    )

    def clean_address(self) -> SignInAddress:
        return parse_address(self.cleaned_data["address"])


class CodeForm(StyledForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "dir": "ltr",
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        return parse_code(self.cleaned_data["code"])


class OnceForm(StyledForm):
    """A form posted once: its hidden token lets a double click or a resubmitted page be
    recognised, so one press makes one ticket or one message."""

    once = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("once", uuid.uuid4())


class TicketForm(OnceForm):
    subject = forms.CharField(label=_("Subject"), max_length=250)
    message = forms.CharField(
        label=_("How can we help?"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    attachments = AttachmentsField()


class ReplyForm(OnceForm):
    message = forms.CharField(
        label=_("Your message"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 4})
    )
    attachments = AttachmentsField()


class ProfileForm(StyledForm):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    language = forms.ChoiceField(label=_("Language of our messages"), choices=CONTACT_LANGUAGES)

    @classmethod
    def for_contact(cls, contact: Contact, data: Any = None) -> ProfileForm:
        return cls(
            data,
            initial={
                "first_name": contact.first_name,
                "last_name": contact.last_name,
                "language": contact.language or "fa",
            },
        )

    def changed_values(self, contact: Contact) -> dict[str, str]:
        """Only what the customer changed (an untouched default language is not a choice)."""
        values = {
            name: self.cleaned_data[name]
            for name in ("first_name", "last_name")
            if self.cleaned_data[name] != getattr(contact, name)
        }
        if self.cleaned_data["language"] != (contact.language or "fa"):
            values["language"] = self.cleaned_data["language"]
        return values


# What each consent box says to the customer.
CONSENT_LABELS: dict[str, Any] = {
    Channel.EMAIL.value: _("News and offers by email"),
    Channel.SMS.value: _("News and offers by SMS"),
    Channel.PHONE.value: _("Calls about offers"),
}


class ConsentForm(StyledForm):
    """One box per channel: ticked means the customer agrees to hear from us there."""

    def __init__(self, *args: Any, granted: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for channel in Channel.values:
            self.fields[channel] = forms.BooleanField(
                label=CONSENT_LABELS.get(channel, channel),
                required=False,
                initial=channel in granted,
            )
        self.style_fields()

    def wanted(self) -> dict[str, str]:
        """Channel → the consent status the form asks for."""
        granted, withdrawn = ConsentStatus.GRANTED, ConsentStatus.WITHDRAWN
        return {
            channel: granted if self.cleaned_data[channel] else withdrawn
            for channel in Channel.values
        }
