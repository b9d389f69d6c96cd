"""django-redis's client with a per-process circuit breaker and the invalidation debt.

Settings: CACHES["default"]["OPTIONS"]["CLIENT_CLASS"] = "lms.core.cache_client.BreakerClient"
(config/settings.py), and CACHE_BREAKER_COOLDOWN_SECONDS (default 5).

The breaker (issue 16, item 8, a blackholed Redis): a Redis that accepts connections and
never answers costs every cache call its socket timeout (0.5 s to connect, 1 s to read),
several per request. After any failure of a call (django-redis's ConnectionInterrupted:
a refused or timed-out connection, a timed-out read, a protocol error) this process skips
Redis for the cool-down: every call fails at once with ConnectionInterrupted, which the
backend's IGNORE_EXCEPTIONS turns into a miss (reads are built from the database), and
a counter raise becomes debt (lms.core.invalidation). The first call after the cool-down
tries Redis again (one call per cool-down and process pays a timeout while Redis stays
away). Direct users of `get_client` (the throttles' pipeline, the health PING) are refused
at once too while it is open; `lms.core.cache_health.cache_answers` reports the cache down
without asking it, so the fail-closed limits keep answering 503 at no cost.

The debt: before any call, when this process owes counter raises (a failed invalidation),
they are sent first; if that fails the call fails (a miss), so this process never reads
an entry its own write retired (lms.core.invalidation).

State is per process and per server address, shared by the threads and by the cache
objects Django makes per thread. Calls made by the client for itself (one method calling
another) are counted once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from lms.core import invalidation


class Breaker:
    """Open (skip the server) until a time.monotonic() instant; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0

    def is_open(self) -> bool:
        return time.monotonic() < self._until

    def trip(self) -> None:
        with self._lock:
            self._until = time.monotonic() + invalidation.cooldown_seconds()

    def reset(self) -> None:
        with self._lock:
            self._until = 0.0


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()
_local = threading.local()


def breaker_for(server: Any) -> Breaker:
    """The breaker of a server address (the LOCATION, a string or a list of them)."""
    name = ",".join(server) if isinstance(server, list | tuple) else str(server)
    with _breakers_lock:
        return _breakers.setdefault(name, Breaker())


def reset_breakers() -> None:
    """Close every breaker of this process (tests)."""
    with _breakers_lock:
        for breaker in _breakers.values():
            breaker.reset()


class BreakerOpen(ConnectionInterrupted):
    """A call refused without trying the server (it does not extend the cool-down)."""


def _refused() -> BreakerOpen:
    error = BreakerOpen(connection=None)
    error.__cause__ = RedisConnectionError("the cache failed moments ago: not tried")
    return error


class BreakerClient(DefaultClient):
    @property
    def breaker(self) -> Breaker:
        return breaker_for(self._server)

    def _before(self) -> None:
        """Refuse while the breaker is open; pay the invalidation debt first."""
        if self.breaker.is_open():
            raise _refused()
        if invalidation.debt and not invalidation.paying():
            invalidation.pay(self)  # a failure propagates: the call is not made

    def get_client(self, write: bool = True, tried: list[int] | None = None) -> Any:
        if getattr(_local, "depth", 0):  # a call of this client's own
            return super().get_client(write=write, tried=tried)
        # a caller outside this client (the throttles' pipeline, the health PING)
        self._guarded_before()
        return _Tripping(super().get_client(write=write, tried=tried), self.breaker)

    def _guarded_before(self) -> None:
        _local.depth = 1
        try:
            self._before()
        except BreakerOpen:
            raise
        except ConnectionInterrupted:  # paying the debt failed
            self.breaker.trip()
            raise
        finally:
            _local.depth = 0


class _Tripping:
    """A Redis client (or pipeline) handed to a caller outside this client: a connection
    failure or timeout of any of its commands opens the breaker, as the client's own do."""

    def __init__(self, target: Any, breaker: Breaker) -> None:
        self._target = target
        self._breaker = breaker

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                result = attribute(*args, **kwargs)
            except (RedisConnectionError, RedisTimeoutError, OSError):
                self._breaker.trip()
                raise
            if result is self._target:  # a pipeline's chaining
                return self
            if name == "pipeline":
                return _Tripping(result, self._breaker)
            return result

        return call

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self._target.__exit__(*exc)


def _guard(method: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(self: BreakerClient, *args: Any, **kwargs: Any) -> Any:
        depth = getattr(_local, "depth", 0)
        if depth:  # called by the client itself, or while paying the debt
            return method(self, *args, **kwargs)
        _local.depth = 1
        try:
            self._before()
            return method(self, *args, **kwargs)
        except BreakerOpen:
            raise
        except ConnectionInterrupted:
            self.breaker.trip()
            raise
        finally:
            _local.depth = 0

    guarded.__name__ = method.__name__
    guarded.__doc__ = method.__doc__
    return guarded


# Every DefaultClient method that talks to the server.
_COMMANDS = [
    "set",
    "incr_version",
    "add",
    "get",
    "persist",
    "expire",
    "pexpire",
    "pexpire_at",
    "expire_at",
    "lock",
    "delete",
    "delete_pattern",
    "delete_many",
    "clear",
    "get_many",
    "set_many",
    "incr",
    "decr",
    "ttl",
    "pttl",
    "has_key",
    "iter_keys",
    "keys",
    "sadd",
    "scard",
    "sdiff",
    "sdiffstore",
    "sinter",
    "sinterstore",
    "smismember",
    "sismember",
    "smembers",
    "smove",
    "spop",
    "srandmember",
    "srem",
    "sscan",
    "sscan_iter",
    "sunion",
    "sunionstore",
    "touch",
    "hset",
    "hdel",
    "hlen",
    "hkeys",
    "hexists",
]
for _name in _COMMANDS:
    if hasattr(DefaultClient, _name):
        setattr(BreakerClient, _name, _guard(getattr(DefaultClient, _name)))
