"""Cache invalidation that survives a Redis outage: every invalidation of the code base.

Every cached answer here is invalidated the same way: a counter key (a user's generation,
a per-user datum's generation, the catalog's version) is raised, and entries stored under
the old value are never read again (lms.accounts.user_cache, lms.core.per_user_cache,
lms.catalog.cache). `retire(key)` raises one; nothing else in the code base writes them.

The failure it handles (issue 16, item 2): the cache swallows its errors (IGNORE_EXCEPTIONS,
config/settings.py), so a raise sent while Redis cannot be reached was lost without a
trace, while Redis kept its data (a network partition; a restart with `--appendonly yes`).
Once Redis answered again the old row was current again: a user deactivated, or whose
tokens were revoked, during the outage was let in for up to USER_CACHE_SECONDS (300 s).

How none is lost:

1. A raise that fails (any error from the cache, or the circuit breaker of
   `lms.core.cache_client` open) is recorded in this process as DEBT: the set of counter
   keys still to raise, coalesced (one raise after the outage retires every entry stored
   before it, however many writes there were). A raise that reached Redis but whose reply
   was lost is recorded too; raising it again costs a miss, nothing else.
2. The process pays its debt before it reads the cache again: `BreakerClient` (every call
   of django-redis goes through it) raises the keys first and answers nothing from Redis
   until that worked, so this process never reads a row its own write retired. With no
   debt the check is one truth test of a set.
3. A daemon thread pays it too, every CACHE_BREAKER_COOLDOWN_SECONDS while there is debt,
   so an idle process does not keep its debt (other processes are the ones reading).
4. It is made durable: the raise is also queued as `lms.core.tasks.replay_cache_invalidations`
   after the commit. With the broker (the same Redis) down, the task lands in the outbox
   (lms.core.models.UnsentTask) and beat's `resend_unsent_tasks` publishes it once Redis is
   back (every minute), so a process that dies in debt loses nothing. One task per key and
   process until the debt is paid. The task raises the counters again (idempotent in
   effect: a second raise retires entries built after the first, which costs a miss).

What is left (honest window): between Redis's return and the payment, ANOTHER process may
read the old entry: at most CACHE_BREAKER_COOLDOWN_SECONDS (default 5 s, the payer's
thread) plus one round trip while the writing process lives, else until beat's next resend
(at most 60 s, plus the worker's queue). The test lms/core/tests/test_cache_outage.py
measures it. During the outage itself nothing is read from Redis at all.

Considered and not chosen: a global "cache epoch" read with every row and raised by a
process that failed an invalidation. It has the same window (the epoch is raised by the
same process at the same moment) and empties every cache after any lost invalidation;
per-key debt empties only what the writes touched.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

logger = logging.getLogger(__name__)

ALIAS = "default"
DEFAULT_COOLDOWN_SECONDS = 5.0


class CounterStore(Protocol):
    """What a raise uses: Django's cache API, or django-redis's client (which raises)."""

    def incr(self, key: str, delta: int = ...) -> Any: ...

    def add(self, key: str, value: Any, timeout: Any = ...) -> Any: ...


def cooldown_seconds() -> float:
    """How long the breaker skips Redis after a failure; also the payer thread's period."""
    return float(getattr(settings, "CACHE_BREAKER_COOLDOWN_SECONDS", DEFAULT_COOLDOWN_SECONDS))


