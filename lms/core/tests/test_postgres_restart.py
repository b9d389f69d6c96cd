"""A real PostgreSQL restart while gunicorn serves: the requests after it succeed.

The machine's shared PostgreSQL is never touched: the test makes a throwaway cluster
(`initdb` into a temporary folder, as the `postgres` user when run as root, on a free port),
copies the test database into it with `pg_dump | psql` (the schema at HEAD and the course
this test created), starts gunicorn with deploy/gunicorn.conf.py and production settings
(one worker, persistent connections: CONN_MAX_AGE=60, CONN_HEALTH_CHECKS on) against it, and
sends a request every 50 ms from another thread while `pg_ctl restart -m fast` stops the
server (terminating every connection) and starts it again. Every request sent once the
server is back answers 200 with the course: the worker's dead persistent connection is
noticed by the health check and replaced, with no restart of the app. Requests that reached
the app while the database was down answer 503 `database_unavailable` in the error shape
(with `Retry-After`, no traceback; never a 500) and are counted: nothing can serve them.
Skipped without PostgreSQL's server binaries.

lms/core/tests/test_server_lifecycle.py covers the same path with `pg_terminate_backend` of
every connection (no restart) and the graceful shutdown of gunicorn on SIGTERM.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from lms.catalog.tests.factories import PublishedCourseFactory

ROOT = Path(settings.BASE_DIR)
_BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
PG_BIN = Path(_BINARIES[-1]).parent if _BINARIES else None

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.skipif(PG_BIN is None, reason="PostgreSQL's server binaries are not installed"),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A PostgreSQL cluster of its own in a temporary folder; `pg_ctl` as the owner."""

    def __init__(self) -> None:
        assert PG_BIN is not None
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="lms-pg-restart-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.as_owner: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to `postgres`
            shutil.chown(self.folder, "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    def run(self, *command: str) -> None:
        subprocess.run([*self.as_owner, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        assert PG_BIN is not None
        self.run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.run(*self.pg_ctl("start"))

    def pg_ctl(self, action: str, *extra: str) -> list[str]:
        assert PG_BIN is not None
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        return [str(PG_BIN / "pg_ctl"), action, "-D", str(self.data), "-w", "-t", "60",
                "-l", str(self.log), "-o", options, *extra]  # fmt: skip

    def restart(self) -> None:
        self.run(*self.pg_ctl("restart", "-m", "fast"))

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run([*self.as_owner, *self.pg_ctl("stop", "-m", "immediate")],
                           capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    made = Cluster()
    try:
        made.start()
        yield made
    finally:
        made.stop()


def _copy_test_database(cluster: Cluster) -> str:
    """The test database (schema and rows) into a database `lms` of the cluster."""
    db = settings.DATABASES["default"]
    source = [
        "pg_dump", "--no-owner", "--no-privileges", "-h", db["HOST"] or "127.0.0.1",
        "-p", str(db["PORT"] or 5432), "-U", db["USER"], db["NAME"],
    ]  # fmt: skip
    target = ["psql", "-q", "-v", "ON_ERROR_STOP=1", cluster.url("lms")]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
                    "lms"], check=True, timeout=60)  # fmt: skip
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    dump = subprocess.Popen(source, stdout=subprocess.PIPE, env=env)  # nosec B603
    restore = subprocess.run(target, stdin=dump.stdout, capture_output=True, timeout=120)
    assert dump.wait(timeout=120) == 0
    assert restore.returncode == 0, restore.stderr.decode()[-2000:]
    return cluster.url("lms")


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # nosec B310 - local http://
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


@dataclass
class Sent:
    began: float
    status: int  # 0: no answer (connection refused or reset)
    body: bytes


@pytest.mark.django_db(transaction=True)
def test_requests_after_a_postgresql_restart_succeed(cluster: Cluster, tmp_path: Path) -> None:
    PublishedCourseFactory(title="Survives the restart")
    database_url = _copy_test_database(cluster)
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "restart-test-only-0123456789abcdefghijklmnopqrstuvwxyz-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "CONN_MAX_AGE": "60",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESS_LOG": "off",
        "THROTTLE_ANON": "1000000/hour",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(  # nosec B603 - fixed argument list
        [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py",
         "config.wsgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/v1/courses/"
    sent: list[Sent] = []
    running = threading.Event()
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if _get(url)[0] == 200:
                    break  # the worker holds a persistent connection now
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("gunicorn did not serve: " + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.3)

        def keep_asking() -> None:
            while running.is_set():
                began = time.monotonic()
                try:
                    status, body = _get(url)
                except OSError as exc:
                    status, body = 0, repr(exc).encode()
                sent.append(Sent(began, status, body))
                time.sleep(0.05)

        running.set()
        client = threading.Thread(target=keep_asking)
        client.start()
        time.sleep(0.5)
        cluster.restart()  # returns once the new server accepts connections (-w)
        back = time.monotonic()
        time.sleep(2.0)
        running.clear()
        client.join(timeout=60)
    finally:
        running.clear()
        server.terminate()
        server.wait(timeout=30)
        log.close()

    before = [one for one in sent if one.began < back]
    after = [one for one in sent if one.began >= back]
    assert before
    assert all(one.status in (200, 503) for one in before), [
        (one.status, one.body[:200]) for one in before if one.status not in (200, 503)
    ]
    assert all(b"database_unavailable" in one.body for one in before if one.status == 503)
    assert all(b"Traceback" not in one.body for one in before)
    assert len(after) >= 5
    assert [one.status for one in after] == [200] * len(after), [
        (one.status, one.body[:300]) for one in after if one.status != 200
    ]
    assert all(b"Survives the restart" in one.body for one in after)
    print(  # shown with -s: what the restart cost
        f"{len(before)} requests before the server was back: "
        f"{sum(one.status == 503 for one in before)} answered 503; {len(after)} after: all 200"
    )
