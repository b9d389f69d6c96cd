"""Both WebSocket routes against a real running ASGI server (daphne serving config.asgi, as
in production's `ws` process and under `make run`), with a plain WebSocket client over TCP.

The server is a separate process on the test database, so this runs on PostgreSQL (the
SQLite test database lives in this process's memory). HTTP and the sockets go to the same
daphne, whose channel layer carries the push: in memory, or Redis when REDIS_URL is set (CI).

Measured here, to the frame on the recipient's conversation socket: from just before the HTTP
request that sends a message (it includes the whole request), and from the message row's
insert (its `created_at`, taken just before the commit: an upper bound of "commit to socket").
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from lms.accounts.tests.factories import UserFactory
from lms.accounts.tokens import issue_token_pair
from lms.messaging import services
from lms.messaging.tests.factories import enrolled_pair

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{settings['USER']}{password}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def daphne() -> Iterator[int]:
    """A daphne process serving config.asgi on the test database; yields its port."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _database_url()}
    env.pop("PYTEST_XDIST_WORKER", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live/", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"daphne did not start: {process.stderr.read().decode()[-2000:]}"  # type: ignore[union-attr]
                    ) from None
                time.sleep(0.3)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


class Socket:
    """A minimal RFC 6455 client: the handshake, text frames in, the close frame's code."""

    def __init__(self, port: int, path: str, origin: str | None = None) -> None:
        self.connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        headers = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if origin is not None:
            headers.append(f"Origin: {origin}")
        self.connection.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.connection.recv(1)
            if not chunk:
                break
            head += chunk
        self.status = int(head.split(b" ", 2)[1]) if head else 0

    def _exactly(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.connection.recv(count - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def frame(self, timeout: float = 3) -> tuple[int, bytes]:
        """(opcode, payload) of the next frame from the server (never masked)."""
        self.connection.settimeout(timeout)
        first, second = self._exactly(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._exactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._exactly(8))[0]
        return first & 0x0F, self._exactly(length)

    def json(self, timeout: float = 3) -> dict[str, Any]:
        opcode, payload = self.frame(timeout)
        assert opcode == 1, (opcode, payload)
        return dict(json.loads(payload))

    def close_code(self, timeout: float = 3) -> int:
        opcode, payload = self.frame(timeout)
        assert opcode == 8, (opcode, payload)
        return int(struct.unpack("!H", payload[:2])[0])

    def quiet(self, seconds: float) -> bool:
        try:
            self.frame(timeout=seconds)
        except TimeoutError:
            return True
        return False

    def close(self) -> None:
        self.connection.close()


def _post(port: int, path: str, access: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {access}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def test_messages_and_notifications_reach_only_their_people_on_a_running_server(
    daphne: int, record_property: Any
) -> None:
    # given: a conversation; the instructor listens on both routes, an outsider on theirs
    student, instructor = enrolled_pair()
    conversation, _ = services.start_conversation(user=student, participant_id=instructor.pk)
    outsider = UserFactory()
    student_access = issue_token_pair(student)["access"]
    instructor_access = issue_token_pair(instructor)["access"]
    outsider_access = issue_token_pair(outsider)["access"]
    live = Socket(daphne, f"/ws/conversations/{conversation.pk}/?token={instructor_access}")
    bell = Socket(daphne, f"/ws/notifications/?token={instructor_access}", origin=None)
    other = Socket(daphne, f"/ws/notifications/?token={outsider_access}")
    assert (live.status, bell.status, other.status) == (101, 101, 101)

    delays, insert_delays = [], []
    for index in range(5):
        # when: the student sends a message over HTTP
        started = time.perf_counter()
        assert (
            _post(
                daphne,
                f"/api/v1/conversations/{conversation.pk}/messages/",
                student_access,
                {"body": f"hello {index}"},
            )
            == 201
        )
        # then: the instructor's conversation socket and notification socket get it
        event = live.json()
        delays.append(time.perf_counter() - started)
        # the message row's time is taken at its insert, just before the commit
        inserted = datetime.fromisoformat(event["message"]["created_at"].replace("Z", "+00:00"))
        insert_delays.append(time.time() - inserted.timestamp())
        assert event["type"] == "message"
        assert event["message"]["body"] == f"hello {index}"
        notification = bell.json()
        assert notification["category"] == "messages"
        assert notification["data"]["conversation_id"] == str(conversation.pk)

    # and the outsider's socket got nothing
    assert other.quiet(0.5)
    for opened in (live, bell, other):
        opened.close()
    record_property("http_request_to_socket_ms", [round(delay * 1000, 1) for delay in delays])
    record_property("insert_to_socket_ms", [round(delay * 1000, 1) for delay in insert_delays])
    print("request -> socket (ms):", sorted(round(delay * 1000, 1) for delay in delays))
    print("insert -> socket (ms):", sorted(round(delay * 1000, 1) for delay in insert_delays))
    assert max(delays) < 1.0  # includes the HTTP request; the commit-to-socket budget is 200 ms


def test_the_running_server_refuses_as_documented(daphne: int) -> None:
    student, instructor = enrolled_pair()
    conversation, _ = services.start_conversation(user=student, participant_id=instructor.pk)
    access = issue_token_pair(UserFactory())["access"]

    foreign = Socket(daphne, f"/ws/notifications/?token={access}", origin="https://evil.example")
    assert foreign.status == 403
    for path in ("/ws/notifications/", "/ws/notifications/?token=bad"):
        refused = Socket(daphne, path)
        assert refused.status == 101
        assert refused.close_code() == 4401
        refused.close()
    stranger = Socket(daphne, f"/ws/conversations/{conversation.pk}/?token={access}")
    assert stranger.status == 101
    assert stranger.close_code() == 4404
    for opened in (foreign, stranger):
        opened.close()
