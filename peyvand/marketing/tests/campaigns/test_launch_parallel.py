"""Queuing a campaign on two PostgreSQL connections at once: every message once, chunks
committed in order (a crash leaves every chunk up to the cursor and nothing after it), and
two chunks writing the same address never hang."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from peyvand.contacts.models import Contact
from peyvand.marketing.campaign_models import Campaign, CampaignRecipient, CampaignStatus
from peyvand.marketing.campaigns import launch
from peyvand.marketing.campaigns.launch import campaign_run, campaigns_run_due
from peyvand.marketing.campaigns.services import campaign_launch
from peyvand.messaging.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("chunks are written on several connections on PostgreSQL only")


def _launched(make_campaign: Callable[..., Campaign]) -> Campaign:
    campaign = make_campaign()
    campaign_launch(actor=campaign.created_by, campaign=campaign)  # type: ignore[arg-type]
    return campaign


def _recipients(campaign: Campaign) -> list[str]:
    return list(
        OutboxMessage.objects.filter(purpose=campaign.purpose).values_list("recipient", flat=True)
    )


def test_two_chunks_are_written_at_once_and_every_contact_gets_one_message(
    customer: Callable[..., Contact],
    make_campaign: Callable[..., Campaign],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contacts = [customer() for _ in range(10)]
    campaign = _launched(make_campaign)
    real = launch._enqueue_in_sql
    # The first two chunks wait for each other once written: both are in flight together,
    # on two database sessions (a serial launch would time out here).
    barrier = threading.Barrier(2, timeout=20)
    lock = threading.Lock()
    backends: set[int] = set()
    calls = {"count": 0}

    def in_flight(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        with lock:
            backends.add(backend)
            calls["count"] += 1
            first_two = calls["count"] <= 2
        if first_two:
            barrier.wait()

    monkeypatch.setattr(launch, "_enqueue_in_sql", in_flight)
    assert campaign_run(campaign_id=campaign.pk, chunk_size=3) == CampaignStatus.SENT
    campaign.refresh_from_db()
    assert len(backends) == 2 and calls["count"] == 4
    recipients = _recipients(campaign)
    assert len(recipients) == len(set(recipients)) == 10
    assert (campaign.queued_count, campaign.queue_cursor) == (10, max(c.pk for c in contacts))


def test_a_failed_chunk_rolls_back_the_later_ones_and_a_rerun_goes_on(
    customer: Callable[..., Contact],
    make_campaign: Callable[..., Campaign],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contacts = sorted(customer().pk for _ in range(11))
    campaign = _launched(make_campaign)
    real = launch._enqueue_in_sql

    def crash_on_third(campaign: Campaign, group: str, plan: Any, after: int, last: int) -> None:
        real(campaign, group, plan, after, last)
        if after == contacts[3]:
            raise RuntimeError("worker killed")

    monkeypatch.setattr(launch, "_enqueue_in_sql", crash_on_third)
    with pytest.raises(RuntimeError):
        campaign_run(campaign_id=campaign.pk, chunk_size=2)
    campaign.refresh_from_db()
    # The two chunks before it committed, none after it (the other connection may have
    # written the fourth: it was rolled back).
    assert (campaign.status, campaign.queued_count, campaign.queue_cursor) == (
        CampaignStatus.SENDING,
        4,
        contacts[3],
    )
    assert len(_recipients(campaign)) == 4
    monkeypatch.setattr(launch, "_enqueue_in_sql", real)
    assert campaigns_run_due() == 1
    campaign.refresh_from_db()
    assert (campaign.status, campaign.queued_count) == (CampaignStatus.SENT, 11)
    recipients = _recipients(campaign)
    assert len(recipients) == len(set(recipients)) == 11


def test_contacts_sharing_a_number_in_chunks_in_flight_together_get_one_message(
    customer: Callable[..., Contact], make_campaign: Callable[..., Campaign]
) -> None:
    # Every chunk writes the same outbox key: a later chunk that wrote it first and then
    # waits for the earlier one to commit is a deadlock PostgreSQL breaks.
    for _ in range(8):
        customer(phones=["09121234567"])
    campaign = _launched(make_campaign)
    assert campaign_run(campaign_id=campaign.pk, chunk_size=1) == CampaignStatus.SENT
    campaign.refresh_from_db()
    assert _recipients(campaign) == ["+989121234567"]
    assert campaign.queued_count == 8 == CampaignRecipient.objects.filter(campaign=campaign).count()
