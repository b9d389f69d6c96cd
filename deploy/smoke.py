"""Smoke test of the production-like stack on this machine, without Docker.

    .venv/bin/python deploy/smoke.py [--database-url URL] [--redis-url URL] [--keep-database]

Starts what docker-compose.yml runs, with production settings (DEBUG=false, JSON logs, the
HTTPS redirect; only the fake payment provider and fast password hashing are test
settings): gunicorn with 2 sync workers (deploy/gunicorn.conf.py), daphne on
config.asgi:application (/ws/), a Celery worker on every queue and Celery beat, against a
fresh PostgreSQL database (dropped and made again; the default name `lms_smoke`) and Redis.
Then, over HTTP as a client would: /health/ready/, a sign-in, a WebSocket opened with the
access token, a paid course put in the cart, the order, the checkout, the payment's
success; the "Payment received" notification must arrive on the socket (pushed by the
worker through Redis), the course must be among the buyer's enrollments, and the receipt
(a PDF rendered by the worker on the `pdfs` queue) must be mailed. Prints each step's time
and stops everything; exit status 0 only if every check passed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import (
    LOGS,
    ROOT,
    SECURE,
    Stack,
    free_port,
    migrate,
    open_websocket,
    production_env,
    read_text_frame,
    wait_for,
    wait_ready,
)


class Steps:
    """Prints each check with the seconds it took since the previous one."""

    def __init__(self) -> None:
        self.started = self.last = time.monotonic()

    def ok(self, what: str) -> None:
        now = time.monotonic()
        print(f"ok {what} ({now - self.last:.2f} s)", flush=True)
        self.last = now

    def total(self) -> float:
        return time.monotonic() - self.started


def http_json(
    port: int, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    headers = {**SECURE, "Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")[:500]


def expect(status: int, body: Any, wanted: int | tuple[int, ...], what: str) -> Any:
    if status not in (wanted if isinstance(wanted, tuple) else (wanted,)):
        raise SystemExit(f"FAIL {what}: {status} {body}")
    return body


def fresh_database(url: str) -> None:
    """Drop and create the database that `url` names (connecting to `postgres` to do it)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("lms_smoke"):
        raise SystemExit(f"refusing to drop {name!r}: smoke databases are named lms_smoke*")
    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def seed() -> dict[str, str]:
    """A verified buyer and a published paid course of another instructor (ORM, this process)."""
    from lms.accounts.tests.factories import PASSWORD, InstructorFactory, UserFactory
    from lms.catalog.tests.factories import LessonFactory, PublishedCourseFactory, SectionFactory

    buyer: Any = UserFactory(email=f"buyer-{secrets.token_hex(4)}@example.com")
    course: Any = PublishedCourseFactory(
        instructor=InstructorFactory(), price=Decimal("19.00"), currency="USD", is_free=False
    )
    LessonFactory(section=SectionFactory(course=course, order=0), order=0)
    return {"email": buyer.email, "password": PASSWORD, "course_id": str(course.pk)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/lms_smoke")
    # Redis db 6: the worker test (lms/core/tests/test_celery_worker.py) defaults to db 5, so
    # the two can run at once without taking each other's tasks.
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it first")
    args = parser.parse_args()
    steps = Steps()
    http_port, ws_port = free_port(), free_port()
    outbox = LOGS / f"lms-smoke-mail-{os.getpid()}"
    env = production_env(
        label="smoke",
        database_url=args.database_url,
        redis_url=args.redis_url,
        http_port=http_port,
        extra={
            "PAYMENT_PROVIDER": "fake",
            "ALLOW_FAKE_PAYMENTS": "true",
            "FAST_PASSWORD_HASHER": "true",
            "REQUIRE_STAFF_MFA": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(outbox),
        },
    )
    if not args.keep_database:
        fresh_database(args.database_url)
    migrate(env)
    steps.ok("database migrated")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connections

    from config.celery import app

    with app.connection_for_write() as broker:  # nothing left over from an earlier run
        for queue in ("default", "emails", "pdfs"):
            broker.default_channel.queue_purge(queue)  # type: ignore[attr-defined]
    account = seed()
    connections.close_all()
    steps.ok("buyer and paid course created")

    with Stack(
        env, label="smoke", ws_port=ws_port, worker_queues="default,emails,pdfs",
        worker_concurrency=2,
    ) as stack:  # fmt: skip
        body = wait_ready(http_port)
        steps.ok(f"gunicorn /health/ready/ 200 {body.decode()}")
        wait_for(lambda: "ready." in stack["worker"].log_text(), "celery worker", 60)
        steps.ok("celery worker ready")

        login = expect(
            *http_json(
                http_port,
                "POST",
                "/api/v1/auth/login/",
                {"email": account["email"], "password": account["password"]},
            ),
            200,
            "sign-in",
        )
        token = login["access"]
        steps.ok("signed in")
        socket = wait_for(
            lambda: open_websocket(ws_port, f"/ws/notifications/?token={token}"), "daphne", 30
        )
        steps.ok("WebSocket /ws/notifications/ open on daphne")

        expect(
            *http_json(
                http_port, "POST", "/api/v1/cart/items/", {"course_id": account["course_id"]}, token
            ),
            201,
            "add to cart",
        )
        order = expect(*http_json(http_port, "POST", "/api/v1/orders/", {}, token), 201, "order")
        checkout = expect(
            *http_json(
                http_port, "POST", "/api/v1/payments/checkout/", {"order_id": order["id"]}, token
            ),
            (200, 201),
            "checkout",
        )
        payment = checkout["payment_id"]
        expect(
            *http_json(
                http_port,
                "POST",
                f"/api/v1/payments/{payment}/simulate/",
                {"outcome": "succeeded"},
                token,
            ),
            (200, 202),
            "payment",
        )
        steps.ok(f"purchased: order {order['number']} paid")

        socket.settimeout(30)
        message = json.loads(read_text_frame(socket))
        if message.get("title") != "Payment received":
            raise SystemExit(f"FAIL notification: {message}")
        socket.close()
        steps.ok("'Payment received' pushed to the socket by the worker through Redis")

        enrollments = expect(
            *http_json(http_port, "GET", "/api/v1/enrollments/", None, token), 200, "enrollments"
        )
        if account["course_id"] not in json.dumps(enrollments["results"]):
            raise SystemExit(f"FAIL enrollment: {enrollments}")
        steps.ok("the course is among the buyer's enrollments")

        receipt = wait_for(
            lambda: [
                path
                for path in (outbox.glob("*.log") if outbox.exists() else [])
                if order["number"] in path.read_text(errors="replace")
            ],
            "the receipt email (pdfs queue)",
            60,
        )
        if "application/pdf" not in receipt[0].read_text(errors="replace"):
            raise SystemExit("FAIL receipt: no PDF attached")
        steps.ok("receipt with its PDF mailed by the worker")
        wait_for(lambda: "beat: Starting" in stack["beat"].log_text(), "beat")
        steps.ok("beat started")
    print(f"SMOKE OK in {steps.total():.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
