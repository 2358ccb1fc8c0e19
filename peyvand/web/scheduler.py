"""Periodic jobs run by ``peyvand worker``: each is a plain function called every N seconds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: float
    run: Callable[[], object]


def default_jobs() -> list[PeriodicJob]:
    """The product's periodic jobs (each app adds its own here)."""
    from peyvand.contacts.merging import duplicates_scan
    from peyvand.feedback.surveys import surveys_send_pending
    from peyvand.integrations.imap import imap_poll_job
    from peyvand.intelligence.churn_risk import churn_compute_job
    from peyvand.intelligence.lifetime_value import clv_compute_job
    from peyvand.intelligence.product_recommendations import recommendations_compute_job
    from peyvand.intelligence.rfm import rfm_compute_job
    from peyvand.marketing.campaigns.launch import campaigns_run_due
    from peyvand.marketing.journeys.engine import journeys_job
    from peyvand.messaging.worker import outbox_deliver_job
    from peyvand.sales.follow_up import follow_ups_create
    from peyvand.sales.predictive import predictive_refresh
    from peyvand.sales.scoring import leads_rescore
    from peyvand.service.sla import sla_check_job
    from peyvand.timeline.services import reminders_deliver_due

    return [
        PeriodicJob("task reminders", 30, reminders_deliver_due),
        PeriodicJob("duplicate scan", 24 * 3600, duplicates_scan),
        PeriodicJob("sales follow-ups", 3600, follow_ups_create),
        # Behaviour points (activities logged) change without the lead being saved.
        PeriodicJob("lead scores", 3600, leads_rescore),
        PeriodicJob("predictive lead score", 24 * 3600, predictive_refresh),
        PeriodicJob("SLA warnings and breaches", 60, sla_check_job),
        PeriodicJob("survey sending retries", 600, surveys_send_pending),
        PeriodicJob("support mailbox (IMAP)", 60, imap_poll_job),
        PeriodicJob("RFM scores", 24 * 3600, rfm_compute_job),
        PeriodicJob("lifetime value (BG/NBD, Gamma-Gamma)", 24 * 3600, clv_compute_job),
        PeriodicJob(
            "next best products (item-to-item co-purchase)", 24 * 3600, recommendations_compute_job
        ),
        PeriodicJob("churn risk (gradient boosting)", 24 * 3600, churn_compute_job),
        PeriodicJob("outbox (email and SMS)", 5, outbox_deliver_job),
        PeriodicJob("campaigns (schedule, launch, A/B winner)", 30, campaigns_run_due),
        # New events, today's birthdays and due journey steps (each step its own transaction).
        PeriodicJob("journeys", 60, journeys_job),
    ]


def run_due_jobs(jobs: list[PeriodicJob], last_run: dict[str, float], now: float) -> None:
    """Run every job whose interval has passed; one failing job never stops the others."""
    for job in jobs:
        if now - last_run.get(job.name, float("-inf")) < job.every_seconds:
            continue
        last_run[job.name] = now
        close_old_connections()
        try:
            job.run()
        except Exception:
            logger.exception("periodic job %s failed", job.name)
        finally:
            close_old_connections()


def start_scheduler(
    stop: threading.Event, jobs: list[PeriodicJob] | None = None
) -> threading.Thread:
    """Run the periodic jobs in a daemon thread until ``stop`` is set."""
    import time

    chosen = jobs if jobs is not None else default_jobs()
    last_run: dict[str, float] = {}

    def loop() -> None:
        while not stop.is_set():
            run_due_jobs(chosen, last_run, time.monotonic())
            stop.wait(1.0)

    thread = threading.Thread(target=loop, name="peyvand-scheduler", daemon=True)
    thread.start()
    return thread
