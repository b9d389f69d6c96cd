"""The first hour's log: each line once, no warning a newcomer must wonder about."""

from __future__ import annotations

import logging

from django.conf import settings
from kombu import Connection


def handlers_reached(name: str) -> list[logging.Handler]:
    """The handlers a record of logger `name` goes through (propagation included), but
    pytest's own capturing ones."""
    reached: list[logging.Handler] = []
    logger: logging.Logger | None = logging.getLogger(name)
    while logger is not None:
        reached.extend(h for h in logger.handlers if not type(h).__module__.startswith("_pytest"))
        logger = logger.parent if logger.propagate else None
    return reached


def test_a_request_line_and_the_reloader_line_are_each_written_once():
    # daphne's access line, and the reloader's start line (Django's own console handler,
    # which printed them a second time with DEBUG on, is gone)
    for name in ("django.channels.server", "django.utils.autoreload", "django.request"):
        assert len(handlers_reached(name)) == 1, name


def test_client_errors_are_left_to_the_access_line_server_errors_are_logged():
    request_log = logging.getLogger("django.request")
    assert not request_log.isEnabledFor(logging.WARNING)  # "Not Found: ..." twice otherwise
    assert request_log.isEnabledFor(logging.ERROR)  # a 500 keeps its traceback


def test_the_broker_names_a_host_so_kombu_does_not_warn(caplog):
    with caplog.at_level(logging.WARNING, logger="kombu.connection"):
        Connection(settings.CELERY_BROKER_URL).info()
    assert "No hostname was supplied" not in caplog.text
