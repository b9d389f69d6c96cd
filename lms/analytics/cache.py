"""A short per-user cache of analytics answers.

The key names the endpoint, the user's id and every parameter that changes the answer
(period, granularity, timezone, course), so one user's figures are never answered to
another and different parameters never share an entry. Figures are at most `SECONDS` old;
nothing invalidates them (dashboards tolerate a minute; a write path stays free of
analytics).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache

SECONDS = 60
T = TypeVar("T")


def key_for(name: str, *, user_id: Any, params: tuple[Any, ...]) -> str:
    digest = hashlib.sha256(repr(params).encode()).hexdigest()[:32]
    return f"analytics:{name}:{user_id}:{digest}"


def cached(name: str, *, user_id: Any, params: tuple[Any, ...], build: Callable[[], T]) -> T:
    key = key_for(name, user_id=user_id, params=params)
    found = cache.get(key)
    if found is not None:
        value: T = found
        return value
    value = build()
    cache.set(key, value, SECONDS)
    return value
