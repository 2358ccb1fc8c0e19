"""Rules are validated strictly on save: every problem is a field error at its exact path,
naming the condition, in English and Farsi."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from peyvand.contacts.models import CustomField
from peyvand.marketing.conditions import (
    ConditionForm,
    ConditionKind,
    condition_kind,
    register_condition,
    unregister_condition,
)
from peyvand.marketing.models import Segment
from peyvand.marketing.rules import clean_rules, rules_q
from peyvand.marketing.selectors import segment_members
from peyvand.marketing.services import segment_create
from peyvand.marketing.tests.conftest import condition

pytestmark = pytest.mark.django_db


def errors_of(raw: Any) -> dict[str, list[str]]:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        clean_rules(raw)
    return caught.value.message_dict


def test_unknown_kind_operator_and_value_type_are_field_errors() -> None:
    raw = {
        "match": "all",
        "conditions": [
            condition("contact.shoe_size", value=42),
            condition("contact.lifecycle_stage", operator="like", values=["lead"]),
            condition("contact.created", operator="within_last_days", days="many"),
            condition("contact.city", operator="equals", value="تهران", colour="red"),
        ],
    }
    assert errors_of(raw) == {
        "rules.conditions.0.kind": ["Unknown condition kind “contact.shoe_size”."],
        "rules.conditions.1.params.operator": [
            "Lifecycle stage: Select a valid choice. like is not one of the available choices."
        ],
        "rules.conditions.2.params.days": ["Created: Enter a whole number."],
        "rules.conditions.3.params.colour": ["City: unknown parameter “colour”."],
    }


def test_errors_inside_a_group_and_about_the_shape() -> None:
    raw = {
        "match": "most",
        "extra": 1,
        "conditions": [
            {"match": "any", "conditions": [condition("contact.created", operator="after")]},
            {"match": "any", "conditions": []},
            {"match": "all", "conditions": [{"match": "any", "conditions": []}]},
            "city is Tehran",
            {"kind": "contact.city", "params": "Tehran"},
        ],
    }
    assert errors_of(raw) == {
        "rules.match": ["Choose “all” or “any”."],
        "rules.extra": ["This field is not allowed."],
        "rules.conditions.0.conditions.0.params.date": ["Created: Enter a date."],
        "rules.conditions.1.conditions": ["A group needs at least one condition."],
        "rules.conditions.2.conditions.0": ["Groups cannot be nested inside groups."],
        "rules.conditions.3": ["A condition must be an object."],
        "rules.conditions.4.params": ["Send an object."],
    }


def test_missing_parameters_and_bad_custom_field_values() -> None:
    CustomField.objects.create(
        object_type="contact", key="children", label_fa="فرزندان", field_type="number"
    )
    raw = {
        "conditions": [
            condition("contact.tags", operator="any", tags=[999_999]),
            condition("contact.custom_field", field="children", operator="gt", value="زیاد"),
            condition("contact.custom_field", field="children", operator="contains", value="1"),
            condition("contact.custom_field", field="nope", operator="gt", value=1),
            condition("activity.event", operator="had", verb="contact.created"),
        ]
    }
    assert errors_of(raw) == {
        "rules.conditions.0.params.tags": [
            "Tags: Select a valid choice. 999999 is not one of the available choices."
        ],
        "rules.conditions.1.params.value": ["Custom field: Enter a number."],
        "rules.conditions.2.params.operator": [
            "Custom field: This operator does not fit a field of type Number."
        ],
        "rules.conditions.3.params.field": [
            "Custom field: Select a valid choice. nope is not one of the available choices."
        ],
        "rules.conditions.4.params.days": [
            "Had an event in the last N days: This field is required."
        ],
    }


def test_errors_are_in_farsi_for_farsi_users() -> None:
    with translation.override("fa"), pytest.raises(ValidationError) as caught:
        clean_rules({"conditions": [condition("contact.created", operator="after")]})
    message = caught.value.message_dict["rules.conditions.0.params.date"][0]
    # The condition's label comes from the catalog ("Created" is "تاریخ ایجاد").
    assert message.startswith("تاریخ ایجاد: ")


def test_the_service_refuses_invalid_rules_and_saves_nothing() -> None:
    with pytest.raises(ValidationError) as caught:
        segment_create(
            actor=None,
            values={"name": "", "rules": {"conditions": [condition("contact.city")]}},
        )
    assert set(caught.value.message_dict) == {
        "name",
        "rules.conditions.0.params.operator",
        "rules.conditions.0.params.value",
    }
    assert not Segment.objects.exists()


def test_cleaned_rules_are_stored_normalized() -> None:
    cleaned = clean_rules(
        {
            "conditions": [
                condition("contact.city", operator="equals", value="  كرمان "),
                condition("contact.created", operator="after", date="۱۴۰۴/۱۲/۰۱"),
                condition("activity.inactive", days="۳۰"),
            ]
        }
    )
    assert cleaned == {
        "match": "all",
        "conditions": [
            {"kind": "contact.city", "params": {"operator": "equals", "value": "کرمان"}},
            {"kind": "contact.created", "params": {"operator": "after", "date": "2026-02-20"}},
            {"kind": "activity.inactive", "params": {"days": 30}},
        ],
    }


def test_another_app_registers_a_condition_kind() -> None:
    from django import forms
    from django.db.models import Q

    from peyvand.contacts.tests.factories import make_contact

    class NameLengthForm(ConditionForm):
        letters = forms.IntegerField(min_value=1)

    kind = ConditionKind(
        key="test.first_name_is",
        label="First name is",
        group="Test",
        form=NameLengthForm,
        build=lambda params: Q(first_name__startswith="س" * params["letters"]),
    )
    register_condition(kind)
    try:
        sara = make_contact(first_name="سارا")
        make_contact(first_name="مریم")
        segment = segment_create(
            actor=None,
            values={"name": "س", "rules": {"conditions": [condition(kind.key, letters=1)]}},
        )
        assert list(segment_members(segment).values_list("pk", flat=True)) == [sara.pk]
        with pytest.raises(Exception, match="already registered"):
            register_condition(
                ConditionKind(kind.key, "Another", "Test", NameLengthForm, lambda params: Q())
            )
    finally:
        unregister_condition(kind.key)
    # Its app gone, the segment fails closed: nobody matches.
    assert condition_kind(kind.key) is None
    assert segment_members(segment).count() == 0
    assert str(rules_q(segment.rules)) == str(Q(pk__in=[]))
