"""A contact merge carries marketing and messaging records to the survivor, and undo puts
everything back as it was: static segment memberships and campaign recipients (the
survivor's row wins where both have one), journey runs (enter-once kept: one run per
journey where it matters, the merged contact's clashing open run stopped and restarted on
undo), outbox rows, and consent (the stricter wins; suppressions stay per address). A
failure anywhere in the merge or the undo leaves no half state."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import pytest
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.contacts.merge_parts import Moved
from peyvand.contacts.merging import contact_merge_undo, contacts_merge
from peyvand.contacts.models import ConsentStatus, Contact, ContactConsent, ContactMerge
from peyvand.contacts.services import contact_set_consent
from peyvand.contacts.tests.factories import make_contact
from peyvand.marketing.campaign_models import Campaign, CampaignRecipient
from peyvand.marketing.journey_models import (
    EntryPolicy,
    Journey,
    JourneyRun,
    JourneyRunLog,
    RunState,
)
from peyvand.marketing.journeys.services import journey_activate, journey_create
from peyvand.marketing.models import Segment, SegmentMembership
from peyvand.marketing.services import segment_add_contacts, segment_create
from peyvand.messaging.models import (
    MessageCategory,
    MessageStatus,
    OutboxMessage,
    Suppression,
    SuppressionReason,
)
from peyvand.messaging.outbox import outbox_enqueue
from peyvand.messaging.tests.conftest import MemoryGateway
from peyvand.messaging.worker import outbox_deliver
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def static_segment(name: str, members: Sequence[Contact]) -> Segment:
    segment = segment_create(actor=None, values={"name": name, "kind": "static"})
    segment_add_contacts(
        actor=None, segment=segment, contacts=Contact.objects.filter(pk__in=[c.pk for c in members])
    )
    return segment


def campaign(name: str, segment: Segment, members: Sequence[Contact]) -> Campaign:
    made = Campaign.objects.create(name=name, channel="sms", segment=segment)
    for contact in members:
        CampaignRecipient.objects.create(campaign=made, contact=contact, address="+98912")
    return made


def journey(name: str, policy: str) -> Journey:
    made = journey_create(
        actor=None,
        values={
            "name": name,
            "trigger_kind": "contact_created",
            "entry_policy": policy,
            "entry_interval_days": 30 if policy == EntryPolicy.ONCE_PER_DAYS else None,
            "definition": {"steps": [{"kind": "wait", "params": {"days": 3, "hours": 0}}]},
        },
    )
    return journey_activate(actor=None, journey=made)


def run(
    journey: Journey, contact: Contact, trigger: str, *, state: str, once: bool = False
) -> JourneyRun:
    now = timezone.now()
    is_open = state in {RunState.ACTIVE, RunState.WAITING}
    return JourneyRun.objects.create(
        journey=journey,
        version=journey.version,
        contact=contact,
        state=state,
        current_step=journey.steps.first(),
        wake_at=now + HOUR if is_open else None,
        entered_at=now - HOUR,
        finished_at=None if is_open else now - HOUR / 2,
        trigger_key=trigger,
        once_key="once" if once else None,
    )


def consent(contact: Contact, channel: str, status: str, hours_ago: int) -> None:
    contact_set_consent(
        actor=None,
        contact=contact,
        channel=channel,
        status=status,
        method="web_form" if status == ConsentStatus.GRANTED else "unsubscribe",
        recorded_at=timezone.now() - datetime.timedelta(hours=hours_ago),
        note=f"{channel} {status}",
    )


def state() -> dict[str, Any]:
    """Everything a merge may touch here, comparable before and after."""
    return {
        "memberships": sorted(SegmentMembership.objects.values_list("pk", "segment", "contact")),
        "recipients": sorted(CampaignRecipient.objects.values_list("pk", "campaign", "contact")),
        "runs": sorted(
            JourneyRun.objects.values_list(
                "pk", "journey", "contact", "state", "wake_at", "finished_at", "once_key"
            )
        ),
        "run_logs": sorted(JourneyRunLog.objects.values_list("pk", "run", "outcome")),
        "outbox": sorted(
            OutboxMessage.objects.values_list("pk", "contact", "status", "suppression_reason")
        ),
        "consent": sorted(
            ContactConsent.objects.values_list(
                "pk", "contact", "channel", "status", "method", "recorded_at", "note"
            )
        ),
        "suppressions": sorted(Suppression.objects.values_list("channel", "address", "reason")),
    }


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    survivor = make_contact(first_name="علی", phones=["09121110001"], emails=[])
    other = make_contact(first_name="علي", phones=["09121110002"], emails=["ali@example.ir"])
    both, only_other = static_segment("هر دو", [survivor, other]), static_segment("دوم", [other])
    everyone = segment_create(
        actor=None, values={"name": "همه", "rules": {"match": "all", "conditions": []}}
    )
    once, every, monthly = (
        journey("خوش‌آمد", EntryPolicy.ONCE_EVER),
        journey("هر بار", EntryPolicy.EVERY_TIME),
        journey("ماهانه", EntryPolicy.ONCE_PER_DAYS),
    )
    lonely = journey("فقط دومی", EntryPolicy.ONCE_EVER)
    runs = {
        # Both entered the once-ever welcome: the survivor's (finished) run is the one.
        "survivor_once": run(once, survivor, "event:1", state=RunState.DONE, once=True),
        "other_once": run(once, other, "event:2", state=RunState.WAITING, once=True),
        # Both are walking the every-time journey now: one walk, the survivor's.
        "survivor_every": run(every, survivor, "event:3", state=RunState.ACTIVE),
        "other_every": run(every, other, "event:4", state=RunState.WAITING),
        # A finished walk of the other's does not clash with anything: it moves.
        "other_every_done": run(every, other, "event:5", state=RunState.DONE),
        "other_monthly": run(monthly, other, "event:6", state=RunState.WAITING),
        "other_lonely": run(lonely, other, "event:7", state=RunState.ACTIVE, once=True),
    }
    consent(survivor, "sms", ConsentStatus.GRANTED, hours_ago=1)
    consent(other, "sms", ConsentStatus.WITHDRAWN, hours_ago=5)  # older, still wins
    consent(other, "email", ConsentStatus.GRANTED, hours_ago=2)  # the survivor has none
    consent(survivor, "phone", ConsentStatus.WITHDRAWN, hours_ago=3)
    consent(other, "phone", ConsentStatus.GRANTED, hours_ago=1)  # a withdrawal stays
    Suppression.objects.create(
        channel="sms", address="+989121110002", reason=SuppressionReason.UNSUBSCRIBED
    )
    queued = outbox_enqueue(
        purpose="campaign:99",
        channel="sms",
        recipient="+989121110002",
        category=MessageCategory.MARKETING,
        contact=other,
        body_text="حراج",
    )
    sent = outbox_enqueue(
        purpose="ticket-reply:1", channel="sms", recipient="+989121110002", contact=other
    )
    OutboxMessage.objects.filter(pk=sent.pk).update(
        status=MessageStatus.SENT, sent_at=timezone.now()
    )
    # The other's every-time walk queued an SMS that waits out the quiet hours.
    step = runs["other_every"].current_step
    assert step is not None
    waiting = outbox_enqueue(
        purpose=f"journey:{every.pk}:run:{runs['other_every'].pk}:step:{step.pk}",
        channel="sms",
        recipient="+989121110002",
        category=MessageCategory.MARKETING,
        contact=other,
        body_text="قدم بعد",
    )
    OutboxMessage.objects.filter(pk=waiting.pk).update(
        suppression_reason=SuppressionReason.QUIET_HOURS
    )
    return {
        "survivor": survivor,
        "other": other,
        "journey_message": waiting,
        "segments": (both, only_other),
        "campaigns": (
            campaign("اول", everyone, [survivor, other]),
            campaign("دوم", everyone, [other]),
        ),
        "runs": runs,
        "outbox": (queued, sent),
    }


def owner(model: Any, row: Any) -> int:
    return int(model.objects.filter(pk=row.pk).values_list("contact_id", flat=True).get())


def test_merge_carries_everything_by_its_rule_and_undo_restores_it_all(
    admin_user: User, world: dict[str, Any]
) -> None:
    survivor, other = world["survivor"], world["other"]
    before = state()
    merge = contacts_merge(actor=admin_user, survivor=survivor, others=[other])

    both, only_other = world["segments"]
    assert sorted(
        SegmentMembership.objects.filter(contact=survivor).values_list("segment", flat=True)
    ) == sorted([both.pk, only_other.pk])
    assert SegmentMembership.objects.filter(contact=other, segment=both).count() == 1
    first, second = world["campaigns"]
    assert sorted(
        CampaignRecipient.objects.filter(contact=survivor).values_list("campaign", flat=True)
    ) == sorted([first.pk, second.pk])

    runs = {name: JourneyRun.objects.get(pk=row.pk) for name, row in world["runs"].items()}
    assert {name: (r.contact_id == survivor.pk, r.state) for name, r in runs.items()} == {
        "survivor_once": (True, RunState.DONE),
        "other_once": (False, RunState.EXITED),
        "survivor_every": (True, RunState.ACTIVE),
        "other_every": (False, RunState.EXITED),
        "other_every_done": (True, RunState.DONE),
        "other_monthly": (True, RunState.WAITING),
        "other_lonely": (True, RunState.ACTIVE),
    }
    assert runs["other_once"].wake_at is None and runs["other_once"].finished_at is not None
    stopped_lines = JourneyRunLog.objects.filter(detail__reason="contact_merged")
    assert sorted(stopped_lines.values_list("run", flat=True)) == sorted(
        [runs["other_once"].pk, runs["other_every"].pk]
    )
    # Once ever, at most one open run per journey: the database's keys agree.
    open_runs = JourneyRun.objects.filter(
        contact=survivor, state__in=[RunState.ACTIVE, RunState.WAITING]
    )
    assert open_runs.count() == open_runs.values("journey").distinct().count() == 3

    assert {row.pk for row in OutboxMessage.objects.filter(contact=survivor)} == {
        *(row.pk for row in world["outbox"]),
        world["journey_message"].pk,
    }
    # The stopped walk's waiting message is held: the person walks the journey once.
    assert OutboxMessage.objects.values_list("status", "suppression_reason").get(
        pk=world["journey_message"].pk
    ) == ("suppressed", SuppressionReason.DUPLICATE)
    consents = {
        row.channel: (row.status, row.method, row.note)
        for row in ContactConsent.objects.filter(contact=survivor)
    }
    assert consents == {
        "sms": ("withdrawn", "unsubscribe", "sms withdrawn"),
        "email": ("granted", "web_form", "email granted"),
        "phone": ("withdrawn", "unsubscribe", "phone withdrawn"),
    }
    assert merge.moved["consent_replaced"].keys() == {
        str(ContactConsent.objects.get(contact=survivor, channel="sms").pk)
    }
    event = Event.objects.get(verb="contact.merged")
    assert {
        key: event.payload["moved"][key]
        for key in (
            "outbox",
            "outbox_held",
            "consent",
            "consent_replaced",
            "segment_membership",
            "campaign_recipient",
            "journey_run",
            "journey_run_stopped",
        )
    } == {
        "outbox": 3,
        "outbox_held": 0,
        "consent": 1,
        "consent_replaced": 1,
        "segment_membership": 1,
        "campaign_recipient": 1,
        "journey_run": 3,
        "journey_run_stopped": 2,
    }

    contact_merge_undo(actor=admin_user, merge=merge)
    assert state() == before


def test_a_marketing_sms_queued_to_the_merged_contact_obeys_the_stricter_consent(
    admin_user: User, world: dict[str, Any], settings: Any
) -> None:
    settings.PEYVAND_SMS_QUIET_HOURS = ""
    settings.PEYVAND_MARKETING_CAP = 0
    settings.PEYVAND_SMS_RATE = 0
    survivor, other = world["survivor"], world["other"]
    Suppression.objects.all().delete()  # only consent is in the way now
    contacts_merge(actor=admin_user, survivor=survivor, others=[other])
    mine = outbox_enqueue(
        purpose="campaign:100",
        channel="sms",
        recipient="+989121110001",
        category=MessageCategory.MARKETING,
        contact=survivor,
        body_text="حراج",
    )
    gateway = MemoryGateway()
    outbox_deliver(gateway=gateway)
    queued, _sent = world["outbox"]
    for row in (queued, mine):
        row.refresh_from_db()
        assert (row.status, row.suppression_reason) == ("suppressed", "no_consent")
    assert gateway.sent == []


def test_a_campaign_queued_to_both_goes_once_and_undo_queues_the_other_again(
    admin_user: User, world: dict[str, Any]
) -> None:
    survivor, other = world["survivor"], world["other"]
    copies = [
        outbox_enqueue(
            purpose="campaign:5",
            channel="sms",
            recipient=f"+98912111000{number}",
            category=MessageCategory.MARKETING,
            contact=contact,
            body_text="حراج",
        )
        for number, contact in ((1, survivor), (2, other))
    ]
    before = state()
    merge = contacts_merge(actor=admin_user, survivor=survivor, others=[other])
    statuses = [
        OutboxMessage.objects.values_list("contact", "status", "suppression_reason").get(pk=row.pk)
        for row in copies
    ]
    assert statuses == [
        (survivor.pk, "pending", ""),
        (survivor.pk, "suppressed", SuppressionReason.DUPLICATE),
    ]
    assert merge.moved["outbox_held"] == {str(copies[1].pk): ""}
    contact_merge_undo(actor=admin_user, merge=merge)
    assert state() == before


def test_the_merged_contacts_opted_out_number_stays_suppressed_on_the_survivor(
    admin_user: User, world: dict[str, Any]
) -> None:
    survivor = world["survivor"]
    contacts_merge(actor=admin_user, survivor=survivor, others=[world["other"]])
    assert "+989121110002" in survivor.phones.values_list("number", flat=True)
    assert Suppression.objects.filter(channel="sms", address="+989121110002").exists()


def test_a_later_consent_decision_survives_the_undo(
    admin_user: User, world: dict[str, Any]
) -> None:
    survivor, other = world["survivor"], world["other"]
    merge = contacts_merge(actor=admin_user, survivor=survivor, others=[other])
    consent(survivor, "sms", ConsentStatus.GRANTED, hours_ago=0)  # asked again, said yes
    contact_merge_undo(actor=admin_user, merge=merge)
    row = ContactConsent.objects.get(contact=survivor, channel="sms")
    assert (row.status, row.note) == ("granted", "sms granted")
    assert ContactConsent.objects.get(contact=other, channel="sms").status == "withdrawn"


def test_a_restarted_run_is_left_alone_by_the_undo(admin_user: User, world: dict[str, Any]) -> None:
    merge = contacts_merge(actor=admin_user, survivor=world["survivor"], others=[world["other"]])
    stopped = world["runs"]["other_every"]
    JourneyRun.objects.filter(pk=stopped.pk).update(finished_at=timezone.now() + HOUR)
    contact_merge_undo(actor=admin_user, merge=merge)
    assert JourneyRun.objects.get(pk=stopped.pk).state == RunState.EXITED
    restarted = JourneyRun.objects.get(pk=world["runs"]["other_once"].pk)
    assert (restarted.state, restarted.contact_id) == (RunState.WAITING, world["other"].pk)


class _Broken:
    key = "zz_broken"

    def move(self, *, survivor_id: int, merged_ids: Sequence[int]) -> Moved:
        raise RuntimeError("disk full")

    def restore(self, *, moved: Any, survivor_id: int) -> None:
        raise RuntimeError("disk full")


def test_a_failure_after_every_part_moved_leaves_nothing_changed(
    admin_user: User, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = state()
    events = Event.objects.count()
    # Registered last: it fails after consent, memberships, recipients and runs have moved.
    monkeypatch.setitem(
        __import__("peyvand.contacts.merge_parts", fromlist=["_PARTS"])._PARTS,
        "zz_broken",
        _Broken(),
    )
    with pytest.raises(RuntimeError):
        contacts_merge(actor=admin_user, survivor=world["survivor"], others=[world["other"]])
    assert state() == before
    assert ContactMerge.objects.count() == 0
    assert Event.objects.count() == events
    assert Contact.objects.get(pk=world["other"].pk).merged_into_id is None


def test_a_failure_midway_through_the_undo_leaves_the_merge_in_place(
    admin_user: User, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    merge = contacts_merge(actor=admin_user, survivor=world["survivor"], others=[world["other"]])
    merged = state()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    # After every part has restored its rows, before the plain rows and the contacts.
    monkeypatch.setattr("peyvand.contacts.merging.restore_related", broken)
    with pytest.raises(RuntimeError):
        contact_merge_undo(actor=admin_user, merge=merge)
    assert state() == merged
    assert ContactMerge.objects.get(pk=merge.pk).undone_at is None


def test_three_at_once_and_chained_merges_undo_back_to_the_start(admin_user: User) -> None:
    a, b, c, d = (make_contact(phones=[f"0912222000{n}"], emails=[]) for n in range(4))
    static_segment("همه‌ی ما", [b, c, d])
    welcome = journey("خوش‌آمد", EntryPolicy.ONCE_EVER)
    run(welcome, b, "event:1", state=RunState.WAITING, once=True)
    run(welcome, c, "event:2", state=RunState.ACTIVE, once=True)
    consent(b, "sms", ConsentStatus.GRANTED, hours_ago=4)
    consent(c, "sms", ConsentStatus.WITHDRAWN, hours_ago=3)
    consent(d, "sms", ConsentStatus.GRANTED, hours_ago=1)
    start = state()

    # b and c into a (who had nothing): one membership, one run, the withdrawal.
    first = contacts_merge(actor=admin_user, survivor=a, others=[b, c])
    assert SegmentMembership.objects.filter(contact=a).count() == 1
    assert JourneyRun.objects.filter(contact=a).count() == 1
    assert JourneyRun.objects.get(contact=c).state == RunState.EXITED
    assert ContactConsent.objects.get(contact=a, channel="sms").status == "withdrawn"
    # a into d: d's grant takes a's withdrawal.
    second = contacts_merge(actor=admin_user, survivor=d, others=[a])
    assert ContactConsent.objects.get(contact=d, channel="sms").status == "withdrawn"
    assert JourneyRun.objects.filter(contact=d, journey=welcome).count() == 1

    contact_merge_undo(actor=admin_user, merge=second)
    contact_merge_undo(actor=admin_user, merge=first)
    assert state() == start
