"""A real Celery worker process, consuming Redis, does the background work of a request.

The test process serves the request (a student completes the last lesson of a course over
HTTP); its transaction commits, `delay_on_commit` sends `issue_certificate` to the `pdfs`
queue in Redis; a `celery worker` subprocess, started here against the same PostgreSQL
test database and Redis, renders and stores the certificate's PDF, which sends
`send_certificate_email` to the `emails` queue, which the worker mails (file backend).
Skipped when Redis does not answer or the database is SQLite (an in-memory test database
cannot be shared with another process). Redis database 5 by default, never flushed whole:
only the three queues are purged (CELERY_WORKER_TEST_REDIS_URL changes it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app
from lms.learning.models import Certificate, Enrollment
from lms.learning.tests.conftest import make_course

REDIS_URL = os.environ.get("CELERY_WORKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
ROOT = Path(settings.BASE_DIR)
QUEUES = ("default", "emails", "pdfs")


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not _redis_answers(), reason=f"Redis does not answer at {REDIS_URL}"),
]


def _database_url() -> str:
    """The test database (already created by pytest-django) as a URL for the worker."""
    config = connection.settings_dict
    password = f":{quote(config['PASSWORD'], safe='')}" if config.get("PASSWORD") else ""
    host = config.get("HOST") or "127.0.0.1"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgres://{quote(config['USER'], safe='')}{password}@{host}{port}/{config['NAME']}"


def _wait(check: Callable[[], Any], what: str, log: Path, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()[-4000:]}")


@pytest.fixture
def broker() -> Iterator[None]:
    """This process sends tasks to Redis instead of running them eagerly, for this test."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=REDIS_URL, task_always_eager=False)
    # Connections and producers are pooled per broker URL, and even eager tasks take a
    # producer (of the memory broker): drop both so the next send goes to Redis.
    app._pool = None
    app.amqp._producer_pool = None
    with app.connection_for_write() as purge:
        for queue in QUEUES:
            purge.default_channel.queue_purge(queue)
    yield
    app.pool.force_close_all()
    app.conf.update(saved)
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker(transactional_db: None, broker: None, tmp_path: Path) -> Iterator[Path]:
    """`celery worker` on every queue, against the test database; yields its outbox folder."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs the PostgreSQL test database")
    outbox = tmp_path / "outbox"
    log = tmp_path / "worker.log"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "COV_"))  # the worker is no test process
    }
    env.update(
        DATABASE_URL=_database_url(),
        REDIS_URL=REDIS_URL,
        CELERY_TASK_ALWAYS_EAGER="false",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(outbox),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),  # the stored PDF is read back here
        LOG_FORMAT="text",
    )
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "config.celery:app",
        "worker",
        "--pool",
        "solo",
        "--queues",
        ",".join(QUEUES),
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "--hostname",
        f"test-{os.getpid()}@%h",
        "--loglevel",
        "info",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        _wait(lambda: "ready." in log.read_text(), "the worker to start", log)
        yield outbox
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        from django.db import connections

        connections.close_all()


def test_a_worker_process_issues_the_certificate_pdf_and_mails_it(
    worker: Path, student, client_for, tmp_path: Path
):
    # given: a student one lesson short of completing a course
    made = make_course(lessons=1, sections=1, title="Queues in practice")
    enrollment = Enrollment.objects.create(student=student, course=made.course, source="free")
    client = client_for(student)

    # when: the last lesson is completed over HTTP (the request's transaction commits)
    response = client.post(
        f"/api/v1/enrollments/{enrollment.pk}/mark-lesson-complete/",
        {"lesson_id": str(made.lessons[0].pk)},
        format="json",
    )
    assert response.status_code == 200, response.content

    # then: the worker (not this process) issued the certificate with its PDF...
    log = tmp_path / "worker.log"
    certificate = _wait(
        lambda: Certificate.objects.filter(enrollment=enrollment).first(), "the certificate", log
    )
    with certificate.pdf.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"
    # ...and mailed it to the student
    mailed = _wait(
        lambda: [path for path in worker.glob("*.log") if student.email in path.read_text()],
        "the certificate email",
        log,
    )
    assert certificate.code in mailed[0].read_text()
    text = log.read_text()
    assert "lms.learning.tasks.issue_certificate" in text
    assert "lms.learning.tasks.send_certificate_email" in text
