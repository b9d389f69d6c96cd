"""The Celery application: `celery -A config.celery:app worker` / `beat`.

Tasks are `Task`s (Celery's `DjangoTask`), so a service schedules one after its write
commits with `task.delay_on_commit(id)` (nothing is sent if the transaction rolls back, and
a worker never reads a row before it exists). The broker is Redis (`REDIS_URL`); with no
broker configured tasks run eagerly in the calling process (config/settings.py).

A broker that does not answer when the write has committed (after the short publish retry
of `CELERY_TASK_PUBLISH_RETRY_POLICY`) must not turn the committed write into a 500, nor
lose the task: the task goes to the outbox, one row of `lms.core.models.UnsentTask` (its
name and arguments, which are ids), and the request answers as it would have. For the next
`CELERY_OUTBOX_COOLDOWN_SECONDS` this process writes its `delay_on_commit` tasks to the
outbox without trying the broker, so requests during an outage pay one INSERT per task, not
the publish retries. The cool-down applies only there (and to callers that check
`broker_cooldown` because they have a fallback of their own, the audit seal): a direct
`.delay()`/`.apply_async()` and Celery's own `self.retry()` in a worker always try the
broker, since nothing would keep what they send (a failed retry publish is rejected and
dropped by Celery). Beat's `lms.core.tasks.resend_unsent_tasks` (every minute) publishes the
rows again once the broker answers. The outbox holds at most `CELERY_OUTBOX_MAX_ROWS` rows
(default 100,000; counted every `OUTBOX_COUNT_EVERY` inserts per process, so it may go over
by that many per process): beyond it a task is logged `task_not_queued` and dropped.

What this costs and what it does not cover (docs/operations.md, "Celery"):
- a task may run twice: the broker took it but its answer was lost (the publish is then
  retried, or the resend's delete did not commit); tasks take ids and tolerate a second run
  (lms/core/tasks.py), an email may go out twice;
- a task is still lost when the process dies between the commit and the INSERT, when the
  database refuses the INSERT too, or when the outbox is full (then it is logged at ERROR
  as `task_not_queued`, with its name and id arguments); the periodic tasks that reconcile
  (payments, digests, hold release) catch up on their own, emails do not;
- outbox tasks run later than they would have, and not in the order of their commits
  relative to tasks published directly.

Queues (settings `CELERY_TASK_QUEUES`, `CELERY_TASK_ROUTES`): `emails` (every task that
sends mail, small and network-bound), `pdfs` (certificates, receipts: CPU-bound rendering)
and `default` (the rest, beat's periodic tasks). A worker started without `-Q` consumes
all three; in production run one worker per queue class (deploy/docker-compose.yml) so a
burst of PDFs never delays a password-reset email.
"""

import functools
import logging
import os
import threading
import time
from logging.config import dictConfig
from typing import Any

from celery import Celery, signals
from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.db import DatabaseError, transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)


class BrokerCoolingDown(BrokerUnavailable):
    """The broker was not tried, this process's cool-down lasting: the `last_error` of an
    outbox row written then. A kombu OperationalError, so `except BrokerUnavailable` covers it."""


class BrokerCooldown:
    """This process's memory of the last publish failure (time.monotonic() seconds).

    After a failed publish, `skipping()` is true for CELERY_OUTBOX_COOLDOWN_SECONDS: then
    `delay_on_commit` writes to the outbox straight away, so a request during an outage pays
    neither the connection attempt nor the publish retries, and a caller with a fallback of
    its own (lms.audit.tasks.queue_sealing: beat seals) skips the broker. Nothing else obeys
    it: a publish with no fallback (a worker's retry, a direct `.delay()`) always tries. The
    first publish after the window tries the broker again. Per process (a gunicorn worker,
    a Celery worker, beat), thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0

    def skipping(self) -> bool:
        with self._lock:
            return time.monotonic() < self._until

    def failed(self, seconds: float) -> None:
        with self._lock:
            self._until = time.monotonic() + seconds

    def reset(self) -> None:
        with self._lock:
            self._until = 0.0


broker_cooldown = BrokerCooldown()


# A process counts the outbox's rows once every this many tasks it would add (its first
# one included); between two counts it adds or drops on the last count's verdict.
OUTBOX_COUNT_EVERY = 100


class OutboxCap:
    """This process's view of whether the outbox is full (`CELERY_OUTBOX_MAX_ROWS`).

    `admits()` counts the table (one `SELECT count(*)`: measured 7-12 ms at 100,000 rows
    on PostgreSQL, so about 0.1 ms a kept task) on its first call and then once every
    `OUTBOX_COUNT_EVERY` calls; in between it answers from the last count: admitted while
    rows + inserts since < the limit, else refused until the next count. So each process
    may add up to `OUTBOX_COUNT_EVERY` rows beyond the limit (other processes' inserts
    since its count are not seen). Called only on the outage path (a task the broker
    refused). Per process, thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls_left = 0  # calls answered from the last count before counting again
        self._room = 0  # rows this process may still add on the last count's verdict

    def admits(self, limit: int) -> bool:
        with self._lock:
            if self._calls_left > 0:
                self._calls_left -= 1
                if self._room > 0:
                    self._room -= 1
                    return True
                return False
        from lms.core.models import UnsentTask

        rows = UnsentTask.objects.count()  # outside the lock: a query
        with self._lock:
            self._calls_left = OUTBOX_COUNT_EVERY - 1
            self._room = max(limit - rows, 0)
            if self._room > 0:
                self._room -= 1
                return True
            return False

    def reset(self) -> None:
        with self._lock:
            self._calls_left = self._room = 0


