"""Sending a launched campaign: freeze the audience, queue the messages, decide the A/B
winner, and the scheduler's job that drives all of it.

Every step can be repeated or resumed. Freezing is one ``INSERT … SELECT`` (a contact
already frozen is skipped), so a million recipients never become Python objects; queuing
walks the frozen audience by contact id in chunks, and each chunk's outbox rows and the
campaign's cursor are committed together, so a crash resumes at the next chunk; the outbox
key (``campaign:<id>``, channel, address) would refuse a second copy anyway.

Hold-out and variant come from a hash bucket of (campaign id, contact id), computed in SQL
the same way as :func:`recipient_bucket`: the same contact always lands in the same group."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from peyvand.contacts.models import Contact, ContactEmail, ContactPhone, PhoneKind
from peyvand.messaging.models import MessageCategory, MessageChannel
from peyvand.messaging.outbox import OutgoingMessage, outbox_enqueue_bulk, outbox_enqueue_select
from peyvand.timeline.events import event_record

from ..campaign_models import (
    BUCKETS,
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignVariant,
    RecipientGroup,
    WinnerMetric,
)
from ..selectors import segment_members
from .personalize import VariantRenderer, placeholder_values
from .sql_personalize import SqlPlan, sql_plan

logger = logging.getLogger(__name__)

CHUNK = 20_000
LEASE = datetime.timedelta(minutes=2)
# The bucket hash: a multiplicative hash of the contact id salted by the campaign id, taken
# modulo a prime and then the bucket count (integer arithmetic that SQLite and PostgreSQL
# compute alike, within 64 bits for ids below 3·10⁹).
_MULTIPLIER = 2654435761
_SALT = 97531
_PRIME = 1000003


def recipient_bucket(campaign_id: int, contact_id: int) -> int:
    """The contact's bucket in ``range(BUCKETS)`` for this campaign."""
    return ((contact_id * _MULTIPLIER + campaign_id * _SALT) % _PRIME) % BUCKETS


@dataclass(frozen=True)
class Split:
    """Bucket ranges: ``[0, holdout_end)`` hold-out, then each variant's test slice, then
    the rest (waiting for the A/B winner)."""

    holdout_end: int
    test_end: int
    variant_ranges: list[tuple[int, int, int]]  # (variant id, start, end)


def campaign_split(campaign: Campaign, variant_ids: list[int]) -> Split:
    holdout_end = campaign.holdout_percent * BUCKETS // 100
    remaining = BUCKETS - holdout_end
    is_ab_test = len(variant_ids) > 1 and campaign.ab_test_percent < 100
    test_size = remaining * campaign.ab_test_percent // 100 if is_ab_test else remaining
    ranges = []
    count = max(1, len(variant_ids))
    for index, variant_id in enumerate(variant_ids):
        start = holdout_end + test_size * index // count
        end = holdout_end + test_size * (index + 1) // count
        ranges.append((variant_id, start, end))
    return Split(holdout_end, holdout_end + test_size, ranges)


def _address_subquery(channel: str) -> Subquery:
    """The contact's primary address on the channel: the first mobile number (by position)
    for SMS, the first email for email."""
    if channel == MessageChannel.SMS:
        phones = ContactPhone.objects.filter(contact_id=OuterRef("pk")).filter(
            Q(kind=PhoneKind.MOBILE) | Q(number__startswith="+989")
        )
        return Subquery(phones.order_by("position", "id").values("number")[:1])
    emails = ContactEmail.objects.filter(contact_id=OuterRef("pk"))
    return Subquery(emails.order_by("position", "id").values("address")[:1])


