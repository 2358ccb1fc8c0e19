"""Background tasks of the email channel (run by ``peyvand worker``): sending a public reply
and a ticket's acknowledgement, each retried a bounded number of times when SMTP fails."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from .config import send_attempts
from .outbound import EmailNotSentError, retry_delay
from .outbound import acknowledgement_send as _acknowledgement_send
from .outbound import reply_email_send as _reply_email_send

logger = logging.getLogger(__name__)


def _try(this: Task[[int, int], str], send: Callable[[int], str], pk: int, attempt: int) -> str:
    try:
        return send(pk)
    except EmailNotSentError as failure:
        if attempt >= send_attempts():
            logger.warning("%s %s: not sent after %s tries: %s", this.name, pk, attempt, failure)
            return "failed"
        again = this
        if this.get_backend().supports_defer:
            again = this.using(run_after=timezone.now() + retry_delay(attempt))
        again.enqueue(pk, attempt + 1)
        return "retrying"


@task()
def reply_email(message_pk: int, attempt: int = 1) -> str:
    """Email an agent's public reply to the requester (once; see ``outbound``)."""
    return _try(reply_email, _reply_email_send, message_pk, attempt)


@task()
def acknowledgement_send(acknowledgement_pk: int, attempt: int = 1) -> str:
    """Send the "we received your request" email of a ticket opened by email (once)."""
    return _try(acknowledgement_send, _acknowledgement_send, acknowledgement_pk, attempt)
