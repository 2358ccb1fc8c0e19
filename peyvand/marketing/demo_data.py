"""Persian demo segments: a few dynamic ones a marketer would build first (loyal customers in
Tehran, leads gone quiet, SMS-reachable VIPs, people with an open ticket) and a static
list of the first few customers met at an exhibition."""

from __future__ import annotations

from typing import Any

from peyvand.accounts.models import Role, User
from peyvand.contacts.models import Contact, Tag

from .campaigns.services import campaign_create
from .models import Segment
from .services import segment_add_contacts, segment_create


def _condition(kind: str, **params: Any) -> dict[str, Any]:
    return {"kind": kind, "params": params}


def demo_segments() -> list[tuple[str, str, dict[str, Any]]]:
    vip = Tag.objects.filter(name="VIP").values_list("pk", flat=True).first()
    return [
        (
            "مشتریان وفادار تهران",
            "مشتری یا مشتری وفادار، ساکن تهران.",
            {
                "match": "all",
                "conditions": [
                    _condition("contact.city", operator="equals", value="تهران"),
                    _condition(
                        "contact.lifecycle_stage", operator="in", values=["customer", "loyal"]
                    ),
                ],
            },
        ),
        (
            "سرنخ‌های بی‌فعالیت",
            "سرنخ‌هایی که ۶۰ روز است هیچ فعالیتی نداشته‌اند.",
            {
                "match": "all",
                "conditions": [
                    _condition("contact.lifecycle_stage", operator="in", values=["lead"]),
                    _condition("activity.inactive", days=60),
                ],
            },
        ),
        (
            "پیامک‌پذیرها",
            "رضایت پیامک داده‌اند و شماره همراه دارند؛ یا مشتری‌اند یا برچسب VIP دارند.",
            {
                "match": "all",
                "conditions": [
                    _condition("contact.consent", channel="sms", status="granted"),
                    _condition("contact.has_mobile", answer="yes"),
                    {
                        "match": "any",
                        "conditions": [
                            _condition(
                                "contact.lifecycle_stage", operator="in", values=["customer"]
                            ),
                            *(
                                [_condition("contact.tags", operator="any", tags=[vip])]
                                if vip
                                else []
                            ),
                        ],
                    },
                ],
            },
        ),
        (
            "تیکت باز دارند",
            "پیش از هر کمپین، اول مشکلشان حل شود.",
            {"match": "all", "conditions": [_condition("service.open_ticket", answer="yes")]},
        ),
    ]


def seed_marketing_demo() -> int:
    """Create the demo segments unless there are segments already; returns how many."""
    if Segment.objects.exists():
        return 0
    # A marketer owns them; the demo team has none, so its manager does.
    owner = (
        User.objects.filter(role=Role.MARKETING, is_active=True).first()
        or User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk").first()
    )
    created = 0
    for name, description, rules in demo_segments():
        segment_create(
            actor=None,
            values={"name": name, "description": description, "rules": rules, "owner": owner},
        )
        created += 1
    exhibition = segment_create(
        actor=None,
        values={
            "name": "بازدیدکنندگان نمایشگاه",
            "description": "فهرست دستی بازدیدکنندگان غرفه در نمایشگاه.",
            "kind": "static",
            "owner": owner,
        },
    )
    segment_add_contacts(
        actor=None,
        segment=exhibition,
        contacts=Contact.objects.filter(source="exhibition").order_by("pk")[:10],
    )
    if owner is not None:
        _seed_draft_campaign(owner)
    return created + 1


def _seed_draft_campaign(owner: User) -> None:
    """An SMS campaign to the SMS-reachable customers, written and ready to launch (the demo
    server sends it through a local fake Kavenegar gateway), with a hold-out to measure
    lift."""
    campaign_create(
        actor=owner,
        values={
            "name": "جشنواره یلدا",
            "channel": "sms",
            "segment": Segment.objects.get(name="پیامک‌پذیرها"),
            "holdout_percent": 10,
            "ab_test_percent": 100,
            "winner_metric": "click_rate",
            "decide_after_hours": 4,
            "conversion_verb": "order.purchased",
            "conversion_days": 7,
        },
        variants=[
            {
                "body_text": "{{ first_name }} عزیز، شب یلدا با ۱۵٪ تخفیف آجیل و انار "
                "در فروشگاه ما مهمان باشید. لغو: «لغو» بفرستید."
            }
        ],
    )
