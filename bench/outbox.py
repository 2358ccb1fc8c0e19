"""Benchmark: queuing a campaign in the outbox and draining it with the worker.

    PEYVAND_VAR_DIR=/tmp/pv-outbox .venv/bin/python bench/outbox.py --messages 100000
    DATABASE_URL=postgres://… .venv/bin/python bench/outbox.py --messages 1000000

Against a fresh database (SQLite in ``PEYVAND_VAR_DIR`` unless ``DATABASE_URL`` is set; it
is migrated and the outbox emptied first) it prints, with wall times and rows per second:

* ``outbox_enqueue_bulk`` of N marketing SMS (chunks of 2,000, conflicts ignored);
* the same call again (every key already there: nothing inserted);
* a baseline in the same run: ``bulk_create`` of the same rows into the same table with no
  conflict handling, so the enqueue's cost is also given as a ratio of a plain insert;
* ``outbox_deliver`` of ``--deliver`` rows (transactional, so no consent look-ups) through
  an in-memory gateway that accepts everything: the worker's own overhead per message
  (claim, mark started, record) without a network.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--deliver", type=int, default=2_000)
    options = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from peyvand.messaging.models import OutboxMessage
    from peyvand.messaging.outbox import OutgoingMessage, outbox_enqueue_bulk
    from peyvand.messaging.sms.base import DeliveryStatus, SmsSendResult
    from peyvand.messaging.worker import outbox_deliver

    call_command("migrate", verbosity=0)
    OutboxMessage.objects.all().delete()
    count = options.messages

    def messages(purpose: str, category: str = "marketing") -> list[OutgoingMessage]:
        return [
            OutgoingMessage(
                purpose=purpose,
                channel="sms",
                recipient=f"+98912{number:07d}",
                category=category,
                body_text="حراج پاییزه؛ لغو۱۱",
            )
            for number in range(count)
        ]

    rows = messages("campaign:bench")
    began = time.perf_counter()
    outbox_enqueue_bulk(messages=rows)
    enqueue = time.perf_counter() - began
    began = time.perf_counter()
    outbox_enqueue_bulk(messages=rows)
    again = time.perf_counter() - began
    assert OutboxMessage.objects.filter(purpose="campaign:bench").count() == count

    now = timezone.now()
    plain = [
        OutboxMessage(
            purpose="baseline",
            channel=message.channel,
            recipient=message.recipient,
            category=message.category,
            body_text=message.body_text,
            next_attempt_at=now,
        )
        for message in rows
    ]
    began = time.perf_counter()
    for start in range(0, count, 2000):
        OutboxMessage.objects.bulk_create(plain[start : start + 2000])
    baseline = time.perf_counter() - began
    OutboxMessage.objects.all().delete()

    class AcceptAll:
        name = "bench"
        idempotent_send = True
        sent = 0

        def send(self, *, recipient: str, text: str, local_id: str) -> SmsSendResult:
            self.sent += 1
            return SmsSendResult(f"b{local_id}", DeliveryStatus.QUEUED)

        def fetch_statuses(self, ids: object) -> list[object]:
            return []

    count = options.deliver
    outbox_enqueue_bulk(messages=messages("otp:bench", category="transactional"))
    os.environ["PEYVAND_SMS_RATE"] = "0"
    gateway = AcceptAll()
    began = time.perf_counter()
    result = outbox_deliver(limit=count, gateway=gateway)  # type: ignore[arg-type]
    deliver = time.perf_counter() - began
    assert result.sent == count == gateway.sent

    n = options.messages
    print(f"database: {connection.vendor}")
    print(f"enqueue {n:,} rows: {enqueue:.2f} s ({n / enqueue:,.0f} rows/s)")
    print(f"enqueue again (all keys exist): {again:.2f} s ({n / again:,.0f} rows/s)")
    print(
        f"baseline bulk_create of the same rows: {baseline:.2f} s; "
        f"enqueue / baseline = {enqueue / baseline:.2f}"
    )
    print(f"deliver {count:,} (in-memory gateway): {deliver:.2f} s ({count / deliver:,.0f} msg/s)")


if __name__ == "__main__":
    main()
