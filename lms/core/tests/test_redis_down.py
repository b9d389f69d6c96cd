"""With REDIS_URL set and Redis not answering, the API still serves (cache calls are misses).

The cache configuration is the one config/settings.py builds for a REDIS_URL (read from
a subprocess), pointed at a port where nothing listens: every cache call fails at once,
as with a stopped Redis. Reads are built from the database and the signed-in user
works (authentication never depends on the cache: a valid token stays valid); the limits
on guessing (sign-in, registration, reset, two-factor) fail closed with 503
service_unavailable, since they could count nothing; /health/ready/ says the cache is down
so the load balancer and the operator know.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from lms.accounts.tests.factories import PASSWORD
from lms.catalog.tests.factories import PublishedCourseFactory

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # released: nothing listens there any more


def _production_caches(redis_url: str) -> dict[str, Any]:
    code = (
        "import json, django; from django.conf import settings; "
        "print(json.dumps({'CACHES': settings.CACHES, "
        "'LOG': settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS}))"
    )
    env = {**os.environ, "REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(django_settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


@pytest.fixture
def redis_down(settings: Any) -> None:
    production = _production_caches(f"redis://127.0.0.1:{_closed_port()}/0")
    settings.CACHES = production["CACHES"]
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = production["LOG"]
    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"


def test_reads_and_the_signed_in_user_work_without_redis(
    redis_down, anon_client, student, client_for
):
    PublishedCourseFactory(title="Still listed")

    # the public course list: its response cache misses, the answer is built
    response = anon_client.get("/api/v1/courses/")
    assert response.status_code == 200, response.content
    assert [row["title"] for row in response.json()["results"]] == ["Still listed"]

    # a valid token is still valid: the user row comes from the database
    client = client_for(student)
    me = client.get("/api/v1/auth/me/")
    assert me.status_code == 200, me.content
    assert me.json()["email"] == student.email
    assert client.get("/api/v1/notifications/unread-count/").json() == {"count": 0}

    # a write whose cache invalidation cannot reach Redis still succeeds
    renamed = client.patch("/api/v1/auth/me/", {"first_name": "Offline"}, format="json")
    assert renamed.status_code == 200, renamed.content
    assert client.get("/api/v1/auth/me/").json()["first_name"] == "Offline"


def test_readiness_reports_the_cache_down(redis_down, anon_client):
    response = anon_client.get("/health/ready/")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "error"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/login/", {"email": "someone@example.com", "password": PASSWORD}),
        ("/api/v1/auth/register/", {"email": "new@example.com", "password": PASSWORD}),
        ("/api/v1/auth/password-reset/", {"email": "someone@example.com"}),
    ],
)
def test_the_limits_on_guessing_fail_closed_without_redis(redis_down, anon_client, path, body):
    response = anon_client.post(path, body, format="json")

    assert response.status_code == 503, response.content
    assert response.json()["errors"][0]["code"] == "service_unavailable"


def test_sign_in_works_again_once_redis_answers(anon_client, student):
    # the same request with the cache of the tests (it answers): the 503 above is Redis only
    login = anon_client.post(
        "/api/v1/auth/login/", {"email": student.email, "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200, login.content
