"""The Celery application: `celery -A config.celery:app worker` / `beat`.

Tasks are `Task`s (Celery's `DjangoTask`), so a service schedules one after its write
commits with `task.delay_on_commit(id)` (nothing is sent if the transaction rolls back, and
a worker never reads a row before it exists). The broker is Redis (`REDIS_URL`); with no
broker configured tasks run eagerly in the calling process (config/settings.py).

A broker that does not answer when the write has committed (after the publish retries of
`CELERY_TASK_PUBLISH_RETRY_POLICY`) must not turn the committed write into a 500: the task
is logged as not queued (`task_not_queued`, its name and arguments, which are ids) and the
request answers as it would have. Such a task is lost; the periodic tasks that reconcile
(payments, digests, hold release) catch up on their own, emails do not (docs/operations.md).

Queues (settings `CELERY_TASK_QUEUES`, `CELERY_TASK_ROUTES`): `emails` (every task that
sends mail, small and network-bound), `pdfs` (certificates, receipts: CPU-bound rendering)
and `default` (the rest, beat's periodic tasks). A worker started without `-Q` consumes
all three; in production run one worker per queue class (deploy/docker-compose.yml) so a
burst of PDFs never delays a password-reset email.
"""

import functools
import logging
import os
from logging.config import dictConfig
from typing import Any

from celery import Celery, signals
from celery.contrib.django.task import DjangoTask
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)


class Task(DjangoTask):
    # celery-types declares an AsyncResult; Celery's own delay_on_commit returns None too.
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """`delay(*args, **kwargs)` once the current transaction commits (now without one)."""
        transaction.on_commit(functools.partial(self._send_committed, args, kwargs))

    def _send_committed(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            self.delay(*args, **kwargs)
        except BrokerUnavailable:
            if self.app.conf.task_always_eager:
                raise
            logger.exception(
                "task_not_queued", extra={"task": self.name, "task_args": [str(a) for a in args]}
            )


app = Celery("lms", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log through settings.LOGGING (JSON lines, task arguments redacted)
    instead of handlers of Celery's own, which would print the arguments."""
    from django.conf import settings

    dictConfig(settings.LOGGING)
