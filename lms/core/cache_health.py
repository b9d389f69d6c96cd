"""Whether the shared cache (Redis) answers right now, for limits that must fail closed.

The cache is configured to swallow its errors (config/settings.py: a Redis that is down reads
as a miss), which is right for response caches and read throttles: they fail open. A limit
on guessing (login, registration, reset, two-factor) would then count nothing and let a
guesser through, so it asks here first and refuses with 503 `service_unavailable` instead
(docs/operations.md, "Redis or the broker down").

With the circuit breaker of lms.core.cache_client open (a call failed within the last
CACHE_BREAKER_COOLDOWN_SECONDS) the answer is "down" at once, without a PING: a blackholed
Redis costs a fail-closed request nothing but the first timeout; a failed PING opens it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from django.core.cache import BaseCache, caches
from django.utils.connection import ConnectionProxy
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from lms.core.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

# The cache of the limits that fail closed (settings CACHES["limits"]: the default cache's
# store, with errors raised rather than read as misses); a proxy, as Django's `cache` is.
limits_cache = cast(BaseCache, ConnectionProxy(caches, "limits"))
# What a call through `limits_cache` raises when Redis fails: django-redis re-raises the
# client's own error (a connection or timeout error, a refusal such as OOM), the breaker its
# BreakerOpen, a socket its OSError.
CACHE_ERRORS: tuple[type[BaseException], ...] = (ConnectionInterrupted, RedisError, OSError)


def breaker_open(alias: str = "default") -> bool:
    """True while the circuit breaker of `alias` (lms.core.cache_client) is open: a call failed
    within the last CACHE_BREAKER_COOLDOWN_SECONDS; no round trip."""
    from lms.core.cache_client import BreakerClient

    client = getattr(caches[alias], "client", None)
    return isinstance(client, BreakerClient) and client.breaker.is_open()


def counters_writable() -> bool:
    """True when the limits' counters can be written now: the breaker is closed and one SET
    of a short-lived key through the `limits` alias succeeds (one round trip; local memory:
    always). A Redis that answers a PING but refuses writes (maxmemory with noeviction, a
    read-only replica after a failover) is caught here, before any password is checked."""
    if breaker_open("limits"):
        return False
    try:
        limits_cache.set("limits:writable", 1, 5)
    except CACHE_ERRORS as error:
        logger.warning("a fail-closed limit cannot write its counters: %s", type(error).__name__)
        return False
    return True


def cache_answers(alias: str = "default") -> bool:
    """True when the cache `alias` is not Redis or its server answers a PING (one round trip,
    bounded by SOCKET_CONNECT_TIMEOUT/SOCKET_TIMEOUT, 0.5 s/1 s in production)."""
    backend = caches[alias]
    if type(backend).__module__.split(".")[0] != "django_redis":
        return True  # the local-memory cache of development and tests cannot be down
    from django_redis import get_redis_connection

    from lms.core.cache_client import BreakerClient, BreakerOpen

    client = getattr(backend, "client", None)
    breaker = client.breaker if isinstance(client, BreakerClient) else None
    if breaker is not None and breaker.is_open():
        return False
    try:
        return bool(get_redis_connection(alias).ping())
    except Exception as error:  # any connection or protocol error: treated as down
        if breaker is not None and not isinstance(error, BreakerOpen):
            breaker.trip()
        logger.warning("cache %s does not answer: a fail-closed limit refuses", alias)
        return False


@contextmanager
def failing_closed() -> Iterator[None]:
    """Any cache error inside (`CACHE_ERRORS`: Redis's own, the breaker's BreakerOpen) is
    answered 503 `service_unavailable`: a limit that could not read or write its
    counter must not let the request through uncounted."""
    try:
        yield
    except CACHE_ERRORS as error:
        logger.warning("a fail-closed limit could not reach its counter: %s", type(error).__name__)
        raise ServiceUnavailable() from error
