"""A short per-user cache of analytics answers.

The key names the endpoint, the user's id and every parameter that changes the answer
(period, granularity, timezone, course), so one user's figures are never answered to
another and different parameters never share an entry. Figures are at most
`ANALYTICS_CACHE_SECONDS` old (60 by default; 0 keeps nothing, as the bench runs them);
nothing invalidates them (dashboards tolerate a minute; a write path stays free of
analytics).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")


def key_for(name: str, *, user_id: Any, params: tuple[Any, ...]) -> str:
    digest = hashlib.sha256(repr(params).encode()).hexdigest()[:32]
    return f"analytics:{name}:{user_id}:{digest}"


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
