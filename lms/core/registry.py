"""The one way a lower app calls up into the apps above it: a typed registry.

Apps form layers (docs/architecture.md); a lower app never imports a higher one. When it
must reach up (catalog asks learning who is enrolled; commerce fulfils a booking that
tutoring sells), it declares a `Registry` of the callables or objects it needs, and the
upper app fills it in its `AppConfig.ready`:

    # lms/catalog/access.py (below)
    enrollment_checkers: Registry[EnrollmentChecker] = Registry("catalog.enrollment_checkers")

    # lms/learning/apps.py (above)
    access.enrollment_checkers.register("learning", selectors.enrolled_course_ids_for)

Keys name the registering app (or the kind an entry serves); registering a key again
replaces its entry, so a repeated `ready()` is harmless. Django signals stay for framework
hooks; business flow goes through these explicit calls.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class NotRegistered(LookupError):
    """Nothing is registered under this key."""


class Registry(Generic[T]):
    """Entries of type `T` by key, in registration order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[str, T] = {}

    def register(self, key: str, entry: T) -> None:
        """Add `entry` under `key` (replacing what `key` held)."""
        self._entries[key] = entry

    def unregister(self, key: str) -> None:
        """Forget `key` (tests); nothing happens when it is not there."""
        self._entries.pop(key, None)

    def get(self, key: str) -> T:
        """The entry under `key`; `NotRegistered` when there is none."""
        try:
            return self._entries[key]
        except KeyError:
            raise NotRegistered(f"{self.name}: nothing registered as {key!r}.") from None

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._entries.values()))

    def keys(self) -> list[str]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @contextmanager
    def swapped(self, entries: Mapping[str, T] | None = None) -> Iterator[Registry[T]]:
        """Tests: hold exactly `entries` (none by default) inside the block, then restore."""
        saved = self._entries
        self._entries = dict(entries or {})
        try:
            yield self
        finally:
            self._entries = saved

    def __repr__(self) -> str:
        return f"Registry({self.name!r}, keys={self.keys()!r})"
