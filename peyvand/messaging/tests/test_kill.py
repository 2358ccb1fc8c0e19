"""Exactly once to the customer, even when workers are killed: real ``peyvand outbox
deliver`` processes send 300 SMS through the fake Kavenegar (which counts what it accepts
per local id, and stalls some answers after taking the message), are SIGKILLed at random
moments 20 times and restarted until the outbox is
drained; every message must have reached the gateway exactly once.

The workers need a database they can share with the test: on PostgreSQL the test database
itself (``transactional_db`` commits the queued rows); on SQLite the in-memory test database
is copied to a file first and the outcome read back from that file."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from peyvand.messaging.models import MessageStatus, OutboxMessage
from peyvand.messaging.outbox import OutgoingMessage, outbox_enqueue_bulk
from peyvand.messaging.sms.fake_server import FakeSmsGateway

MESSAGES = 300
KILLS = 20
WORKERS = 2
API_KEY = "kill-test-key"
REPO = Path(__file__).resolve().parents[3]


def _database_url(tmp_path: Path) -> tuple[str, Callable[[], dict[str, int]]]:
    """The URL the workers use and a reader of the outbox's status counts."""
    if connection.vendor == "postgresql":
        settings_dict = connection.settings_dict
        url = (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:"
            f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
        )

        def read_pg() -> dict[str, int]:
            counts: dict[str, int] = {}
            for status in OutboxMessage.objects.values_list("status", flat=True):
                counts[status] = counts.get(status, 0) + 1
            return counts

        return url, read_pg
    path = tmp_path / "outbox.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()

    def read_sqlite() -> dict[str, int]:
        with sqlite3.connect(path, timeout=30) as reader:
            rows = reader.execute(
                "SELECT status, COUNT(*) FROM messaging_outboxmessage GROUP BY status"
            ).fetchall()
        return {str(status): int(count) for status, count in rows}

    return f"sqlite:///{path}", read_sqlite


def _stats(fake: FakeSmsGateway) -> dict[str, Any]:
    with urllib.request.urlopen(f"{fake.base_url}/__fake__/stats", timeout=5) as answer:
        return dict(json.load(answer))


@pytest.mark.django_db(transaction=True)
def test_killed_workers_send_every_sms_exactly_once(tmp_path: Path) -> None:
    outbox_enqueue_bulk(
        messages=(
            OutgoingMessage(
                purpose="otp:kill-test",
                channel="sms",
                recipient=f"+98912{number:07d}",
                body_text=f"کد شما {number}",
            )
            for number in range(MESSAGES)
        )
    )
    url, statuses = _database_url(tmp_path)
    rng = random.Random(20261204)
    with FakeSmsGateway(api_key=API_KEY) as fake:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "PEYVAND_VAR_DIR": str(tmp_path),
            "PEYVAND_SECRET_KEY": "kill-test",
            "PYTHONPATH": str(REPO),
            "PEYVAND_SMS_GATEWAY": "kavenegar",
            "PEYVAND_SMS_API_KEY": API_KEY,
            "PEYVAND_SMS_LINE": "30001234",
            "PEYVAND_SMS_BASE_URL": fake.base_url,
            "PEYVAND_SMS_RATE": "20",
            "PEYVAND_OUTBOX_BATCH": "10",
            "PEYVAND_OUTBOX_LEASE_SECONDS": "1",
        }
        command = [
            sys.executable,
            "-m",
            "peyvand.cli",
            "outbox",
            "deliver",
            "--limit",
            "40",
            "--idle",
            "0.2",
        ]

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )

        workers = [start() for _ in range(WORKERS)]
        kills = 0

        def accepted_at_least(count: int) -> None:
            deadline = time.monotonic() + 90
            while _stats(fake)["accepted"] < count:
                assert time.monotonic() < deadline, "the workers made no progress"
                time.sleep(0.02)

        try:
            while kills < KILLS:
                accepted = _stats(fake)["accepted"]
                if accepted >= MESSAGES - 20:
                    break
                if rng.random() < 0.5:
                    # The next request is answered only after a stall, though the provider
                    # took the message: kill while the outbox cannot know it went out.
                    fake.delay_next(1, seconds=2.0, accept=True)
                    accepted_at_least(accepted + 1)
                    time.sleep(0.1)
                else:
                    accepted_at_least(accepted + rng.randint(1, 10))
                    time.sleep(rng.uniform(0, 0.05))
                index = rng.randrange(WORKERS)
                workers[index].send_signal(signal.SIGKILL)
                workers[index].wait()
                kills += 1
                workers[index] = start()
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                if statuses().get(MessageStatus.SENT) == MESSAGES:
                    break
                time.sleep(0.5)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
        stats = _stats(fake)
    counts = stats["by_local_id"]
    duplicates = sum(count - 1 for count in counts.values() if count > 1)
    lost = MESSAGES - len(counts)
    print(
        f"kill test ({connection.vendor}): {kills} kills, {MESSAGES} messages, "
        f"{stats['accepted']} accepted, {duplicates} duplicates, {lost} lost, "
        f"{stats['duplicates_refused']} repeated sends refused by the gateway"
    )
    assert kills == KILLS
    assert (duplicates, lost, stats["accepted"]) == (0, 0, MESSAGES)
    assert statuses() == {MessageStatus.SENT: MESSAGES}
    assert sorted(stats["by_recipient"]) == [f"+98912{number:07d}" for number in range(MESSAGES)]
