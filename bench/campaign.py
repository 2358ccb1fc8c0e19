"""Benchmark: fan one SMS campaign out to N contacts on PostgreSQL, then deliver it through
the fake Kavenegar gateway with worker processes (some killed at random), and count
duplicates at the gateway.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peyvand_campaigns \\
        PEYVAND_VAR_DIR=/tmp/pv-bench .venv/bin/python bench/campaign.py --contacts 1000000

1. makes N contacts with a mobile, SMS consent and a custom field, set-based
   (``INSERT … SELECT generate_series``), and a segment of all of them;
2. launches a campaign with a 10 % hold-out and placeholders (name, Jalali today, a custom
   field): freezing the audience and personalizing + queuing every message through
   ``outbox_enqueue_bulk`` is timed (goal: under 60 s for 1,000,000);
3. starts ``--workers`` ``peyvand outbox deliver`` processes against the fake gateway (no
   throttle) for ``--deliver-seconds`` (0: until the outbox is drained), SIGKILLing one at
   random every ``--kill-every`` seconds and starting a new one, and prints the throughput;
4. prints the duplicates the gateway saw (same local id or same number accepted twice: must
   be 0) and the keys the outbox holds twice (0 by its unique constraint).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")

FIRST_NAMES = ["مریم", "علی", "زهرا", "رضا", "فاطمه", "حسین", "سارا", "محمد", "نرگس", "امیر"]
LAST_NAMES = ["رضایی", "محمدی", "حسینی", "احمدی", "کریمی", "موسوی", "جعفری", "قاسمی"]


def _literal(field: Any) -> str:
    from django.db import models

    if isinstance(field, models.JSONField):
        return "'{}'::jsonb"
    if isinstance(field, models.DateTimeField):
        return "now()"
    if isinstance(field, models.BooleanField):
        return "false"
    if field.null:
        return "NULL"
    if field.has_default() and not callable(field.default):
        return f"'{field.default}'"
    return "''"


def make_contacts(count: int) -> None:
    """N contacts, each with a mobile and granted SMS consent, in three statements."""
    from django.db import connection

    from peyvand.contacts.models import Contact

    expressions = {
        "first_name": "(ARRAY[{}])[1 + i %% {}]".format(
            ",".join(f"'{name}'" for name in FIRST_NAMES), len(FIRST_NAMES)
        ),
        "last_name": "(ARRAY[{}])[1 + i %% {}]".format(
            ",".join(f"'{name}'" for name in LAST_NAMES), len(LAST_NAMES)
        ),
        "custom_fields": "jsonb_build_object('code', 'YALDA' || i)",
        "lifecycle_stage": "'customer'",
    }
    columns, values = [], []
    for field in Contact._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        values.append(expressions.get(field.name, _literal(field)))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO contacts_contact ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM generate_series(1, %s) AS i",
            [count],
        )
        cursor.execute(
            "INSERT INTO contacts_contactphone (contact_id, number, kind, position) "
            "SELECT id, '+989' || lpad(id::text, 9, '0'), 'mobile', 0 FROM contacts_contact"
        )
        cursor.execute(
            "INSERT INTO contacts_contactconsent (contact_id, channel, status, method, "
            "recorded_at, note) SELECT id, 'sms', 'granted', 'import', now(), '' "
            "FROM contacts_contact"
        )
        cursor.execute("ANALYZE contacts_contact")
        cursor.execute("ANALYZE contacts_contactphone")
        cursor.execute("ANALYZE contacts_contactconsent")


def deliver(
    fake_url: str, workers: int, seconds: float, kill_every: float, total: int
) -> tuple[float, int, int]:
    """Run worker processes; returns (elapsed seconds, messages handled, kills)."""
    from peyvand.messaging.models import MessageStatus, OutboxMessage

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PEYVAND_SMS_GATEWAY": "kavenegar",
        "PEYVAND_SMS_API_KEY": "bench-key",
        "PEYVAND_SMS_LINE": "30001234",
        "PEYVAND_SMS_BASE_URL": fake_url,
        "PEYVAND_SMS_RATE": "0",
        "PEYVAND_SMS_QUIET_HOURS": "",
        "PEYVAND_MARKETING_CAP": "0",
        "PEYVAND_OUTBOX_BATCH": "200",
        "PEYVAND_OUTBOX_LEASE_SECONDS": "30",
    }
    command = [sys.executable, "-m", "peyvand.cli", "outbox", "deliver", "--limit", "2000"]
    command += ["--idle", "0.2"]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)

    processes = [start() for _ in range(workers)]
    rng = random.Random(1404)
    kills = 0
    started = time.perf_counter()
    next_kill = started + kill_every if kill_every else float("inf")
    done_statuses = [MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.SUPPRESSED]
    handled = 0
    try:
        while True:
            time.sleep(1.0)
            now = time.perf_counter()
            if now >= next_kill:
                index = rng.randrange(len(processes))
                processes[index].send_signal(signal.SIGKILL)
                processes[index].wait()
                processes[index] = start()
                kills += 1
                next_kill = now + kill_every
            handled = OutboxMessage.objects.filter(status__in=done_statuses).count()
            if handled >= total or (seconds and now - started >= seconds):
                break
    finally:
        for process in processes:
            process.send_signal(signal.SIGKILL)
            process.wait()
    return time.perf_counter() - started, handled, kills


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--deliver-seconds", type=float, default=120.0)
    parser.add_argument("--kill-every", type=float, default=30.0)
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from peyvand.accounts.models import Role, User
    from peyvand.marketing.campaign_models import Campaign
    from peyvand.marketing.campaigns.launch import campaign_freeze_audience, campaign_run
    from peyvand.marketing.campaigns.services import campaign_create, campaign_launch
    from peyvand.marketing.services import segment_create
    from peyvand.messaging.models import OutboxMessage
    from peyvand.messaging.sms.fake_server import FakeSmsGateway

    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE marketing_campaignrecipient, marketing_campaignvariant, marketing_campaign, "
            "marketing_segmentmembership, marketing_segment, messaging_outboxmessage, "
            "timeline_event, contacts_contactconsent, contacts_contactphone, "
            "contacts_contactemail, contacts_contact_tags, contacts_contact CASCADE"
        )
    actor, _ = User.objects.get_or_create(
        username="bench-marketer", defaults={"role": Role.ADMIN, "is_superuser": True}
    )
    started = time.perf_counter()
    make_contacts(args.contacts)
    made_seconds = time.perf_counter() - started
    print(f"made {args.contacts:,} contacts with mobiles and consent in {made_seconds:.1f} s")
    segment = segment_create(
        actor=actor, values={"name": "همه", "rules": {"match": "all", "conditions": []}}
    )
    campaign = campaign_create(
        actor=actor,
        values={"name": "یلدا", "channel": "sms", "segment": segment.pk, "holdout_percent": 10},
        variants=[
            {"body_text": "{{ first_name }} عزیز، یلدا مبارک! کد {{ custom.code }} تا {{ today }}"}
        ],
    )
    campaign_launch(actor=actor, campaign=campaign)
    started = time.perf_counter()
    # The freeze on its own first (with its commit, where the foreign keys are checked);
    # campaign_run then finds the audience frozen and queues it.
    campaign_freeze_audience(Campaign.objects.get(pk=campaign.pk))
    freeze_seconds = time.perf_counter() - started
    campaign_run(campaign_id=campaign.pk)
    launch_seconds = time.perf_counter() - started
    campaign = Campaign.objects.get(pk=campaign.pk)
    print(
        f"launch: audience {campaign.audience_count:,} frozen, {campaign.queued_count:,} "
        f"personalized and queued in {launch_seconds:.1f} s "
        f"({campaign.queued_count / launch_seconds:,.0f} messages/s; goal < 60 s for 1M; "
        f"load average {os.getloadavg()[0]:.2f})"
    )
    print(
        f"  of which freezing the audience (INSERT … SELECT and its commit): "
        f"{freeze_seconds:.1f} s, queuing {launch_seconds - freeze_seconds:.1f} s"
    )
    print("  sample:", OutboxMessage.objects.filter(purpose=campaign.purpose).first().body_text)  # type: ignore[union-attr]
    relaunch_started = time.perf_counter()
    Campaign.objects.filter(pk=campaign.pk).update(status="sending", queue_cursor=0)
    campaign_run(campaign_id=campaign.pk)
    queued = OutboxMessage.objects.filter(purpose=campaign.purpose).count()
    print(
        f"relaunch from the start: {time.perf_counter() - relaunch_started:.1f} s, outbox rows "
        f"still {queued:,}"
    )
    with FakeSmsGateway(api_key="bench-key") as fake:
        elapsed, handled, kills = deliver(
            fake.base_url, args.workers, args.deliver_seconds, args.kill_every, queued
        )
        state = fake.state
        with state.lock:
            by_local_id = dict(state.accepted_by_local_id)
            by_recipient = dict(state.accepted_by_recipient)
            accepted = len(state.messages)
            refused = state.duplicates_refused
    print(
        f"deliver: {args.workers} workers, {kills} killed and restarted, {handled:,} messages "
        f"handled in {elapsed:.1f} s = {handled / elapsed:,.0f} messages/s; gateway accepted "
        f"{accepted:,} ({refused:,} repeated sends refused by local id)"
    )
    duplicate_ids = sum(count - 1 for count in by_local_id.values() if count > 1)
    duplicate_numbers = sum(count - 1 for count in by_recipient.values() if count > 1)
    outbox_duplicates = (
        OutboxMessage.objects.filter(purpose=campaign.purpose)
        .values("recipient")
        .annotate(copies=Count("id"))
        .filter(copies__gt=1)
        .count()
    )
    print(
        f"duplicates: {duplicate_ids} by local id, {duplicate_numbers} by number at the "
        f"gateway, {outbox_duplicates} in the outbox (must all be 0)"
    )


if __name__ == "__main__":
    main()
