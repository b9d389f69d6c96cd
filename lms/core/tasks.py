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


# Rows one run of resend_unsent_tasks takes (and locks); the next minute takes the rest.
RESEND_BATCH = 500


@shared_task(**IDEMPOTENT)
def resend_unsent_tasks(batch: int = RESEND_BATCH) -> dict[str, int]:
    """Beat, every minute: publish the outbox's tasks again (lms.core.models.UnsentTask).

    Oldest first, at most `batch` rows, each deleted once the broker took it; the run stops
    at the first broker failure (the row's `attempts` goes up by one and `last_error` names
    the error's class) and the next run starts over. Rows are taken with
    `select_for_update(skip_locked=True)` in one transaction: two runs at once (a late beat
    tick, a redelivered run) take disjoint rows, so no row is sent by both (on SQLite, which
    has no row locks, the whole database is locked by the first write instead). A task whose
    name is no longer registered stays with `last_error="NotRegistered"` for an operator.

    Cost: a task may run twice when the broker took it but the DELETE did not commit (the
    process died, the database went away); tasks tolerate a second run (this module's
    docstring). Returns {"sent": n, "left": rows still waiting, "failed": 0 or 1}.
    """
    from celery.exceptions import NotRegistered
    from django.db import transaction
    from kombu.exceptions import OperationalError as BrokerUnavailable

    from config.celery import app, broker_cooldown
    from lms.core.models import UnsentTask

    broker_cooldown.reset()  # this run came through the broker: try it whatever happened before
    sent = failed = 0
    with transaction.atomic():
        rows = UnsentTask.objects.select_for_update(skip_locked=True).order_by("created_at", "id")
        for row in rows[:batch]:
            try:
                task = app.tasks[row.task]
            except (KeyError, NotRegistered):
                UnsentTask.objects.filter(pk=row.pk).update(
                    attempts=row.attempts + 1, last_error="NotRegistered"
                )
                continue
            try:
                task.apply_async(args=row.args, kwargs=row.kwargs)
            except BrokerUnavailable as error:
                UnsentTask.objects.filter(pk=row.pk).update(
                    attempts=row.attempts + 1, last_error=type(error).__name__
                )
                failed = 1
                break
            row.delete()
            sent += 1
    return {"sent": sent, "left": UnsentTask.objects.count(), "failed": failed}


@shared_task(**RETRIED, **IDEMPOTENT)
def replay_cache_invalidations(pairs: list[list[Any]]) -> int:
    """Raise the cache counters `[[key, timeout seconds or None], ...]` whose raise failed in
    some process (lms.core.invalidation): queued after the write's commit, kept in the outbox
    while the broker (the same Redis) is down. A cache failure here raises (ConnectionError,
    an OSError: retried). A second run raises them again: entries built in between are
    retired too, which costs a miss. Returns how many were raised."""
    from lms.core.invalidation import replay

    try:
        replay(pairs)
    except Exception as error:  # django-redis's ConnectionInterrupted is no OSError
        if isinstance(error, OSError):
            raise
        raise ConnectionError(f"cache unavailable: {type(error).__name__}") from error
    return len(pairs)
