"""The benchmark's database and its gunicorn server (2 sync workers, as in production)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"
# Production has Redis (cache, throttles, Celery's broker): the benchmark has it too, in a
# database index of its own that it empties before every run.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
VERY_HIGH_RATE = "100000000/second"


def server_environment(database_url: str, *, redis_url: str = "") -> dict[str, str]:
    """The settings gunicorn runs with: production ones except where a benchmark must differ."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "DATABASE_REPLICA_URLS": "",
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-never-used-anywhere-else-0123456789abcdef",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # argon2 costs ~50 ms of CPU per login by design; the benchmark measures the rest.
        "FAST_PASSWORD_HASHER": "true",
        "THROTTLE_ANON": VERY_HIGH_RATE,
        "THROTTLE_USER": VERY_HIGH_RATE,
        "THROTTLE_AUTH": VERY_HIGH_RATE,
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "BENCH_ENDPOINTS": "true",
        # The purchase flows pay through the fake provider, refused in production otherwise.
        "PAYMENT_PROVIDER": "fake",
        "ALLOW_FAKE_PAYMENTS": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "MEDIA_ROOT": "/tmp/lms-bench-media",
        "PYTHONWARNINGS": "ignore",
        # The analytics scenarios measure the figures being built: their short answer cache
        # (a per-worker LocMemCache without Redis) would otherwise answer all but the first.
        "ANALYTICS_CACHE_SECONDS": "0",
    }


def prepare_redis(redis_url: str) -> str:
    """`redis_url` emptied for this run, or "" (with the reason on stderr) when it is empty or
    Redis does not answer: the server then runs as `make run` does, with a per-worker cache
    and Celery eager (tasks inside the requests: the audit line's seal, the receipt PDF).

    Queued tasks are not run during the benchmark (no worker is started: on this machine it
    would take the cores the server is measured on); FLUSHDB drops them at the next start."""
    if not redis_url:
        return ""
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
        client.flushdb()
    except redis.RedisError as error:
        print(f"Redis at {redis_url} unavailable ({error}): running without it", file=sys.stderr)
        return ""
    return redis_url


def describe_redis(redis_url: str) -> str:
    """One phrase for the report's header."""
    if redis_url:
        index = urlsplit(redis_url).path.lstrip("/") or "0"
        return f"Redis db {index} (cache, throttles, broker: tasks queued, no worker)"
    return "no Redis (per-worker cache, Celery eager: tasks inside the requests)"


def ensure_database(database_url: str, *, recreate: bool) -> None:
    """Create the bench database when missing (or drop it first with --reseed)."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use database {name!r} for the benchmark")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists and recreate:
            print(f"database {name}: dropping (--reseed)")
            connection.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )
            exists = None
        if not exists:
            print(f"database {name}: creating")
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def migrate(env: dict[str, str]) -> None:
    completed = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise SystemExit(f"migrate failed:\n{completed.stdout}\n{completed.stderr}")
    applied = [line for line in completed.stdout.splitlines() if "Applying" in line]
    print(f"migrate: {len(applied)} migration(s) applied")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Gunicorn:
    """gunicorn serving config.wsgi:application as deployed (deploy/gunicorn.conf.py), with N
    sync workers on a free port."""

    def __init__(self, env: dict[str, str], *, workers: int = 2) -> None:
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = RESULTS_DIR / "gunicorn.log"

    def __enter__(self) -> Gunicorn:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                # production's settings (preloading, the frozen GC, the access log), with
                # the benchmark's address, worker count and timeout on top
                "--config",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--timeout",
                "60",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        url = f"http://127.0.0.1:{self.port}/health/ready/"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise SystemExit(
                    f"gunicorn exited with {self.process.returncode}; see {self.log_path}:\n"
                    + self.log_path.read_text(errors="replace")[-3000:]
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not become ready within {timeout:.0f} s: {url}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # graceful: the arbiter stops its workers
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