def campaign_freeze_audience(campaign: Campaign) -> None:
    """Write the campaign's recipients (segment members as the launcher sees them, with
    their primary address, bucket, group and variant) in one statement, once."""
    if campaign.audience_frozen_at is not None:
        return
    variant_ids = list(campaign.variants.order_by("position", "id").values_list("pk", flat=True))
    split = campaign_split(campaign, variant_ids)
    members = (
        segment_members(campaign.segment, user=campaign.created_by)
        .annotate(
            member_id=F("pk"),
            campaign_address=Coalesce(_address_subquery(campaign.channel), Value("")),
        )
        .values_list("member_id", "campaign_address")
        .order_by()
    )
    members_sql, params = members.query.sql_with_params()
    quote = connection.ops.quote_name
    bucket = (
        f"((m.member_id * {_MULTIPLIER} + {int(campaign.pk) * _SALT}) %% {_PRIME}) %% {BUCKETS}"
    )
    group = (
        f"CASE WHEN b < {split.holdout_end} THEN '{RecipientGroup.HOLDOUT.value}' "
        f"WHEN b < {split.test_end} THEN '{RecipientGroup.TEST.value}' "
        f"ELSE '{RecipientGroup.REST.value}' END"
    )
    variant = (
        "CASE "
        + " ".join(
            f"WHEN b >= {start} AND b < {end} THEN {int(vid)}"
            for vid, start, end in split.variant_ranges
        )
        + " ELSE NULL END"
    )
    table = quote(CampaignRecipient._meta.db_table)
    sql = (
        f"INSERT INTO {table} (campaign_id, contact_id, address, bucket, {quote('group')}, "
        f"variant_id) SELECT {int(campaign.pk)}, x.contact_id, x.address, x.b, {group}, "
        f"{variant} FROM (SELECT m.member_id AS contact_id, m.campaign_address AS address, "
        f"{bucket} AS b FROM ({members_sql}) m) x WHERE 1 = 1 "
        f"ON CONFLICT (campaign_id, contact_id) DO NOTHING"
    )
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.audience_frozen_at is not None:
            return
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if connection.vendor == "postgresql":
                # Fresh statistics (taken inside this transaction, which sees its own rows):
                # with the old ones the planner takes the new campaign for a handful of rows
                # and walks the whole audience for every chunk.
                cursor.execute(f"ANALYZE {table}")
        counts = CampaignRecipient.objects.filter(campaign_id=campaign.pk).aggregate(
            audience=Count("id"),
            to_queue=Count(
                "id", filter=Q(group=RecipientGroup.TEST, variant__isnull=False) & ~Q(address="")
            ),
        )
        now = timezone.now()
        Campaign.objects.filter(pk=campaign.pk).update(
            audience_frozen_at=now,
            audience_count=counts["audience"],
            to_queue_count=counts["to_queue"],
            queue_cursor=0,
        )
    campaign.refresh_from_db()


def _messages(
    campaign: Campaign,
    rows: list[tuple[int, str, int, str, str, dict[str, object] | None, str]],
    renderers: dict[int, VariantRenderer],
    today: datetime.date,
    next_products: dict[int, str],
) -> Iterator[OutgoingMessage]:
    for contact_id, address, variant_id, first_name, last_name, custom, language in rows:
        values = placeholder_values(
            channel=campaign.channel,
            first_name=first_name,
            last_name=last_name,
            custom_fields=custom,
            language=language,
            today=today,
            next_product=next_products.get(contact_id, ""),
        )
        rendered = renderers[variant_id].render(values)
        yield OutgoingMessage(
            purpose=campaign.purpose,
            channel=campaign.channel,
            recipient=address,
            category=MessageCategory.MARKETING,
            contact_id=contact_id,
            subject=rendered.subject,
            body_text=rendered.body_text,
            body_html=rendered.body_html,
            sender_id=campaign.sender_id,
            track_opens=campaign.track_opens and campaign.channel == MessageChannel.EMAIL,
            track_clicks=campaign.track_clicks and campaign.channel == MessageChannel.EMAIL,
        )


class CampaignStoppedError(Exception):
    """The campaign was cancelled while its messages were being queued."""


def _sql_plan(
    campaign: Campaign, variants: list[CampaignVariant], today: datetime.date
) -> SqlPlan | None:
    """PostgreSQL personalizes the messages itself when it can render the variants."""
    if connection.vendor != "postgresql":
        return None
    return sql_plan(
        channel=campaign.channel,
        today=today,
        variants={v.pk: (v.subject, v.body_text, v.body_html) for v in variants},
    )


