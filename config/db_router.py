"""Send the reads of read-only requests to a read replica when DATABASE_REPLICA_URLS sets any.

The rule (docs/operations.md, "Databases and read replicas"):

- Writes, migrations and every read outside an HTTP request (Celery tasks, management
  commands, the shell) go to `default`, the primary.
- A request whose method is safe (GET, HEAD, OPTIONS) reads from one replica, chosen at
  random once per request, so that all its reads see one server...
- ...except a read inside a transaction (`transaction.atomic`; `select_for_update` is a
  write's read anyway), a read after the request wrote anything (read-your-writes within
  the request), and a read inside `lms.core.db_routing.primary()` or in a view marked
  `@reads_primary` (fills of shared caches: the user cache does this).
- A request with an unsafe method (POST, PUT, PATCH, DELETE) reads and writes `default`
  from its first query: it may read, then write on what it read.

`ReplicaRoutingMiddleware` (first in settings.MIDDLEWARE) opens and closes each request's
state; without replicas the router answers `default` at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

from lms.core.db_routing import PRIMARY_ATTRIBUTE, RequestState, current

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def replica_aliases() -> list[str]:
    """The configured replicas' aliases (`replica_0`, `replica_1`, ...)."""
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


class PrimaryReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        state = current.get()
        if state is None or not state.may_use_replica or state.pinned:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if state.replica is None:
            replicas = replica_aliases()
            if not replicas:
                state.may_use_replica = False
                return DEFAULT_DB_ALIAS
            state.replica = random.choice(replicas)  # noqa: S311 (load spreading, not security)
        return state.replica

    def db_for_write(self, model: Any, **hints: Any) -> str:
        state = current.get()
        if state is not None:
            state.may_use_replica = False  # read-your-writes for the rest of the request
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaRoutingMiddleware:
    """Open the routing state of each request (see the module's rule); first in MIDDLEWARE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current.set(RequestState(may_use_replica=request.method in SAFE_METHODS))
        try:
            return self.get_response(request)
        finally:
            current.reset(token)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        view_class = getattr(view, "cls", None) or getattr(view, "view_class", None)
        marked = getattr(view, PRIMARY_ATTRIBUTE, False) or getattr(
            view_class, PRIMARY_ATTRIBUTE, False
        )
        state = current.get()
        if marked and state is not None:
            state.may_use_replica = False
