"""Test helpers every app's race tests share (imported by tests only)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connection


def clear_cache() -> None:
    """Empty this test worker's cache only. Parallel workers share one Redis, each under
    its own key prefix; `cache.clear()` would flush the whole database and, with it, the
    rows another worker is counting queries against."""
    if hasattr(cache, "delete_pattern"):  # django-redis: only this worker's prefixed keys
        cache.delete_pattern("*")
    else:
        cache.clear()


def run_at_once(
    count: int, work: Callable[[int], Any], *, join_timeout: float = 60
) -> list[tuple[str, Any] | None]:
    """Run `work(index)` in `count` threads released together by a barrier; each closes its
    database connection. Returns ("ok", result) or ("error", exception) per index (None for a
    thread still running after `join_timeout` seconds)."""
    barrier = threading.Barrier(count)
    outcomes: list[tuple[str, Any] | None] = [None] * count

    def thread_body(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", work(index))
        except Exception as error:
            outcomes[index] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=thread_body, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_timeout)
    return outcomes


def record_redis_commands(monkeypatch: Any) -> list[bytes]:
    """Every command (or pipeline) sent to Redis from now on, packed as redis-py sends it,
    one entry per round trip: the list fills as the test runs (monkeypatch undoes it)."""
    from redis.connection import Connection

    sent: list[bytes] = []
    original = Connection.send_packed_command

    def recording(self: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(b"".join(command) if isinstance(command, list | tuple) else command)
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(Connection, "send_packed_command", recording)
    return sent
