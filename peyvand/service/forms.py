"""Forms of the agent's ticket pages; they parse input and hand it to the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from peyvand.accounts.models import Team, User
from peyvand.contacts.selectors import companies_visible_to, contacts_visible_to
from peyvand.sales.forms import RecordPickerField
from peyvand.web.forms import StyledForm

from .attachments import AttachmentsField
from .models import (
    CannedResponse,
    ComplaintStep,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketPriority,
    TicketStatus,
)

# What an agent logs by hand; email, portal and API tickets arrive by themselves.
AGENT_CHANNELS = [
    (TicketChannel.PHONE, TicketChannel.PHONE.label),
    (TicketChannel.IN_PERSON, TicketChannel.IN_PERSON.label),
    (TicketChannel.EMAIL, TicketChannel.EMAIL.label),
    (TicketChannel.WEB, TicketChannel.WEB.label),
    (TicketChannel.SMS, TicketChannel.SMS.label),
]


def split_tags(text: str) -> list[str]:
    """Tags typed as "a، b, c" (Persian or Latin commas)."""
    return [part.strip() for part in text.replace("،", ",").split(",") if part.strip()]


class _TicketFields(StyledForm):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=250)
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"),
        choices=TicketPriority.choices,
        initial=TicketPriority.NORMAL,
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=TicketCategory.objects.filter(is_active=True),
        required=False,
    )
    contact = RecordPickerField(
        label=gettext_lazy("Contact"), required=False, max_length=300, list_id="contact-options"
    )
    company = RecordPickerField(
        label=gettext_lazy("Company"), required=False, max_length=300, list_id="company-options"
    )
    assignee = forms.ModelChoiceField(
        label=gettext_lazy("Assignee"),
        queryset=User.objects.filter(is_active=True),
        required=False,
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"), queryset=Team.objects.all(), required=False
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Separated by commas."),
    )

    FIELDS = ("subject", "priority", "category", "contact", "company", "assignee", "team")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (
            ("contact", contacts_visible_to(user)),
            ("company", companies_visible_to(user)),
        ):
            field = self.fields[name]
            assert isinstance(field, RecordPickerField)
            field.queryset = queryset

    def service_values(self) -> dict[str, Any]:
        values = {name: self.cleaned_data.get(name) for name in self.FIELDS}
        values["tags"] = split_tags(self.cleaned_data.get("tags") or "")
        return values


class TicketCreateForm(_TicketFields):
    """An agent logs a request that came by phone, in person or by hand."""

    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=AGENT_CHANNELS, initial=TicketChannel.PHONE
    )
    body = forms.CharField(
        label=gettext_lazy("The customer's request"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=50_000,
    )
    requester_email = forms.EmailField(label=gettext_lazy("Reply to email"), required=False)
    attachments = AttachmentsField()
    is_complaint = forms.BooleanField(label=gettext_lazy("This is a complaint"), required=False)

    field_order = ["subject", "channel", "body", "priority", "category", "contact", "company"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["assignee"].empty_label = gettext_lazy(  # type: ignore[attr-defined]
            "By the category's rule"
        )


class TicketEditForm(_TicketFields):
    def __init__(self, *args: Any, user: User, ticket: Ticket, **kwargs: Any) -> None:
        if "initial" not in kwargs:
            initial = {name: getattr(ticket, name) for name in self.FIELDS}
            initial["tags"] = "، ".join(tag.name for tag in ticket.tags.all())
            kwargs["initial"] = initial
        super().__init__(*args, user=user, **kwargs)


class ReplyForm(StyledForm):
    body = forms.CharField(
        label=gettext_lazy("Message"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=50_000,
    )
    attachments = AttachmentsField()
    internal = forms.BooleanField(
        label=gettext_lazy("Internal note (the customer does not see it)"), required=False
    )
    then_status = forms.ChoiceField(
        label=gettext_lazy("Then set the status to"),
        required=False,
        choices=[("", "—"), *TicketStatus.choices],
    )


class StatusForm(StyledForm):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=TicketStatus.choices)


class ComplaintStepForm(StyledForm):
    step = forms.ChoiceField(label=gettext_lazy("Complaint step"), choices=ComplaintStep.choices)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MergeForm(StyledForm):
    target = forms.IntegerField(label=gettext_lazy("Merge into ticket number"), min_value=1)


class SplitForm(StyledForm):
    subject = forms.CharField(label=gettext_lazy("Subject of the new ticket"), max_length=250)
    messages = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Messages"), coerce=int, choices=[]
    )

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["messages"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(message.pk, str(message.pk)) for message in ticket.messages.all()]


class CannedResponseForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=150)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "Placeholders: {{ name }}, {{ first_name }}, {{ ticket }}, {{ subject }}, "
            "{{ agent }}, {{ company }}, {{ today }}"
        ),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=TicketCategory.objects.filter(is_active=True),
        required=False,
    )
    is_shared = forms.BooleanField(label=gettext_lazy("Shared with everyone"), required=False)

    def __init__(self, *args: Any, canned: CannedResponse | None = None, **kwargs: Any) -> None:
        if canned is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": canned.title,
                "body": canned.body,
                "category": canned.category,
                "is_shared": canned.is_shared,
            }
        super().__init__(*args, **kwargs)
