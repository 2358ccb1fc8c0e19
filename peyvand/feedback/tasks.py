"""Background work of the feedback app (run by ``peyvand worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def send_resolution_survey(ticket_id: int) -> int | None:
    """Create and email the survey of a resolved ticket; a retry sends nothing twice."""
    from .surveys import survey_after_resolution

    survey = survey_after_resolution(ticket_id)
    return survey.pk if survey is not None else None


def survey_on_resolved(ticket_id: int) -> None:
    """What ``ticket_set_status`` runs after a resolution commits: queue the survey."""
    send_resolution_survey.enqueue(ticket_id)
