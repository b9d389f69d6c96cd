"""The general request throttles (`anon`, `user`): a sliding-window counter per client, one
Redis round trip and two small integers per client and period.

DRF's `SimpleRateThrottle` keeps every client's request times as a list in the cache, read
and written back whole on every request (two round trips, and at a high rate thousands of
pickled floats each way). Here each client has one counter per fixed window of the rate's
period (`<key>:<window number>`), and a request is admitted while

    estimate = previous window's count x (part of the previous window still inside the
               sliding period ending now) + current window's count (this request included)

is at most the rate's number of requests. One pipeline does it: INCR the current window's
counter, EXPIRE it (two periods: it is read again as the previous window), GET the previous
window's. A refused request is taken back (DECR, a second round trip only then), so, as with
DRF, only admitted requests count and a client that retries early is not held longer.

How far off the estimate can be (the source: the weighting assumes the previous window's
requests were spread evenly over it). With `p` admitted in the previous window and a
fraction `f` of the current one gone, the estimate differs from the true count of the last
period by at most `p x f` below (those requests all came at the end of the previous window)
and `p x (1 - f)` above (all at its start). So within any span of one period a client gets
strictly less than twice the limit N (a burst of N at the very end of one window, then
about N x f paced through the next) and the long-run rate is the limit; it can also refuse
early, by up to `p x (1 - f)` requests, after a burst early in the previous window. DRF's
exact log admits at most N in any period; that precision costs a list per client. `wait()`
is exact for this estimate: the time until one more request would be admitted if none came
meanwhile.

Scopes, rates and keys are DRF's: the `anon` and `user` rates of `DEFAULT_THROTTLE_RATES`
(settings THROTTLE_ANON / THROTTLE_USER), the key `throttle_<scope>_<ident>` (`get_ident`
honours NUM_PROXIES) plus the window number, under the cache's KEY_PREFIX (the parallel
test workers' own prefix included: `make_key`). One difference from DRF's pair: where a
view has both throttles, an anonymous request is counted by `anon` only; DRF also counted
it under `user` by its address, which only mattered with THROTTLE_USER below THROTTLE_ANON.

Storage: with django-redis as the default cache, its own Redis client (the pipeline);
otherwise Django's cache API (`add`, `incr`, `get`: local memory in tests and `make run`).
A storage error admits the request (fail OPEN: a general throttle must not take reads down
with Redis, SPEC "Redis down"), with one warning per minute per process at most; the limits
on guessing (lms/accounts/throttles.py) fail closed instead.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from rest_framework import throttling
from rest_framework.request import Request

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 60.0


class _ErrorLog:
    """Storage errors, logged at most once per `LOG_EVERY_SECONDS` per process with the
    number left unlogged since, the error's class only (no traceback, no address)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last = -math.inf
        self._unlogged = 0

    def report(self, scope: str, error: BaseException) -> None:
        now = self._clock()
        with self._lock:
            if now - self._last < LOG_EVERY_SECONDS:
                self._unlogged += 1
                return
            unlogged, self._unlogged, self._last = self._unlogged, 0, now
        logger.warning(
            "throttle %s: cache unavailable (%s), request admitted; %d more since the last line",
            scope,
            type(error).__name__,
            unlogged,
        )


errors = _ErrorLog()


def _redis_client(backend: Any) -> Any | None:
    """django-redis's client for writes when `backend` is django-redis, else None."""
    try:
        from django_redis.cache import RedisCache
    except ImportError:  # pragma: no cover - django-redis is a dependency
        return None
    if not isinstance(backend, RedisCache):
        return None
    return backend.client.get_client(write=True)


class SlidingWindowRateThrottle(throttling.SimpleRateThrottle):
    """A `SimpleRateThrottle` (same `scope`, `rate`, `get_cache_key`) counted in a sliding
    window of two fixed-window counters (module docstring). Subclasses give the key."""

    num_requests: int
    duration: int
    cache_alias = "default"

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        current_key, previous_key = f"{key}:{window}", f"{key}:{window - 1}"
        try:
            current, previous = self._count(current_key, previous_key)
        except Exception as error:  # fail open, whatever the backend raised
            errors.report(self.scope or "", error)
            return True
        elapsed = (now - window * self.duration) / self.duration
        if previous * (1 - elapsed) + current <= self.num_requests:
            return True
        self._take_back(current_key)
        self._state = (now, window, current - 1, previous)
        return False

    def wait(self) -> float | None:
        """Seconds until one more request would be admitted, if none came meanwhile."""
        state = getattr(self, "_state", None)
        if state is None:
            return None
        now, window, current, previous = state
        period, limit = self.duration, self.num_requests
        start = window * period
        if current + 1 <= limit and previous > 0:
            # still in this window, once enough of the previous one has slid out
            at = start + period * (1 - (limit - current - 1) / previous)
        elif current + 1 <= limit:
            at = now
        else:  # in the next window, this one's count weighted down
            weighted_out = max(0.0, 1 - (limit - 1) / current) if current > 0 else 0.0
            at = start + period + period * weighted_out
        return max(0.0, at - now)

    def _count(self, current_key: str, previous_key: str) -> tuple[int, int]:
        """(this window's count with this request, the previous window's count)."""
        backend = caches[self.cache_alias]
        lifetime = 2 * self.duration + 1
        client = _redis_client(backend)
        if client is not None:
            pipe = client.pipeline(transaction=False)
            pipe.incr(backend.make_key(current_key))
            pipe.expire(backend.make_key(current_key), lifetime)
            pipe.get(backend.make_key(previous_key))
            current, _, previous = pipe.execute()
            return int(current), int(previous or 0)
        backend.add(current_key, 0, lifetime)
        try:
            current = backend.incr(current_key)
        except ValueError:  # expired between add and incr
            backend.set(current_key, 1, lifetime)
            current = 1
        return int(current), int(backend.get(previous_key) or 0)

    def _take_back(self, current_key: str) -> None:
        """Uncount a refused request (only admitted requests count, as in DRF)."""
        backend = caches[self.cache_alias]
        try:
            client = _redis_client(backend)
            if client is not None:
                client.decr(backend.make_key(current_key))
            else:
                backend.decr(current_key)
        except Exception as error:  # the refusal stands; the counter is one too high
            errors.report(self.scope or "", error)


class AnonRateThrottle(SlidingWindowRateThrottle, throttling.AnonRateThrottle):
    """Anonymous requests, per client address, at the `anon` rate (THROTTLE_ANON)."""


class UserRateThrottle(SlidingWindowRateThrottle, throttling.UserRateThrottle):
    """Signed-in requests per user at the `user` rate (THROTTLE_USER); anonymous ones per
    address, unless the view also has the `anon` throttle, which counts them already."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        anonymous = not (request.user and request.user.is_authenticated)
        if anonymous and any(
            issubclass(cls, throttling.AnonRateThrottle)
            for cls in getattr(view, "throttle_classes", ())
        ):
            return None
        key: str | None = super().get_cache_key(request, view)
        return key