# The pending recipients of a chunk (as ``pending`` in campaign_queue_phase: not on a contact
# merged away since the freeze), over the recipients ``r`` joined to their contact ``c``.
# The contact id's bound is stated on both sides of the join (PostgreSQL carries equalities
# across a join, not ranges): with it on ``r`` alone the planner read the contacts from the
# first one for every chunk.
_PENDING_WHERE = (
    "r.campaign_id = %s AND r.{group} = %s AND r.variant_id IS NOT NULL AND r.address <> '' "
    "AND r.contact_id > %s AND c.id > %s AND c.merged_into_id IS NULL"
)


def _pending_where() -> str:
    return _PENDING_WHERE.format(group=connection.ops.quote_name("group"))


def _next_chunk(campaign: Campaign, group: str, after: int, size: int) -> tuple[int, int] | None:
    """How many recipients the next chunk holds and its last contact id."""
    table = connection.ops.quote_name(CampaignRecipient._meta.db_table)
    contacts = connection.ops.quote_name(Contact._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), max(s.contact_id) FROM (SELECT r.contact_id FROM {table} r "
            f"JOIN {contacts} c ON c.id = r.contact_id "
            f"WHERE {_pending_where()} ORDER BY r.contact_id LIMIT %s) s",
            [campaign.pk, group, after, after, size],
        )
        count, last = cursor.fetchone()
    return (int(count), int(last)) if count else None


def _sql_rows(
    campaign: Campaign, group: str, plan: SqlPlan, after: int, last: int, *, exact: bool
) -> tuple[str, list[object]]:
    """The recipients of the chunk ``(after, last]`` that the SQL renders exactly (or, with
    ``exact=False``, the others), joined to their contact as ``c``."""
    recipients = connection.ops.quote_name(CampaignRecipient._meta.db_table)
    contacts = connection.ops.quote_name(Contact._meta.db_table)
    condition, condition_params = plan.exact_condition
    if not exact:
        condition = f"NOT ({condition})"
    sql = (
        f"FROM {recipients} r JOIN {contacts} c ON c.id = r.contact_id "
        f"WHERE {_pending_where()} AND r.contact_id <= %s AND c.id <= %s AND {condition}"
    )
    return sql, [campaign.pk, group, after, after, last, last, *condition_params]


def _enqueue_in_sql(campaign: Campaign, group: str, plan: SqlPlan, after: int, last: int) -> None:
    """Queue the chunk's messages the SQL renders, personalized by the database."""
    subject, subject_params = plan.variant_case(0)
    text, text_params = plan.variant_case(1)
    html, html_params = plan.variant_case(2)
    rows_sql, rows_params = _sql_rows(campaign, group, plan, after, last, exact=True)
    track = campaign.channel == MessageChannel.EMAIL
    outbox_enqueue_select(
        select_sql=(
            f"SELECT %s, %s, r.address, %s, r.contact_id, %s::bigint, {subject}, {text}, "
            f"{html}, %s, %s, %s::timestamptz {rows_sql}"
        ),
        params=[
            campaign.purpose[:120],
            campaign.channel,
            MessageCategory.MARKETING.value,
            campaign.sender_id,
            *subject_params,
            *text_params,
            *html_params,
            campaign.track_opens and track,
            campaign.track_clicks and track,
            timezone.now(),
            *rows_params,
        ],
    )


