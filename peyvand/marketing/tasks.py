"""Background tasks of marketing (run by ``peyvand worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def campaign_run_task(campaign_id: int) -> str:
    """Freeze and queue a launched campaign (the scheduler resumes it if this dies)."""
    from .campaigns.launch import campaign_run

    return campaign_run(campaign_id=campaign_id)
