"""A login asks Redis for its limits in as few round trips as their rules allow: the write
probe once per request (not once per counter), and both failure counters in one read.
The counters still fail closed (test_guessing_when_redis_refuses_writes.py,
test_guessing_without_redis.py)."""

from __future__ import annotations

import pytest

from lms.accounts.tests.factories import PASSWORD, UserFactory
from lms.accounts.tests.test_guessing_without_redis import RedisServer, redis_server  # noqa: F401
from lms.accounts.throttles import AccountAndIPLoginFailures, AccountLoginFailures
from lms.core.testing import record_redis_commands

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


def test_a_login_probes_the_limits_once_and_reads_both_failure_counters_at_once(
    redis_server: RedisServer,  # noqa: F811  (production's caches on a Redis of the test's own)
    anon_client,
    monkeypatch,
):
    user = UserFactory()
    body = {"email": user.email, "password": PASSWORD}
    assert anon_client.post(LOGIN, body).status_code == 200  # connections made
    sent = record_redis_commands(monkeypatch)

    # when: a right password
    assert anon_client.post(LOGIN, body).status_code == 200

    # then: one write probe, one read of the two failure counters
    assert sum(b"limits:writable" in command for command in sent) == 1, sent
    failure_reads = [command for command in sent if b"login_account_failures" in command]
    reads = [command for command in failure_reads if b"MGET" in command]
    assert len(reads) == 1, failure_reads
    assert b"login_failures" in reads[0]


def test_both_failure_counters_read_at_once_still_refuse(
    redis_server: RedisServer,  # noqa: F811
    anon_client,
    monkeypatch,
):
    # given: 3 failures per account and address, 5 per account from anywhere
    monkeypatch.setattr(AccountAndIPLoginFailures, "rate", "3/minute", raising=False)
    monkeypatch.setattr(AccountLoginFailures, "rate", "5/minute", raising=False)
    user = UserFactory()

    def login(password: str, ip: str) -> int:
        body = {"email": user.email, "password": password}
        return anon_client.post(LOGIN, body, REMOTE_ADDR=ip).status_code

    # when / then: the pair's ceiling stops one address, a right password included
    assert [login("wrong-password-0", "198.51.100.1") for _ in range(3)] == [401] * 3
    assert login(PASSWORD, "198.51.100.1") == 429
    # the account's ceiling, reached from a second address, stops every address
    assert [login("wrong-password-0", "198.51.100.2") for _ in range(2)] == [401] * 2
    assert login(PASSWORD, "198.51.100.3") == 429
