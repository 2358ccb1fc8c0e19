"""Background tasks of customer intelligence (run by ``peyvand worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def recompute_rfm() -> int:
    """Recompute RFM now; returns the number of customers scored."""
    from .rfm import rfm_compute

    return rfm_compute().customers
