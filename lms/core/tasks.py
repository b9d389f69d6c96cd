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

import logging
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

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

    Oldest first, at most `batch` rows among those with `attempts` below
    CELERY_OUTBOX_MAX_ATTEMPTS (20), each deleted once the broker took it. Each row is
    published on its own (a savepoint each), so one row that fails never undoes the others:
    - the broker fails (a kombu OperationalError): the run stops, that row's `last_error`
      names the class, `attempts` unchanged (an outage is no fault of the row: a long one
      must not retire the oldest rows), and the next run starts over;
    - anything else (the arguments no longer fit the task after a deploy: TypeError; a value
      the serializer refuses: EncodeError; a task no longer registered: "NotRegistered"):
      `attempts` + 1, `last_error` the class name, logged as `unsent_task_refused` (WARNING:
      row id, task, class), and the run goes on with the next row. At the limit the row is
      logged `unsent_task_given_up` (ERROR) and stays for an operator (the admin's "Unsent
      tasks", filter "given up"), never tried again.
    Each row is taken with `select_for_update(skip_locked=True)` in a transaction of its own,
    published and deleted there: two runs at once (a late beat tick, a redelivered run) take
    different rows, so no row is sent by both (on SQLite, which has no row locks, the whole
    database is locked by the first write), and a run cut short re-sends at most the row it
    was on, never the ones it had sent (their deletes are committed).

    Cost: one locking read per row; a task may run twice when the broker took it but its
    DELETE did not commit (the process died, the database went away); tasks tolerate a
    second run (this module's docstring). Returns {"sent": n, "refused": rows that failed on
    their own this run, "left": rows still to be tried, "given_up": rows at the limit,
    "failed": 1 if the run stopped at a broker failure else 0}.
    """
    from celery.exceptions import NotRegistered
    from django.conf import settings
    from django.db import transaction
    from kombu.exceptions import OperationalError as BrokerUnavailable

    from config.celery import app, broker_cooldown
    from lms.core.models import UnsentTask

    limit = settings.CELERY_OUTBOX_MAX_ATTEMPTS
    broker_cooldown.reset()  # this run came through the broker: try it whatever happened before
    sent = refused = failed = 0
    tried: list[Any] = []
    for _ in range(batch):
        # One transaction a row: a run cut short (the soft time limit, a killed worker, a
        # failed commit) leaves every row it sent deleted, and sends at most the one it was
        # on again; SKIP LOCKED keeps two runs on different rows.
        with transaction.atomic():
            row = (
                UnsentTask.objects.select_for_update(skip_locked=True)
                .filter(attempts__lt=limit)
                .exclude(pk__in=tried)
                .order_by("created_at", "id")
                .first()
            )
            if row is None:
                break
            tried.append(row.pk)
            try:
                with transaction.atomic():  # a savepoint: an eager task's queries undone alone
                    try:
                        task = app.tasks[row.task]
                    except KeyError as error:
                        raise NotRegistered(row.task) from error
                    task.apply_async(args=row.args, kwargs=row.kwargs)
            except BrokerUnavailable as error:
                UnsentTask.objects.filter(pk=row.pk).update(last_error=type(error).__name__)
                failed = 1
                break
            except SoftTimeLimitExceeded:
                raise
            except Exception as error:  # the row's own failure: counted, the run goes on
                _refused(row, error, limit)
                refused += 1
                continue
            row.delete()
            sent += 1
    waiting = UnsentTask.objects.filter(attempts__lt=limit).count()
    given_up = UnsentTask.objects.filter(attempts__gte=limit).count()
    return {
        "sent": sent,
        "refused": refused,
        "left": waiting,
        "given_up": given_up,
        "failed": failed,
    }


def _refused(row: Any, error: Exception, limit: int) -> None:
    """Count a resend of `row` (an UnsentTask) that failed for its own reason."""
    from lms.core.models import UnsentTask

    attempts, error_name = row.attempts + 1, type(error).__name__
    UnsentTask.objects.filter(pk=row.pk).update(attempts=attempts, last_error=error_name)
    facts = {"unsent_task": str(row.pk), "task": row.task, "error": error_name}
    if attempts >= limit:
        logger.error("unsent_task_given_up", extra={**facts, "attempts": attempts})
    else:
        logger.warning("unsent_task_refused", extra={**facts, "attempts": attempts})


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