outbox_cap = OutboxCap()


class Task(DjangoTask):
    def apply_async(self, *args: Any, **kwargs: Any) -> Any:
        """Celery's; a publish that fails (after CELERY_TASK_PUBLISH_RETRY_POLICY) starts this
        process's broker cool-down, which only `delay_on_commit` (the outbox path) and callers
        with a fallback of their own obey. Never refused here: a worker's `self.retry()` and a
        direct `.delay()` always try the broker (a retry refused here would be dropped)."""
        if self.app.conf.task_always_eager:
            return super().apply_async(*args, **kwargs)
        try:
            return super().apply_async(*args, **kwargs)
        except BrokerUnavailable:
            broker_cooldown.failed(settings.CELERY_OUTBOX_COOLDOWN_SECONDS)
            raise

    # celery-types declares an AsyncResult; Celery's own delay_on_commit returns None too.
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """`delay(*args, **kwargs)` once the current transaction commits (now without one);
        the outbox keeps it if the broker does not take it."""
        transaction.on_commit(functools.partial(self._send_committed, args, kwargs))

    def _send_committed(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Publish after the commit; a broker that refuses it puts the task in the outbox.

        During this process's broker cool-down the broker is not tried: the task goes to the
        outbox at once (`last_error="BrokerCoolingDown"`). Never raises for a broker failure
        (the write it follows has committed); in eager mode (tests, development) the task's
        own errors do. Costs with the broker down: one INSERT per task, plus one failed publish
        per process and cool-down (with Redis's port closed about 0.1-0.2 s,
        CELERY_TASK_PUBLISH_RETRY_POLICY).
        """
        eager = self.app.conf.task_always_eager
        if not eager and broker_cooldown.skipping():
            self._keep_unsent(args, kwargs, error=BrokerCoolingDown.__name__)
            return
        try:
            self.delay(*args, **kwargs)
        except BrokerUnavailable as error:
            if eager:
                raise
            self._keep_unsent(args, kwargs, error=type(error).__name__)

    def _keep_unsent(self, args: tuple[Any, ...], kwargs: dict[str, Any], *, error: str) -> None:
        """One row in the outbox (lms.core.models.UnsentTask). The task is logged as
        `task_not_queued` (ERROR, its name and id arguments, `reason` "outbox_full" or
        "database") and lost when the outbox is full (CELERY_OUTBOX_MAX_ROWS, `OutboxCap`) or
        the database refuses the row too."""
        from lms.core.models import UnsentTask

        try:
            if not outbox_cap.admits(settings.CELERY_OUTBOX_MAX_ROWS):
                logger.error("task_not_queued", extra=self._lost(args, reason="outbox_full"))
                return
            UnsentTask.objects.create(
                task=self.name, args=list(args), kwargs=kwargs, last_error=error
            )
        except (DatabaseError, TypeError, ValueError):  # TypeError: an argument not JSON
            logger.exception("task_not_queued", extra=self._lost(args, reason="database"))
        else:
            logger.warning("task_kept_unsent", extra={"task": self.name, "error": error})

    def _lost(self, args: tuple[Any, ...], *, reason: str) -> dict[str, Any]:
        return {"task": self.name, "task_args": [str(a) for a in args], "reason": reason}


def send_or_keep(task: Any, *args: Any, **kwargs: Any) -> None:
    """`task.delay(*args, **kwargs)` now, for a caller whose write has committed already (a
    task that committed its claim, lms.notifications.tasks.send_notification_digests): as
    `delay_on_commit` after its commit, a broker that refuses it (or this process's broker
    cool-down) puts the task in the outbox instead of raising; eager mode runs it inline."""
    if isinstance(task, Task):
        task._send_committed(args, kwargs)
    else:  # a task of another class (none in lms/): Celery's own publish
        task.delay(*args, **kwargs)


app = Celery("lms", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log through settings.LOGGING (JSON lines, task arguments redacted)
    instead of handlers of Celery's own, which would print the arguments."""
    from django.conf import settings

    dictConfig(settings.LOGGING)
