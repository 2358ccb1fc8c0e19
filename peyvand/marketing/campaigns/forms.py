"""The campaign editor's form: settings plus up to two variants (A, and B for an A/B test;
the API takes up to four)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.messaging.models import MessageChannel, SenderIdentity
from peyvand.web.forms import StyledForm

from ..campaign_models import WinnerMetric
from ..models import Segment

EDITOR_VARIANTS = ("a", "b")


class CampaignForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=150)
    channel = forms.ChoiceField(label=_("Channel"), choices=MessageChannel.choices)
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.none())
    sender = forms.ModelChoiceField(
        label=_("Sender (email)"), queryset=SenderIdentity.objects.all(), required=False
    )
    holdout_percent = forms.IntegerField(label=_("Hold-out (%)"), min_value=0, max_value=50)
    ab_test_percent = forms.IntegerField(
        label=_("A/B test share (%)"),
        min_value=1,
        max_value=100,
        help_text=_("With two variants: the share that gets the test; the rest gets the winner."),
    )
    winner_metric = forms.ChoiceField(label=_("Winner chosen by"), choices=WinnerMetric.choices)
    decide_after_hours = forms.IntegerField(
        label=_("Decide after (hours)"), min_value=0, max_value=336
    )
    conversion_verb = forms.CharField(label=_("Conversion event"), max_length=60)
    conversion_days = forms.IntegerField(
        label=_("Conversion window (days)"), min_value=1, max_value=90
    )
    a_subject = forms.CharField(label=_("Subject"), max_length=250, required=False)
    a_body_text = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    a_body_html = forms.CharField(
        label=_("HTML"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    b_subject = forms.CharField(label=_("Subject"), max_length=250, required=False)
    b_body_text = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    b_body_html = forms.CharField(
        label=_("HTML"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args: Any, segments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = segments  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "name",
                "channel",
                "segment",
                "sender",
                "holdout_percent",
                "ab_test_percent",
                "winner_metric",
                "decide_after_hours",
                "conversion_verb",
                "conversion_days",
            )
        }

    def variants(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        variants = []
        for prefix in EDITOR_VARIANTS:
            fields = {
                name: data.get(f"{prefix}_{name}") or ""
                for name in ("subject", "body_text", "body_html")
            }
            if prefix == "a" or any(fields.values()):
                variants.append(fields)
        return variants


# Service error keys of variants → the form's fields.
VARIANT_FIELD_MAP = {
    f"variants.{index}.{name}": f"{prefix}_{name}"
    for index, prefix in enumerate(EDITOR_VARIANTS)
    for name in ("subject", "body_text", "body_html")
}


class ScheduleForm(StyledForm):
    scheduled_at = forms.DateTimeField(
        label=_("Send at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