def campaign_queue_phase(campaign: Campaign, *, group: str, chunk_size: int = CHUNK) -> int:
    """Queue the messages of one group (test, or the rest after the A/B decision) from the
    campaign's cursor on; returns how many were queued now. On PostgreSQL the database
    personalizes every message it can render exactly (see :mod:`.sql_personalize`) and
    Python the rest of each chunk."""
    variants = list(CampaignVariant.objects.filter(campaign=campaign))
    renderers = {
        variant.pk: VariantRenderer(
            subject=variant.subject, body_text=variant.body_text, body_html=variant.body_html
        )
        for variant in variants
    }
    today = timezone.localdate()
    plan = _sql_plan(campaign, variants, today)
    # Next best products only when a variant names them: one query per chunk, and the
    # best seller for contacts without their own looked up once.
    uses_next_product = any(renderer.mentions_next_product for renderer in renderers.values())
    best_seller = ""
    if uses_next_product:
        # Intelligence sits above marketing (it adds segment conditions), hence the import here.
        from peyvand.intelligence.product_recommendations import (
            next_product_names,
            popular_product_name,
        )

        best_seller = popular_product_name()
    pending = (
        CampaignRecipient.objects.filter(campaign=campaign, group=group, variant__isnull=False)
        # A recipient left on a contact merged away since the freeze is the same person as
        # the survivor's own recipient row (a merge moves the others): one message.
        .filter(contact__merged_into__isnull=True)
        .exclude(address="")
        .order_by("contact_id")
    )
    columns = (
        "contact_id",
        "address",
        "variant_id",
        "contact__first_name",
        "contact__last_name",
        "contact__custom_fields",
        "contact__language",
    )
    cursor = campaign.queue_cursor
    queued = 0
    while True:
        if plan is None:
            rows = list(pending.filter(contact_id__gt=cursor).values_list(*columns)[:chunk_size])
            chunk = (len(rows), rows[-1][0]) if rows else None
        else:
            chunk = _next_chunk(campaign, group, cursor, chunk_size)
        if chunk is None:
            return queued
        count, last = chunk
        with transaction.atomic():
            if plan is not None:
                _enqueue_in_sql(campaign, group, plan, cursor, last)
                others_sql, others_params = _sql_rows(
                    campaign, group, plan, cursor, last, exact=False
                )
                rows = list(
                    pending.filter(contact_id__gt=cursor, contact_id__lte=last)
                    .filter(
                        contact_id__in=RawSQL(f"SELECT r.contact_id {others_sql}", others_params)
                    )
                    .values_list(*columns)
                )
            next_products = (
                next_product_names([row[0] for row in rows], fallback=best_seller)
                if uses_next_product
                else {}
            )
            outbox_enqueue_bulk(
                messages=_messages(campaign, rows, renderers, today, next_products),
                chunk_size=chunk_size,
            )
            moved = Campaign.objects.filter(
                pk=campaign.pk, status=CampaignStatus.SENDING, queue_cursor=cursor
            ).update(
                queue_cursor=last,
                queued_count=F("queued_count") + count,
                launch_claimed_until=timezone.now() + LEASE,
            )
            if not moved:
                # Cancelled, or another runner moved the cursor: undo this chunk.
                raise CampaignStoppedError(campaign.pk)
        cursor = last
        queued += count


def _claim(campaign_id: int) -> Campaign | None:
    """Take the campaign's launch lease (so two runners never queue it at once)."""
    now = timezone.now()
    claimed = (
        Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING)
        .filter(Q(launch_claimed_until__isnull=True) | Q(launch_claimed_until__lt=now))
        .update(launch_claimed_until=now + LEASE)
    )
    if not claimed:
        return None
    return Campaign.objects.select_related("segment", "created_by").get(pk=campaign_id)


def _waiting_for_winner(campaign: Campaign) -> bool:
    return (
        campaign.winner_decided_at is None
        and CampaignRecipient.objects.filter(campaign=campaign, group=RecipientGroup.REST).exists()
    )


def campaign_run(*, campaign_id: int, chunk_size: int = CHUNK) -> str:
    """Drive a ``sending`` campaign as far as it can go now: freeze, queue the test (or
    only) group, and once the winner is chosen the rest; then mark it sent. Safe to call
    again at any point (after a crash it continues). Returns the campaign's status."""
    campaign = _claim(campaign_id)
    if campaign is None:
        return str(Campaign.objects.filter(pk=campaign_id).values_list("status", flat=True).first())
    try:
        if campaign.created_by is None:
            Campaign.objects.filter(pk=campaign.pk).update(
                status=CampaignStatus.CANCELLED, error="The launching user no longer exists."
            )
            return CampaignStatus.CANCELLED
        campaign_freeze_audience(campaign)
        group = RecipientGroup.REST if campaign.winner_decided_at else RecipientGroup.TEST
        campaign_queue_phase(campaign, group=group, chunk_size=chunk_size)
        campaign.refresh_from_db()
        if group == RecipientGroup.TEST and _waiting_for_winner(campaign):
            return campaign.status
        with transaction.atomic():
            finished = Campaign.objects.filter(
                pk=campaign.pk, status=CampaignStatus.SENDING
            ).update(status=CampaignStatus.SENT, queued_at=timezone.now())
            if finished:
                event_record(
                    actor=None,
                    verb="campaign.queued",
                    subject=campaign,
                    summary=campaign.name,
                    payload={"queued": campaign.queued_count, "audience": campaign.audience_count},
                )
        return CampaignStatus.SENT if finished else campaign.status
    except CampaignStoppedError:
        return CampaignStatus.CANCELLED
    finally:
        Campaign.objects.filter(pk=campaign_id).update(launch_claimed_until=None)


