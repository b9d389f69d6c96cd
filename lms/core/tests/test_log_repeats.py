"""The log filter against floods (config/log_filters.SuppressRepeats): with Redis down every
request logged the same cache and broker failures with their traceback; now the first of a
kind passes, its repeats for 60 s are counted and summed up in one line."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from config.log_filters import SUMMARY_MESSAGE, SuppressRepeats


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def shown(clock: Clock) -> Iterator[list[logging.LogRecord]]:
    """Records a handler with the filter emits, from two loggers and the filter's own."""
    handler = Collect()
    handler.addFilter(SuppressRepeats(window=60.0, clock=clock))
    loggers = [logging.getLogger(name) for name in ("flood.cache", "flood.broker")]
    summary_logger = logging.getLogger("config.log_filters")
    for logger in [*loggers, summary_logger]:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    yield handler.records
    for logger in [*loggers, summary_logger]:
        logger.removeHandler(handler)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)


def fail(logger: str, message: str = "Exception ignored", error: type[Exception] = OSError):
    try:
        raise error("connection refused")
    except error:
        logging.getLogger(logger).exception(message)


def summaries(records: list[logging.LogRecord]) -> list[dict[str, Any]]:
    keys = ("repeated_logger", "repeated_message", "repeated_exception", "suppressed")
    return [{key: getattr(r, key) for key in keys} for r in records if r.msg == SUMMARY_MESSAGE]


def test_the_first_of_a_kind_passes_with_its_traceback_and_repeats_are_counted(shown, clock):
    for _ in range(20):
        fail("flood.cache")
        clock.now += 1

    assert len(shown) == 1
    assert shown[0].exc_info is not None  # the first keeps its traceback

    clock.now = 1000.0 + 61  # the window is over: the next one of the kind
    fail("flood.cache")

    assert summaries(shown) == [
        {
            "repeated_logger": "flood.cache",
            "repeated_message": "Exception ignored",
            "repeated_exception": "OSError",
            "suppressed": 19,
        }
    ]
    assert shown[1].levelno == logging.ERROR  # the summary at the kind's level
    assert shown[2].exc_info is not None  # and that next one passes whole, a new window


def test_kinds_are_logger_message_and_exception_class(shown, clock):
    fail("flood.cache")
    fail("flood.broker")  # another logger
    fail("flood.cache", message="task_not_queued")  # another message
    fail("flood.cache", error=ValueError)  # another exception class
    logging.getLogger("flood.cache").warning("Exception ignored")  # no exception
    fail("flood.cache")  # a repeat

    assert len(shown) == 5


def record(
    message: str, *args: Any, level: int = logging.ERROR, **extras: Any
) -> logging.LogRecord:
    made = logging.LogRecord("config.celery", level, __file__, 1, message, args or None, None)
    for key, value in extras.items():
        setattr(made, key, value)
    return made


def test_records_naming_different_things_are_different_kinds(clock):
    repeats = SuppressRepeats(window=60.0, clock=clock)
    passed = [
        repeats.filter(made)
        for made in (
            # two lost tasks: the only trace of each (config/celery.py)
            record("task_not_queued", task="send_order_receipt", task_args=["order-A"]),
            record("task_not_queued", task="send_password_reset", task_args=["user-B"]),
            # two disputes
            record("commerce.dispute_opened", order="X"),
            record("commerce.dispute_opened", order="Y"),
            # a 500 on another path (django.request's arguments)
            record("Internal Server Error: %s", "/api/v1/orders/"),
            record("Internal Server Error: %s", "/api/v1/courses/"),
        )
    ]
    assert passed == [True] * 6

    # the very same incident again is folded
    assert not repeats.filter(record("commerce.dispute_opened", order="X"))
    assert not repeats.filter(record("Internal Server Error: %s", "/api/v1/orders/"))


def test_the_same_exception_with_another_message_is_another_kind(shown, clock):
    fail("flood.cache", error=ValueError)
    try:
        raise ValueError("another incident")
    except ValueError:
        logging.getLogger("flood.cache").exception("Exception ignored")
    fail("flood.cache", error=ValueError)  # the first one again: folded

    assert len(shown) == 2


