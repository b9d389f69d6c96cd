"""The signed-in user's row, cached per user, so a request authenticates without a query.

As Zulip caches its user profile: one cache key per user id (`accounts:user:<shape>:<id>`,
where the shape changes with the user row's columns), filled by the request that missed it
and invalidated by every write of the row: a save or delete of the user (`post_save` and
`post_delete`, connected in `AccountsConfig.ready`, so services and the admin alike) and
the queryset update of `tokens.revoke_all_tokens`. Per-user data never sits under a
shared key.

Invalidation bumps the user's generation (a second key), once at once and once more when
the writing transaction commits (lms.core.invalidation, which also keeps a bump that Redis
did not receive and sends it once Redis answers, before this process reads again); a
cached row carries the generation it was read under and counts only while that is still
the current one. Both keys come back in one round
trip. A request that read the row just before (or during) a write therefore cannot put
the old row back: it stores it under a generation that the write has already retired.

`cached_for_user` keeps other data of one user under the same generation (the body of
`GET /auth/me/`, whose profile writes retire the generation too).

The password hash never enters the cache: the cached user defers `password`, which Django
loads on first access (one query, in the few flows that check a password).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from functools import cache as once
from typing import Any, TypeVar

import django
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Field, QuerySet
from rest_framework_simplejwt.settings import api_settings

from lms.accounts.models import User
from lms.core import invalidation
from lms.core.db_routing import primary

# A cached row lives at most this long: a bound on any write that bypassed invalidation.
USER_CACHE_SECONDS = 300
# What `cached_for_user` keeps (a response body) lives at most this long.
USER_DATA_SECONDS = 60
# A generation outlives every row cached under it (rows live USER_CACHE_SECONDS).
GENERATION_SECONDS = 24 * 3600
_NOT_CACHED = ("password",)

T = TypeVar("T")


@once
def _shape() -> str:
    """Changes with the user row's columns and Django's pickle format: no old row is read."""
    columns = ",".join(field.attname for field in User._meta.concrete_fields)
    return f"{zlib.crc32(f'{django.__version__}:{columns}'.encode()):08x}"


def _lookup_value(value: Any) -> Any:
    """The USER_ID_FIELD value as the model holds it (a token's string id → UUID)."""
    field = User._meta.get_field(api_settings.USER_ID_FIELD)
    assert isinstance(field, Field)  # a column of the user row, not a relation
    return field.to_python(value)


def _keys(value: Any) -> tuple[str, str]:
    """The user's row key and generation key."""
    return f"accounts:user:{_shape()}:{value}", f"accounts:user-generation:{value}"


def cached_user(value: Any) -> User:
    """The user (active or not) whose USER_ID_FIELD is `value`; else `User.DoesNotExist`."""
    try:
        value = _lookup_value(value)
    except ValidationError as exc:  # not an id at all (a UUID field given "abc")
        raise User.DoesNotExist from exc
    row_key, generation_key = _keys(value)
    found = cache.get_many([row_key, generation_key])
    generation = found.get(generation_key)
    cached = found.get(row_key)
    if cached is not None and cached[0] == generation:
        user: User = cached[1]
        return user
    # From the primary: a lagging replica's old row would be kept under the new generation.
    with primary():
        user = User.objects.defer(*_NOT_CACHED).get(**{api_settings.USER_ID_FIELD: value})
    cache.set(row_key, (generation, user), USER_CACHE_SECONDS)
    return user


def cached_for_user(user: User, name: str, build: Callable[[], T]) -> T:
    """`build()` kept for `user` under `name` (`"me:<version>:<host>"`) until the next write
    of the user or their profile, as the row is; at most `USER_DATA_SECONDS`, which also
    bounds how long a deploy that changed the shape without changing `name` is served it."""
    value = _lookup_value(getattr(user, api_settings.USER_ID_FIELD))
    _, generation_key = _keys(value)
    key = f"accounts:user-data:{_shape()}:{value}:{name}"
    found = cache.get_many([key, generation_key])
    generation = found.get(generation_key)
    cached = found.get(key)
    if cached is not None and cached[0] == generation:
        kept: T = cached[1]
        return kept
    with primary():  # as the row: never a lagging replica's answer under this generation
        data = build()
    cache.set(key, (generation, data), USER_DATA_SECONDS)
    return data


def flush_cached_user(user: User) -> None:
    """Make what is cached for `user` stale; called by every write of the user's row or
    profile. A Redis that cannot be reached does not lose it (lms.core.invalidation)."""
    flush_cached_users([user])


def flush_cached_users(users: Iterable[User] | QuerySet[User]) -> None:
    """`flush_cached_user` of each of `users` in one batch (a university's members; a
    queryset is read for its ids only): one generation raise per user, now and when the
    transaction commits, stopping at the first failure (the rest are owed at once)."""
    if isinstance(users, QuerySet):
        values = list(users.values_list(api_settings.USER_ID_FIELD, flat=True))
    else:
        values = [getattr(user, api_settings.USER_ID_FIELD) for user in users]
    keys = [_keys(_lookup_value(value))[1] for value in values]
    invalidation.retire(keys, timeout=GENERATION_SECONDS)


class _CachedUsers:
    def get(self, **lookup: Any) -> User:
        (value,) = lookup.values()  # {USER_ID_FIELD: the token's user id}
        return cached_user(value)


class CachedUserLookup:
    """What simplejwt's `JWTAuthentication.get_user` uses of its user model, `objects.get`
    and `DoesNotExist`, answered from the cache; simplejwt's own checks run unchanged."""

    DoesNotExist = User.DoesNotExist
    objects = _CachedUsers()
