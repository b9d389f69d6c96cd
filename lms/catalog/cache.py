"""The response cache of the catalog's public reads, with versioned keys.

Anonymous course list pages (search included), course details and curricula are kept as
their rendered JSON under a key that holds the catalog's current version number. Every
service that changes what those answers show (a course, its sections, lessons, tags,
category, workflow state, or its instructor's name, avatar or headline) calls `bump()`,
which raises the version once its transaction commits: the next read misses and is built
from the database, and entries of older versions are never read again (they expire).

Why one version for the whole catalog: a list page shows any course, a detail shows its
category, tags and instructors, so a finer key would need a lookup before every hit; writes
are rare next to reads. Entries live `TIMEOUT` seconds: counters kept by the apps above
(enrollments, ratings, reviews) may lag that long, and a cached preview-video link (signed
for ten minutes) always has most of its life left.

The version is read BEFORE the database, so an answer built while a write commits is
stored under the version the write has already left behind. A missing version (a restart
of the cache, an eviction) starts from the clock in nanoseconds, never from a number an
earlier version used. Only answers without per-user fields are kept (see `key_for`).

The same version keys the count of a public list (`count_key`): the number of published
courses a set of filters selects, kept for every page and ordering of that filter and for
callers whose answer is never kept whole (`?mine=false`, a signed-in caller's list), since
counting every published course is the list's most expensive query. It changes only when
a course's state or a filtered field does, which bumps the version; the counters above
(rating) may lag as long as the pages do.

The cache is Django's default cache: local memory, which is per process and so right only
for one process (development, tests), or Redis when REDIS_URL is set (every deployment).

In front of it each process keeps a near-cache (`NearCache`): the entries it last read or
wrote, bounded by count and by bytes (settings CATALOG_NEAR_CACHE_ENTRIES, default 2,000,
and CATALOG_NEAR_CACHE_BYTES, default 32 MB; 0 turns it off), least recently used first
out. A hit there costs no GET of the body; the version is still read from the shared cache
on every request, and an entry is only found under the key, hence the version, it was
built for, so a write in any process is seen on the next read in every process. An entry
leaves the near-cache when the shared one would drop it: each is stored with the wall-clock
time it expires (`put` time + TIMEOUT), so counters lag no longer than without it (plus
the clock difference between hosts).
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache

from lms.core import invalidation

VERSION_KEY = "catalog:response-version"
TIMEOUT = 60


def version() -> int:
    """The catalog's current version number."""
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        current = cache.get(VERSION_KEY)
    return int(current) if current is not None else time.time_ns()


def _bump_now() -> None:
    """Raise the version now (lms.core.invalidation: kept and sent later if Redis is away)."""
    invalidation.retire([VERSION_KEY], timeout=None)


def bump() -> None:
    """Make every cached answer old once the current transaction commits (now without one).

    Call it from each service that changes something the public reads show. A raise that
    Redis does not receive is kept by the process and sent once Redis answers, before the
    process reads again, and queued as a task (lms.core.invalidation).
    """
    invalidation.retire([VERSION_KEY], timeout=None, at_once=False)


def key_for(request: Any, kind: str) -> str:
    """The key of a public answer: its kind, the version, the host it was built for (its
    absolute URLs and page links name it) and the path with its query string."""
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.blake2b(address.encode(), digest_size=16).hexdigest()
    return f"catalog:{kind}:{version()}:{digest}"


def count_key(filters: Mapping[str, str]) -> str:
    """The key of the number of published courses a public list's filters select (the
    filter parameters by name, without ordering and paging: every page and every ordering
    of one filter share its count), under the current version."""
    # urlencoded: a value holding "&" or "=" (a category, a search term) must not spell
    # another set of filters ("category=web%26level%3Dbeginner" is one filter, not two)
    text = urlencode(sorted(filters.items()))
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    return f"catalog:count:{version()}:{digest}"


def get_count(key: str) -> int | None:
    """The count kept under `key` (`count_key`), or None."""
    count = _get(key)
    return count if type(count) is int else None


def put_count(key: str, count: int) -> None:
    _put(key, count)


def get(key: str) -> bytes | None:
    """The body kept under `key` (`key_for`), or None."""
    body = _get(key)
    return body if isinstance(body, bytes) else None


def put(key: str, body: bytes) -> None:
    _put(key, body)


@dataclass(frozen=True, slots=True)
class CoursePage:
    """A course's anonymous answer (detail or curriculum) and what tells who else may have
    it: callers neither enrolled in the course, nor among its authors, nor staff see
    exactly what nobody sees (api/views.py: `_course_read`)."""

    body: bytes
    course_id: uuid.UUID
    author_ids: frozenset[uuid.UUID]


def get_course_page(key: str) -> CoursePage | None:
    page = _get(key)
    return page if isinstance(page, CoursePage) else None


def put_course_page(key: str, page: CoursePage) -> None:
    _put(key, page)


# --- the per-process near-cache -------------------------------------------------------------

Entry = bytes | CoursePage | int
_PAGE_OVERHEAD = 200  # bytes: the CoursePage, its id and set, roughly (only the bound uses it)
_COUNT_SIZE = 100  # bytes: a count, its key and the entry's tuple, roughly


class NearCache:
    """A thread-safe LRU of entries with their wall-clock expiry (`time.time()` seconds),
    bounded by `max_entries` and `max_bytes` (the sizes its callers give) read from settings
    at each `put`: the least recently used go first, an entry larger than the whole bound
    is not kept, an expired one is dropped when found."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, Entry, int]] = OrderedDict()
        self._bytes = 0

    def get(self, key: str, now: float) -> Entry | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            expires_at, value, size = found
            if expires_at <= now:
                del self._entries[key]
                self._bytes -= size
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: Entry, size: int, expires_at: float) -> None:
        max_entries = settings.CATALOG_NEAR_CACHE_ENTRIES
        max_bytes = settings.CATALOG_NEAR_CACHE_BYTES
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            if size > max_bytes or max_entries <= 0:
                return
            while self._entries and (
                len(self._entries) >= max_entries or self._bytes + size > max_bytes
            ):
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped
            self._entries[key] = (expires_at, value, size)
            self._bytes += size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """The sum of the kept entries' sizes, in bytes."""
        return self._bytes


near_cache = NearCache()


def _get(key: str) -> Entry | None:
    """The entry under `key`: from this process's near-cache, else from the shared cache
    (then kept near until the moment the shared cache drops it)."""
    now = time.time()
    value = near_cache.get(key, now)
    if value is not None:
        return value
    stored = cache.get(key)
    if not (isinstance(stored, tuple) and len(stored) == 2):
        return None  # missing (or kept by an earlier release without its expiry)
    expires_at, value = stored
    if not isinstance(value, bytes | CoursePage | int) or expires_at <= now:
        return None
    near_cache.put(key, value, _size(value), expires_at)
    return value


def _put(key: str, value: Entry) -> None:
    expires_at = time.time() + TIMEOUT
    cache.set(key, (expires_at, value), TIMEOUT)
    near_cache.put(key, value, _size(value), expires_at)


def _size(value: Entry) -> int:
    """Bytes an entry holds, roughly (the body, plus a fixed allowance for a CoursePage)."""
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, int):
        return _COUNT_SIZE
    return len(value.body) + _PAGE_OVERHEAD + 16 * len(value.author_ids)
