"""Where a request's reads go when read replicas are configured (config/db_router.py).

The state of the current request lives in a context variable, opened by
`config.db_router.ReplicaRoutingMiddleware`; outside a request there is none and every
read goes to the primary. Code that must read the primary inside a read-only request (a
fill of a shared cache, whose entry would otherwise keep a lagging replica's answer under
a version or generation the write has already made current) says so with `primary()` or
marks its view with `reads_primary`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

PRIMARY_ATTRIBUTE = "reads_primary"


@dataclass
class RequestState:
    """Where the current request's reads may go; `replica` once one was chosen."""

    may_use_replica: bool
    replica: str | None = None
    pinned: int = 0  # depth of `primary()` blocks


current: ContextVar[RequestState | None] = ContextVar("db_routing_state", default=None)


@contextmanager
def primary() -> Iterator[None]:
    """Every read inside the block goes to the primary database."""
    state = current.get()
    if state is None:  # outside a request everything reads the primary already
        yield
        return
    state.pinned += 1
    try:
        yield
    finally:
        state.pinned -= 1


F = TypeVar("F", bound=Callable[..., Any])


def reads_primary(view: F) -> F:
    """Mark a view (a function, or a class-based view's class) to read only the primary."""
    setattr(view, PRIMARY_ATTRIBUTE, True)
    return view
