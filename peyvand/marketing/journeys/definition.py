"""A journey's flow and trigger settings: their JSON shape, strict validation with the exact
place of each error, and writing the steps of one version.

Flow shape::

    {"steps": [
        {"kind": "wait", "params": {"days": 1}},
        {"kind": "send_sms", "params": {"body": "سلام {{ first_name }}"}},
        {"kind": "branch", "params": {"condition": {"kind": "journey.purchased_since_entry",
                                                    "params": {}}},
         "yes": [<step>, ...], "no": [<step>, ...]},     # one level deep
    ]}

After a branch's yes or no steps the run continues with the step after the branch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peyvand.contacts.models import LifecycleStage
from peyvand.web.forms import StyledForm

from ..journey_models import EntryPolicy, Journey, JourneyStep, StepKind, TriggerKind
from ..rules import clean_rules

MAX_STEPS = 60


def number_input() -> forms.TextInput:
    # A text input, not type=number: browsers refuse Persian digits there; int() takes them.
    return forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr", "size": 5})


CATEGORY_CHOICES = [
    ("marketing", gettext_lazy("Marketing (needs consent)")),
    ("transactional", gettext_lazy("Service message")),
]
# Branch tests that look at the run itself rather than at the contact's fields.
RUN_CONDITIONS: dict[str, Any] = {
    "journey.opened_previous_email": gettext_lazy("Opened the previous email"),
    "journey.clicked_previous_email": gettext_lazy("Clicked a link in the previous email"),
    "journey.purchased_since_entry": gettext_lazy("Made a purchase since entering"),
}


class SendEmailForm(StyledForm):
    subject = forms.CharField(label=gettext_lazy("subject"), max_length=250)
    body = forms.CharField(label=gettext_lazy("text"), max_length=20_000, widget=forms.Textarea)
    category = forms.ChoiceField(
        label=gettext_lazy("kind of message"),
        choices=CATEGORY_CHOICES,
        initial="marketing",
        required=False,
    )

    def clean_category(self) -> str:
        # Unsaid, a message is marketing: it then needs consent and obeys quiet hours.
        return str(self.cleaned_data.get("category") or "marketing")


class SendSmsForm(StyledForm):
    body = forms.CharField(label=gettext_lazy("text"), max_length=1000, widget=forms.Textarea)
    category = forms.ChoiceField(
        label=gettext_lazy("kind of message"),
        choices=CATEGORY_CHOICES,
        initial="marketing",
        required=False,
    )

    def clean_category(self) -> str:
        # Unsaid, a message is marketing: it then needs consent and obeys quiet hours.
        return str(self.cleaned_data.get("category") or "marketing")


class WaitForm(StyledForm):
    days = forms.IntegerField(
        widget=number_input(), label=gettext_lazy("days"), min_value=0, max_value=3650, initial=1
    )
    hours = forms.IntegerField(
        widget=number_input(),
        label=gettext_lazy("hours"),
        min_value=0,
        max_value=23,
        required=False,
        initial=0,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["hours"] = cleaned.get("hours") or 0
        if cleaned.get("days") == 0 and cleaned["hours"] == 0:
            self.add_error("days", ValidationError(_("Wait at least one hour."), code="min"))
        return cleaned


class CreateTaskForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("task title"), max_length=200)
    due_days = forms.IntegerField(
        widget=number_input(),
        label=gettext_lazy("due in (days)"),
        min_value=0,
        max_value=365,
        initial=1,
    )


class AssignOwnerForm(StyledForm):
    owner = forms.IntegerField(widget=number_input(), label=gettext_lazy("owner"))

    def clean_owner(self) -> int:
        from peyvand.accounts.models import User

        owner = self.cleaned_data["owner"]
        if not User.objects.filter(pk=owner, is_active=True).exists():
            raise ValidationError(_("Choose an active user."), code="invalid_choice")
        return int(owner)


class AddTagForm(StyledForm):
    tag = forms.CharField(label=gettext_lazy("tag"), max_length=60)


class SetStageForm(StyledForm):
    stage = forms.ChoiceField(label=gettext_lazy("lifecycle stage"), choices=LifecycleStage.choices)


class WebhookForm(StyledForm):
    url = forms.URLField(label=gettext_lazy("address (URL)"), max_length=500, assume_scheme="https")

    def clean_url(self) -> str:
        from .webhook import WebhookAddressError, check_address

        url = str(self.cleaned_data["url"])
        if urlsplit(url).scheme not in {"http", "https"}:
            raise ValidationError(_("Use an http or https address."), code="invalid")
        try:
            check_address(url, resolve=False)
        except WebhookAddressError as error:
            raise ValidationError(str(error), code="forbidden_address") from error
        return url


STEP_FORMS: dict[str, type[forms.Form]] = {
    StepKind.SEND_EMAIL: SendEmailForm,
    StepKind.SEND_SMS: SendSmsForm,
    StepKind.WAIT: WaitForm,
    StepKind.CREATE_TASK: CreateTaskForm,
    StepKind.ASSIGN_OWNER: AssignOwnerForm,
    StepKind.ADD_TAG: AddTagForm,
    StepKind.SET_LIFECYCLE_STAGE: SetStageForm,
    StepKind.CALL_WEBHOOK: WebhookForm,
}


class NoParams(StyledForm):
    pass


class FormSubmittedForm(StyledForm):
    web_form = forms.IntegerField(
        widget=number_input(), label=gettext_lazy("web form (empty: any)"), required=False
    )


class StageChangedForm(StyledForm):
    to_stage = forms.ChoiceField(
        label=gettext_lazy("new stage (empty: any)"),
        choices=[("", "—"), *LifecycleStage.choices],
        required=False,
    )


class SurveyAnsweredForm(StyledForm):
    survey_kind = forms.ChoiceField(
        label=gettext_lazy("survey"),
        choices=[("csat", "CSAT"), ("nps", "NPS"), ("ces", "CES")],
        initial="csat",
    )
    max_score = forms.IntegerField(
        widget=number_input(),
        label=gettext_lazy("score at most (empty: any)"),
        min_value=0,
        max_value=10,
        required=False,
    )


class AnniversaryForm(StyledForm):
    field = forms.CharField(
        label=gettext_lazy("date (created_at or a custom field key)"),
        max_length=60,
        initial="created_at",
        required=False,
    )

    def clean_field(self) -> str:
        from peyvand.contacts.models import CustomField

        key = str(self.cleaned_data["field"] or "").strip()
        if key in {"", "created_at"}:
            return "created_at"
        if not CustomField.objects.filter(
            object_type="contact", key=key, field_type="date"
        ).exists():
            raise ValidationError(
                _("Use created_at or the key of a date custom field."), code="invalid_choice"
            )
        return key


class InactivityForm(StyledForm):
    days = forms.IntegerField(
        widget=number_input(), label=gettext_lazy("days"), min_value=1, max_value=3650, initial=90
    )


TRIGGER_FORMS: dict[str, type[forms.Form]] = {
    TriggerKind.FORM_SUBMITTED: FormSubmittedForm,
    TriggerKind.STAGE_CHANGED: StageChangedForm,
    TriggerKind.SURVEY_ANSWERED: SurveyAnsweredForm,
    TriggerKind.DATE_ANNIVERSARY: AnniversaryForm,
    TriggerKind.INACTIVITY: InactivityForm,
}


def step_form(kind: str) -> type[forms.Form]:
    return STEP_FORMS.get(kind, NoParams)


def trigger_form(kind: str) -> type[forms.Form]:
    return TRIGGER_FORMS.get(kind, NoParams)


Errors = dict[str, list[ValidationError]]


def _error(errors: Errors, path: str, message: str, code: str = "invalid") -> None:
    errors.setdefault(path, []).append(ValidationError(message, code=code))


def _form_params(
    form_class: type[forms.Form], raw: Any, path: str, errors: Errors
) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        _error(errors, path, _("Send an object."))
        return None
    form = form_class(data=dict(raw))
    for name in sorted(set(raw) - set(form.fields)):
        _error(errors, f"{path}.{name}", _("This field is not allowed."), "unknown")
    if not form.is_valid():
        for name, field_errors in form.errors.as_data().items():
            where = f"{path}.{name}" if name != "__all__" else path
            for error in field_errors:
                for message in error.messages:
                    _error(errors, where, message, error.code or "invalid")
        return None
    return {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}


def clean_condition(raw: Any, path: str, errors: Errors, user: Any = None) -> dict[str, Any] | None:
    """A branch condition: one of the run tests, or any segment condition kind."""
    if not isinstance(raw, Mapping):
        _error(errors, path, _("Choose what this branch tests."), "required")
        return None
    kind = raw.get("kind")
    if kind in RUN_CONDITIONS:
        return {"kind": kind, "params": {}}
    try:
        rules = clean_rules({"match": "all", "conditions": [dict(raw)]}, user=user, path="x")
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            where = path + key.removeprefix("x.conditions.0")
            for message in messages:
                _error(errors, where, message)
        return None
    return dict(rules["conditions"][0])


def _clean_steps(
    raw: Any, path: str, errors: Errors, user: Any, *, top: bool
) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        _error(errors, path, _("Send a list."))
        return []
    cleaned: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        where = f"{path}.{index}"
        if not isinstance(item, Mapping):
            _error(errors, where, _("A step must be an object."))
            continue
        allowed = {"kind", "params", "yes", "no"} if top else {"kind", "params"}
        for key in sorted(set(item) - allowed):
            message = (
                _("Branches cannot be nested inside branches.")
                if key in {"yes", "no"}
                else _("This field is not allowed.")
            )
            _error(errors, f"{where}.{key}", message, "unknown")
        kind = item.get("kind")
        if kind not in StepKind.values:
            _error(errors, f"{where}.kind", _("Choose a kind of step."), "invalid_choice")
            continue
        if kind == StepKind.BRANCH:
            if not top:
                _error(errors, f"{where}.kind", _("Branches cannot be nested inside branches."))
                continue
            params = item.get("params") or {}
            condition = clean_condition(
                params.get("condition") if isinstance(params, Mapping) else None,
                f"{where}.params.condition",
                errors,
                user,
            )
            yes = _clean_steps(item.get("yes", []), f"{where}.yes", errors, user, top=False)
            no = _clean_steps(item.get("no", []), f"{where}.no", errors, user, top=False)
            if condition is not None:
                cleaned.append(
                    {"kind": kind, "params": {"condition": condition}, "yes": yes, "no": no}
                )
            continue
        params = _form_params(step_form(kind), item.get("params", {}), f"{where}.params", errors)
        if params is not None:
            cleaned.append({"kind": kind, "params": params})
    return cleaned


def _count(steps: list[dict[str, Any]]) -> int:
    return sum(1 + len(step.get("yes", [])) + len(step.get("no", [])) for step in steps)


def clean_definition(raw: Any, *, user: Any = None) -> dict[str, Any]:
    """The flow in its stored form; raises ``ValidationError`` keyed by the place of each
    problem (``definition.steps.2.params.body``)."""
    errors: Errors = {}
    if not isinstance(raw, Mapping):
        raise ValidationError({"definition": [_("Send an object with a list of steps.")]})
    for key in sorted(set(raw) - {"steps"}):
        _error(errors, f"definition.{key}", _("This field is not allowed."), "unknown")
    steps = _clean_steps(raw.get("steps", []), "definition.steps", errors, user, top=True)
    if _count(steps) > MAX_STEPS:
        _error(
            errors,
            "definition.steps",
            _("Use at most %(count)s steps.") % {"count": MAX_STEPS},
            "too_many",
        )
    if errors:
        raise ValidationError(errors)
    return {"steps": steps}


def clean_trigger(kind: Any, params: Any) -> dict[str, Any]:
    """The trigger's settings in stored form; errors keyed ``trigger_params.<name>``."""
    errors: Errors = {}
    if kind not in TriggerKind.values:
        raise ValidationError({"trigger_kind": [_("Choose a trigger.")]})
    cleaned = _form_params(trigger_form(kind), params or {}, "trigger_params", errors)
    if errors or cleaned is None:
        raise ValidationError(errors)
    return cleaned


