"""Ready journeys to start from: the seven the product ships, in Farsi, as drafts a marketer
reviews and activates. Post-purchase messages stay about the purchase (thanks, care); the
first suggestion of something more comes no earlier than day 14."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


def _step(kind: str, **params: Any) -> dict[str, Any]:
    return {"kind": kind, "params": params}


def _wait(days: int) -> dict[str, Any]:
    return _step("wait", days=days, hours=0)


def _branch(condition: str, yes: list[Any], no: list[Any], **params: Any) -> dict[str, Any]:
    return {
        "kind": "branch",
        "params": {"condition": {"kind": condition, "params": params}},
        "yes": yes,
        "no": no,
    }


def _stage_is(*stages: str) -> dict[str, Any]:
    return {
        "match": "all",
        "conditions": [
            {
                "kind": "contact.lifecycle_stage",
                "params": {"operator": "in", "values": list(stages)},
            }
        ],
    }


@dataclass(frozen=True)
class JourneyTemplate:
    key: str
    title: str | Promise
    summary: str | Promise
    values: dict[str, Any]


TEMPLATES: tuple[JourneyTemplate, ...] = (
    JourneyTemplate(
        "welcome_series",
        _("Welcome series for new leads"),
        _("A welcome email at once, an SMS to those who did not open it, then a second email."),
        {
            "name": "سری خوش‌آمدگویی سرنخ‌های تازه",
            "trigger_kind": "contact_created",
            "entry_rules": _stage_is("lead", "subscriber"),
            "entry_policy": "once_ever",
            "definition": {
                "steps": [
                    _step(
                        "send_email",
                        subject="{{ first_name }} عزیز، خوش آمدید",
                        body="سلام {{ first_name }}،\nاز آشنایی با شما خوشحالیم. "
                        "در روزهای آینده چند نکته‌ی کاربردی برایتان می‌فرستیم.",
                        category="marketing",
                    ),
                    _wait(2),
                    _branch(
                        "journey.opened_previous_email",
                        yes=[_step("add_tag", tag="خوش‌آمد-خوانده")],
                        no=[
                            _step(
                                "send_sms",
                                body="{{ first_name }} عزیز، ایمیل خوش‌آمدگویی ما را ببینید.",
                                category="marketing",
                            )
                        ],
                    ),
                    _wait(5),
                    _step(
                        "send_email",
                        subject="چطور بیشترین بهره را ببرید",
                        body="سلام {{ first_name }}،\n"
                        "سه راه ساده برای شروع را برایتان آماده کرده‌ایم.",
                        category="marketing",
                    ),
                ]
            },
        },
    ),
    JourneyTemplate(
        "post_purchase",
        _("Post-purchase thank-you and care"),
        _("A thank-you SMS the next day and a care email on day 7; nothing to sell before day 14."),
        {
            "name": "تشکر و مراقبت پس از خرید",
            "trigger_kind": "purchase",
            "entry_policy": "every_time",
            "definition": {
                "steps": [
                    _wait(1),
                    _step(
                        "send_sms",
                        body="{{ first_name }} عزیز، از خرید شما سپاسگزاریم.",
                        category="transactional",
                    ),
                    _wait(6),
                    _step(
                        "send_email",
                        subject="نکته‌های نگهداری از خرید شما",
                        body="سلام {{ first_name }}،\nبرای اینکه از خریدتان بیشترین استفاده را "
                        "ببرید، این نکته‌ها را آماده کرده‌ایم. هر پرسشی داشتید پاسخ همین ایمیل "
                        "را بفرستید.",
                        category="transactional",
                    ),
                    _wait(7),
                    _step(
                        "send_email",
                        subject="پیشنهادهایی که شاید دوست داشته باشید",
                        body="سلام {{ first_name }}،\nچند محصول که با خرید شما جور است.",
                        category="marketing",
                    ),
                ]
            },
        },
    ),
    JourneyTemplate(
        "birthday",
        _("Birthday greeting with a personal discount code"),
        _("On the contact's Jalali birthday: an SMS with a code made for them this year."),
        {
            "name": "تبریک تولد با کد تخفیف",
            "trigger_kind": "birthday",
            "entry_policy": "every_time",
            "definition": {
                "steps": [
                    _step(
                        "send_sms",
                        body="{{ first_name }} عزیز، تولدتان مبارک! کد تخفیف ویژه‌ی شما: "
                        "{{ discount_code }}",
                        category="marketing",
                    )
                ]
            },
        },
    ),
    JourneyTemplate(
        "service_renewal",
        _("Service renewal reminder"),
        _("Eleven months after a purchase: a reminder SMS, and a call task a month later."),
        {
            "name": "یادآوری تمدید سرویس",
            "trigger_kind": "purchase",
            "entry_policy": "every_time",
            "definition": {
                "steps": [
                    _wait(335),
                    _step(
                        "send_sms",
                        body="{{ first_name }} عزیز، سرویس شما تا یک ماه دیگر تمدید می‌شود.",
                        category="transactional",
                    ),
                    _wait(30),
                    _branch(
                        "journey.purchased_since_entry",
                        yes=[],
                        no=[_step("create_task", title="تماس برای تمدید سرویس", due_days=2)],
                    ),
                ]
            },
        },
    ),
    JourneyTemplate(
        "undecided_leads",
        _("Follow-up task for undecided leads"),
        _("A lead from a web form who is still a lead after five days gets a call task."),
        {
            "name": "پیگیری سرنخ‌های مردد",
            "trigger_kind": "form_submitted",
            "entry_policy": "once_per_days",
            "entry_interval_days": 30,
            "definition": {
                "steps": [
                    _wait(5),
                    _branch(
                        "contact.lifecycle_stage",
                        operator="in",
                        values=["lead", "subscriber"],
                        yes=[
                            _step("create_task", title="پیگیری {{ full_name }}", due_days=1),
                            _step("add_tag", tag="مردد"),
                        ],
                        no=[],
                    ),
                ]
            },
        },
    ),
    JourneyTemplate(
        "win_back",
        _("Win-back offer for customers at risk"),
        _(
            "A customer quiet for 60 days whose churn risk is 50 percent or more gets an offer; "
            "without a purchase in two weeks they are marked churned."
        ),
        {
            "name": "بازگرداندن مشتریان در خطر ریزش",
            "trigger_kind": "inactivity",
            "trigger_params": {"days": 60},
            # The churn model's daily scores pick who is really leaving among the quiet
            # ones; entry rules are checked every day, so a customer whose risk rises later
            # in the same quiet stretch still enters (once).
            "entry_rules": {
                "match": "all",
                "conditions": [
                    *_stage_is("customer", "loyal")["conditions"],
                    {
                        "kind": "intelligence.churn_risk",
                        "params": {"operator": "at_least", "percent": 50},
                    },
                ],
            },
            "entry_policy": "once_per_days",
            "entry_interval_days": 180,
            "definition": {
                "steps": [
                    _step(
                        "send_sms",
                        body="{{ first_name }} عزیز، دلمان برایتان تنگ شده! با کد "
                        "{{ discount_code }} خرید بعدی‌تان تخفیف دارد.",
                        category="marketing",
                    ),
                    _wait(14),
                    _branch(
                        "journey.purchased_since_entry",
                        yes=[_step("add_tag", tag="بازگشته")],
                        no=[_step("set_lifecycle_stage", stage="churned")],
                    ),
                ]
            },
        },
    ),
    JourneyTemplate(
        "csat_detractors",
        _("CSAT follow-up for detractors"),
        _("A CSAT of 1 or 2: a call task for the owner at once, a caring SMS after two days."),
        {
            "name": "پیگیری مشتریان ناراضی (CSAT)",
            "trigger_kind": "survey_answered",
            "trigger_params": {"survey_kind": "csat", "max_score": 2},
            "entry_policy": "every_time",
            "definition": {
                "steps": [
                    _step("create_task", title="تماس با مشتری ناراضی: {{ full_name }}", due_days=1),
                    _wait(2),
                    _step(
                        "send_sms",
                        body="{{ first_name }} عزیز، نظر شما را جدی گرفته‌ایم "
                        "و در حال پیگیری هستیم.",
                        category="transactional",
                    ),
                ]
            },
        },
    ),
)


def template_values(key: str) -> dict[str, Any] | None:
    for template in TEMPLATES:
        if template.key == key:
            return dict(template.values)
    return None
