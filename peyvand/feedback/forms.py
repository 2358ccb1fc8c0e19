"""The customer's survey forms: the score (one click from the email), then the ease
question (CES 2.0) and a comment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EFFORT_RANGE, MAX_COMMENT, SCORE_RANGES, SurveyKind

EFFORT_LABELS = {
    1: _("Strongly disagree"),
    2: _("Disagree"),
    3: _("Somewhat disagree"),
    4: _("Neither agree nor disagree"),
    5: _("Somewhat agree"),
    6: _("Agree"),
    7: _("Strongly agree"),
}


class ScoreForm(forms.Form):
    """How satisfied the customer is (CSAT 1–5; NPS 0–10 for an NPS survey)."""

    score = forms.TypedChoiceField(
        label=_("How satisfied are you with our support?"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a score.")},
    )

    def __init__(self, *args: object, kind: str = SurveyKind.CSAT, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        low, high = SCORE_RANGES.get(kind, (1, 5))
        field = self.fields["score"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(value, str(value)) for value in range(high, low - 1, -1)]


class DetailsForm(forms.Form):
    """The ease question and an optional comment."""

    effort = forms.TypedChoiceField(
        label=_("The company made it easy for me to handle my issue."),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        choices=[
            (value, f"{value} · {EFFORT_LABELS[value]}")
            for value in range(EFFORT_RANGE[0], EFFORT_RANGE[1] + 1)
        ],
    )
    comment = forms.CharField(
        label=_("Anything else you would like to tell us? (optional)"),
        required=False,
        strip=True,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_COMMENT}),
    )
