"""Hot reads of one user's data, kept in the cache under that user's own key.

`cached(name=..., user_id=..., build=...)` answers from `user-data:<name>:<user id>` while
nothing changed, else calls `build()` (on the primary database: a lagging replica's answer
must not be kept) and keeps its result for at most `SECONDS`. Every service that changes
what `build()` reads calls `invalidate(name=..., user_id=...)` in its transaction, which
retires the key's generation at once and again when the transaction commits: a read that
raced the write stores its answer under a generation that is already old, so the next read
after the write always misses (the rule of lms.accounts.user_cache, which keeps the user
row itself; lms.core.invalidation keeps a raise that Redis did not receive). Per-user data
is never kept under a key another user could read.

Used by: the unread-notification count (`notifications:unread`, lms.notifications).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache

from lms.core import invalidation
from lms.core.db_routing import primary

SECONDS = 60
# A generation outlives every value kept under it.
GENERATION_SECONDS = 24 * 3600

T = TypeVar("T")


def _keys(name: str, user_id: Any) -> tuple[str, str]:
    return f"user-data:{name}:{user_id}", f"user-data:{name}:{user_id}:generation"


def cached(*, name: str, user_id: Any, build: Callable[[], T], timeout: int = SECONDS) -> T:
    """`build()` for this user, from the cache unless `invalidate` was called since (one
    round trip to the cache on a hit; `build()` and one more on a miss)."""
    key, generation_key = _keys(name, user_id)
    found = cache.get_many([key, generation_key])
    generation = found.get(generation_key)
    kept = found.get(key)
    if kept is not None and kept[0] == generation:
        value: T = kept[1]
        return value
    with primary():
        value = build()
    cache.set(key, (generation, value), timeout)
    return value


def invalidate(*, name: str, user_id: Any) -> None:
    """What is kept for this user under `name` is stale: now, and when the transaction
    commits (now if there is none); with Redis unreachable the raise is kept and sent
    once it answers (lms.core.invalidation)."""
    _, generation_key = _keys(name, user_id)
    invalidation.retire([generation_key], timeout=GENERATION_SECONDS)
