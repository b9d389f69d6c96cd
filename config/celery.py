"""The Celery application: `celery -A config.celery:app worker` / `beat`."""

import os
from logging.config import dictConfig
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log through settings.LOGGING (JSON lines, task arguments redacted)
    instead of handlers of Celery's own, which would print the arguments."""
    from django.conf import settings

    dictConfig(settings.LOGGING)
