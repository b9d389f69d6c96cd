"""A broker that does not answer after a commit: the write stands, the task waits in the outbox.

`delay_on_commit` runs after the transaction committed; raising then would answer 500 for
a write that happened. config/celery.py writes the task to the outbox (UnsentTask) instead,
and skips the broker for a cool-down so the next tasks cost no publish attempt; only when
the database refuses that row too is the task logged as not queued (and lost).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery import shared_task
from celery.app.task import Task as CeleryTask
from django.db import DatabaseError

from config import celery as celery_config
from config.celery import BrokerCoolingDown, app, broker_cooldown
from lms.core.models import UnsentTask


@shared_task
def record_something(thing_id: str) -> str:
    return thing_id


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def point_broker_at(url: str, *, eager: bool = False) -> None:
    app.conf.update(broker_url=url, task_always_eager=eager)
    # Connections and producers are pooled per broker URL, and even eager tasks take a
    # producer (of the memory broker): drop both so the next send uses the URL above.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down() -> Iterator[None]:
    """The app's broker is a closed port (as Redis stopped), not eager; restored after."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    broker_cooldown.reset()
    point_broker_at(f"redis://127.0.0.1:{_closed_port()}/0")
    yield
    point_broker_at(saved["broker_url"], eager=saved["task_always_eager"])
    broker_cooldown.reset()


@pytest.fixture
def publishes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the tasks that reached Celery's own apply_async (a publish attempt)."""
    attempted: list[str] = []
    original = CeleryTask.apply_async

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        attempted.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(CeleryTask, "apply_async", spy)
    return attempted


def test_a_task_that_cannot_be_queued_after_commit_goes_to_the_outbox(
    db, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record_something.delay_on_commit("0f0e")  # no exception: the write has committed

    [row] = UnsentTask.objects.all()
    assert (row.task, row.args, row.kwargs) == (record_something.name, ["0f0e"], {})
    assert (row.attempts, row.last_error) == (0, "OperationalError")
    assert broker_cooldown.skipping()


def test_uuid_arguments_are_kept_as_their_text(db, broker_down, django_capture_on_commit_callbacks):
    import uuid

    thing = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        record_something.delay_on_commit(thing)

    assert UnsentTask.objects.get().args == [str(thing)]


def test_during_the_cool_down_tasks_skip_the_broker(
    db, broker_down, django_capture_on_commit_callbacks, publishes
):
    with django_capture_on_commit_callbacks(execute=True):
        record_something.delay_on_commit("first")
    assert publishes == [record_something.name]  # tried, failed: the cool-down starts

    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            record_something.delay_on_commit(f"next-{n}")
    elapsed = time.perf_counter() - started

    assert publishes == [record_something.name]  # no other attempt
    assert elapsed < 0.5  # five INSERTs, no connection attempt nor publish retry
    assert list(UnsentTask.objects.values_list("last_error", flat=True)) == [
        "OperationalError",
        *["BrokerCoolingDown"] * 5,
    ]
    # a direct .delay() (audit's queue_sealing) fails fast with a kombu OperationalError too
    with pytest.raises(BrokerCoolingDown):
        record_something.delay("direct")


def test_after_the_cool_down_the_broker_is_tried_again(
    db, broker_down, django_capture_on_commit_callbacks, publishes, settings
):
    settings.CELERY_OUTBOX_COOLDOWN_SECONDS = 0.05
    with django_capture_on_commit_callbacks(execute=True):
        record_something.delay_on_commit("first")
    time.sleep(0.1)
    assert not broker_cooldown.skipping()

    with django_capture_on_commit_callbacks(execute=True):
        record_something.delay_on_commit("second")

    assert publishes == [record_something.name] * 2


def test_one_failed_publish_costs_a_few_hundred_ms_at_most(
    db, broker_down, django_capture_on_commit_callbacks
):
    # CELERY_TASK_PUBLISH_RETRY_POLICY: one retry 0.1 s later (it was ~1 s with 3 retries)
    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        record_something.delay_on_commit("0f0e")
    assert time.perf_counter() - started < 0.5


def test_a_task_the_database_refuses_too_is_logged_not_raised(
    db, broker_down, django_capture_on_commit_callbacks, monkeypatch
):
    logged: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(
        celery_config.logger,
        "exception",
        lambda message, *args, **kwargs: logged.append((message, kwargs["extra"])),
    )

    def refuse(**fields: Any) -> None:
        raise DatabaseError("the database is away too")

    monkeypatch.setattr(UnsentTask.objects, "create", refuse)

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
    assert not UnsentTask.objects.exists()