def test_beyond_the_kinds_it_tracks_records_pass_unfiltered(clock):
    repeats = SuppressRepeats(window=60.0, clock=clock, max_kinds=3)
    for n in range(3):
        assert repeats.filter(record("task_not_queued", task_args=[f"t{n}"]))
    assert not repeats.filter(record("task_not_queued", task_args=["t0"]))  # tracked: folded
    for _ in range(2):  # a fourth kind: not tracked, so never folded
        assert repeats.filter(record("task_not_queued", task_args=["t3"]))
    assert len(repeats._windows) == 3

    clock.now += 61  # the windows end: room again
    assert repeats.filter(record("task_not_queued", task_args=["t4"]))
    assert len(repeats._windows) == 1


def test_a_window_that_ends_is_summed_up_at_the_next_record_of_any_kind(shown, clock):
    fail("flood.cache")
    fail("flood.cache")
    fail("flood.cache")
    clock.now += 75
    logging.getLogger("flood.broker").warning("something else")

    assert [r.msg for r in shown] == ["Exception ignored", SUMMARY_MESSAGE, "something else"]
    assert summaries(shown)[0]["suppressed"] == 2

    fail("flood.cache")  # the kind was forgotten with its window: it passes again
    assert shown[-1].msg == "Exception ignored"


def test_no_summary_when_nothing_was_suppressed(shown, clock):
    fail("flood.cache")
    clock.now += 61
    fail("flood.cache")

    assert [r.msg for r in shown] == ["Exception ignored", "Exception ignored"]


def test_the_summary_repeats_no_argument_nor_exception_message(shown, clock):
    for _ in range(2):
        logging.getLogger("flood.cache").error("token %s refused", "secret-token-value")
    clock.now += 61
    logging.getLogger("flood.cache").error("token %s refused", "secret-token-value")

    [summary] = [r for r in shown if r.msg == SUMMARY_MESSAGE]
    assert "secret-token-value" not in summary.getMessage() + str(vars(summary))
    assert summary.repeated_message == "token %s refused"  # type: ignore[attr-defined]


def test_the_console_handler_of_the_settings_has_it():
    handler = settings.LOGGING["handlers"]["console"]
    assert handler["filters"] == [
        "redact_task_arguments",
        "redact_request_credentials",
        "suppress_repeats",
    ]
    assert settings.LOGGING["filters"]["suppress_repeats"] == {
        "()": "config.log_filters.SuppressRepeats",
        "window": 60.0,
    }


def test_a_flood_through_the_real_configuration_prints_one_line_and_a_summary(tmp_path: Path):
    # settings.LOGGING applied by dictConfig in a fresh process (production: JSON lines)
    code = (
        "import logging, django; django.setup()\n"
        "[console] = logging.getLogger().handlers\n"
        "[repeats] = [f for f in console.filters if type(f).__name__ == 'SuppressRepeats']\n"
        "now = [0.0]\n"
        "repeats._clock = lambda: now[0]\n"
        "log = logging.getLogger('django_redis.cache')\n"
        "for n in range(31):\n"
        "    now[0] = 0.0 if n == 0 else 1.0 if n < 30 else 100.0\n"
        "    try:\n"
        "        raise ConnectionError('refused')\n"
        "    except ConnectionError:\n"
        "        log.exception('Exception ignored')\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "log-test-only-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOW_FAKE_PAYMENTS": "true",
        "LOG_LEVEL": "INFO",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [line["message"] for line in lines] == [
        "Exception ignored",
        SUMMARY_MESSAGE,
        "Exception ignored",
    ]
    assert "Traceback" in lines[0]["exc_info"]
    assert lines[1]["suppressed"] == 29
    assert lines[1]["repeated_exception"] == "ConnectionError"


# --- a request's URL in the application's own log lines ---------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/media/stream/SECRET-TOKEN-0451:sig/",
        "/api/v1/auth/me/export/download/?token=SECRET-TOKEN-0451",
        "/api/v1/certificates/verify/SECRET-TOKEN-0451/",
    ],
)
def test_a_server_error_names_its_request_without_the_credentials_in_its_url(rf, url):
    from config.log_filters import RedactRequestCredentials

    request = rf.get(url)
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s",
        (request.path,), None,
    )  # fmt: skip
    record.request = request

    assert RedactRequestCredentials().filter(record) is True

    shown = record.getMessage() + str(record.request)
    assert "SECRET-TOKEN-0451" not in shown
    assert "/api/v1/" in shown