class Debt:
    """This process's counter keys whose raise failed: key → (timeout in seconds or None,
    the sequence number of its last failure), and the keys already queued as a task since
    the debt was last paid. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[int | None, int]] = {}
        self._queued: set[str] = set()
        self._sequence = 0
        self._payer: threading.Thread | None = None

    def __bool__(self) -> bool:
        return bool(self._keys)  # a dict's truth: the cheap check needs no lock

    def add(self, key: str, timeout: int | None) -> None:
        with self._lock:
            self._sequence += 1
            self._keys[key] = (timeout, self._sequence)
            if self._payer is None or not self._payer.is_alive():  # (a forked child)
                self._payer = threading.Thread(
                    target=_pay_in_background, name="cache-invalidation-debt", daemon=True
                )
                self._payer.start()

    def to_queue(self, keys: Iterable[str]) -> list[str]:
        """Those of `keys` not yet queued as a task since the last payment (marked now)."""
        with self._lock:
            fresh = [key for key in keys if key not in self._queued]
            self._queued.update(fresh)
            return fresh

    def snapshot(self) -> dict[str, tuple[int | None, int]]:
        with self._lock:
            return dict(self._keys)

    def paid(self, keys: dict[str, tuple[int | None, int]]) -> None:
        """`keys` were raised: forget them, unless one failed again since the snapshot."""
        with self._lock:
            for key, entry in keys.items():
                if self._keys.get(key) == entry:
                    del self._keys[key]
            if not self._keys:
                self._queued.clear()

    def payer_may_stop(self) -> bool:
        """True (and the payer thread forgotten) when nothing is owed: decided under the
        lock, so a key owed at the same moment starts a new payer."""
        with self._lock:
            if self._keys:
                return False
            self._payer = None
            return True

    def keys(self) -> set[str]:
        with self._lock:
            return set(self._keys)

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._keys.clear()
            self._queued.clear()


debt = Debt()


def raise_counter(store: CounterStore, key: str, timeout: int | None) -> None:
    """Raise the counter `key` by one; a missing one starts from the clock in nanoseconds,
    above any value it had before (an eviction, a Redis restart without persistence), and
    lives `timeout` seconds (None: no expiry). Errors of `store` propagate."""
    try:
        store.incr(key)
    except ValueError:  # missing (never set, expired or evicted)
        if not store.add(key, time.time_ns(), timeout=timeout):
            store.incr(key)  # another process created it meanwhile


def _raw_store() -> CounterStore:
    """The default cache in a form whose failures raise: django-redis's client (the
    backend's own methods swallow them), else the backend (local memory cannot fail)."""
    backend = caches[ALIAS]
    client = getattr(backend, "client", None)
    if client is not None and type(backend).__module__.startswith("django_redis"):
        store: CounterStore = client
        return store
    return backend


_local = threading.local()


def paying() -> bool:
    """True inside `pay` on this thread (the breaker client then does not pay first)."""
    return bool(getattr(_local, "paying", False))


def pay(store: CounterStore) -> None:
    """Raise every key of the debt through `store`; the first failure propagates (what is
    not raised yet stays owed)."""
    owed = debt.snapshot()
    _local.paying = True
    try:
        for key, (timeout, _) in owed.items():
            raise_counter(store, key, timeout)
    finally:
        _local.paying = False
    debt.paid(owed)
    logger.info("cache_invalidations_replayed", extra={"keys": len(owed)})


def _pay_in_background() -> None:
    """The payer thread: until the debt is paid, try once every cool-down (a read of the
    cache by this process pays it sooner, lms.core.cache_client)."""
    while True:
        time.sleep(cooldown_seconds())
        if debt.payer_may_stop():
            return
        try:
            pay(_raw_store())
        except Exception as error:  # still down: again after the next cool-down
            logger.info("cache_debt_not_paid", extra={"error": type(error).__name__})


def _raise_or_owe(keys: dict[str, int | None]) -> list[str]:
    """Raise each key now; those that could not be raised become debt (the first failure
    stops the attempts: the rest would fail the same way, each costing a timeout).
    Returns the keys owed."""
    owed: list[str] = []
    store = _raw_store()
    for key, timeout in keys.items():
        if owed:
            owed.append(key)
            debt.add(key, timeout)
            continue
        try:
            raise_counter(store, key, timeout)
        except Exception as error:  # any cache failure, the breaker's included
            logger.warning("cache_invalidation_owed", extra={"error": type(error).__name__})
            owed.append(key)
            debt.add(key, timeout)
    return owed


def _after_commit(keys: dict[str, int | None]) -> None:
    owed = _raise_or_owe(keys)
    if not owed:
        return
    from lms.core.tasks import replay_cache_invalidations

    if replay_cache_invalidations.app.conf.task_always_eager:
        return  # no broker, no worker (development, tests): the debt is all there is
    fresh = debt.to_queue(owed)
    if fresh:
        # outside any transaction (an on_commit callback): published now, or kept in the
        # outbox when the broker refuses it
        replay_cache_invalidations.delay_on_commit([[key, keys[key]] for key in fresh])


def retire(keys: Iterable[str], *, timeout: int | None, at_once: bool = True) -> None:
    """Make everything stored under the counters `keys` old: at once (unless `at_once` is
    False) and again once the current transaction commits (at once without one), so a read
    racing the write stores its answer under a value already retired. `timeout`: the
    counters' life in seconds (None: no expiry). Never raises for the cache: what cannot
    be raised is owed (module docstring)."""
    wanted: dict[str, int | None] = dict.fromkeys(keys, timeout)
    if not wanted:
        return
    if at_once:
        _raise_or_owe(wanted)
    transaction.on_commit(lambda: _after_commit(wanted))


def replay(pairs: list[list[Any]]) -> None:
    """The task's body: raise each `[key, timeout]` now; a failure propagates (retried)."""
    store = _raw_store()
    for key, timeout in pairs:
        raise_counter(store, str(key), None if timeout is None else int(timeout))
