"""Celery tasks of the core, and the retry policy every app's tasks share.

Every task takes ids (never instances, addresses or bodies) and may run more than once:
Redis redelivers a task whose worker died, and a retried task runs again from the start.
`acks_late=True` (acknowledge after the task finished, so a lost worker's task runs again)
is set only on tasks whose second run changes nothing (`IDEMPOTENT`); a task that sends an
email is acknowledged on receipt, so a worker lost mid-send loses that email rather than
mailing it twice. `config/celery.py` routes tasks to the `emails`, `pdfs` and `default`
queues (docs/operations.md, "Celery").
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

# Failures that a later attempt may not meet: the network (SMTP, Redis, S3, a provider's
# API: socket errors and smtplib's are OSError) and the database connection or a lock
# timeout (OperationalError, InterfaceError). A bug (anything else) fails at once.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OSError, OperationalError, InterfaceError)

# `@shared_task(**RETRIED)`: up to 5 more attempts, waiting about 5, 10, 20, 40, 80 s (full
# jitter, at most 10 minutes), on transient errors only.
RETRIED: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}

# `@shared_task(**RETRIED, **IDEMPOTENT)`: a second run changes nothing, so the task is
# acknowledged only once it finished and runs again if its worker died (at least once).
IDEMPOTENT: dict[str, Any] = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**RETRIED, **IDEMPOTENT)
def sweep_orphan_files() -> int:
    """Daily: delete stored uploads that no row names (a rolled-back insert's file)."""
    from lms.core.orphans import sweep_orphan_files as sweep

    return len(sweep().removed)
