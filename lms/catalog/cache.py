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

The cache is Django's default cache: local memory, which is per process and so right only
for one process (development, tests), or Redis when REDIS_URL is set (every deployment).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction

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
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or it was evicted): start above every earlier one
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def bump() -> None:
    """Make every cached answer old once the current transaction commits (now without one).

    Call it from each service that changes something the public reads show.
    """
    transaction.on_commit(_bump_now)


def key_for(request: Any, kind: str) -> str:
    """The key of a public answer: its kind, the version, the host it was built for (its
    absolute URLs and page links name it) and the path with its query string."""
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.blake2b(address.encode(), digest_size=16).hexdigest()
    return f"catalog:{kind}:{version()}:{digest}"


def get(key: str) -> bytes | None:
    body = cache.get(key)
    return body if isinstance(body, bytes) else None


def put(key: str, body: bytes) -> None:
    cache.set(key, body, TIMEOUT)


@dataclass(frozen=True, slots=True)
class CoursePage:
    """A course's anonymous answer (detail or curriculum) and what tells who else may have
    it: callers neither enrolled in the course, nor among its authors, nor staff see
    exactly what nobody sees (api/views.py: `_course_read`)."""

    body: bytes
    course_id: uuid.UUID
    author_ids: frozenset[uuid.UUID]


def get_course_page(key: str) -> CoursePage | None:
    page = cache.get(key)
    return page if isinstance(page, CoursePage) else None


def put_course_page(key: str, page: CoursePage) -> None:
    cache.set(key, page, TIMEOUT)
