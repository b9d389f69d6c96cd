"""The Celery application: `celery -A config.celery:app worker` / `beat`.

Tasks are `celery.contrib.django.task.DjangoTask`s, so a service schedules one after its
write commits with `task.delay_on_commit(id)` (nothing is sent if the transaction rolls
back, and a worker never reads a row before it exists). The broker is Redis (`REDIS_URL`);
with no broker configured tasks run eagerly in the calling process (config/settings.py).

Queues (settings `CELERY_TASK_QUEUES`, `CELERY_TASK_ROUTES`): `emails` (every task that
sends mail, small and network-bound), `pdfs` (certificates, receipts: CPU-bound rendering)
and `default` (the rest, beat's periodic tasks). A worker started without `-Q` consumes
all three; in production run one worker per queue class (deploy/docker-compose.yml) so a
burst of PDFs never delays a password-reset email.
"""

import os
from logging.config import dictConfig
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("lms", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log through settings.LOGGING (JSON lines, task arguments redacted)
    instead of handlers of Celery's own, which would print the arguments."""
    from django.conf import settings

    dictConfig(settings.LOGGING)
