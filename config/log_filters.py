"""Logging filters of settings.LOGGING."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
_TASK_ARGUMENTS = ("args", "kwargs")

# Celery's loggers that put a task's arguments into their records: on receipt (worker), on
# success, failure and retry (also the eager runner), and in the request's own messages.
CELERY_TASK_LOGGERS = ("celery.app.trace", "celery.worker.strategy", "celery.worker.request")


def _without_arguments(context: Mapping[str, Any]) -> dict[str, Any]:
    return {key: REDACTED if key in _TASK_ARGUMENTS else value for key, value in context.items()}


class RedactTaskArguments(logging.Filter):
    """Blank a Celery task's `args` and `kwargs` wherever its log record carries them.

    Celery formats its lines from a mapping (`record.args`) that also holds the task's
    arguments, and hands the same mapping to handlers as the `data` extra, which the JSON
    formatter prints whole. Tasks take ids only; this keeps it so if one ever does not.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, Mapping) and any(k in record.args for k in _TASK_ARGUMENTS):
            record.args = _without_arguments(record.args)
        data = getattr(record, "data", None)
        if isinstance(data, Mapping) and any(key in data for key in _TASK_ARGUMENTS):
            record.data = _without_arguments(data)
        return True
