"""The general throttles (lms/core/throttling.py): a sliding-window counter per client, on
the local-memory cache and on a real Redis (REDIS_URL for these tests: THROTTLE_TEST_REDIS_URL,
database 3 by default; skipped when it does not answer), failing open when Redis is away.

The clock is the throttle's own `timer`, set by the tests: window edges are exact.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from rest_framework.settings import api_settings

from lms.core import throttling
from lms.core.tests.test_redis_down import _closed_port

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("THROTTLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
PUBLIC = "/api/v1/categories/"  # AllowAny, the default throttles, never cached


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def redis_caches(location: str, prefix: str) -> dict[str, Any]:
    """The cache config/settings.py builds for a REDIS_URL, at `location` under `prefix`."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 1.0,
            },
        }
    }


@pytest.fixture
def real_redis(settings: Any) -> Iterator[str]:
    """The default cache on a real Redis, under a key prefix of this test's own (deleted
    after); yields the prefix."""
    if not _redis_answers():
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    prefix = f"lms-test-throttle-{uuid.uuid4().hex}"
    settings.CACHES = redis_caches(REDIS_URL, prefix)
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(params=["locmem", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        request.getfixturevalue("real_redis")
    return str(request.param)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    # 30 s into a minute-long window (epoch multiples of 60), far from any other test's keys
    ticking = Clock(60 * 29_000_000 + 30.0)
    monkeypatch.setattr(throttling.SlidingWindowRateThrottle, "timer", ticking)
    return ticking


@pytest.fixture
def rates(monkeypatch: pytest.MonkeyPatch) -> Any:
    def set_rates(anon: str = "3/minute", user: str = "1000/minute") -> None:
        monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "anon", anon)
        monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "user", user)

    return set_rates


def test_the_default_throttles_are_the_sliding_window_ones():
    classes = list(api_settings.DEFAULT_THROTTLE_CLASSES)
    assert classes == [throttling.AnonRateThrottle, throttling.UserRateThrottle]


def test_the_limit_and_retry_after(backend, anon_client, clock, rates):
    # given: three anonymous requests a minute, half a minute into an empty window
    rates(anon="3/minute")

    # when: four requests
    statuses = [anon_client.get(PUBLIC).status_code for _ in range(4)]
    refused = anon_client.get(PUBLIC)

    # then: three admitted; a refusal says when the estimate lets one more in: in the next
    # window, once 3 x (1 - g) + 1 <= 3, i.e. g = 1/3 of it gone: 30 s + 20 s from now
    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["code"] == "throttled"
    assert int(refused["Retry-After"]) in (50, 51)

    # and: refused requests did not count (only admitted ones do, as in DRF)
    clock.now += 49
    assert anon_client.get(PUBLIC).status_code == 429
    clock.now += 2
    assert anon_client.get(PUBLIC).status_code == 200


def test_retry_after_inside_the_window_as_the_previous_one_slides_out(
    backend, anon_client, clock, rates
):
    # given: two requests near the end of one window (rate 4/minute)
    rates(anon="4/minute")
    clock.now += 29  # 59 s into the window
    assert [anon_client.get(PUBLIC).status_code for _ in range(2)] == [200, 200]

    # when: the next window starts (previous 2, weighted by what is still inside the minute)
    clock.now += 2  # 1 s into the next window: 2 x 59/60 + count
    admitted = [anon_client.get(PUBLIC).status_code for _ in range(3)]
    refused = anon_client.get(PUBLIC)

    # then: 2 x 59/60 + 2 <= 4 admitted, + 3 refused; one more fits once 2 x (1 - f) + 3 <= 4,
    # i.e. f = 1/2: 29 s from now
    assert admitted == [200, 200, 429]
    assert int(refused["Retry-After"]) in (29, 30)
    clock.now += 29.5
    assert anon_client.get(PUBLIC).status_code == 200


def test_each_client_address_has_its_own_count(backend, anon_client, clock, rates):
    rates(anon="1/minute")
    assert anon_client.get(PUBLIC).status_code == 200
    assert anon_client.get(PUBLIC).status_code == 429
    assert anon_client.get(PUBLIC, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_a_signed_in_user_is_counted_at_the_user_rate(
    backend, anon_client, client_for, student, clock, rates
):
    # given: anonymous callers get one request a minute, users two
    rates(anon="1/minute", user="2/minute")
    client = client_for(student)

    # when / then: the user gets two (the anonymous limit is not theirs) ...
    assert [client.get(PUBLIC).status_code for _ in range(3)] == [200, 200, 429]
    # ... and the anonymous caller on the same address still has their one
    assert [anon_client.get(PUBLIC).status_code for _ in range(2)] == [200, 429]


def test_an_anonymous_request_is_counted_once_where_both_throttles_apply(
    backend, anon_client, clock, rates
):
    # the user rate, lower here, is not applied to anonymous callers the anon one counts
    rates(anon="3/minute", user="1/minute")
    assert [anon_client.get(PUBLIC).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_keys_are_under_the_cache_prefix_and_expire(real_redis, anon_client, clock, rates):
    rates(anon="3/minute")
    anon_client.get(PUBLIC)

    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"{real_redis}:*throttle_*"))
    assert len(keys) == 1
    assert keys[0].decode().endswith(f"throttle_anon_127.0.0.1:{int(clock.now // 60)}")
    assert 60 < redis.Redis.from_url(REDIS_URL).ttl(keys[0]) <= 121


def test_one_round_trip_per_admitted_request(real_redis, monkeypatch, rates):
    # the throttle alone, on a request the test builds: one pipeline to Redis
    from redis.connection import Connection
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    rates(anon="100/minute")
    sent: list[int] = []
    original = Connection.send_packed_command

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "send_packed_command", counting)
    request = Request(APIRequestFactory().get(PUBLIC))
    view = APIView()
    throttle = throttling.AnonRateThrottle()
    throttle.allow_request(request, view)  # connects (its own round trips), counts once

    sent.clear()
    for _ in range(5):
        assert throttle.allow_request(request, view)
    assert len(sent) == 5


def test_the_throttle_fails_open_with_redis_unreachable(
    settings, anon_client, clock, rates, caplog, monkeypatch
):
    # given: the production cache configuration pointed at a port where nothing listens
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{_closed_port()}/0", "lms-test-down")
    rates(anon="1/minute")
    monkeypatch.setattr(throttling.errors, "_last", float("-inf"))

    # when: many anonymous requests over a limit of one
    with caplog.at_level(logging.WARNING, logger="lms.core.throttling"):
        statuses = [anon_client.get(PUBLIC).status_code for _ in range(5)]

    # then: all admitted, and one log line (no traceback) for all of them
    assert statuses == [200] * 5
    lines = [r for r in caplog.records if r.name == "lms.core.throttling"]
    assert len(lines) == 1
    assert "ConnectionError" in lines[0].getMessage()
    assert lines[0].exc_info is None


def test_the_log_of_storage_errors_is_one_line_a_minute(caplog):
    times = iter([1000.0, 1001.0, 1059.0, 1060.5])
    log = throttling._ErrorLog(clock=lambda: next(times))
    with caplog.at_level(logging.WARNING, logger="lms.core.throttling"):
        for _ in range(4):
            log.report("anon", ConnectionError("refused"))
    messages = [r.getMessage() for r in caplog.records if r.name == "lms.core.throttling"]
    assert len(messages) == 2
    assert messages[1].endswith("2 more since the last line")
