"""The service's processes started directly, without Docker, as docker-compose.yml runs them.

One module for the scripts that need the real processes on this machine: deploy/smoke.py
(a purchase end to end), deploy/check_processes.py (each process answers) and
deploy/measure_workers.py (a worker's first requests and memory). Standard library only
(run with the project's virtualenv, whose `bin/` holds gunicorn, daphne and celery).

- `production_env(...)`: the environment every process gets: DEBUG=false (JSON logs, the
  HTTPS redirect), a throwaway SECRET_KEY, the database, Redis as cache, broker and channel
  layer (tasks queued, never eager), gunicorn's address and 2 workers.
- `migrate(env)`, `start(...)`/`Process.stop()`, and `Stack`: gunicorn (deploy/gunicorn.conf.py),
  daphne (config.asgi:application, /ws/), a Celery worker and beat, stopped in reverse order
  with SIGTERM (SIGKILL to the process group after 20 s).
- Client helpers: `http_get`, `open_websocket`/`read_text_frame` (a minimal RFC 6455 client),
  `wait_for`, `free_port`.

Each process logs to `/tmp/lms-<label>-<name>-<pid>.log` (`Process.log`), so two runs on one
machine never share a log.
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOGS = Path("/tmp")  # noqa: S108 (logs and scratch files of these scripts, named lms-*)
# What a proxy in front of the app sends: a host of ALLOWED_HOSTS and TLS ended before it.
SECURE = {"Host": "localhost", "X-Forwarded-Proto": "https"}

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_env(
    *,
    label: str,
    database_url: str,
    redis_url: str | None,
    http_port: int,
    workers: int = 2,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of every process: production settings with this run's database, Redis
    (None: no Redis, a local cache and eager tasks) and gunicorn address; `extra` on top."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": f"{label}-only-" + secrets.token_urlsafe(32),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEDIA_ROOT": str(LOGS / f"lms-{label}-media"),
        "GUNICORN_BIND": f"127.0.0.1:{http_port}",
        "GUNICORN_WORKERS": str(workers),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    if redis_url is None:
        env.pop("REDIS_URL", None)
    else:
        env["REDIS_URL"] = redis_url
        env["CELERY_TASK_ALWAYS_EAGER"] = "false"
    env.update(extra or {})
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


class Process:
    """A started process, its log file, and a graceful stop."""

    def __init__(self, name: str, popen: subprocess.Popen[bytes], log: Path) -> None:
        self.name = name
        self.popen = popen
        self.log = log

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        """SIGTERM (gunicorn finishes its requests in flight, a worker its task), then
        SIGKILL to the whole process group after 20 s."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        print(f"stop {self.name}: exit {self.popen.returncode}", flush=True)


def start(name: str, command: list[str], env: dict[str, str], *, label: str) -> Process:
    """Start `command` in its own process group, output to /tmp/lms-<label>-<name>-<pid>.log."""
    log = LOGS / f"lms-{label}-{name}-{os.getpid()}.log"
    print(f"start {name}: {' '.join(command)} (log {log})", flush=True)
    with log.open("wb") as output:
        popen = subprocess.Popen(  # noqa: S603 (fixed commands of these scripts)
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Process(name, popen, log)


def gunicorn_command() -> list[str]:
    """The `web` service: address and workers from GUNICORN_* in the environment."""
    return ["gunicorn", "--config", "deploy/gunicorn.conf.py", "config.wsgi:application"]


def daphne_command(port: int) -> list[str]:
    """The `ws` service, without daphne's access log (it writes a plain HTTP request's query
    whole, a `?token=` included; nginx logs these requests without it)."""
    return [
        "daphne", "--bind", "127.0.0.1", "--port", str(port),
        "--access-log", "/dev/null", "config.asgi:application",
    ]  # fmt: skip


def worker_command(*, queues: str | None = None, concurrency: int = 1) -> list[str]:
    """A Celery worker (`queues` None: every queue, as a worker without -Q)."""
    command = ["celery", "-A", "config.celery:app", "worker", "--loglevel", "info"]
    command += ["--concurrency", str(concurrency)]
    if concurrency == 1:
        command += ["--pool", "solo"]
    if queues:
        command += ["--queues", queues]
    return command


def beat_command(schedule: Path) -> list[str]:
    return ["celery", "-A", "config.celery:app", "beat", "--loglevel", "info", "--schedule",
            str(schedule)]  # fmt: skip


class Stack:
    """gunicorn, daphne, a Celery worker and beat with one environment, as `with Stack(...)`;
    stopped in reverse order whatever happens inside."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        label: str,
        ws_port: int,
        worker_queues: str | None = None,
        worker_concurrency: int = 1,
    ) -> None:
        self.env = env
        self.label = label
        self.commands = {
            "gunicorn": gunicorn_command(),
            "daphne": daphne_command(ws_port),
            "worker": worker_command(queues=worker_queues, concurrency=worker_concurrency),
            "beat": beat_command(LOGS / f"lms-{label}-beat-schedule-{os.getpid()}"),
        }
        self.processes: dict[str, Process] = {}

    def __getitem__(self, name: str) -> Process:
        return self.processes[name]

    def __enter__(self) -> Stack:
        try:
            for name, command in self.commands.items():
                self.processes[name] = start(name, command, self.env, label=self.label)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()


def wait_for(check: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Call `check` every 0.3 s until it returns something true; SystemExit after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # not ready yet: remembered for the failure message
            last = exc
        time.sleep(0.3)
    raise SystemExit(f"FAIL {what}: {last!r}")


def wait_ready(port: int, timeout: float = 60.0) -> bytes:
    """Wait until gunicorn's /health/ready/ answers 200 (database and cache up); its body."""

    def check() -> bytes | None:
        status, body = http_get(port, "/health/ready/", SECURE)
        return body if status == 200 else None

    return wait_for(check, "gunicorn /health/ready/", timeout)


def http_get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """GET without following redirects; (status, body) whatever the status."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def open_websocket(port: int, path: str) -> socket.socket:
    """A minimal RFC 6455 client handshake; returns the socket once the server said 101."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    connection.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Origin: http://localhost\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = connection.recv(4096)
        if not chunk:
            break
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise SystemExit(f"FAIL websocket handshake: {head[:200]!r}")
    return connection


def read_text_frame(connection: socket.socket) -> str:
    """One unmasked server frame's text; SystemExit when it is a close frame."""

    def exactly(count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = connection.recv(count - len(data))
            if not chunk:
                raise ConnectionError("socket closed")
            data += chunk
        return data

    first, second = exactly(2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(exactly(2), "big")
    elif length == 127:
        length = int.from_bytes(exactly(8), "big")
    payload = exactly(length)
    if first & 0x0F == 0x8:
        raise SystemExit(f"FAIL websocket closed by the server: {payload!r}")
    return payload.decode()
