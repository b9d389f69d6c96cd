"""A Redis that answers but refuses writes (maxmemory with noeviction: PING and GET work, SET
is refused with OOM) must not let a password be checked uncounted: every limit on guessing
answers 503 `service_unavailable` before the password is looked at, a right one included, so
a guesser learns nothing (lms.accounts.throttles.require_cache, the `limits` cache alias)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from lms.accounts.models import User
from lms.accounts.tests.factories import PASSWORD, UserFactory
from lms.accounts.tests.test_guessing_without_redis import RedisServer, redis_server  # noqa: F401
from lms.conftest import error_codes
from lms.core.cache_client import reset_breakers

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


@pytest.fixture
def refusing_writes(redis_server: RedisServer, settings: Any) -> Iterator[RedisServer]:  # noqa: F811
    settings.CACHE_BREAKER_COOLDOWN_SECONDS = 0.0  # each request meets Redis itself

    def config(*words: str) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(redis_server.port), "config", "set", *words],
            check=True,
            capture_output=True,
        )

    config("maxmemory-policy", "noeviction")
    config("maxmemory", "1")  # below what the server already uses: every write is refused
    yield redis_server
    config("maxmemory", "0")
    reset_breakers()  # the refused writes opened it: the next test starts closed


def test_a_wrong_password_is_not_checked_while_its_failure_cannot_be_counted(refusing_writes):
    user = UserFactory()

    response = APIClient().post(LOGIN, {"email": user.email, "password": "not-the-password"})

    assert response.status_code == 503
    assert error_codes(response) == ["service_unavailable"]


def test_a_right_password_gets_the_same_answer(refusing_writes):
    user = UserFactory()

    response = APIClient().post(LOGIN, {"email": user.email, "password": PASSWORD})

    assert response.status_code == 503
    assert User.objects.get(pk=user.pk).last_login is None


def test_reads_keep_working(refusing_writes):
    assert APIClient().get("/api/v1/courses/").status_code == 200
