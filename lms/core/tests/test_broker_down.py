"""A broker that does not answer after a commit: the write stands, the task is logged.

`delay_on_commit` runs after the transaction committed; raising then would answer 500 for
a write that happened. config/celery.py logs the task as not queued instead.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from celery import shared_task

from config import celery as celery_config
from config.celery import app


@shared_task
def record_something(thing_id: str) -> str:
    return thing_id


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def broker_down() -> Iterator[None]:
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=f"redis://127.0.0.1:{_closed_port()}/0", task_always_eager=False)
    # Connections and producers are pooled per broker URL, and even eager tasks take a
    # producer (of the memory broker): drop both so the next send uses the URL above.
    app._pool = None
    app.amqp._producer_pool = None
    yield
    app.conf.update(saved)
    app._pool = None
    app.amqp._producer_pool = None


def test_a_task_that_cannot_be_queued_after_commit_is_logged_not_raised(
    db, broker_down, django_capture_on_commit_callbacks, monkeypatch
):
    logged: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(
        celery_config.logger,
        "exception",
        lambda message, *args, **kwargs: logged.append((message, kwargs["extra"])),
    )

    with django_capture_on_commit_callbacks(execute=True):
        record_something.delay_on_commit("0f0e")

    assert logged == [("task_not_queued", {"task": record_something.name, "task_args": ["0f0e"]})]


def test_in_eager_mode_a_failure_still_raises(db, django_capture_on_commit_callbacks):
    # tests and development run tasks inline: their errors must show
    @shared_task
    def failing() -> None:
        raise RuntimeError("boom")

    with (
        pytest.raises(RuntimeError, match="boom"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        failing.delay_on_commit()
