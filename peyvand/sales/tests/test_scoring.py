"""Lead scoring: each operator on lead attributes (Persian-normalized), behaviour rules
(form submissions, logged activities), the sum and its reasons, and when scores are
recomputed."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.sales.leads import lead_create, lead_set_status, lead_update
from peyvand.sales.models import Lead, ScoringRule
from peyvand.sales.scoring import lead_score, leads_rescore, rule_matches
from peyvand.sales.web_forms import web_form_save, web_form_submit
from peyvand.timeline.services import activity_log

from .factories import make_lead

pytestmark = pytest.mark.django_db


def _rule(field: str, operator: str, value: str = "", points: int = 10, **extra: Any) -> Any:
    name = extra.pop("name", f"{field} {operator} {value}".strip())
    return ScoringRule.objects.create(
        name=name, field=field, operator=operator, value=value, points=points, **extra
    )


def _lead(**values: Any) -> Lead:
    """An unsaved lead with the given attributes (what the rules read)."""
    values.setdefault("first_name", "سارا")
    values.setdefault("phone", "+989121234567")
    return Lead(**values)


@pytest.mark.parametrize(
    ("field", "operator", "value", "attributes", "matches"),
    [
        ("source", "equals", "instagram", {"source": "instagram"}, True),
        ("source", "equals", "instagram", {"source": "website"}, False),
        ("source", "equals", "", {"source": ""}, False),  # an empty value never matches
        ("job_title", "equals", "مدیر", {"job_title": "مدیر خرید"}, False),
        ("job_title", "contains", "مدیر", {"job_title": "مدیر خرید"}, True),
        ("job_title", "contains", "مدیر", {"job_title": "کارشناس فروش"}, False),
        ("utm_campaign", "contains", "Spring", {"utm_campaign": "nowruz-spring-1404"}, True),
        ("company_name", "is_set", "", {"company_name": "پارس"}, True),
        ("company_name", "is_set", "", {"company_name": ""}, False),
        ("estimated_amount", "is_set", "", {"estimated_amount": None}, False),
        ("estimated_amount", "at_least", "100000000", {"estimated_amount": 100_000_000}, True),
        ("estimated_amount", "at_least", "100000000", {"estimated_amount": 99_999_999}, False),
        ("estimated_amount", "at_least", "100000000", {"estimated_amount": None}, False),
        ("estimated_amount", "at_least", "زیاد", {"estimated_amount": 5}, False),  # not a number
        ("province", "equals", "tehran", {"province": "tehran"}, True),
        ("phone", "contains", "98912", {"phone": "+989121234567"}, True),
    ],
)
def test_rule_operators_on_attributes(
    field: str, operator: str, value: str, attributes: dict[str, Any], matches: bool
) -> None:
    rule = ScoringRule(name="r", field=field, operator=operator, value=value, points=1)
    assert rule_matches(rule, _lead(**attributes)) is matches


@pytest.mark.parametrize(
    ("field", "operator", "rule_value", "attributes"),
    [
        ("city", "equals", "كيش", {"city": "کیش"}),  # Arabic Kaf and Yeh in the rule
        ("city", "equals", "کیش", {"city": "كيش"}),  # ... or in the lead
        ("company_name", "contains", "شركت", {"company_name": "شرکت پارس"}),
        ("job_title", "equals", "مدير عامل", {"job_title": "مدیر‌عامل"}),  # space vs ZWNJ
        ("message", "contains", "۲۰ عدد", {"message": "خرید 20 عدد لپ‌تاپ"}),  # digits
    ],
)
def test_text_comparisons_are_persian_normalized(
    field: str, operator: str, rule_value: str, attributes: dict[str, Any]
) -> None:
    rule = ScoringRule(name="r", field=field, operator=operator, value=rule_value, points=1)
    assert rule_matches(rule, _lead(**attributes)) is True


def test_a_phone_rule_in_the_national_form_matches() -> None:
    rule = ScoringRule(name="r", field="phone", operator="contains", value="0912", points=1)
    assert rule_matches(rule, _lead(phone="+989121234567")) is True


@pytest.mark.parametrize(
    ("operator", "value", "email", "matches"),
    [
        ("equals", "Example.com", "sara@example.com", True),
        ("equals", "example.com", "sara@mail.example.com", False),
        ("contains", "example", "sara@mail.example.com", True),
        ("equals", "gmail.com", "sara@example.com", False),
        ("is_set", "", "", False),
        ("is_set", "", "sara@example.com", True),
    ],
)
def test_email_domain(operator: str, value: str, email: str, matches: bool) -> None:
    rule = ScoringRule(name="r", field="email_domain", operator=operator, value=value, points=1)
    assert rule_matches(rule, _lead(email=email)) is matches


def test_score_is_the_sum_with_reasons_ordered_by_absolute_points() -> None:
    small = _rule("source", "equals", "website", 5, name="وب‌سایت")
    big_minus = _rule("email_domain", "equals", "gmail.com", -30, name="ایمیل شخصی")
    big_plus = _rule("company_name", "is_set", "", 20, name="شرکت دارد")
    tie = _rule("city", "equals", "تهران", -5, name="تهران")
    _rule("province", "equals", "fars", 100, name="فارس")  # does not fire
    _rule("source", "equals", "website", 50, name="خاموش", is_active=False)

    score, reasons = lead_score(
        _lead(source="website", email="sara@gmail.com", company_name="پارس", city="تهران")
    )

    assert score == -10
    assert reasons == [
        {"rule": big_minus.name, "points": -30},
        {"rule": big_plus.name, "points": 20},
        {"rule": small.name, "points": 5},  # equal weight: the older rule first
        {"rule": tie.name, "points": -5},
    ]


def test_a_negative_rule_can_make_the_score_negative() -> None:
    _rule("source", "equals", "import", -20, name="فهرست خریداری‌شده")
    assert lead_score(_lead(source="import")) == (
        -20,
        [{"rule": "فهرست خریداری‌شده", "points": -20}],
    )
    assert lead_score(_lead(source="website")) == (0, [])


def test_the_score_is_stored_when_a_lead_is_created() -> None:
    _rule("job_title", "contains", "مدیر", 15, name="تصمیم‌گیرنده")
    _rule("city", "equals", "كرج", 7, name="کرج")
    lead = make_lead(job_title="مدير فروش", city="کرج")
    assert (lead.score, lead.score_reasons) == (
        22,
        [{"rule": "تصمیم‌گیرنده", "points": 15}, {"rule": "کرج", "points": 7}],
    )
    lead.refresh_from_db()
    assert (lead.score, lead.score_reasons) == (
        22,
        [{"rule": "تصمیم‌گیرنده", "points": 15}, {"rule": "کرج", "points": 7}],
    )


def test_the_score_follows_changes_to_the_lead(sales_user: Any) -> None:
    _rule("estimated_amount", "at_least", "1000000000", 40, name="بزرگ")
    lead = make_lead(actor=sales_user, estimated_amount=10_000_000)
    assert lead.score == 0

    lead_update(actor=sales_user, lead=lead, values={"estimated_amount": 2_000_000_000})
    lead.refresh_from_db()
    assert (lead.score, lead.score_reasons) == (40, [{"rule": "بزرگ", "points": 40}])

    lead_update(actor=sales_user, lead=lead, values={"estimated_amount": None})
    lead.refresh_from_db()
    assert (lead.score, lead.score_reasons) == (0, [])


def test_leads_rescore_returns_how_many_scores_changed(sales_user: Any) -> None:
    tehran = make_lead(actor=sales_user, city="تهران", phone="09121111111")
    make_lead(actor=sales_user, city="شیراز", phone="09122222222")
    closed = make_lead(actor=sales_user, city="تهران", phone="09123333333")
    lead_set_status(actor=sales_user, lead=closed, status="unqualified", reason="تکراری")
    assert leads_rescore() == 0  # no rules yet

    rule = _rule("city", "equals", "تهران", 10, name="پایتخت")
    assert leads_rescore() == 1  # the closed lead is left alone
    tehran.refresh_from_db()
    closed.refresh_from_db()
    assert (tehran.score, tehran.score_reasons) == (10, [{"rule": "پایتخت", "points": 10}])
    assert (closed.score, closed.score_reasons) == (0, [])
    assert leads_rescore() == 0  # nothing moved since

    assert leads_rescore(only_open=False) == 1
    closed.refresh_from_db()
    assert closed.score == 10

    ScoringRule.objects.filter(pk=rule.pk).update(name="تهران")  # same points, new reason
    assert leads_rescore(only_open=False) == 2
    tehran.refresh_from_db()
    assert tehran.score_reasons == [{"rule": "تهران", "points": 10}]


def test_repeated_form_submissions_by_the_same_person_score() -> None:
    _rule("submissions", "at_least", "2", 15, name="دوباره پر کرد")
    web_form = web_form_save(actor=None, values={"name": "فرم"})
    answers = {"last_name": "کریمی", "phone": "09121234567"}

    first = web_form_submit(web_form=web_form, answers=answers)
    other_person = web_form_submit(
        web_form=web_form, answers={"last_name": "نادری", "phone": "09351234567"}
    )
    second = web_form_submit(web_form=web_form, answers={**answers, "phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷"})
    by_email = web_form_submit(
        web_form=web_form,
        answers={"last_name": "کریمی", "phone": "09121234567", "email": "sara@example.ir"},
    )

    assert (first.score, other_person.score) == (0, 0)
    assert (second.score, second.score_reasons) == (15, [{"rule": "دوباره پر کرد", "points": 15}])
    assert by_email.score == 15
    # A lead typed in by hand is not a submission, but sees the person's submissions.
    manual = lead_create(actor=None, values={"last_name": "کریمی", "phone": "09121234567"})
    assert manual.score == 15
    three = ScoringRule(name="r", field="submissions", operator="at_least", value="3", points=1)
    four = ScoringRule(name="r", field="submissions", operator="at_least", value="4", points=1)
    assert (rule_matches(three, manual), rule_matches(four, manual)) == (True, False)
    one = ScoringRule(name="r", field="submissions", operator="at_least", value="1", points=1)
    assert (rule_matches(one, other_person), rule_matches(three, other_person)) == (True, False)


def test_logged_activities_score_once_the_lead_is_rescored(sales_user: Any) -> None:
    _rule("activities", "at_least", "2", 25, name="پیگیری فعال")
    lead = make_lead(actor=sales_user)
    assert lead.score == 0

    activity_log(actor=sales_user, values={"kind": "call", "lead": lead, "subject": "تماس اول"})
    lead_update(actor=sales_user, lead=lead, values={})
    lead.refresh_from_db()
    assert lead.score == 0  # one activity is not enough

    activity_log(
        actor=sales_user, values={"kind": "meeting", "lead": lead, "subject": "جلسه حضوری"}
    )
    # Logging an activity does not itself rescore; saving the lead (or leads_rescore) does.
    lead_update(actor=sales_user, lead=lead, values={})
    lead.refresh_from_db()
    assert (lead.score, lead.score_reasons) == (25, [{"rule": "پیگیری فعال", "points": 25}])


def test_activities_on_other_records_do_not_count(sales_user: Any) -> None:
    _rule("activities", "is_set", "", 5, name="فعالیت دارد")
    lead = make_lead(actor=sales_user)
    other = make_lead(actor=sales_user, phone="09351234567")
    activity_log(actor=sales_user, values={"kind": "call", "lead": other, "subject": "تماس"})
    assert leads_rescore() == 1
    lead.refresh_from_db()
    other.refresh_from_db()
    assert (lead.score, other.score) == (0, 5)


def test_the_lead_page_shows_why_the_score(logged_in: Any, sales_user: Any) -> None:
    _rule("company_name", "is_set", "", 20, name="شرکت دارد")
    _rule("source", "equals", "import", -5, name="واردشده")
    lead = make_lead(actor=sales_user, company_name="پارس", source="import")
    content = logged_in(sales_user).get(f"/sales/leads/{lead.pk}/").content.decode()
    assert 'id="score-reasons"' in content
    assert "شرکت دارد" in content and "واردشده" in content
    assert content.index("شرکت دارد") < content.index("واردشده")
