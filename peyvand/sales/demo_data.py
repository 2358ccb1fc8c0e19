"""Persian demo data for sales: a second pipeline, deals across every stage, leads (some from
a web form), an assignment rule and scoring rules, so the board and reports are not empty."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence

from django.utils import timezone

from peyvand.accounts.models import Team, User
from peyvand.contacts.models import Company, Contact

from .deals import deal_create, deal_move_stage
from .leads import lead_create
from .models import (
    AssignmentMethod,
    AssignmentRule,
    Pipeline,
    ScoringRule,
    Stage,
    StageKind,
    WebForm,
)
from .pipelines import pipeline_create
from .selectors import pipeline_default
from .web_forms import web_form_save, web_form_submit

DEAL_TOPICS = (
    "خرید تجهیزات شبکه",
    "قرارداد پشتیبانی سالانه",
    "راه‌اندازی نرم‌افزار حسابداری",
    "سفارش ۵۰ دستگاه لپ‌تاپ",
    "تمدید اشتراک",
    "پروژه طراحی فروشگاه اینترنتی",
    "خرید عمده مواد اولیه",
    "آموزش کارکنان",
)
WON_REASONS = ("قیمت مناسب", "کیفیت پشتیبانی", "سابقه همکاری")
LOST_REASONS = ("قیمت بالاتر از رقیب", "بودجه تصویب نشد", "زمان تحویل طولانی")
LEAD_NAMES = (
    ("مهسا", "نوری", "آرین‌تجارت"),
    ("حامد", "صادقی", ""),
    ("الهام", "فرهادی", "کلینیک سلامت نو"),
    ("کاوه", "جعفری", "مدرسه هوشمند فردا"),
    ("نگار", "بهرامی", ""),
    ("بهزاد", "کیانی", "پخش البرز"),
)


def _move_along(deal_id: int, stages: Sequence[Stage], rng: random.Random, owner: User) -> None:
    from .models import Deal

    deal = Deal.objects.get(pk=deal_id)
    target = rng.choice(stages)
    if target.pk == deal.stage_id:
        return
    reason = ""
    if target.kind == StageKind.WON:
        reason = rng.choice(WON_REASONS)
    elif target.kind == StageKind.LOST:
        reason = rng.choice(LOST_REASONS)
    deal_move_stage(actor=owner, deal=deal, stage=target, close_reason=reason)


def seed_sales_demo(
    *,
    rng: random.Random,
    owners: Sequence[User],
    contacts: Sequence[Contact],
    companies: Sequence[Company],
    deals: int = 40,
) -> tuple[int, int]:
    """Deals and leads for the demo; returns ``(deals, leads)`` created."""
    default = pipeline_default()
    if default is None:
        default = pipeline_create(actor=None, name="فروش")
    Stage.objects.filter(pipeline=default, kind="open").update(follow_up_days=7)
    wholesale = Pipeline.objects.filter(name="فروش عمده").first() or pipeline_create(
        actor=None,
        name="فروش عمده",
        stages=[
            {"name": "درخواست نمونه", "probability": 15},
            {"name": "ارسال نمونه", "probability": 35},
            {"name": "مذاکره قیمت", "probability": 60},
            {"name": "قرارداد امضا شد", "kind": "won"},
            {"name": "منصرف شد", "kind": "lost"},
        ],
    )
    sellers = [user for user in owners if user.role in ("sales", "manager")] or list(owners)
    today = timezone.localdate()
    made = 0
    for _index in range(deals):
        pipeline = default if rng.random() < 0.75 else wholesale
        contact = rng.choice(contacts) if contacts else None
        owner = rng.choice(sellers)
        deal = deal_create(
            actor=owner,
            values={
                "title": rng.choice(DEAL_TOPICS),
                "pipeline": pipeline,
                "amount": rng.randrange(5, 900) * 1_000_000,
                "expected_close_date": today + datetime.timedelta(days=rng.randrange(-30, 120)),
                "contact": contact,
                "company": contact.company if contact and contact.company else None,
                "owner": owner,
                "source": rng.choice(("website", "referral", "exhibition", "phone")),
                "forecast_category": rng.choice(("pipeline", "best_case", "commit")),
            },
        )
        stages = list(pipeline.stages.order_by("position"))
        _move_along(deal.pk, stages, rng, owner)
        made += 1
    team = Team.objects.filter(name="فروش تهران").first()
    rule, _created = AssignmentRule.objects.get_or_create(
        name="نوبتی بین فروش تهران",
        defaults={
            "method": AssignmentMethod.ROUND_ROBIN,
            "applies_to": "lead",
            "team": team,
            "respect_working_hours": False,
        },
    )
    if team is None:
        rule.users.set(sellers)
    ScoringRule.objects.filter(
        name__in=["معرفی‌شده", "نام شرکت دارد", "مدیر", "ایمیل رایگان"]
    ).delete()
    ScoringRule.objects.bulk_create(
        [
            ScoringRule(
                name="معرفی‌شده", field="source", operator="equals", value="referral", points=20
            ),
            ScoringRule(name="نام شرکت دارد", field="company_name", operator="is_set", points=15),
            ScoringRule(
                name="مدیر", field="job_title", operator="contains", value="مدیر", points=10
            ),
            ScoringRule(
                name="ایمیل رایگان",
                field="email_domain",
                operator="equals",
                value="gmail.com",
                points=-5,
            ),
        ]
    )
    form = WebForm.objects.filter(name="درخواست مشاوره").first() or web_form_save(
        actor=None,
        values={
            "name": "درخواست مشاوره",
            "title": "درخواست مشاوره رایگان",
            "introduction": "اطلاعات تماس خود را بگذارید؛ کارشناسان ما با شما تماس می‌گیرند.",
            "consent_text": "با دریافت پیامک و ایمیل از طرف شما موافقم.",
            "success_message": "درخواست شما ثبت شد. به‌زودی با شما تماس می‌گیریم.",
            "fields": [
                {"name": "first_name", "required": False},
                {"name": "last_name", "required": True},
                {"name": "phone", "required": True},
                {"name": "company_name", "required": False},
                {"name": "message", "label": "چه نیازی دارید؟", "required": False},
            ],
        },
    )
    _seed_products_and_quote(rng)
    leads = 0
    for index, (first, last, company) in enumerate(LEAD_NAMES):
        phone = f"0912{rng.randrange(10**6, 10**7)}"
        if index % 2 == 0:
            web_form_submit(
                web_form=form,
                answers={
                    "first_name": first,
                    "last_name": last,
                    "phone": phone,
                    "company_name": company,
                    "message": "لطفاً برای ارائه قیمت تماس بگیرید.",
                    "consent": True,
                },
                tracking={"utm_source": "instagram", "utm_campaign": "yalda-1405"},
            )
        else:
            lead_create(
                actor=None,
                values={
                    "first_name": first,
                    "last_name": last,
                    "phone": phone,
                    "company_name": company,
                    "source": "phone",
                    "estimated_amount": rng.randrange(10, 200) * 1_000_000,
                },
            )
        leads += 1
    return made, leads


PRODUCTS = (
    ("LP-15", "لپ‌تاپ ۱۵ اینچ", "دستگاه", 450_000_000, True),
    ("SRV-2U", "سرور رک ۲U", "دستگاه", 1_800_000_000, True),
    ("SUP-Y", "پشتیبانی سالانه", "سال", 120_000_000, True),
    ("TRN-D", "آموزش حضوری", "روز", 25_000_000, False),
)


def _seed_products_and_quote(rng: random.Random) -> None:
    """A small catalogue and one quote on an open deal, so the quote pages are not empty."""
    from .models import Deal, Product
    from .quotes import product_save, quote_create

    products = []
    for code, name, unit, price, taxable in PRODUCTS:
        existing = Product.objects.filter(code=code).first()
        products.append(
            existing
            or product_save(
                actor=None,
                values={
                    "code": code,
                    "name": name,
                    "unit": unit,
                    "price": price,
                    "is_taxable": taxable,
                },
            )
        )
    deal = Deal.objects.filter(status="open", contact__isnull=False).order_by("id").first()
    if deal is not None and not deal.quotes.exists():
        quote_create(
            actor=deal.owner,
            deal=deal,
            lines=[
                {"product": products[0], "quantity": rng.randrange(2, 20), "discount_percent": 5},
                {"product": products[3], "quantity": 2},
            ],
            values={"note": "اعتبار این پیش‌فاکتور یک هفته است."},
        )
