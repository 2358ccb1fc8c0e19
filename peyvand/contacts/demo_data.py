"""Realistic Persian demo data: people, companies, notes, calls and tasks.

Deterministic for a given seed. Phones and digits are deliberately typed in mixed forms
(Persian digits, +98, 0098) and some names use Arabic ي/ك, the way real spreadsheets arrive;
everything goes through the same services a person's input does.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from peyvand.accounts.models import Role, Team, User
from peyvand.common.iran import CITIES, PROVINCES, PROVINCES_BY_CODE, Province
from peyvand.common.persian import to_persian_digits
from peyvand.common.validators import format_phone
from peyvand.timeline.services import activity_log, task_create

from .models import Company, Contact, LifecycleStage, Source
from .services import company_create, contact_create, contact_set_consent

FIRST_NAMES_FEMALE = (
    "مریم",
    "زهرا",
    "فاطمه",
    "سارا",
    "نرگس",
    "لیلا",
    "مهسا",
    "نگار",
    "الهام",
    "شیرین",
    "پریسا",
    "سمیرا",
    "نازنین",
    "آزاده",
    "یاسمن",
    "ریحانه",
    "کیمیا",
    "هانیه",
    "مینا",
    "رویا",
)
FIRST_NAMES_MALE = (
    "علی",
    "محمد",
    "حسین",
    "رضا",
    "مهدی",
    "امیر",
    "سعید",
    "حمید",
    "کامران",
    "بهرام",
    "مجید",
    "یاسر",
    "پویا",
    "آرش",
    "کیوان",
    "فرهاد",
    "بابک",
    "مسعود",
    "عبدالله",
    "سینا",
)
LAST_NAMES = (
    "محمدی",
    "حسینی",
    "احمدی",
    "رضایی",
    "کریمی",
    "موسوی",
    "جعفری",
    "صادقی",
    "رحیمی",
    "کاظمی",
    "هاشمی",
    "قاسمی",
    "نوری",
    "یزدانی",
    "شریفی",
    "تهرانی",
    "اصفهانی",
    "شیرازی",
    "کرمانی",
    "فراهانی",
    "میرزایی",
    "نیک‌نام",
    "خسروی",
    "بهرامی",
    "امینی",
    "ملکی",
    "طاهری",
    "زمانی",
)
COMPANY_WORDS = (
    "پارس",
    "آریا",
    "نوین",
    "سپهر",
    "تجارت",
    "صنعت",
    "فناوری",
    "کیان",
    "مهر",
    "آسیا",
    "پیشرو",
    "البرز",
    "زاگرس",
    "دنا",
    "ایده",
    "رایان",
)
COMPANY_KINDS = ("شرکت", "گروه", "فروشگاه", "کلینیک", "آموزشگاه", "بازرگانی")
INDUSTRIES = (
    "فروشگاه اینترنتی",
    "خدمات فنی",
    "سلامت و درمان",
    "آموزش",
    "پخش و توزیع",
    "نرم‌افزار",
    "ساختمان",
    "گردشگری",
)
NOTES = (
    "مشتری به محصول جدید علاقه‌مند است و قیمت عمده خواست.",
    "از زمان تحویل سفارش قبلی راضی نبود؛ پیگیری شد.",
    "درخواست پیش‌فاکتور برای ۲۰ عدد.",
    "تماس گرفت و درباره گارانتی پرسید.",
    "در نمایشگاه با ایشان آشنا شدیم.",
    "پیشنهاد تمدید قرارداد پشتیبانی سالانه را پذیرفت.",
)
AREA_CODES = ("21", "31", "41", "51", "71", "26", "34", "61", "13", "17")
TASK_TITLES = (
    "پیگیری پیش‌فاکتور",
    "تماس برای تمدید قرارداد",
    "ارسال کاتالوگ",
    "هماهنگی جلسه دمو",
    "پیگیری رضایت از خرید",
    "ارسال تبریک تولد",
)


@dataclass
class SeedReport:
    contacts: int = 0
    companies: int = 0
    activities: int = 0
    tasks: int = 0
    deals: int = 0
    leads: int = 0
    tickets: int = 0


def messy_phone(rng: random.Random) -> str:
    """An Iranian mobile number in one of the forms people actually type."""
    prefix = rng.choice(("912", "935", "901", "919", "991", "930", "921"))
    rest = f"{rng.randrange(10_000_000):07d}"
    form = rng.randrange(5)
    if form == 0:
        return to_persian_digits(f"0{prefix}{rest}")
    if form == 1:
        return f"+98 {prefix} {rest[:3]} {rest[3:]}"
    if form == 2:
        return f"0098{prefix}{rest}"
    if form == 3:
        return f"0{prefix}-{rest[:3]}-{rest[3:]}"
    return f"0{prefix}{rest}"


def random_national_id(rng: random.Random) -> str:
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        if len(set(digits)) > 1:
            break
    total = sum(digit * (10 - index) for index, digit in enumerate(digits)) % 11
    check = total if total < 2 else 11 - total
    return "".join(map(str, digits)) + str(check)


def arabic_variant(text: str, rng: random.Random) -> str:
    return text.replace("ی", "ي").replace("ک", "ك") if rng.random() < 0.15 else text


def demo_users() -> list[User]:
    """The demo's team: a manager and three sellers/agents (no usable passwords)."""
    team, _created = Team.objects.get_or_create(name="فروش تهران")
    support, _created = Team.objects.get_or_create(name="پشتیبانی")
    people = [
        ("neda", "ندا", "کریمی", Role.MANAGER, team),
        ("reza", "رضا", "احمدی", Role.SALES, team),
        ("sara", "سارا", "موسوی", Role.SALES, team),
        ("omid", "امید", "رحیمی", Role.SUPPORT, support),
    ]
    users = []
    for username, first, last, role, member_of in people:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "role": role}
        )
        if created:
            user.set_unusable_password()
            user.save()
            user.teams.add(member_of)
        users.append(user)
    return users


