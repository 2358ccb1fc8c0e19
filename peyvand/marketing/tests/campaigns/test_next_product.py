"""``{{ next_product }}``: each recipient's next best product in campaigns (preview and
launch, looked up once per batch) and in journey messages."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence import product_recommendations
from peyvand.intelligence.product_recommendations import recommendations_compute
from peyvand.intelligence.tests.test_recommendations import AS_OF, basket
from peyvand.marketing.campaign_models import Campaign
from peyvand.marketing.campaigns.launch import campaign_run
from peyvand.marketing.campaigns.services import campaign_launch
from peyvand.marketing.tests.journey_helpers import Clock, active_journey, sms
from peyvand.messaging.models import OutboxMessage
from peyvand.sales.models import Product

pytestmark = pytest.mark.django_db
BODY = "{{ first_name }}، {{next_product}} را ببینید"


@pytest.fixture
def shoppers(customer: Callable[..., Contact]) -> dict[str, Contact]:
    """Three shoppers bought a book with a bag (two) or a pen; Maryam bought a book; Reza
    nothing. Maryam's next product is the bag; Reza gets the best seller, the book."""
    book, bag, pen = (
        Product.objects.create(code=code, name=name, price=100)
        for code, name in (("BOOK", "کتاب"), ("BAG", "کیف"), ("PEN", "خودکار"))
    )
    for number, products in enumerate(([book, bag], [book, bag], [book, pen])):
        basket(customer(first_name=f"خریدار{number}"), products)
    maryam = customer(first_name="مریم")
    basket(maryam, [book])
    reza = customer(first_name="رضا")
    recommendations_compute(as_of=AS_OF)
    return {"maryam": maryam, "reza": reza}


def test_launch_fills_each_recipients_next_product_one_lookup_per_chunk(
    shoppers: dict[str, Contact],
    make_campaign: Callable[..., Campaign],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[int, str | None]] = []
    lookup = product_recommendations.next_product_names

    def counted(contact_ids: Any, *, fallback: str | None = None) -> dict[int, str]:
        wanted = list(contact_ids)
        calls.append((len(wanted), fallback))
        return lookup(wanted, fallback=fallback)

    monkeypatch.setattr(product_recommendations, "next_product_names", counted)
    campaign = make_campaign(variants=[{"body_text": BODY}])
    campaign_launch(actor=campaign.created_by, campaign=campaign)
    campaign_run(campaign_id=campaign.pk, chunk_size=2)

    bodies = dict(
        OutboxMessage.objects.filter(purpose=campaign.purpose).values_list(
            "contact_id", "body_text"
        )
    )
    assert len(bodies) == 5
    assert bodies[shoppers["maryam"].pk] == "مریم، کیف را ببینید"
    assert bodies[shoppers["reza"].pk] == "رضا، کتاب را ببینید"
    # Five recipients in chunks of two: three lookups, the best seller found once before.
    assert calls == [(2, "کتاب"), (2, "کتاب"), (1, "کتاب")]


def test_campaigns_without_the_placeholder_look_nothing_up(
    shoppers: dict[str, Contact],
    make_campaign: Callable[..., Campaign],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: Any, **kwargs: Any) -> dict[int, str]:
        raise AssertionError("looked up")

    monkeypatch.setattr(product_recommendations, "next_product_names", fail)
    monkeypatch.setattr(product_recommendations, "popular_product_name", fail)
    campaign = make_campaign()
    campaign_launch(actor=campaign.created_by, campaign=campaign)
    campaign_run(campaign_id=campaign.pk)
    assert OutboxMessage.objects.filter(purpose=campaign.purpose).count() == 5


def test_the_preview_shows_the_recipients_next_product(
    shoppers: dict[str, Contact],
    make_campaign: Callable[..., Campaign],
    logged_in: Callable[[User], Client],
    marketer: User,
) -> None:
    campaign = make_campaign(variants=[{"body_text": BODY}])
    client = logged_in(marketer)
    for name, expected in (("maryam", "مریم، کیف را ببینید"), ("reza", "رضا، کتاب را ببینید")):
        url = f"/marketing/campaigns/{campaign.pk}/preview/?contact={shoppers[name].pk}"
        assert expected in client.get(url).content.decode()
    form = client.get(f"/marketing/campaigns/{campaign.pk}/edit/")
    assert form.status_code == 200
    assert "{{ next_product }}" in form.content.decode()


def test_a_journey_message_names_the_contacts_next_product(
    shoppers: dict[str, Contact],
) -> None:
    clock = Clock(timezone.now() + datetime.timedelta(minutes=1))
    active_journey([sms("{{ first_name }}، {{ next_product }} منتظر شماست")])
    newcomer = make_contact(first_name="نگار", phones=["09121234567"])
    clock.tick()
    message = OutboxMessage.objects.get(contact=newcomer)
    assert message.body_text == "نگار، کتاب منتظر شماست"
