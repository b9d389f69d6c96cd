"""Start the service's processes directly (no Docker), check each answers, stop them.

    .venv/bin/python deploy/check_processes.py [--database-url URL] [--redis-url URL]

What runs is what docker-compose.yml runs: gunicorn with deploy/gunicorn.conf.py (HTTP),
daphne on config.asgi:application (/ws/), a Celery worker, and Celery beat. The checks:
/health/ready/ through gunicorn with production settings (and the HTTPS redirect without
X-Forwarded-Proto); a WebSocket opened on daphne with a JWT; a notification created here,
delivered by the worker through Redis and pushed to that socket; beat starting its schedule.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOGS = Path("/tmp")  # noqa: S108 (logs of this check, named lms-check-*)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    print(f"start {name}: {' '.join(command)}")
    with (LOGS / f"lms-check-{name}.log").open("wb") as log:
        return subprocess.Popen(  # noqa: S603 (fixed commands of this script)
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(name: str, process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    print(f"stop {name}: exit {process.returncode}")


def wait_for(check, what: str, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:
            last = exc
        time.sleep(0.3)
    raise SystemExit(f"FAIL {what}: {last!r}")


def http_get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1")
    args = parser.parse_args()
    http_port, ws_port = free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "process-check-only-" + secrets.token_urlsafe(32),
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "MEDIA_ROOT": str(LOGS / "lms-check-media"),
        "GUNICORN_BIND": f"127.0.0.1:{http_port}",
        "GUNICORN_WORKERS": "2",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    processes = {
        "gunicorn": start(
            "gunicorn",
            ["gunicorn", "--config", "deploy/gunicorn.conf.py", "config.wsgi:application"],
            env,
        ),
        "daphne": start(
            "daphne",
            ["daphne", "--bind", "127.0.0.1", "--port", str(ws_port), "config.asgi:application"],
            env,
        ),
        "worker": start(
            "worker",
            [
                "celery",
                "-A",
                "config.celery:app",
                "worker",
                "--loglevel",
                "info",
                "--concurrency",
                "1",
                "--pool",
                "solo",
            ],
            env,
        ),
        "beat": start(
            "beat",
            [
                "celery",
                "-A",
                "config.celery:app",
                "beat",
                "--loglevel",
                "info",
                "--schedule",
                str(LOGS / "lms-check-celerybeat-schedule"),
            ],
            env,
        ),
    }
    try:
        secure = {"Host": "localhost", "X-Forwarded-Proto": "https"}
        status, body = wait_for(
            lambda: (r := http_get(http_port, "/health/ready/", secure))[0] == 200 and r,
            "gunicorn /health/ready/",
        )
        print(f"ok gunicorn: /health/ready/ {status} {body.decode()}")
        status, _ = http_get(http_port, "/health/live/", {"Host": "localhost"})
        assert status == 301, f"plain HTTP should redirect to HTTPS, got {status}"
        print("ok gunicorn: plain HTTP redirected to HTTPS (301)")
        access_log = (LOGS / "lms-check-gunicorn.log").read_text()
        line = next(line for line in access_log.splitlines() if '"path": "/health/ready/"' in line)
        print(f"ok gunicorn: access log line parses as JSON: {json.loads(line)['status']}")

        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.db import transaction

        from lms.accounts import tokens
        from lms.accounts.models import User
        from lms.notifications.services import notify

        user = User.objects.filter(is_active=True).order_by("created_at").first()
        assert user is not None, "the database has no user: run make bench or seed_demo first"
        access = tokens.issue_token_pair(user)["access"]
        connection = wait_for(
            lambda: open_websocket(ws_port, f"/ws/notifications/?token={access}"), "daphne"
        )
        print("ok daphne: /ws/notifications/ accepted the JWT (101 Switching Protocols)")
        with transaction.atomic():
            notify(user=user, category="account", title="Process check", email=False)
        message = json.loads(read_text_frame(connection))
        assert message["title"] == "Process check", message
        print("ok worker: the notification went through Redis and the worker to the socket")
        connection.close()
        wait_for(
            lambda: "beat: Starting" in (LOGS / "lms-check-beat.log").read_text(),
            "celery beat",
        )
        print("ok beat: started")
    finally:
        for name, process in processes.items():
            stop(name, process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
