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
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import (
    ROOT,
    Stack,
    free_port,
    http_get,
    migrate,
    open_websocket,
    production_env,
    read_text_frame,
    wait_for,
    wait_ready,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1")
    args = parser.parse_args()
    http_port, ws_port = free_port(), free_port()
    env = production_env(
        label="check",
        database_url=args.database_url,
        redis_url=args.redis_url,
        http_port=http_port,
        extra={
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            # production settings refuse to start without a real provider's keys
            "PAYMENT_PROVIDER": "fake",
            "ALLOW_FAKE_PAYMENTS": "true",
        },
    )
    migrate(env)
    with Stack(env, label="check", ws_port=ws_port) as stack:
        body = wait_ready(http_port)
        print(f"ok gunicorn: /health/ready/ 200 {body.decode()}")
        status, _ = http_get(http_port, "/health/live/", {"Host": "localhost"})
        assert status == 301, f"plain HTTP should redirect to HTTPS, got {status}"
        print("ok gunicorn: plain HTTP redirected to HTTPS (301)")
        access_log = stack["gunicorn"].log_text()
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
        wait_for(lambda: "beat: Starting" in stack["beat"].log_text(), "celery beat")
        print("ok beat: started")
    return 0


if __name__ == "__main__":
    sys.exit(main())