def _metric(row: dict[str, float], metric: str) -> float:
    return float(row.get(metric, 0.0))


def campaign_decide_winner(
    *, campaign: Campaign, chunk_size: int = CHUNK
) -> CampaignVariant | None:
    """Choose the A/B winner by the campaign's metric among the test group (ties go to the
    earlier variant), record the rates it was chosen by, give the rest the winner and queue
    their messages."""
    from .stats import campaign_stats

    if campaign.winner_decided_at is not None or campaign.status != CampaignStatus.SENDING:
        return campaign.winner
    stats = campaign_stats(campaign)
    variants = list(campaign.variants.order_by("position", "id"))
    rates = {
        str(variant.pk): {
            WinnerMetric.OPEN_RATE.value: stats.test_row(variant.pk).open_rate,
            WinnerMetric.CLICK_RATE.value: stats.test_row(variant.pk).click_rate,
            WinnerMetric.CONVERSION_RATE.value: stats.test_row(variant.pk).conversion_rate,
        }
        for variant in variants
    }
    winner = max(
        variants,
        key=lambda variant: (
            _metric(rates[str(variant.pk)], campaign.winner_metric),
            -variants.index(variant),
        ),
    )
    with transaction.atomic():
        decided = Campaign.objects.filter(
            pk=campaign.pk, winner_decided_at__isnull=True, status=CampaignStatus.SENDING
        ).update(
            winner=winner, winner_decided_at=timezone.now(), winner_rates=rates, queue_cursor=0
        )
        if not decided:
            return None
        rest = CampaignRecipient.objects.filter(campaign=campaign, group=RecipientGroup.REST)
        rest.update(variant=winner)
        Campaign.objects.filter(pk=campaign.pk).update(
            to_queue_count=F("to_queue_count") + rest.exclude(address="").count()
        )
        event_record(
            actor=None,
            verb="campaign.winner_chosen",
            subject=campaign,
            summary=f"{campaign.name}: {winner.label}",
            payload={"winner": winner.pk, "metric": campaign.winner_metric, "rates": rates},
        )
    campaign_run(campaign_id=campaign.pk, chunk_size=chunk_size)
    return winner


def campaigns_run_due() -> int:
    """The scheduler's job: launch scheduled campaigns whose time has come, resume launches
    whose runner stopped, and decide A/B tests whose time is up. Returns how many campaigns
    it moved."""
    now = timezone.now()
    moved = 0
    for campaign in Campaign.objects.filter(
        status=CampaignStatus.SCHEDULED, scheduled_at__lte=now
    ).only("pk", "name"):
        with transaction.atomic():
            if Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SCHEDULED).update(
                status=CampaignStatus.SENDING, launched_at=now
            ):
                event_record(
                    actor=None, verb="campaign.launched", subject=campaign, summary=campaign.name
                )
    sending = Campaign.objects.filter(status=CampaignStatus.SENDING).filter(
        Q(launch_claimed_until__isnull=True) | Q(launch_claimed_until__lt=now)
    )
    for campaign in sending.select_related("segment", "created_by"):
        try:
            test_queued = (
                campaign.audience_frozen_at is not None
                and campaign.queued_count >= campaign.to_queue_count
            )
            if test_queued and _waiting_for_winner(campaign):
                decide_at = (campaign.launched_at or now) + datetime.timedelta(
                    hours=campaign.decide_after_hours
                )
                if decide_at <= now:
                    campaign_decide_winner(campaign=campaign)
                    moved += 1
                continue
            campaign_run(campaign_id=campaign.pk)
            moved += 1
        except Exception:
            logger.exception("campaign %s failed", campaign.pk)
    return moved
