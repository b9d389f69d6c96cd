"""Logging filters of settings.LOGGING."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from config.redaction import redact_url

REDACTED = "[redacted]"
_TASK_ARGUMENTS = ("args", "kwargs")

# Celery's loggers that put a task's arguments into their records: on receipt (worker), on
# success, failure and retry (also the eager runner), and in the request's own messages.
CELERY_TASK_LOGGERS = ("celery.app.trace", "celery.worker.strategy", "celery.worker.request")


def _without_arguments(context: Mapping[str, Any]) -> dict[str, Any]:
    return {key: REDACTED if key in _TASK_ARGUMENTS else value for key, value in context.items()}


class RedactRequestCredentials(logging.Filter):
    """Hide what a request's URL may carry as a credential in records that name it.

    Django's `django.request` and `django.security` records (a 500, a 403, a disallowed
    host) put the request's path in their message and the request itself in the `request`
    extra, which the JSON formatter prints with its full path and query: the media stream's
    signed token, the export's `?token=`. The path in the arguments and the `request` extra
    are rewritten by the one rule of config/redaction.py (as gunicorn's access log is).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request: Any = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if not isinstance(path, str):
            return True
        full_path = request.get_full_path() if hasattr(request, "get_full_path") else path
        meta = getattr(request, "META", {})
        query = meta.get("QUERY_STRING", "") if isinstance(meta, Mapping) else ""
        shown = redact_url(path, str(query))
        record.request = f"<{getattr(request, 'method', '-')} {shown}>"
        if isinstance(record.args, tuple):
            record.args = tuple(
                shown if isinstance(arg, str) and arg in (path, full_path) else arg
                for arg in record.args
            )
        return True


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


# A kind of record: its logger, its message (the format string, before its arguments), the
# class name of its exception ("" without one), and a fingerprint of what tells one incident
# from another: the record's arguments, its extras' values and its exception's message.
Kind = tuple[str, str, str, str]

SUMMARY_MESSAGE = "log_repeats_suppressed"
_SUMMARY_MARK = "log_repeat_summary"
_SWEEP_EVERY_SECONDS = 1.0
# Default of SuppressRepeats(max_kinds=): kinds tracked at once; a record of a new kind
# beyond it passes unfiltered (and untracked), so a flood of distinct records costs no memory.
DEFAULT_MAX_KINDS = 10_000

# What every LogRecord has (and what handlers and formatters add): the rest are extras.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))
) | {"message", "asctime", "taskName", _SUMMARY_MARK}


def _fingerprint(record: logging.LogRecord) -> str:
    """A digest of the record's arguments, its extras (name and value) and its exception's
    message: two lost tasks, two disputes or two 500s on different paths differ here, the
    same dependency failure repeated does not. 16 bytes kept, never the values."""
    extras = sorted(
        (key, repr(value)) for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES
    )
    error = record.exc_info[1] if record.exc_info else None
    text = repr((repr(record.args), extras, str(error) if error is not None else ""))
    return hashlib.blake2b(text.encode("utf-8", "backslashreplace"), digest_size=16).hexdigest()


def kind_of(record: logging.LogRecord) -> Kind:
    exception = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
    return (record.name, str(record.msg)[:200], exception, _fingerprint(record))


@dataclass
class _Window:
    started: float
    level: int
    suppressed: int = 0


class SuppressRepeats(logging.Filter):
    """Let the first record of a kind through, then count its repeats for `window` seconds.

    A kind is `kind_of(record)`: logger, message format, exception class, and a fingerprint
    of the record's arguments, extras' values and exception message. So only the very same
    incident repeated is folded (django-redis's "Exception ignored" for every cache call
    during an outage, one task name's `task_kept_unsent`), while records that name different
    things (two `task_not_queued` of two tasks, two disputes, a 500 on another path) are
    different kinds and all pass: a record at ERROR or above carrying its own ids is never
    folded into another's. The first record passes whole (its traceback too); the same kind
    within `window` seconds of it is dropped and counted. When the window is over, one
    summary line (`log_repeats_suppressed`, logger `config.log_filters`, the kind's level,
    with extras `repeated_logger`, `repeated_message`, `repeated_exception`, `suppressed` and
    `window_seconds`) reports the count: before the next record of that kind, which then
    passes and opens a new window, or at the first record of any kind after the window ended
    (checked at most once a second). A kind with nothing suppressed gets no summary. Nothing
    of a record's arguments, extras or exception message is repeated in the summary (the
    fingerprint is a digest), only the format string and class names.

    Memory: at most `max_kinds` kinds (10,000, a few MB) are tracked; while that many are
    in their window, a record of a new kind passes unfiltered and is not tracked.

    Why: with Redis down, every request logs the same cache and broker failures with a
    traceback (measured: 176 tracebacks for 21 requests, docs/operations.md "Logging").
    Per process, thread-safe; `clock` (monotonic seconds) is for tests.
    """

    def __init__(
        self,
        name: str = "",
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_kinds: int = DEFAULT_MAX_KINDS,
    ) -> None:
        super().__init__(name)
        self.window = float(window)
        self.max_kinds = int(max_kinds)
        self._clock = clock
        self._lock = threading.Lock()
        # Oldest window first (a kind whose window reopens moves to the end): the sweep stops
        # at the first window still open.
        self._windows: dict[Kind, _Window] = {}
        self._swept_at = float("-inf")

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _SUMMARY_MARK, False):
            return True
        kind = kind_of(record)
        now = self._clock()
        ended: list[tuple[Kind, _Window]] = []
        with self._lock:
            if now - self._swept_at >= _SWEEP_EVERY_SECONDS:
                self._swept_at = now
                self._sweep(now, keep=kind, ended=ended)
            state = self._windows.get(kind)
            if state is not None and now - state.started < self.window:
                state.suppressed += 1
                passes = False
            else:
                if state is not None:
                    del self._windows[kind]
                    ended.append((kind, state))
                if len(self._windows) < self.max_kinds:
                    self._windows[kind] = _Window(started=now, level=record.levelno)
                passes = True
        for ended_kind, ended_state in ended:
            self._summarize(ended_kind, ended_state)
        return passes

    def _sweep(self, now: float, *, keep: Kind, ended: list[tuple[Kind, _Window]]) -> None:
        """Forget the windows that are over (oldest first), `keep`'s aside (the caller's)."""
        for other, other_state in list(self._windows.items()):
            if now - other_state.started < self.window:
                break
            if other != keep:
                del self._windows[other]
                ended.append((other, other_state))

    def _summarize(self, kind: Kind, state: _Window) -> None:
        if not state.suppressed:
            return
        repeated_logger, repeated_message, repeated_exception, _fingerprint = kind
        logging.getLogger(__name__).log(
            state.level,
            SUMMARY_MESSAGE,
            extra={
                _SUMMARY_MARK: True,
                "repeated_logger": repeated_logger,
                "repeated_message": repeated_message,
                "repeated_exception": repeated_exception,
                "suppressed": state.suppressed,
                "window_seconds": self.window,
            },
        )
