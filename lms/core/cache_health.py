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

from django.core.cache import caches

logger = logging.getLogger(__name__)


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
