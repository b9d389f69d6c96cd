"""A short per-user cache of the expensive analytics answers (instructor, course, platform).

The key names the endpoint, the user's id, every parameter that changes the answer (period,
granularity, timezone, course) and the catalog's version, so one user's figures are never
answered to another, different parameters never share an entry, and a change to a course
(created, published, retitled, archived: every service that changes one bumps the catalog's
version, lms/catalog/cache.py) is in the figures on the next read.

What other people do (a student enrolling, a sale, a review) reaches these figures within
`ANALYTICS_CACHE_SECONDS` (60 by default; 0 keeps nothing, as the bench runs them): they sum
the activity of thousands of rows, and a write path stays free of analytics. A student's own
figures are not cached at all (seven cheap queries): what they just did is there at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from lms.catalog import cache as catalog_cache

T = TypeVar("T")


def key_for(name: str, *, user_id: Any, params: tuple[Any, ...]) -> str:
    digest = hashlib.sha256(repr(params).encode()).hexdigest()[:32]
    return f"analytics:{name}:{user_id}:{catalog_cache.version()}:{digest}"


def cached(name: str, *, user_id: Any, params: tuple[Any, ...], build: Callable[[], T]) -> T:
    seconds = settings.ANALYTICS_CACHE_SECONDS
    if seconds <= 0:
        return build()
    key = key_for(name, user_id=user_id, params=params)
    found = cache.get(key)
    if found is not None:
        value: T = found
        return value
    value = build()
    cache.set(key, value, seconds)
    return value