def clean_entry(policy: Any, interval_days: Any) -> tuple[str, int | None]:
    if policy not in EntryPolicy.values:
        raise ValidationError({"entry_policy": [_("Choose who may enter again.")]})
    if policy != EntryPolicy.ONCE_PER_DAYS:
        return str(policy), None
    if not isinstance(interval_days, int) or isinstance(interval_days, bool) or interval_days < 1:
        raise ValidationError({"entry_interval_days": [_("Enter a number of days (1 or more).")]})
    return str(policy), interval_days


def steps_write(journey: Journey, version: int, definition: Mapping[str, Any]) -> None:
    """Write the steps of ``version`` from a cleaned definition and link them; call inside
    the service's transaction (the version must have no steps yet)."""
    created: list[tuple[JourneyStep, list[JourneyStep], list[JourneyStep]]] = []
    position = 0

    def make(path: str, item: Mapping[str, Any]) -> JourneyStep:
        nonlocal position
        position += 1
        return JourneyStep.objects.create(
            journey=journey,
            version=version,
            path=path,
            position=position,
            kind=item["kind"],
            params=dict(item.get("params") or {}),
        )

    for index, item in enumerate(definition.get("steps") or []):
        step = make(str(index + 1), item)
        yes = [make(f"{index + 1}.yes.{n + 1}", sub) for n, sub in enumerate(item.get("yes", []))]
        no = [make(f"{index + 1}.no.{n + 1}", sub) for n, sub in enumerate(item.get("no", []))]
        created.append((step, yes, no))

    for index, (step, yes, no) in enumerate(created):
        following = created[index + 1][0] if index + 1 < len(created) else None
        for chain in (yes, no):
            for position_in_chain, sub in enumerate(chain):
                sub.next_step = (
                    chain[position_in_chain + 1]
                    if position_in_chain + 1 < len(chain)
                    else following
                )
                sub.save(update_fields=["next_step"])
        step.next_step = following
        step.yes_step = yes[0] if yes else None
        step.no_step = no[0] if no else None
        step.save(update_fields=["next_step", "yes_step", "no_step"])


def first_step(journey: Journey, version: int) -> JourneyStep | None:
    return JourneyStep.objects.filter(journey=journey, version=version).order_by("position").first()