def seed_demo_data(*, contacts: int, seed: int = 1403) -> SeedReport:
    """Create ``contacts`` people (and about one company per eight people) with history."""
    rng = random.Random(seed)
    report = SeedReport()
    owners = demo_users()
    now = timezone.now()
    company_count = max(1, contacts // 8)
    # One person and one company of the counts asked for are look-alikes of others.
    person_twins = 1 if contacts >= 2 else 0
    company_twins = 1 if company_count >= 2 else 0
    companies: list[Company] = []
    with transaction.atomic():
        for _index in range(company_count - company_twins):
            province = rng.choice(PROVINCES)
            words = rng.sample(COMPANY_WORDS, k=2)
            name = f"{rng.choice(COMPANY_KINDS)} {words[0]} {words[1]}"
            companies.append(
                company_create(
                    actor=None,
                    values={
                        "name": name,
                        "industry": rng.choice(INDUSTRIES),
                        "province": province.code,
                        "city": CITIES[province.code][0],
                        "phones": [
                            f"0{rng.choice(AREA_CODES)}{rng.randrange(3 * 10**7, 9 * 10**7)}"
                        ],
                        "owner": rng.choice(owners),
                    },
                )
            )
            report.companies += 1
    stages = [stage for stage, _label in LifecycleStage.choices]
    people: list[Contact] = []
    for _index in range(contacts - person_twins):
        with transaction.atomic():
            is_female = rng.random() < 0.5
            first = rng.choice(FIRST_NAMES_FEMALE if is_female else FIRST_NAMES_MALE)
            province = _demo_province(rng)
            owner = rng.choice(owners)
            birthday = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(16000))
            values = {
                "first_name": arabic_variant(first, rng),
                "last_name": arabic_variant(rng.choice(LAST_NAMES), rng),
                "phones": [messy_phone(rng)],
                "emails": [f"user{rng.randrange(10**6)}@example.ir"] if rng.random() < 0.6 else [],
                "national_id": random_national_id(rng) if rng.random() < 0.5 else "",
                "birthday": birthday if rng.random() < 0.7 else None,
                "gender": "female" if is_female else "male",
                "province": province.code,
                # Most customers live in the province's capital.
                "city": CITIES[province.code][0]
                if rng.random() < 0.6
                else rng.choice(CITIES[province.code]),
                "source": rng.choice(Source.values),
                "lifecycle_stage": rng.choices(stages, weights=(2, 5, 3, 6, 2, 1, 1))[0],
                "owner": owner,
                "company": rng.choice(companies) if rng.random() < 0.4 else None,
                "tags": rng.sample(
                    ("VIP", "عمده‌فروش", "نمایشگاه", "خرید اول", "وفادار"), k=rng.randrange(3)
                ),
            }
            contact = contact_create(actor=None, values=values)
            people.append(contact)
            report.contacts += 1
            if rng.random() < 0.5:
                contact_set_consent(
                    actor=None, contact=contact, channel="sms", status="granted", method="web_form"
                )
            for _note in range(rng.randrange(3)):
                activity_log(
                    actor=owner,
                    values={
                        "kind": rng.choice(("note", "call", "meeting")),
                        "contact": contact,
                        "subject": "پیگیری",
                        "body": rng.choice(NOTES),
                        "occurred_at": now - datetime.timedelta(days=rng.randrange(120)),
                    },
                )
                report.activities += 1
            if rng.random() < 0.25:
                task_create(
                    actor=owner,
                    values={
                        "title": rng.choice(TASK_TITLES),
                        "contact": contact,
                        "due_at": now + datetime.timedelta(hours=rng.randrange(-48, 240)),
                        "priority": rng.choice(("low", "normal", "high")),
                    },
                )
                report.tasks += 1
    with transaction.atomic():
        if person_twins:
            people.append(_person_look_alike(people))
            report.contacts += 1
        if company_twins:
            companies.append(_company_look_alike(companies[0]))
            report.companies += 1
    # Sales builds on these people; imported here to keep contacts free of sales at import.
    from peyvand.sales.demo_data import seed_sales_demo

    with transaction.atomic():
        report.deals, report.leads = seed_sales_demo(
            rng=rng,
            owners=owners,
            contacts=people,
            companies=companies,
            deals=max(1, contacts // 3),
        )
    from peyvand.service.demo_data import seed_service_demo

    with transaction.atomic():
        report.tickets = seed_service_demo(rng=rng, contacts=people, tickets=max(1, contacts // 4))
    if people:
        from peyvand.portal.demo_data import seed_portal_demo

        seed_portal_demo(people[0])
    from peyvand.knowledge.demo_data import seed_knowledge_demo

    with transaction.atomic():
        seed_knowledge_demo()
    from peyvand.commerce.demo_data import seed_commerce_demo

    seed_commerce_demo(seed=seed, contacts=people)
    from peyvand.marketing.demo_data import seed_marketing_demo

    with transaction.atomic():
        seed_marketing_demo()
    from .merging import duplicates_scan

    duplicates_scan()
    return report


# Where the demo's customers live: a third in Tehran, most of the rest in the big provinces.
BIG_PROVINCES = ("tehran", "isfahan", "khorasan-razavi", "fars", "azarbaijan-sharghi", "alborz")


def _demo_province(rng: random.Random) -> Province:
    draw = rng.random()
    if draw < 0.35:
        return PROVINCES_BY_CODE["tehran"]
    if draw < 0.8:
        return PROVINCES_BY_CODE[rng.choice(BIG_PROVINCES[1:])]
    return rng.choice(PROVINCES)


def _arabic_letters(text: str) -> str:
    return text.replace("ی", "ي").replace("ک", "ك")


def _person_look_alike(people: list[Contact]) -> Contact:
    """What the duplicate queue is for: a customer entered twice, the second time with
    Arabic ي/ك and the mobile typed another way."""
    original = next(person for person in people if person.phones.exists())
    return contact_create(
        actor=None,
        values={
            "first_name": _arabic_letters(original.first_name),
            "last_name": _arabic_letters(original.last_name),
            "phones": [to_persian_digits(format_phone(original.phones.all()[0].number))],
            "province": original.province,
            "city": original.city,
            "source": "exhibition",
            "lifecycle_stage": "lead",
            "owner": original.owner,
        },
    )


def _company_look_alike(company: Company) -> Company:
    """A company entered twice: its name with a legal form added, its phone in Persian
    digits."""
    return company_create(
        actor=None,
        values={
            "name": f"{company.name} (سهامی خاص)",
            "industry": company.industry,
            "province": company.province,
            "city": company.city,
            "phones": [to_persian_digits(format_phone(phone)) for phone in company.phones],
            "owner": company.owner,
        },
    )


def has_data() -> bool:
    return Contact.objects.exists()
