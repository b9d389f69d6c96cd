"""The outbox's second half: beat's `resend_unsent_tasks` publishes the kept tasks again.

Oldest first, each row deleted once sent, the run stops at the first broker failure, and
rows are taken with SKIP LOCKED so two runs never send one row (PostgreSQL:
DATABASE_URL=postgres://.../h_outbox). Sending to a real Redis needs one on
OUTBOX_TEST_REDIS_URL (default redis://127.0.0.1:6379/5); skipped when none answers.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import mail
from django.db import connection, transaction

from config.celery import app, broker_cooldown
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.commerce.models import Order
from lms.commerce.tests.conftest import checkout, place_order, simulate
from lms.core.models import UnsentTask
from lms.core.tasks import resend_unsent_tasks
from lms.core.tests.test_broker_down import _closed_port, point_broker_at

REDIS_URL = os.environ.get("OUTBOX_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
QUEUE = f"outbox-test-{uuid.uuid4().hex[:8]}"  # a queue of this run alone, deleted after

ran: list[str] = []


@shared_task(queue=QUEUE)
def remember(thing_id: str) -> None:
    ran.append(thing_id)


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    ran.clear()
    broker_cooldown.reset()
    yield
    broker_cooldown.reset()


@pytest.fixture
def broker_at() -> Iterator[Any]:
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    yield point_broker_at
    point_broker_at(saved["broker_url"], eager=saved["task_always_eager"])


def keep(*thing_ids: str, task: str = remember.name) -> list[UnsentTask]:
    return [UnsentTask.objects.create(task=task, args=[thing]) for thing in thing_ids]


def outcome(
    *, sent: int = 0, refused: int = 0, left: int = 0, given_up: int = 0, failed: int = 0
) -> dict[str, int]:
    return {"sent": sent, "refused": refused, "left": left, "given_up": given_up, "failed": failed}


@pytest.fixture
def redis_queue() -> Iterator[Any]:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield client
    client.delete(*client.keys(f"*{QUEUE}*"))  # the queue and kombu's bindings of it


def test_kept_tasks_are_published_oldest_first_and_deleted(db, broker_at, redis_queue):
    keep("first", "second")
    broker_at(REDIS_URL)  # the broker is back: a real Redis, no worker

    assert resend_unsent_tasks() == outcome(sent=2)

    assert not UnsentTask.objects.exists()
    messages = redis_queue.lrange(QUEUE, 0, -1)  # kombu pushes to the left: newest first
    assert [message_args(raw) for raw in reversed(messages)] == [["first"], ["second"]]


def message_args(raw: bytes) -> Any:
    import base64
    import json

    body = json.loads(raw)
    return json.loads(base64.b64decode(body["body"]))[0]


def test_the_run_stops_at_the_first_broker_failure(db, broker_at):
    first, second = keep("first", "second")
    broker_at(f"redis://127.0.0.1:{_closed_port()}/0")

    assert resend_unsent_tasks() == outcome(left=2, failed=1)

    first.refresh_from_db()
    second.refresh_from_db()
    # an outage is no fault of the row: not counted (a long one must not retire it)
    assert (first.attempts, first.last_error) == (0, "OperationalError")
    assert (second.attempts, second.last_error) == (0, "")  # not tried: the broker had failed


def test_eager_runs_the_tasks_inline_and_an_unknown_task_waits_for_an_operator(db):
    [gone] = keep("x", task="lms.nowhere.tasks.renamed_task")
    keep("inline")

    assert resend_unsent_tasks() == outcome(sent=1, refused=1, left=1)

    assert ran == ["inline"]
    gone.refresh_from_db()
    assert (gone.attempts, gone.last_error) == (1, "NotRegistered")


def test_a_poison_row_is_counted_and_never_makes_the_others_go_twice(db, broker_at, redis_queue):
    # a deploy changed the task's signature: that row's publish raises TypeError
    keep("first")
    poison = keep_row(["a", "b"])
    keep("third")
    broker_at(REDIS_URL)

    runs = [resend_unsent_tasks() for _ in range(3)]

    assert runs[0] == outcome(sent=2, refused=1, left=1)
    assert runs[1:] == [outcome(refused=1, left=1)] * 2
    messages = redis_queue.lrange(QUEUE, 0, -1)
    assert [message_args(raw) for raw in reversed(messages)] == [["first"], ["third"]]  # once
    poison.refresh_from_db()
    assert (poison.attempts, poison.last_error) == (3, "TypeError")


def keep_row(args: list[Any]) -> UnsentTask:
    return UnsentTask.objects.create(task=remember.name, args=args)


def test_a_row_failing_on_its_own_is_given_up_at_the_limit(db, settings, caplog):
    settings.CELERY_OUTBOX_MAX_ATTEMPTS = 2
    poison = keep_row([])  # missing its argument
    keep("fine")

    assert resend_unsent_tasks() == outcome(sent=1, refused=1, left=1)
    assert resend_unsent_tasks() == outcome(refused=1, given_up=1)
    assert resend_unsent_tasks() == outcome(given_up=1)  # no longer tried

    poison.refresh_from_db()
    assert (poison.attempts, poison.last_error) == (2, "TypeError")
    [given_up] = [r for r in caplog.records if r.msg == "unsent_task_given_up"]
    assert given_up.levelname == "ERROR"
    assert (given_up.unsent_task, given_up.task) == (str(poison.pk), remember.name)  # type: ignore[attr-defined]


def test_a_failing_task_run_inline_leaves_no_write_and_the_run_goes_on(db, monkeypatch):
    # eager mode runs the task inside the resend: its writes roll back to its savepoint alone
    def write_then_fail(thing_id: str) -> None:
        UnsentTask.objects.create(task="written.by.the.task", args=[thing_id])
        raise RuntimeError("boom")

    monkeypatch.setattr(remember, "run", write_then_fail)
    keep("x")

    assert resend_unsent_tasks() == outcome(refused=1, left=1)
    assert list(UnsentTask.objects.values_list("task", "last_error")) == [
        (remember.name, "RuntimeError")
    ]


@shared_task(bind=True, queue=QUEUE, max_retries=5)
def flaky(self: Any, thing_id: str) -> None:
    raise self.retry(countdown=60)


def test_a_worker_retry_during_the_cool_down_is_published_not_dropped(broker_at, redis_queue):
    from celery.exceptions import Retry

    broker_at(REDIS_URL)  # the broker answers again
    broker_cooldown.failed(10)  # another publish of this worker process failed moments ago
    flaky.push_request(id="t1", retries=0, is_eager=False, called_directly=False, args=["x"])
    try:
        with pytest.raises(Retry):  # published; Reject(requeue=False) would drop it
            flaky.run("x")
    finally:
        flaky.pop_request()

    [message] = redis_queue.lrange(QUEUE, 0, -1)
    assert message_args(message) == ["x"]


def test_beat_resends_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["core-resend-unsent-tasks"]
    assert entry == {"task": "lms.core.tasks.resend_unsent_tasks", "schedule": 60.0}
    assert app.tasks[entry["task"]].acks_late  # a second run finds nothing left to send


on_postgres = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="row locks (SKIP LOCKED) need PostgreSQL",
)


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_another_run_holds_is_skipped_not_sent_twice():
    held, _other = keep("held", "other")
    locked, release = threading.Event(), threading.Event()

    def another_run_holding_the_first_row() -> None:
        try:
            with transaction.atomic():
                list(UnsentTask.objects.select_for_update().filter(pk=held.pk))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=another_run_holding_the_first_row)
    holder.start()
    assert locked.wait(10)
    try:
        assert resend_unsent_tasks() == outcome(sent=1, left=1)
    finally:
        release.set()
        holder.join(10)

    assert ran == ["other"]
    assert list(UnsentTask.objects.values_list("pk", flat=True)) == [held.pk]


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_row_once(monkeypatch):
    keep(*[f"row-{n}" for n in range(6)])
    inside, go_on = threading.Event(), threading.Event()
    results: list[dict[str, int]] = []

    def slow_remember(thing_id: str) -> None:  # the first run pauses holding the oldest row
        if thing_id == "row-0":
            inside.set()
            go_on.wait(10)
        ran.append(thing_id)

    monkeypatch.setattr(remember, "run", slow_remember)

    def first_run() -> None:
        try:
            results.append(resend_unsent_tasks())
        finally:
            connection.close()

    runner = threading.Thread(target=first_run)
    runner.start()
    assert inside.wait(10)
    try:
        second = resend_unsent_tasks()  # a late beat tick meanwhile: skips the held row
    finally:
        go_on.set()
        runner.join(10)

    # each row's own transaction: the second run sends the five others, the first its one
    assert second["sent"] == 5
    assert results[0]["sent"] == 1
    assert sorted(ran) == [f"row-{n}" for n in range(6)]  # every row once, none twice
    assert not UnsentTask.objects.exists()


def test_a_purchase_made_while_the_broker_is_down_gets_its_receipt_once_resent(
    db, broker_at, student, student_client, django_capture_on_commit_callbacks
):
    course = PublishedCourseFactory(price=Decimal("100.00"))
    broker_at(f"redis://127.0.0.1:{_closed_port()}/0")  # Redis stopped

    order = place_order(student_client, course)
    payment = checkout(student_client, order["id"])
    with django_capture_on_commit_callbacks(execute=True):
        paid = simulate(student_client, payment["payment_id"])

    assert paid.status_code == 200, paid.content
    assert Order.objects.get(pk=order["id"]).paid_at is not None
    assert not [m for m in mail.outbox if "receipt" in m.subject.lower()]
    kept = set(UnsentTask.objects.values_list("task", flat=True))
    assert "lms.commerce.tasks.send_order_receipt" in kept

    broker_at(app.conf.broker_url, eager=True)  # the broker is back (tasks run inline here)
    with django_capture_on_commit_callbacks(execute=True):
        resent = resend_unsent_tasks()

    assert resent["sent"] >= 1
    assert resent["left"] == resent["failed"] == resent["refused"] == 0
    [receipt] = [m for m in mail.outbox if "receipt" in m.subject.lower()]
    assert receipt.to == [student.email]
    assert receipt.attachments[0][0] == f"receipt-{order['number']}.pdf"
    assert not UnsentTask.objects.exists()


def test_a_run_cut_short_leaves_the_rows_it_sent_deleted(db, broker_at, redis_queue, monkeypatch):
    # given: three kept tasks, and a run that is stopped while publishing the third (the soft
    # time limit, a killed worker: the task's transaction never commits)
    for name in ("first", "second", "third"):
        keep(name)
    broker_at(REDIS_URL)
    publish = remember.apply_async

    def stopped_at_the_third(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("args") == ["third"]:
            raise SoftTimeLimitExceeded()
        return publish(*args, **kwargs)

    monkeypatch.setattr(remember, "apply_async", stopped_at_the_third)

    # when
    with pytest.raises(SoftTimeLimitExceeded):
        resend_unsent_tasks()
    monkeypatch.setattr(remember, "apply_async", publish)
    resend_unsent_tasks()

    # then: the first two went once, the third once, nothing twice
    messages = redis_queue.lrange(QUEUE, 0, -1)
    assert [message_args(raw) for raw in reversed(messages)] == [["first"], ["second"], ["third"]]
    assert not UnsentTask.objects.exists()
