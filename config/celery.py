"""The Celery application: `celery -A config.celery:app worker` / `beat`.

Tasks are `Task`s (Celery's `DjangoTask`), so a service schedules one after its write
commits with `task.delay_on_commit(id)` (nothing is sent if the transaction rolls back, and
a worker never reads a row before it exists). The broker is Redis (`REDIS_URL`); with no
broker configured tasks run eagerly in the calling process (config/settings.py).

A broker that does not answer when the write has committed (after the short publish retry
of `CELERY_TASK_PUBLISH_RETRY_POLICY`) must not turn the committed write into a 500, nor
lose the task: the task goes to the outbox, one row of `lms.core.models.UnsentTask` (its
name and arguments, which are ids), and the request answers as it would have. For the next
`CELERY_OUTBOX_COOLDOWN_SECONDS` this process writes its tasks to the outbox without trying
the broker, so requests during an outage pay one INSERT per task, not the publish retries.
Beat's `lms.core.tasks.resend_unsent_tasks` (every minute) publishes the rows again once
the broker answers.

What this costs and what it does not cover (docs/operations.md, "Celery"):
- a task may run twice: the broker took it but its answer was lost (the publish is then
  retried, or the resend's delete did not commit); tasks take ids and tolerate a second run
  (lms/core/tasks.py), an email may go out twice;
- a task is still lost when the process dies between the commit and the INSERT, or when
  the database refuses the INSERT too (then it is logged as `task_not_queued`, with its
  name and id arguments, as before the outbox); the periodic tasks that reconcile
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
from django.db import DatabaseError, transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

# Default of CELERY_OUTBOX_COOLDOWN_SECONDS: seconds a process sends no task to the broker
# after a publish failed (its tasks go to the outbox at once).
DEFAULT_COOLDOWN_SECONDS = 10.0


class BrokerCoolingDown(BrokerUnavailable):
    """Raised instead of publishing while this process's broker cool-down lasts."""


class BrokerCooldown:
    """This process's memory of the last publish failure (time.monotonic() seconds).

    After a failure, `skipping()` is true for CELERY_OUTBOX_COOLDOWN_SECONDS: every publish
    of this process fails at once (`BrokerCoolingDown`), so a request during an outage pays
    neither the connection attempt nor the publish retries, and `delay_on_commit` writes to
    the outbox straight away. The first publish after the window tries the broker again.
    Per process (a gunicorn worker, a Celery worker, beat), thread-safe.
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


def _cooldown_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "CELERY_OUTBOX_COOLDOWN_SECONDS", DEFAULT_COOLDOWN_SECONDS))


class Task(DjangoTask):
    def apply_async(self, *args: Any, **kwargs: Any) -> Any:
        """Celery's, failing fast during the broker cool-down (`BrokerCoolingDown`, a kombu
        OperationalError, so every caller's `except BrokerUnavailable` still applies); a
        publish that fails (after CELERY_TASK_PUBLISH_RETRY_POLICY) starts the cool-down."""
        if self.app.conf.task_always_eager:
            return super().apply_async(*args, **kwargs)
        if broker_cooldown.skipping():
            raise BrokerCoolingDown("the broker failed moments ago: not tried")
        try:
            return super().apply_async(*args, **kwargs)
        except BrokerUnavailable:
            broker_cooldown.failed(_cooldown_seconds())
            raise

    # celery-types declares an AsyncResult; Celery's own delay_on_commit returns None too.
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """`delay(*args, **kwargs)` once the current transaction commits (now without one)."""
        transaction.on_commit(functools.partial(self._send_committed, args, kwargs))

    def _send_committed(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Publish after the commit; a broker that refuses it puts the task in the outbox.

        Never raises for a broker failure (the write it follows has committed); in eager
        mode (tests, development) the task's own errors do. Costs with the broker down: one
        INSERT per task, plus one failed publish per process and cool-down (with Redis's
        port closed about 0.1-0.2 s, CELERY_TASK_PUBLISH_RETRY_POLICY).
        """
        try:
            self.delay(*args, **kwargs)
        except BrokerUnavailable as error:
            if self.app.conf.task_always_eager:
                raise
            self._keep_unsent(args, kwargs, error=type(error).__name__)

    def _keep_unsent(self, args: tuple[Any, ...], kwargs: dict[str, Any], *, error: str) -> None:
        """One row in the outbox (lms.core.models.UnsentTask); if the database refuses it too,
        the task is logged as `task_not_queued` (its name and id arguments) and is lost."""
        from lms.core.models import UnsentTask

        try:
            UnsentTask.objects.create(
                task=self.name, args=list(args), kwargs=kwargs, last_error=error
            )
        except (DatabaseError, TypeError, ValueError):  # TypeError: an argument not JSON
            logger.exception(
                "task_not_queued", extra={"task": self.name, "task_args": [str(a) for a in args]}
            )
        else:
            logger.warning("task_kept_unsent", extra={"task": self.name, "error": error})


app = Celery("lms", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log through settings.LOGGING (JSON lines, task arguments redacted)
    instead of handlers of Celery's own, which would print the arguments."""
    from django.conf import settings

    dictConfig(settings.LOGGING)
