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
from kombu.exceptions import OperationalError as BrokerUnavailable

from config import celery as celery_config
from config.celery import BrokerCoolingDown, app, broker_cooldown, outbox_cap
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
    outbox_cap.reset()
    point_broker_at(f"redis://127.0.0.1:{_closed_port()}/0")
    yield
    point_broker_at(saved["broker_url"], eager=saved["task_always_eager"])
    broker_cooldown.reset()
    outbox_cap.reset()


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


def test_the_cool_down_never_refuses_a_direct_publish(db, broker_down, publishes):
    # a direct .delay() or a worker's self.retry() has no outbox behind it: it always tries
    broker_cooldown.failed(10)
    with pytest.raises(BrokerUnavailable) as refused:
        record_something.delay("direct")
    assert type(refused.value) is not BrokerCoolingDown  # the broker itself refused
    assert publishes == [record_something.name]


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

    assert logged == [
        (
            "task_not_queued",
            {"task": record_something.name, "task_args": ["0f0e"], "reason": "database"},
        )
    ]


def test_beyond_the_outbox_cap_a_task_is_logged_and_dropped(
    db, broker_down, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.CELERY_OUTBOX_MAX_ROWS = 3
    logged: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(
        celery_config.logger,
        "error",
        lambda message, *args, **kwargs: logged.append((message, kwargs["extra"])),
    )

    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            record_something.delay_on_commit(f"thing-{n}")

    assert list(UnsentTask.objects.values_list("args", flat=True)) == [
        ["thing-0"],
        ["thing-1"],
        ["thing-2"],
    ]
    assert logged == [
        (
            "task_not_queued",
            {"task": record_something.name, "task_args": [f"thing-{n}"], "reason": "outbox_full"},
        )
        for n in (3, 4)
    ]


def test_the_cap_costs_one_count_per_hundred_tasks_and_sees_the_outbox_drain(
    db, broker_down, django_capture_on_commit_callbacks, monkeypatch, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.CELERY_OUTBOX_MAX_ROWS = 150
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        for n in range(200):
            record_something.delay_on_commit(f"thing-{n}")
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 2  # at the 1st and the 101st task
    assert UnsentTask.objects.count() == 150

    UnsentTask.objects.all().delete()  # the resend drained it
    monkeypatch.setattr(celery_config, "OUTBOX_COUNT_EVERY", 1)  # count at the next task
    outbox_cap.reset()
    with django_capture_on_commit_callbacks(execute=True):
        record_something.delay_on_commit("after")
    assert UnsentTask.objects.get().args == ["after"]


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


def test_a_digest_claimed_during_an_outage_waits_in_the_outbox(db, broker_down, publishes):
    # the hourly digest commits its claim, then queues the email: the broker refusing it
    # (or this process's cool-down) must not lose that digest
    from lms.accounts.tests.factories import UserFactory
    from lms.notifications.models import Category, EmailStatus, Notification
    from lms.notifications.tasks import send_digest_email, send_notification_digests

    user = UserFactory()
    waiting = [
        Notification.objects.create(
            user=user, category=Category.COMMUNITY, title=f"n{n}", email_status=EmailStatus.PENDING
        )
        for n in range(2)
    ]
    broker_cooldown.failed(10)  # another publish of this worker failed moments ago

    assert send_notification_digests.run() == 1

    assert publishes == []  # not tried during the cool-down: kept instead
    [row] = UnsentTask.objects.all()
    assert (row.task, row.last_error) == (send_digest_email.name, "BrokerCoolingDown")
    assert row.args == [str(user.pk), [str(n.pk) for n in waiting]]
    assert set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.DIGEST}


def test_the_audit_seal_is_not_queued_during_the_cool_down(db, broker_down, publishes):
    # queue_sealing has its own fallback (beat seals every minute): it skips the broker
    from lms.audit.tasks import queue_sealing

    broker_cooldown.failed(10)
    queue_sealing()
    assert publishes == []
    assert not UnsentTask.objects.exists()
