"""gunicorn as production runs it (deploy/gunicorn.conf.py), started here as a subprocess.

- Graceful shutdown: SIGTERM while a request is in flight; gunicorn stops accepting, the
  worker finishes the request (within GUNICORN_GRACEFUL_TIMEOUT) and the client gets all of it.
- PostgreSQL restart: every server connection of the database is terminated
  (pg_terminate_backend, as a restart or failover does) between two requests; the next
  request succeeds because CONN_HEALTH_CHECKS checks a persistent connection before reuse.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from lms.catalog.tests.factories import PublishedCourseFactory

ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _get(url: str, timeout: float = 30.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # nosec B310 - a local http:// URL built above
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DEBUG": "true",
        "REDIS_URL": "",
        "CONN_MAX_AGE": "60",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_WARMUP": "false",
        "GUNICORN_GRACEFUL_TIMEOUT": "20",
        "GUNICORN_ACCESS_LOG": "off",
        "THROTTLE_ANON": "100000/hour",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    process = subprocess.Popen(  # nosec B603 - fixed argument list
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "deploy/gunicorn.conf.py",
            "lms.core.tests.slow_wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "gunicorn.log", "wb"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if _get(f"{base}/health/live/", timeout=5)[0] == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
    yield base, process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_sigterm_lets_the_request_in_flight_finish(gunicorn):
    base, process = gunicorn
    answer: dict[str, Any] = {}

    def slow_request() -> None:
        answer["status"], answer["body"] = _get(f"{base}/__slow__/?seconds=3")

    client = threading.Thread(target=slow_request)
    client.start()
    time.sleep(1.0)  # the request is in the worker, sleeping
    process.send_signal(signal.SIGTERM)
    client.join(timeout=30)

    assert answer == {"status": 200, "body": b"slow done"}
    assert process.wait(timeout=30) == 0  # then it stopped, cleanly


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_requests_after_the_database_dropped_its_connections_succeed(gunicorn):
    base, _ = gunicorn
    PublishedCourseFactory(title="After the restart")
    assert _get(f"{base}/api/v1/courses/")[0] == 200  # the worker now holds a connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (terminated,) = cursor.fetchone()
    assert terminated >= 1

    status, body = _get(f"{base}/api/v1/courses/")
    assert status == 200, body[:500]
    assert b"After the restart" in body
